// SPDX-License-Identifier: GPL-2.0
/* What bind-check needs to know about every socket that netlink cannot say (or says only at a
 * price: the TCP sockets bound without listen()), in one pass over
 * every task's file table (iter/task_file): who holds it (instead of a readlink() per file
 * descriptor under /proc/PID/fd), and the options that decide binds and lookups: SO_REUSEADDR,
 * SO_REUSEPORT, SO_BINDTODEVICE and IPV6_V6ONLY (inet_diag has no bits for them).
 *
 * The options are the socket's own fields, the ones bpf_getsockopt(SOL_SOCKET, ...) returns
 * (sk_reuse, sk_reuseport, sk_bound_dev_if) plus sk_ipv6only, which bpf_getsockopt cannot read.
 * Reading them here costs nothing extra; an iter/tcp program calling bpf_getsockopt locks every
 * TCP socket on the host and took ~90 ms for 24,000 sockets, and the whole report has to cost a
 * fifth of `ss -p`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "task_file_iter.h"

char LICENSE[] SEC("license") = "GPL";

/* Minimal CO-RE views of the kernel structures read here; libbpf relocates the field offsets
 * against the running kernel's BTF. */
struct task_struct {
    int pid;
    int tgid;
} __attribute__((preserve_access_index));

/* A TCP port's bind bucket: the "fast reuse" marks that let a later bind skip the conflict check
 * (inet_csk_update_fastreuse(), sk_reuseport_match() in net/ipv4/inet_connection_sock.c). */
struct inet_bind_bucket {
    signed char fastreuse;
    signed char fastreuseport;
    kuid_t fastuid;
    struct in6_addr fast_v6_rcv_saddr;
    __u32 fast_rcv_saddr;
    unsigned short fast_sk_family;
    __u8 fast_ipv6_only;
} __attribute__((preserve_access_index));

struct inet_connection_sock {
    struct inet_bind_bucket *icsk_bind_hash;
} __attribute__((preserve_access_index));

#define SOCKDIAG_SOCKET_REUSEPORT 1
#define SOCKDIAG_SOCKET_V6ONLY 2
#define SOCKDIAG_IPPROTO_TCP 6
#define SOCKDIAG_SOCK_STREAM 1

/* Set by user space before loading: only sockets on this local port are reported (0: all). The
 * owners of a few sockets are wanted, not a record of every socket on the host. */
const volatile __u16 target_port = 0;

struct socket_record {
    __u64 inode;
    __u32 tgid;
    __u32 fd;
    __s32 bound_dev_if;
    __u16 family;
    __u8 reuse;  /* SO_REUSEADDR: 1 (SK_CAN_REUSE) when set */
    __u8 flags;  /* SOCKDIAG_SOCKET_REUSEPORT | SOCKDIAG_SOCKET_V6ONLY */
    /* A bound TCP socket's bind bucket (bucket = 1 when read). */
    __u32 fastuid;
    __u32 fast_rcv_saddr;
    __u8 fast_v6_rcv_saddr[16];
    __u16 fast_family;
    __s8 fastreuse;
    __s8 fastreuseport;
    __u8 fast_ipv6_only;
    __u8 bucket;
    __u8 state;  /* skc_state: TCP_CLOSE with a bind bucket is bound but inactive */
    __u8 pad;
    /* Enough to list a TCP socket that bound without listen() or connect(): no dump without
     * TCPF_BOUND_INACTIVE shows it, and that flag makes sock_diag walk the whole bind hash. */
    __u32 netns;  /* the network namespace's inode, as /proc/PID/ns/net shows it */
    __u32 uid;
    __u32 rcv_saddr;
    __u8 v6_rcv_saddr[16];
    __u16 num;    /* local port, host order */
    __u8 pad2[2];
    /* sk_incoming_cpu: the CPU that last handled a packet of a connected socket (or SO_INCOMING_CPU),
     * -1 when none; the listener and UDP lookups score one point more on that CPU. */
    __s32 incoming_cpu;
    __u32 pad3;
};

/* The last task walked and its process number in the reader's pid namespace (bind-check inside a
 * container names the pids its /proc shows): looked up once per task, not per socket. */
static __u32 last_task_pid;
static __u32 last_task_tgid;

SEC("iter/task_file")
int socket_owners(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task)
        return 0;
    if (!file_is_socket(file))
        return 0;
    struct socket_record record = {.inode = inode_number(file->f_inode), .fd = ctx->fd, .incoming_cpu = -1};
    struct socket *sock = bpf_sock_from_file(file);
    struct sock *sk = sock ? sock->sk : 0;
    /* Direct loads through the BTF-typed pointers: cheaper than bpf_probe_read for each of the
     * host's sockets. */
    if (target_port && (!sk || sk->__sk_common.skc_num != target_port))
        return 0;
    if (sk) {
        struct sock_common *skc = &sk->__sk_common;
        record.family = skc->skc_family;
        record.reuse = BPF_CORE_READ_BITFIELD(skc, skc_reuse);
        record.bound_dev_if = skc->skc_bound_dev_if;
        record.state = skc->skc_state;
        record.num = skc->skc_num;
        record.incoming_cpu = skc->skc_incoming_cpu;
        record.rcv_saddr = skc->skc_rcv_saddr;
        record.uid = BPF_CORE_READ(sk, sk_uid.val);
        record.netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
        bpf_core_read(&record.v6_rcv_saddr, sizeof(record.v6_rcv_saddr), &skc->skc_v6_rcv_saddr);
        if (BPF_CORE_READ_BITFIELD(skc, skc_reuseport))
            record.flags |= SOCKDIAG_SOCKET_REUSEPORT;
        if (BPF_CORE_READ_BITFIELD(skc, skc_ipv6only))
            record.flags |= SOCKDIAG_SOCKET_V6ONLY;
        if (sk->sk_protocol == SOCKDIAG_IPPROTO_TCP && sk->sk_type == SOCKDIAG_SOCK_STREAM) {
            struct inet_connection_sock *icsk = (void *)sk;
            struct inet_bind_bucket *tb = BPF_CORE_READ(icsk, icsk_bind_hash);
            if (tb) {
                record.bucket = 1;
                record.fastreuse = BPF_CORE_READ(tb, fastreuse);
                record.fastreuseport = BPF_CORE_READ(tb, fastreuseport);
                record.fastuid = BPF_CORE_READ(tb, fastuid.val);
                record.fast_rcv_saddr = BPF_CORE_READ(tb, fast_rcv_saddr);
                record.fast_family = BPF_CORE_READ(tb, fast_sk_family);
                record.fast_ipv6_only = BPF_CORE_READ(tb, fast_ipv6_only);
                bpf_core_read(&record.fast_v6_rcv_saddr, sizeof(record.fast_v6_rcv_saddr), &tb->fast_v6_rcv_saddr);
            }
        }
    }
    if ((__u32)task->pid != last_task_pid) {
        last_task_pid = task->pid;
        last_task_tgid = tgid_seen_by_reader(task);
    }
    record.tgid = last_task_tgid;
    bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
    return 0;
}

