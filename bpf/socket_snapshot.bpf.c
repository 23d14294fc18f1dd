// SPDX-License-Identifier: GPL-2.0
/* The sockets a cgroup's processes already hold when a live run starts: connections opened before
 * any hook could see their connect, listeners, accepted sockets. One pass over every task's file
 * table (iter/task_file, as bpf/sockopts.bpf.c), keeping the tasks of one cgroup subtree; for each
 * of their AF_INET/AF_INET6 sockets it writes the cookie the hooks will report, the family,
 * IPV6_V6ONLY, the state and both ends, and the holding process, numbered as the reader's pid
 * namespace numbers it (processes outside that namespace are left out). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "sockdiag_events.h"
#include "task_file_iter.h"

char LICENSE[] SEC("license") = "GPL";

/* Minimal CO-RE views of the kernel structures read here. */
struct kernfs_node {
    __u64 id;
} __attribute__((preserve_access_index));

struct cgroup {
    int level;
    struct kernfs_node *kn;
    struct cgroup *ancestors[];
} __attribute__((preserve_access_index));

struct css_set {
    struct cgroup *dfl_cgrp;
} __attribute__((preserve_access_index));

struct task_struct {
    int pid;
    int tgid;
    char comm[16];
    struct css_set *cgroups;
} __attribute__((preserve_access_index));

#define AF_INET 2
#define AF_INET6 10

/* Set by user space before loading: the cgroup whose subtree is kept, by its id and its depth
 * below the hierarchy's root. Level 0 is the root: every task. */
const volatile __u64 target_cgroup_id = 0;
const volatile __u32 target_level = 0;

/* Whether the task's cgroup v2 is the target or below it: its ancestor at the target's level is
 * the target (cgroup->ancestors[], the path from the root). */
static __always_inline int in_target(struct task_struct *task, __u64 *cgroup_id)
{
    struct cgroup *cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
    if (!cgrp)
        return 0;
    *cgroup_id = BPF_CORE_READ(cgrp, kn, id);
    if (target_level == 0)
        return 1;
    if (BPF_CORE_READ(cgrp, level) < (int)target_level)
        return 0;
    struct cgroup *ancestor = 0;
    __u64 offset = bpf_core_field_offset(struct cgroup, ancestors) + (__u64)target_level * sizeof(ancestor);
    if (bpf_probe_read_kernel(&ancestor, sizeof(ancestor), (void *)cgrp + offset) < 0 || !ancestor)
        return 0;
    return BPF_CORE_READ(ancestor, kn, id) == target_cgroup_id;
}

/* The iterator meets each task's files one after another: the verdict on the task of the last file
 * is kept, so a task outside the target costs one comparison per file instead of a cgroup lookup,
 * on a host where nearly every socket belongs to other cgroups. */
static __u32 last_task_pid;
static int last_task_kept;
static __u64 last_task_cgroup;
static __u32 last_task_tgid; /* as the reader's pid namespace numbers it */


SEC("iter/task_file")
int existing_sockets(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task)
        return 0;
    __u32 pid = task->pid;
    if (pid != last_task_pid) {
        last_task_pid = pid;
        last_task_kept = in_target(task, &last_task_cgroup);
        if (last_task_kept) {
            last_task_tgid = tgid_seen_by_reader(task);
            last_task_kept = last_task_tgid != 0;
        }
    }
    if (!last_task_kept)
        return 0;
    if (!file_is_socket(file))
        return 0;
    struct socket *sock = bpf_sock_from_file(file);
    struct sock *sk = sock ? sock->sk : 0;
    if (!sk)
        return 0;
    struct sock_common *skc = &sk->__sk_common;
    __u16 family = skc->skc_family;
    if (family != AF_INET && family != AF_INET6)
        return 0;
    struct sockdiag_socket_record r = {.cgroup_id = last_task_cgroup};
    r.cookie = bpf_get_socket_cookie(sk);
    r.tgid = last_task_tgid;
    r.fd = ctx->fd;
    r.family = family;
    r.protocol = sk->sk_protocol;
    r.socket_type = sk->sk_type;
    r.state = skc->skc_state;
    if (BPF_CORE_READ_BITFIELD(skc, skc_ipv6only))
        r.flags |= SOCKDIAG_SNAPSHOT_V6ONLY;
    r.local_port = skc->skc_num;
    r.remote_port = __builtin_bswap16(skc->skc_dport);
    if (family == AF_INET) {
        __builtin_memcpy(r.local_addr, &skc->skc_rcv_saddr, 4);
        __builtin_memcpy(r.remote_addr, &skc->skc_daddr, 4);
    } else {
        bpf_core_read(r.local_addr, sizeof(r.local_addr), &skc->skc_v6_rcv_saddr);
        bpf_core_read(r.remote_addr, sizeof(r.remote_addr), &skc->skc_v6_daddr);
    }
    bpf_probe_read_kernel(r.comm, sizeof(r.comm), task->comm);
    bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
    return 0;
}
