/* What a traced connect leaves for the outcome programs to follow, made by bpf/trace.bpf.c's connect
 * programs in the same run that reports the connect: one program per connect hook, where a second
 * program of the outcome object cost the kernel's dispatch and the process test again per connect.
 * The connect hook is also where a TCP connect's clock starts: it runs once per attempt (the
 * kernel runs it only on an unconnected socket), just before the kernel routes the connect and
 * sends the SYN. Both objects include this; the loader hands the outcome object the trace object's
 * maps. */
#ifndef SOCKDIAG_CONNECT_STATE_H
#define SOCKDIAG_CONNECT_STATE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sockdiag_events.h"
#include "trace_ring.h"
#include "egress_table.h"

/* A TCP socket's connect as its table entry's connect_flags keep it. */
enum connection_flags {
    SEEN_RESET = 1,       /* tcp_receive_reset ran for the socket */
    REPORTED_CONNECT = 2, /* its connect outcome was sent */
    REPORTED_END = 4,     /* its final outcome was sent */
    CONNECT_STARTED = 8,  /* a traced process's connect hook ran for its current connect */
    EVER_STARTED = 16,    /* a connect of the socket started before: time_ns is that one's */
};

/* UDP, per socket: when its connect ran and what was seen. */
struct connection {
    __u64 start_ns;
    __u32 flags;
    __u32 reserved;
};

/* TCP, by socket cookie: the socket's entry of the egress table (egress_table.h), entered at the
 * connect hook, before the SYN is counted there, and never left, so a packet, a RST, an error or
 * the socket's end finds the socket with one lookup; the connect's state is in its connect_flags,
 * connect_offset_us and connect_syn_mark. A table of its own, or socket storage (allocated,
 * charged and freed through RCU per connect), cost an insert and a delete or more per connect
 * besides the egress entry.
 *
 * UDP has no close callback, so its few connected sockets keep storage freed with the socket. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct connection);
} udp_connections SEC(".maps");

/* A connect of a traced process in the cgroup (the caller has asked), at `now`: TCP gets its table
 * entry, so that its packets, its RST, its error and its end find it, with the connect's clock
 * started and the packets so far noted (a connect that ends with none more sent no SYN); UDP its
 * storage and the clock. */
static __always_inline void enter_connect(struct bpf_sock_addr *ctx, __u64 cookie, __u64 now)
{
    if (ctx->protocol == 6 /* IPPROTO_TCP */) {
        /* A socket that connects again (after a failed connect) keeps its entry and its counts;
         * its new connect's clock runs from an offset to the entry's time. */
        struct sockdiag_socket_slot *slot = egress_claim(cookie, now);
        if (!slot) {
            count_lost();
            return;
        }
        struct sockdiag_egress_event *c = &slot->egress;
        if ((c->connect_flags & EVER_STARTED) || c->packets) {
            __u64 offset_us = (now - c->time_ns) / 1000;
            c->connect_offset_us = offset_us > 0xffffffff ? 0xffffffff : offset_us;
        } else {
            c->time_ns = now;
        }
        c->connect_syn_mark = (__u16)c->packets;
        c->connect_flags = CONNECT_STARTED | EVER_STARTED;
        return;
    }
    if (ctx->protocol != 17 /* IPPROTO_UDP */)
        return;
    struct bpf_sock *sk = ctx->sk;
    if (!sk)
        return;
    struct connection *c = bpf_sk_storage_get(&udp_connections, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (c) {
        c->start_ns = now;
        c->flags = 0;
    }
}

#endif
