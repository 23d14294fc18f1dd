/* What the iter/task_file programs (bpf/sockopts.bpf.c, bpf/socket_snapshot.bpf.c) share: the
 * iterator's context and the socket-file test; the socket and file views are in socket_views.h.
 * Each program declares its own task_struct view, with the fields it reads. */
#ifndef SOCKDIAG_TASK_FILE_ITER_H
#define SOCKDIAG_TASK_FILE_ITER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "socket_views.h"

struct task_struct;

struct bpf_iter__task_file {
    struct bpf_iter_meta *meta;
    struct task_struct *task;
    __u32 fd;
    struct file *file;
};

/* A process number as each pid namespace sees it: numbers[i] is its number at depth i, from the
 * initial namespace (0) down to the one it was made in (level). */
struct pid_namespace;

struct upid {
    int nr;
    struct pid_namespace *ns;
};

struct pid {
    unsigned int level;
    struct upid numbers[];
} __attribute__((preserve_access_index));

static __always_inline int read_upid(struct pid *pid, unsigned int level, struct upid *out)
{
    __u64 offset = bpf_core_field_offset(struct pid, numbers) + (__u64)level * sizeof(struct upid);
    return bpf_probe_read_kernel(out, sizeof(*out), (void *)pid + offset);
}

/* The number `holder` has in the pid namespace of the reading process (`reader`, the task that
 * reads the iterator, for which the program runs): a sockdiag started in a container names
 * processes as its own /proc does. 0 when the holder is outside that namespace. */
static __always_inline __u32 pid_seen_by(struct pid *reader, struct pid *holder)
{
    if (!reader || !holder)
        return 0;
    unsigned int level = BPF_CORE_READ(reader, level);
    struct upid mine, theirs;
    if (BPF_CORE_READ(holder, level) < level || read_upid(reader, level, &mine) < 0 || read_upid(holder, level, &theirs) < 0)
        return 0;
    return theirs.ns == mine.ns ? (__u32)theirs.nr : 0;
}

#define SOCKDIAG_S_IFMT 0170000
#define SOCKDIAG_S_IFSOCK 0140000

/* The file is a socket (its inode is S_IFSOCK). */
static __always_inline int file_is_socket(struct file *file)
{
    struct inode *inode = file->f_inode;
    return inode && (inode->i_mode & SOCKDIAG_S_IFMT) == SOCKDIAG_S_IFSOCK;
}

#endif
