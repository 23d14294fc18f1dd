/* What the iter/task_file programs (bpf/sockopts.bpf.c, bpf/socket_snapshot.bpf.c) share: the
 * iterator's context and minimal CO-RE views of a task's open file, whose field offsets libbpf
 * relocates against the running kernel's BTF. Each program declares its own task_struct view, with the
 * fields it reads. */
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

/* One view of a socket for both programs: each reads the fields it needs (libbpf relocates only
 * the fields a program reads, matching the anonymous unions by member name). */
struct in6_addr {
    __u8 s6_addr[16];
};

struct ns_common {
    unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
    struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
    struct net *net;
} possible_net_t;

struct sock_common {
    union {
        struct {
            __u32 skc_daddr;
            __u32 skc_rcv_saddr;
        };
    };
    union {
        __u32 skc_portpair;
        struct {
            __u16 skc_dport;
            __u16 skc_num;
        };
    };
    unsigned short skc_family;
    int skc_incoming_cpu;
    volatile unsigned char skc_state;
    unsigned char skc_reuse : 4;
    unsigned char skc_reuseport : 1;
    unsigned char skc_ipv6only : 1;
    int skc_bound_dev_if;
    possible_net_t skc_net;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

typedef struct { __u32 val; } kuid_t;

struct sock {
    struct sock_common __sk_common;
    __u16 sk_type;
    __u16 sk_protocol;
    kuid_t sk_uid;
} __attribute__((preserve_access_index));

struct socket {
    struct sock *sk;
} __attribute__((preserve_access_index));

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
