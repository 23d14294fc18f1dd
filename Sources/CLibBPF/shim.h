#ifndef SOCKDIAG_CLIBBPF_SHIM_H
#define SOCKDIAG_CLIBBPF_SHIM_H
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/skel_internal.h>

/* Loads an opened object the way a light skeleton does and returns the descriptor of its program
 * `name` (or -errno). libbpf turns the object into a loader program without reading the kernel's
 * BTF (about 5 MB that libbpf would copy and index in this process on every load); the kernel runs
 * the loader, which relocates the CO-RE field accesses and finds the attach target against the BTF
 * the kernel already holds. The object's maps stay alive through the program; their descriptors
 * and those of the other programs are closed here. The object cannot be loaded again after this. */
static inline int sockdiag_bpf_load_in_kernel(struct bpf_object *obj, const char *name)
{
    struct gen_loader_opts gen = {.sz = sizeof(gen)};
    int err = bpf_object__gen_loader(obj, &gen);
    if (err)
        return err < 0 ? err : -EINVAL;
    err = bpf_object__load(obj);
    if (err)
        return err < 0 ? err : -EINVAL;
    int maps = 0, programs = 0, wanted = -1;
    struct bpf_map *map;
    struct bpf_program *program;
    bpf_object__for_each_map(map, obj)
        maps++;
    bpf_object__for_each_program(program, obj) {
        if (strcmp(bpf_program__name(program), name) == 0)
            wanted = programs;
        programs++;
    }
    if (wanted < 0)
        return -ENOENT;
    /* The loader's context: its header, then one descriptor per map and per program, in the
     * object's order, into which the loader writes the descriptors it made. */
    size_t size = sizeof(struct bpf_loader_ctx) + maps * sizeof(struct bpf_map_desc)
        + programs * sizeof(struct bpf_prog_desc);
    struct bpf_loader_ctx *ctx = calloc(1, size);
    if (!ctx)
        return -ENOMEM;
    ctx->sz = size;
    struct bpf_load_and_run_opts opts = {
        .ctx = ctx, .data = gen.data, .insns = gen.insns, .data_sz = gen.data_sz, .insns_sz = gen.insns_sz,
    };
    err = bpf_load_and_run(&opts);
    struct bpf_map_desc *map_fds = (struct bpf_map_desc *)(ctx + 1);
    struct bpf_prog_desc *prog_fds = (struct bpf_prog_desc *)(map_fds + maps);
    int found = err < 0 ? (errno ? -errno : -EINVAL) : prog_fds[wanted].prog_fd;
    for (int i = 0; i < maps; i++)
        if (map_fds[i].map_fd > 0)
            close(map_fds[i].map_fd);
    for (int i = 0; i < programs; i++)
        if (prog_fds[i].prog_fd > 0 && (err < 0 || i != wanted))
            close(prog_fds[i].prog_fd);
    free(ctx);
    return found;
}

/* Attaches an iterator program (a descriptor) for one read-through: over every task, or with
 * `pid` over the tasks of that process only (Linux 6.1+; older kernels answer -EINVAL). Returns
 * the link's descriptor or -errno. */
static inline int sockdiag_bpf_iter_link(int program, __u32 pid)
{
    union bpf_iter_link_info info;
    memset(&info, 0, sizeof(info));
    info.task.pid = pid;
    struct bpf_link_create_opts opts = {.sz = sizeof(opts)};
    if (pid) {
        opts.iter_info = &info;
        opts.iter_info_len = sizeof(info);
    }
    int link = bpf_link_create(program, 0, BPF_TRACE_ITER, &opts);
    return link < 0 ? -errno : link;
}
#endif
