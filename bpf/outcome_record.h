/* The outcome records of sockdiag trace and the socket views they are read from, shared by
 * bpf/outcome.bpf.c (the tracepoints: a RST received, an error reported, a socket destroyed) and
 * bpf/trace.bpf.c (the egress program, which sees a traced connect's handshake completed and its
 * abortive close at the packets that follow them). Each object includes this; both write into the
 * one ring (trace_ring.h). */
#ifndef SOCKDIAG_OUTCOME_RECORD_H
#define SOCKDIAG_OUTCOME_RECORD_H

#include <linux/bpf.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sockdiag_events.h"
#include "trace_ring.h"
#include "connect_state.h"

#define SOCKDIAG_AF_INET 2
#define SOCKDIAG_ECONNRESET 104
#define SOCKDIAG_ECONNREFUSED 111
#define SOCKDIAG_ETIMEDOUT 110
#define SOCKDIAG_EPIPE 32
#define SOCKDIAG_SOCK_DONE 1 /* enum sock_flags: set by tcp_fin when the peer's FIN arrives */

/* Minimal CO-RE views of what the outcome programs read: a socket's addresses, ports, state and
 * errors, and the counters of its tcp_sock. libbpf relocates the offsets against the running
 * kernel. */
struct sock_common {
    __be32 skc_daddr;
    __be32 skc_rcv_saddr;
    __be16 skc_dport;
    unsigned short skc_family;
    volatile unsigned char skc_state;
    unsigned long skc_flags;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
    struct sock_common __sk_common;
    int sk_err;
    int sk_err_soft;
    unsigned short sk_protocol;
} __attribute__((preserve_access_index));

/* Its local port: kept after the change to CLOSE has given back the bound port (skc_num). */
struct inet_sock {
    __be16 inet_sport;
} __attribute__((preserve_access_index));

struct tcp_sock {
    __u32 srtt_us;
    __u32 total_retrans;
    __u64 bytes_sent;
    __u64 bytes_received;
} __attribute__((preserve_access_index));

/* When the socket's current connect began: its entry's time, or later for a second connect of
 * the same socket (after the first failed). */
static __always_inline __u64 connect_start(struct sockdiag_egress_event *c)
{
    return c->time_ns + (__u64)c->connect_offset_us * 1000;
}

/* Whether a SYN of the current connect left: a connect can fail inside connect() after its hook
 * ran and before any packet (no local port, no route), which the socket's release reports as
 * `failed`. */
static __always_inline int syn_left(struct sockdiag_egress_event *c)
{
    return (__u16)c->packets != c->connect_syn_mark;
}

/* As the socket holds them; the local port from inet_sport, which the change to CLOSE leaves. */
static __always_inline void store_addresses(struct sockdiag_outcome_event *e, struct sock *sk, struct tcp_sock *tp)
{
    __u32 *local = (__u32 *)e->local_addr, *remote = (__u32 *)e->remote_addr;
    e->family = sk->__sk_common.skc_family;
    e->local_port = bpf_ntohs(((struct inet_sock *)tp)->inet_sport);
    e->remote_port = bpf_ntohs(sk->__sk_common.skc_dport);
    if (e->family == SOCKDIAG_AF_INET) {
        local[0] = sk->__sk_common.skc_rcv_saddr;
        remote[0] = sk->__sk_common.skc_daddr;
    } else {
        /* Direct loads through the socket's BTF pointer, not a probe read per address. */
        const __u32 *source = sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32;
        const __u32 *destination = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32;
        for (int i = 0; i < 4; i++) {
            local[i] = source[i];
            remote[i] = destination[i];
        }
    }
}

/* One TCP outcome of the socket `tp` (a BTF pointer), into the ring. A connect's outcome
 * (`established` and the ways a connect fails) carries the SYNs sent again; a connection's end the
 * payload bytes each way. */
static __always_inline void report_tcp(struct tcp_sock *tp, struct sockdiag_egress_event *c, __u64 cookie, __u32 outcome,
                                       int error, __u8 reset_by, __u8 state)
{
    struct sock *sk = (struct sock *)tp;
    struct sockdiag_outcome_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return;
    }
    __builtin_memset(e, 0, sizeof(*e));
    e->kind = SOCKDIAG_EVENT_OUTCOME;
    e->outcome = outcome;
    e->time_ns = bpf_ktime_get_ns();
    e->elapsed_ns = e->time_ns - connect_start(c);
    e->cookie = cookie;
    store_addresses(e, sk, tp);
    e->protocol = 6 /* IPPROTO_TCP */;
    e->rtt_us = tp->srtt_us >> 3;
    e->error = error;
    e->reset_by = reset_by;
    e->old_state = state;
    if (outcome <= SOCKDIAG_OUTCOME_ABORTED) {
        e->syn_retransmits = tp->total_retrans;
    } else {
        e->bytes_sent = tp->bytes_sent;
        /* bytes_received counts the sequence space, the peer's FIN included. */
        __u64 received = tp->bytes_received;
        if (received && (sk->__sk_common.skc_flags & (1UL << SOCKDIAG_SOCK_DONE)))
            received--;
        e->bytes_received = received;
    }
    bpf_ringbuf_submit(e, wakeup_flags());
}

/* A traced connect whose SYN left ended before its handshake did: how, from what the socket holds
 * (sk_err) and whether a RST answered it. `aborted` is its program's close: sk_err is then 0, or
 * ECONNRESET when it closed with SO_LINGER 0 (a peer's RST in SYN_SENT gives ECONNREFUSED); the
 * ICMP error that may have arrived before is kept as the soft error, which the program never saw. */
static __always_inline void report_connect_failure(struct tcp_sock *tp, struct sockdiag_egress_event *c, __u64 cookie)
{
    struct sock *sk = (struct sock *)tp;
    int error = sk->sk_err;
    __u32 outcome = (c->connect_flags & SEEN_RESET) ? SOCKDIAG_OUTCOME_REFUSED
                    : error == SOCKDIAG_ETIMEDOUT ? SOCKDIAG_OUTCOME_TIMED_OUT
                    : error && error != SOCKDIAG_ECONNRESET ? SOCKDIAG_OUTCOME_UNREACHABLE
                                                            : SOCKDIAG_OUTCOME_ABORTED;
    if (outcome == SOCKDIAG_OUTCOME_REFUSED)
        error = SOCKDIAG_ECONNREFUSED; /* what the kernel sets as it closes the socket */
    else if (outcome == SOCKDIAG_OUTCOME_ABORTED)
        error = sk->sk_err_soft;
    c->connect_flags |= REPORTED_CONNECT | REPORTED_END;
    report_tcp(tp, c, cookie, outcome, error,
               outcome == SOCKDIAG_OUTCOME_REFUSED ? SOCKDIAG_RESET_PEER : SOCKDIAG_RESET_NONE, BPF_TCP_SYN_SENT);
}

#endif
