// SPDX-License-Identifier: GPL-2.0
/* The UDP lookup chains as the kernel walks them. A datagram's receiver is found by walking the
 * secondary hash chain of its destination address and port, then that of the wildcard
 * (udp4_lib_lookup2(), udp6_lib_lookup2() over udptable->hash2), and the first SO_REUSEPORT
 * socket that scores ends the walk: the order of that chain decides. It is not the order of the
 * sock_diag dump, which walks the port-only chain (udptable->hash) one family at a time. The
 * iter/udp iterator walks hash2 itself, each chain head first (bpf_iter_udp_batch()), so the
 * order of the records written here is the lookup's order. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "socket_views.h"

char LICENSE[] SEC("license") = "GPL";

struct udp_sock;

/* The iterator context's layout is fixed by the kernel's bpf_iter ABI. */
struct bpf_iter__udp {
    struct bpf_iter_meta *meta;
    struct udp_sock *udp_sk;
    __u32 uid;
    int bucket __attribute__((aligned(8)));
};

/* Set by user space before loading: only sockets on this local port are reported (0: all). */
const volatile __u16 target_port = 0;

struct chain_record {
    __u64 inode;   /* 0 for a socket no file holds (a kernel socket) */
    __u32 bucket;  /* the hash2 slot: records of one slot are consecutive, head first */
    __u16 port;    /* local port, host order */
    __u16 family;
};

SEC("iter/udp")
int udp_chains(struct bpf_iter__udp *ctx)
{
    struct sock *sk = (struct sock *)ctx->udp_sk;
    if (!sk)
        return 0;
    __u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);
    if (target_port && port != target_port)
        return 0;
    struct inode *inode = BPF_CORE_READ(sk, sk_socket, file, f_inode);
    unsigned long number = 0;
    if (inode)
        bpf_probe_read_kernel(&number, sizeof(number), (void *)inode + SOCKDIAG_INODE_FIELD_OFFSET(i_ino));
    struct chain_record record = {
        .inode = number,
        .bucket = ctx->bucket,
        .port = port,
        .family = BPF_CORE_READ(sk, __sk_common.skc_family),
    };
    bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
    return 0;
}
