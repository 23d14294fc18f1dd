// SPDX-License-Identifier: GPL-2.0
/* What bind-check needs to know about every socket that netlink cannot say:
 *  - socket_owners (iter/task_file): one record {inode, tgid, fd} per open socket of every task,
 *    instead of a readlink() per file descriptor under /proc/PID/fd;
 *  - tcp_sockopts, udp_sockopts (iter/tcp, iter/udp): each socket's SO_REUSEADDR, SO_REUSEPORT,
 *    bound device and IPV6_V6ONLY; inet_diag has no bits for them.
 * They share one object because loading an object parses the kernel's BTF (~20 ms), and the whole
 * bind-check report has to cost a fifth of `ss -p`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

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

struct socket {
    struct file *file;
} __attribute__((preserve_access_index));

struct sock_common {
    unsigned short skc_family;
    volatile unsigned char skc_state;
    unsigned char skc_reuse : 4;
    unsigned char skc_reuseport : 1;
    unsigned char skc_ipv6only : 1;
    int skc_bound_dev_if;
} __attribute__((preserve_access_index));

struct sock {
    struct sock_common __sk_common;
    struct socket *sk_socket;
} __attribute__((preserve_access_index));

struct tcp_sock;
struct udp_sock;
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

struct bpf_iter__tcp {
    struct bpf_iter_meta *meta;
    struct sock_common *sk_common;
    __u32 uid;
};

struct bpf_iter__udp {
    struct bpf_iter_meta *meta;
    struct udp_sock *udp_sk;
    __u32 uid;
    int bucket;
};

#define SOCKDIAG_S_IFMT 0170000
#define SOCKDIAG_S_IFSOCK 0140000
#define SOCKDIAG_SOL_SOCKET 1
#define SOCKDIAG_SO_REUSEADDR 2
#define SOCKDIAG_SO_REUSEPORT 15
#define SOCKDIAG_SO_BINDTOIFINDEX 62
#define SOCKDIAG_TCP_TIME_WAIT 6
#define SOCKDIAG_TCP_NEW_SYN_RECV 12

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

/* One socket's options. `how` says where they came from: 1 bpf_getsockopt, 2 the socket's fields. */
struct sockopt_record {
    __u64 inode;
    __s32 bound_dev_if;
    __u8 reuseaddr;
    __u8 reuseport;
    __u8 v6only;
    __u8 how;
};

static __always_inline __u64 socket_inode(struct sock *sk)
{
    struct socket *sock = sk->sk_socket;
    if (!sock)
        return 0;
    struct file *file = sock->file;
    if (!file)
        return 0;
    struct inode *inode = file->f_inode;
    return inode ? inode->i_ino : 0;
}

SEC("iter/tcp")
int tcp_sockopts(struct bpf_iter__tcp *ctx)
{
    struct sock_common *skc = ctx->sk_common;
    if (!skc)
        return 0;
    unsigned char state = skc->skc_state;
    /* TIME-WAIT and request sockets have no file, so no inode to report them by. */
    if (state == SOCKDIAG_TCP_TIME_WAIT || state == SOCKDIAG_TCP_NEW_SYN_RECV)
        return 0;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
    if (!tp)
        return 0;
    struct sockopt_record record = {.how = 1};
    int value = 0;
    if (bpf_getsockopt(tp, SOCKDIAG_SOL_SOCKET, SOCKDIAG_SO_REUSEADDR, &value, sizeof(value)) == 0)
        record.reuseaddr = value != 0;
    value = 0;
    if (bpf_getsockopt(tp, SOCKDIAG_SOL_SOCKET, SOCKDIAG_SO_REUSEPORT, &value, sizeof(value)) == 0)
        record.reuseport = value != 0;
    value = 0;
    if (bpf_getsockopt(tp, SOCKDIAG_SOL_SOCKET, SOCKDIAG_SO_BINDTOIFINDEX, &value, sizeof(value)) == 0)
        record.bound_dev_if = value;
    /* bpf_getsockopt has no IPV6_V6ONLY; the flag is a bit of sock_common. */
    record.v6only = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only);
    record.inode = socket_inode((struct sock *)tp);
    if (record.inode)
        bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
    return 0;
}

SEC("iter/udp")
int udp_sockopts(struct bpf_iter__udp *ctx)
{
    struct sock *sk = (struct sock *)ctx->udp_sk;
    if (!sk)
        return 0;
    /* iter/udp offers no bpf_getsockopt: read the bits that SO_REUSEADDR, SO_REUSEPORT,
     * SO_BINDTODEVICE and IPV6_V6ONLY set. */
    struct sock_common *skc = &sk->__sk_common;
    struct sockopt_record record = {.how = 2};
    record.reuseaddr = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuse) != 0;
    record.reuseport = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuseport);
    record.v6only = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only);
    record.bound_dev_if = BPF_CORE_READ(skc, skc_bound_dev_if);
    record.inode = socket_inode(sk);
    if (record.inode)
        bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
    return 0;
}
