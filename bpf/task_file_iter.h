/* What the iter/task_file programs (bpf/sockopts.bpf.c, bpf/socket_snapshot.bpf.c) share: the
 * iterator's context and the socket-file test; the socket and file views are in socket_views.h.
 * Each program declares its own task_struct view, with the fields it reads. */
#ifndef SOCKDIAG_TASK_FILE_ITER_H
#define SOCKDIAG_TASK_FILE_ITER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "socket_views.h"
#include "pid_numbers.h"

struct task_struct;

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
    return inode && (inode_mode(inode) & SOCKDIAG_S_IFMT) == SOCKDIAG_S_IFSOCK;
}

#endif
