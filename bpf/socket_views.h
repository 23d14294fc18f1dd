/* Minimal CO-RE views of a socket and the file holding it, shared by the iterator programs
 * (bpf/sockopts.bpf.c, bpf/socket_snapshot.bpf.c, bpf/udp_chains.bpf.c); libbpf relocates their
 * field offsets against the running kernel's BTF. */
#ifndef SOCKDIAG_SOCKET_VIEWS_H
#define SOCKDIAG_SOCKET_VIEWS_H

#include <linux/bpf.h>
#include <bpf/bpf_core_read.h>
#include "namespace_view.h"

struct inode {
    unsigned short i_mode;
    unsigned long i_ino;
} __attribute__((preserve_access_index));

struct file {
    struct inode *f_inode;
} __attribute__((preserve_access_index));

struct seq_file;

/* One view of a socket for every program: each reads the fields it needs (libbpf relocates only
 * the fields a program reads, matching the anonymous unions by member name). */
struct in6_addr {
    __u8 s6_addr[16];
};


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

struct socket;

struct sock {
    struct sock_common __sk_common;
    __u16 sk_type;
    __u16 sk_protocol;
    kuid_t sk_uid;
    struct socket *sk_socket;
} __attribute__((preserve_access_index));

struct socket {
    struct sock *sk;
    struct file *file;
} __attribute__((preserve_access_index));

/* A socket and its inode, allocated together (include/net/sock.h). The programs learn where an
 * inode's fields lie from it and never relocate an access rooted at struct inode: the kernel's
 * loader looks up each root type by name in its own BTF, keeping the last 31 answers in slots
 * chosen by a hash of the name, and "inode" and "net" share a slot, so a program reading both
 * had both looked up again on every load (a walk over all the kernel's types each, about 0.9 ms
 * of bind-check's run on 6.18). */
struct socket_alloc {
    struct socket socket;
    struct inode vfs_inode;
} __attribute__((preserve_access_index));

#define SOCKDIAG_INODE_FIELD_OFFSET(field) \
    (bpf_core_field_offset(struct socket_alloc, vfs_inode.field) - bpf_core_field_offset(struct socket_alloc, vfs_inode))

/* An inode's number and mode through the BTF-typed pointer: direct loads at the relocated offsets. */
static __always_inline unsigned long inode_number(struct inode *inode)
{
    return *(unsigned long *)((void *)inode + SOCKDIAG_INODE_FIELD_OFFSET(i_ino));
}

static __always_inline unsigned short inode_mode(struct inode *inode)
{
    return *(unsigned short *)((void *)inode + SOCKDIAG_INODE_FIELD_OFFSET(i_mode));
}

/* The iterator contexts' layouts are fixed by the kernel's bpf_iter ABI; no relocation needed. */
struct bpf_iter_meta {
    struct seq_file *seq;
};

#endif
