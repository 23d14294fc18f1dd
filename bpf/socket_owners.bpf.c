// SPDX-License-Identifier: GPL-2.0
/* Socket owners in one pass over every task's file table (iter/task_file): one record
 * {inode, tgid, fd} per open socket. Replaces a readlink() per file descriptor under
 * /proc/PID/fd, which costs a system call for every fd on the host. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Minimal CO-RE views of the kernel structures read here; libbpf relocates the field offsets
 * against the running kernel's BTF. */
struct inode {
    unsigned short i_mode;
    unsigned long i_ino;
} __attribute__((preserve_access_index));

struct file {
    struct inode *f_inode;
} __attribute__((preserve_access_index));

struct task_struct {
    int pid;
    int tgid;
} __attribute__((preserve_access_index));

struct seq_file;

/* The iterator context's layout is fixed by the kernel's bpf_iter ABI; no relocation needed. */
struct bpf_iter_meta {
    struct seq_file *seq;
};

struct bpf_iter__task_file {
    struct bpf_iter_meta *meta;
    struct task_struct *task;
    __u32 fd;
    struct file *file;
};

#define SOCKDIAG_S_IFMT 0170000
#define SOCKDIAG_S_IFSOCK 0140000

struct socket_owner_record {
    __u64 inode;
    __u32 tgid;
    __u32 fd;
};

SEC("iter/task_file")
int socket_owners(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task)
        return 0;
    struct inode *inode = file->f_inode;
    if (!inode || (inode->i_mode & SOCKDIAG_S_IFMT) != SOCKDIAG_S_IFSOCK)
        return 0;
    struct socket_owner_record record = {.inode = inode->i_ino, .tgid = task->tgid, .fd = ctx->fd};
    bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
    return 0;
}
