/* What the iter/task_file programs (bpf/sockopts.bpf.c, bpf/socket_snapshot.bpf.c) share: the
 * iterator's context and minimal CO-RE views of a task's open file, whose field offsets libbpf
 * relocates against the running kernel's BTF. Each program declares its own task_struct and sock
 * views, with the fields it reads. */
#ifndef SOCKDIAG_TASK_FILE_ITER_H
#define SOCKDIAG_TASK_FILE_ITER_H

#include <linux/bpf.h>

struct inode {
    unsigned short i_mode;
    unsigned long i_ino;
} __attribute__((preserve_access_index));

struct file {
    struct inode *f_inode;
} __attribute__((preserve_access_index));

struct task_struct;
struct seq_file;

/* The iterator contexts' layouts are fixed by the kernel's bpf_iter ABI; no relocation needed. */
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

/* The file is a socket (its inode is S_IFSOCK). */
static __always_inline int file_is_socket(struct file *file)
{
    struct inode *inode = file->f_inode;
    return inode && (inode->i_mode & SOCKDIAG_S_IFMT) == SOCKDIAG_S_IFSOCK;
}

#endif
