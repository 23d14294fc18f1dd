// SPDX-License-Identifier: GPL-2.0
/* sockdiag trace: how each connect of the traced cgroup ended, and when. A TCP connect is followed
 * from its SYN (sock_ops TCP_CONNECT_CB) to `established` (ACTIVE_ESTABLISHED_CB, with the
 * handshake's RTT) or to its end in SYN_SENT (STATE_CB to TCP_CLOSE: refused, unreachable,
 * timed-out, aborted), then to its connection's end (reset or closed, with bytes each way).
 * A connected UDP socket reports the error an ICMP message left on it (ECONNREFUSED for a port
 * unreachable). A TCP connect that returned before any SYN left (no route, no source address, a
 * policy's EPERM) is `failed`, found when its socket is released without a SYN ever sent.
 * Sockets are chosen in the kernel: only those whose connect ran in the traced cgroup get an
 * `egress` entry at their SYN or a `udp_connections` entry, and the tracepoints look at nothing else. Every program returns
 * "allow" and changes nothing. The ring and the lost-event counters are trace.bpf.c's (the loader
 * hands this object the same maps), so outcomes arrive in one stream with the connects. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sockdiag_events.h"
#include "trace_ring.h"
#include "process_filter.h"
#include "egress_table.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ECONNRESET 104
#define ECONNREFUSED 111
#define ETIMEDOUT 110
#define EPIPE 32
#define ALLOW 1
#define SOCK_DONE 1 /* enum sock_flags: set by tcp_fin when the peer's FIN arrives */

/* Minimal CO-RE views: sk_err (what the kernel will tell the program) and the byte counters the
 * sock_ops context lacks. libbpf relocates the offsets against the running kernel. */
struct sock_common {
    unsigned long skc_flags;
} __attribute__((preserve_access_index));

struct sock {
    struct sock_common __sk_common;
    int sk_err;
    int sk_err_soft;
    unsigned short sk_protocol;
} __attribute__((preserve_access_index));

struct tcp_sock {
    __u64 bytes_sent;
    __u64 bytes_received;
    __u8 bpf_sock_ops_cb_flags;
} __attribute__((preserve_access_index));

enum connection_flags {
    SEEN_RESET = 1,       /* tcp_receive_reset ran for the socket */
    REPORTED_CONNECT = 2, /* its connect outcome was sent */
    REPORTED_END = 4,     /* its final outcome was sent */
};

/* UDP, per socket: when its connect ran and what was seen. */
struct connection {
    __u64 start_ns;
    __u32 flags;
    __u32 reserved;
};

/* TCP, by socket cookie: the socket's entry of the egress table (egress_table.h), entered at the
 * SYN, before the SYN itself is counted there, and never left, so a packet, a callback or the
 * close finds the socket with one lookup; the connect's state is in its connect_flags and
 * connect_offset_us. A table of its own, or socket storage (allocated, charged and freed through
 * RCU per connect), cost an insert and a delete or more per connect besides the egress entry.
 *
 * UDP has no close callback, so its few connected sockets keep storage freed with the socket. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct connection);
} udp_connections SEC(".maps");

static __always_inline struct sockdiag_outcome_event *new_outcome(__u32 outcome, __u64 start_ns, __u64 cookie)
{
    struct sockdiag_outcome_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    __builtin_memset(e, 0, sizeof(*e));
    e->kind = SOCKDIAG_EVENT_OUTCOME;
    e->outcome = outcome;
    e->time_ns = bpf_ktime_get_ns();
    e->elapsed_ns = e->time_ns - start_ns;
    e->cookie = cookie;
    return e;
}

static __always_inline void store_addresses(struct sockdiag_outcome_event *e, struct bpf_sock_ops *ops)
{
    __u32 *local = (__u32 *)e->local_addr, *remote = (__u32 *)e->remote_addr;
    e->family = ops->family;
    e->local_port = ops->local_port;
    e->remote_port = bpf_ntohl(ops->remote_port); /* the be16 port in the upper half */
    if (ops->family == AF_INET) {
        local[0] = ops->local_ip4;
        remote[0] = ops->remote_ip4;
    } else {
        local[0] = ops->local_ip6[0];
        local[1] = ops->local_ip6[1];
        local[2] = ops->local_ip6[2];
        local[3] = ops->local_ip6[3];
        remote[0] = ops->remote_ip6[0];
        remote[1] = ops->remote_ip6[1];
        remote[2] = ops->remote_ip6[2];
        remote[3] = ops->remote_ip6[3];
    }
}

/* When the socket's current connect began: its entry's time, or later for a second connect of
 * the same socket (after the first failed). */
static __always_inline __u64 connect_start(struct sockdiag_egress_event *c)
{
    return c->time_ns + (__u64)c->connect_offset_us * 1000;
}

/* The SYN is about to leave: start the clock and ask for the state changes. */
static __always_inline void on_connect(struct bpf_sock_ops *ops)
{
    /* The SYN leaves from connect(), in the connecting process. */
    if (!current_is_traced())
        return;
    __u64 cookie = bpf_get_socket_cookie(ops);
    struct sockdiag_egress_event entry = {
        .kind = SOCKDIAG_EVENT_EGRESS,
        .time_ns = bpf_ktime_get_ns(),
        .cookie = cookie,
    };
    egress_filter_add(cookie);
    if (bpf_map_update_elem(&egress, &cookie, &entry, BPF_NOEXIST) < 0) {
        /* The socket connects again after a failed connect: its packets so far stay counted. */
        struct sockdiag_egress_event *c = bpf_map_lookup_elem(&egress, &cookie);
        if (!c) {
            count_lost();
            return;
        }
        __u64 offset_us = (entry.time_ns - c->time_ns) / 1000;
        c->connect_offset_us = offset_us > 0xffffffff ? 0xffffffff : offset_us;
        c->connect_flags = 0;
    }
    /* Only the traced active sockets get state changes; the flag also marks them for the
     * callbacks every socket of the cgroup gets (ACTIVE_ESTABLISHED_CB). */
    bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
}

/* The traced socket's entry; only sockets given BPF_SOCK_OPS_STATE_CB_FLAG at their SYN have one. */
static __always_inline struct sockdiag_egress_event *traced_connection(struct bpf_sock_ops *ops, __u64 *cookie)
{
    if (!(ops->bpf_sock_ops_cb_flags & BPF_SOCK_OPS_STATE_CB_FLAG))
        return 0;
    *cookie = bpf_get_socket_cookie(ops);
    return bpf_map_lookup_elem(&egress, cookie);
}

static __always_inline void report(struct bpf_sock_ops *ops, struct sockdiag_egress_event *c, __u64 cookie, __u32 outcome,
                                   int error, __u8 reset_by, __u8 old_state)
{
    struct sockdiag_outcome_event *e = new_outcome(outcome, connect_start(c), cookie);
    if (!e)
        return;
    store_addresses(e, ops);
    e->protocol = IPPROTO_TCP;
    e->rtt_us = ops->srtt_us >> 3;
    e->error = error;
    e->reset_by = reset_by;
    e->old_state = old_state;
    if (outcome == SOCKDIAG_OUTCOME_ESTABLISHED || old_state == BPF_TCP_SYN_SENT) {
        e->syn_retransmits = ops->total_retrans;
    } else {
        struct bpf_sock *sk = ops->sk;
        struct tcp_sock *tp = sk ? bpf_skc_to_tcp_sock(sk) : 0;
        if (tp) {
            e->bytes_sent = tp->bytes_sent;
            /* bytes_received counts the sequence space, the peer's FIN included. */
            __u64 received = tp->bytes_received;
            if (received && (((struct sock *)tp)->__sk_common.skc_flags & (1UL << SOCK_DONE)))
                received--;
            e->bytes_received = received;
        }
    }
    bpf_ringbuf_submit(e, wakeup_flags());
}

/* The socket reaches TCP_CLOSE: sk_err says why (the kernel sets it before the state changes). */
static __always_inline void on_close(struct bpf_sock_ops *ops, struct sockdiag_egress_event *c, __u64 cookie, __u32 old_state)
{
    int error = 0, soft_error = 0;
    struct bpf_sock *sk = ops->sk;
    if (sk) {
        struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
        if (tp) {
            error = ((struct sock *)tp)->sk_err;
            soft_error = ((struct sock *)tp)->sk_err_soft;
        }
    }
    int reset = c->connect_flags & SEEN_RESET;
    if (old_state == BPF_TCP_SYN_SENT) {
        if (c->connect_flags & REPORTED_CONNECT)
            return;
        c->connect_flags |= REPORTED_CONNECT | REPORTED_END;
        __u32 outcome = reset ? SOCKDIAG_OUTCOME_REFUSED
                        : error == ETIMEDOUT ? SOCKDIAG_OUTCOME_TIMED_OUT
                        : error ? SOCKDIAG_OUTCOME_UNREACHABLE
                                : SOCKDIAG_OUTCOME_ABORTED;
        /* An ICMP error in SYN_SENT is kept as a soft error until the retransmission timer gives
         * up on it; a program that closes first has had its answer without seeing it. */
        if (outcome == SOCKDIAG_OUTCOME_ABORTED)
            error = soft_error;
        report(ops, c, cookie, outcome, error, reset ? SOCKDIAG_RESET_PEER : SOCKDIAG_RESET_NONE, old_state);
        return;
    }
    if (!(c->connect_flags & REPORTED_CONNECT) || (c->connect_flags & REPORTED_END))
        return;
    c->connect_flags |= REPORTED_END;
    /* Straight from ESTABLISHED or CLOSE_WAIT to CLOSE without an error is an abortive close by
     * the program (SO_LINGER 0, or unread data): the kernel sends a RST just after this. */
    __u8 reset_by = reset || error == ECONNRESET || error == EPIPE ? SOCKDIAG_RESET_PEER
                    : !error && (old_state == BPF_TCP_ESTABLISHED || old_state == BPF_TCP_CLOSE_WAIT) ? SOCKDIAG_RESET_LOCAL
                                                                                                     : SOCKDIAG_RESET_NONE;
    report(ops, c, cookie, reset_by ? SOCKDIAG_OUTCOME_RESET : SOCKDIAG_OUTCOME_CLOSED, error, reset_by, old_state);
}

/* Runs for every TCP socket of the cgroup at several callbacks the kernel makes whatever the flags
 * (timeout and window init, ECN, both ends' ESTABLISHED): each returns at its first test unless the
 * socket is a traced active one. */
SEC("sockops")
int outcome_sockops(struct bpf_sock_ops *ops)
{
    __u64 cookie = 0;
    struct sockdiag_egress_event *c;
    switch (ops->op) {
    case BPF_SOCK_OPS_TCP_CONNECT_CB:
        on_connect(ops);
        break;
    case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
        c = traced_connection(ops, &cookie);
        if (c && !(c->connect_flags & REPORTED_CONNECT)) {
            c->connect_flags |= REPORTED_CONNECT;
            report(ops, c, cookie, SOCKDIAG_OUTCOME_ESTABLISHED, 0, SOCKDIAG_RESET_NONE, BPF_TCP_SYN_SENT);
        }
        break;
    case BPF_SOCK_OPS_STATE_CB:
        if (ops->args[1] != BPF_TCP_CLOSE)
            break;
        c = traced_connection(ops, &cookie);
        if (c)
            on_close(ops, c, cookie, ops->args[0]);
        break;
    }
    return ALLOW;
}

/* A RST arrived for a socket: marked here so its close says `refused`/`reset` by the peer, not an
 * ICMP port unreachable (ECONNREFUSED too). Runs before the socket is closed. */
SEC("tp_btf/tcp_receive_reset")
int outcome_receive_reset(__u64 *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    if (!sk)
        return 0;
    /* Every RST the host receives comes here: only a traced connect's socket has the flag. */
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    if (!tp || !(tp->bpf_sock_ops_cb_flags & BPF_SOCK_OPS_STATE_CB_FLAG))
        return 0;
    __u64 cookie = bpf_get_socket_cookie(sk);
    struct sockdiag_egress_event *c = bpf_map_lookup_elem(&egress, &cookie);
    if (c)
        c->connect_flags |= SEEN_RESET;
    return 0;
}

/* UDP: connect() starts the clock for the sockets of the cgroup; TCP starts at its SYN. */
static __always_inline int udp_connect(struct bpf_sock_addr *ctx)
{
    if (ctx->protocol != IPPROTO_UDP || !current_is_traced())
        return ALLOW;
    struct bpf_sock *sk = ctx->sk;
    if (!sk)
        return ALLOW;
    struct connection *c = bpf_sk_storage_get(&udp_connections, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (c) {
        c->start_ns = bpf_ktime_get_ns();
        c->flags = 0;
    }
    return ALLOW;
}

SEC("cgroup/connect4")
int outcome_udp_connect4(struct bpf_sock_addr *ctx) { return udp_connect(ctx); }

SEC("cgroup/connect6")
int outcome_udp_connect6(struct bpf_sock_addr *ctx) { return udp_connect(ctx); }

/* A TCP socket of the cgroup is released in TCP_CLOSE with no peer port: its connect failed in
 * connect() itself (the kernel clears the port, or never sets it, when the route lookup or the
 * source port fails), or it never connected; one whose SYN was answered or given up keeps its
 * peer's port. The reader keeps the sockets whose connect it traced (same cookie), which also
 * name the destination. A connected socket costs three field reads. (The socket's sock_ops flags
 * would tell more, but cgroup/sock programs cannot reach the tcp_sock.) */
SEC("cgroup/sock_release")
int outcome_sock_release(struct bpf_sock *sk)
{
    if (sk->protocol != IPPROTO_TCP || sk->state != BPF_TCP_CLOSE || sk->dst_port != 0 || !current_is_traced())
        return ALLOW;
    struct sockdiag_outcome_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return ALLOW;
    }
    __builtin_memset(e, 0, sizeof(*e));
    e->kind = SOCKDIAG_EVENT_OUTCOME;
    e->outcome = SOCKDIAG_OUTCOME_FAILED;
    e->time_ns = bpf_ktime_get_ns();
    e->cookie = bpf_get_socket_cookie(sk);
    e->protocol = IPPROTO_TCP;
    e->family = sk->family;
    e->old_state = BPF_TCP_CLOSE;
    bpf_ringbuf_submit(e, wakeup_flags());
    return ALLOW;
}

/* An error was handed to a socket (UDP: an ICMP error on a connected socket). Its first one is
 * reported: a connected UDP client sees ECONNREFUSED on its next call after a port unreachable. */
SEC("tp_btf/inet_sk_error_report")
int outcome_error_report(__u64 *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    if (!sk || sk->sk_protocol != IPPROTO_UDP)
        return 0;
    struct connection *c = bpf_sk_storage_get(&udp_connections, sk, 0, 0);
    if (!c || (c->flags & REPORTED_CONNECT))
        return 0;
    c->flags |= REPORTED_CONNECT;
    int error = sk->sk_err;
    struct sockdiag_outcome_event *e = new_outcome(error == ECONNREFUSED ? SOCKDIAG_OUTCOME_REFUSED : SOCKDIAG_OUTCOME_UNREACHABLE,
                                                   c->start_ns, bpf_get_socket_cookie(sk));
    if (!e)
        return 0;
    e->protocol = IPPROTO_UDP;
    e->error = error;
    bpf_ringbuf_submit(e, wakeup_flags());
    return 0;
}
