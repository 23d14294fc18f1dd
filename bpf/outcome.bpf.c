// SPDX-License-Identifier: GPL-2.0
/* sockdiag trace: how each connect of the traced cgroup ended, and when. A TCP connect's clock
 * starts at its connect hook (trace.bpf.c, connect_state.h), and its handshake completed and an
 * abortive close by its program are seen at its packets (trace.bpf.c's egress program); the rest
 * is seen here, at tracepoints that run only when something goes wrong or a socket ends: a RST
 * received (`refused` in SYN_SENT, `reset` by the peer later), an error reported (a connect
 * `timed-out` or `unreachable`, a connection given up), and the socket destroyed (a connect
 * `aborted` by its program's close, a connection `closed`, with bytes each way). The kernel's
 * `inet_sock_set_state` tracepoint would show every state change, but it runs at ten of them per
 * connect+accept+close, for every socket of the host, and its dispatch alone cost the benchmark
 * loop about 2% (a sock_ops program, called at a dozen points of every TCP socket of the cgroup,
 * cost more). A connected UDP socket reports the error an ICMP message left on it (ECONNREFUSED
 * for a port unreachable). A TCP connect that returned before any SYN left (no route, no source
 * address, a policy's EPERM) is `failed`, found when its socket is released without a SYN ever
 * sent. Sockets are chosen in the kernel: only those whose connect ran in a traced process get an
 * `egress` entry or a `udp_connections` entry, and the tracepoints look at nothing else. Every
 * program returns "allow" and changes nothing. The ring, the lost-event counters and those tables
 * are trace.bpf.c's (the loader hands this object the same maps), so outcomes arrive in one stream
 * with the connects. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sockdiag_events.h"
#include "trace_ring.h"
#include "process_filter.h"
#include "egress_table.h"
#include "connect_state.h"
#include "outcome_record.h"

char LICENSE[] SEC("license") = "GPL";

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ALLOW 1

/* The socket's table slot and its cookie, by the cookie the hooks made: NULL for a socket no hook
 * has seen, which gets no cookie from this. */
static __always_inline struct sockdiag_socket_slot *slot_of(struct sock *sk, __u64 *cookie)
{
    *cookie = cookie_in_place(sk);
    return *cookie ? egress_entry(*cookie) : 0;
}

/* A traced connect still followed: its entry, when its connect started and its end is not
 * reported yet. */
static __always_inline struct sockdiag_egress_event *followed(struct sockdiag_socket_slot *slot)
{
    struct sockdiag_egress_event *c = &slot->egress;
    return (c->connect_flags & (CONNECT_STARTED | REPORTED_END)) == CONNECT_STARTED ? c : 0;
}

/* The connection of a traced connect ended without its program's abortive close (which the
 * egress program reports at its RST): `reset` by the peer, or `closed` (sk_err says why, if
 * anything went wrong: ETIMEDOUT when its retransmissions were given up). */
static __always_inline void report_end(struct tcp_sock *tp, struct sockdiag_egress_event *c, __u64 cookie)
{
    int error = ((struct sock *)tp)->sk_err;
    __u8 reset_by = (c->connect_flags & SEEN_RESET) || error == SOCKDIAG_ECONNRESET || error == SOCKDIAG_EPIPE
                        ? SOCKDIAG_RESET_PEER
                        : SOCKDIAG_RESET_NONE;
    c->connect_flags |= REPORTED_END;
    report_tcp(tp, c, cookie, reset_by ? SOCKDIAG_OUTCOME_RESET : SOCKDIAG_OUTCOME_CLOSED, error, reset_by, BPF_TCP_CLOSE);
}

/* A followed connect's socket that the kernel has closed: how its connect failed, if it never
 * established (none if no SYN left: its release reports `failed`), else how its connection ended. */
static __always_inline void report_closed(struct sock *sk, struct sockdiag_egress_event *c, __u64 cookie)
{
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    if (!tp)
        return;
    if (!(c->connect_flags & REPORTED_CONNECT)) {
        if (syn_left(c))
            report_connect_failure(tp, c, cookie);
        return;
    }
    report_end(tp, c, cookie);
}

/* A RST arrived for a socket, before the kernel closes it (its state and counters are as they
 * were): a traced connect in SYN_SENT was `refused`; an established one `reset` by the peer. */
SEC("tp_btf/tcp_receive_reset")
int outcome_receive_reset(__u64 *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    if (!sk)
        return 0;
    /* Every RST the host receives comes here: only a traced connect's socket has a started entry. */
    __u64 cookie;
    struct sockdiag_socket_slot *slot = slot_of(sk, &cookie);
    struct sockdiag_egress_event *c = slot ? followed(slot) : 0;
    if (!c)
        return 0;
    c->connect_flags |= SEEN_RESET;
    __u8 state = sk->__sk_common.skc_state;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    if (!tp || state == BPF_TCP_CLOSE)
        return 0;
    if (state == BPF_TCP_SYN_SENT) {
        report_connect_failure(tp, c, cookie);
        return 0;
    }
    if (!(c->connect_flags & REPORTED_CONNECT)) {
        /* Established, and reset before its first packet after the handshake left (a delayed ACK). */
        c->connect_flags |= REPORTED_CONNECT;
        report_tcp(tp, c, cookie, SOCKDIAG_OUTCOME_ESTABLISHED, 0, SOCKDIAG_RESET_NONE, BPF_TCP_SYN_SENT);
    }
    c->connect_flags |= REPORTED_END;
    report_tcp(tp, c, cookie, SOCKDIAG_OUTCOME_RESET, state == BPF_TCP_CLOSE_WAIT ? SOCKDIAG_EPIPE : SOCKDIAG_ECONNRESET,
               SOCKDIAG_RESET_PEER, state);
    return 0;
}

/* Every TCP socket of the host ends here. A traced connect that neither established nor failed
 * with an error was closed by its program while its SYN was in flight (`aborted`); a connection
 * whose end was not reported yet was `closed`. The slot goes first when a new socket needs one. */
SEC("tp_btf/tcp_destroy_sock")
int outcome_destroy(__u64 *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    if (!sk)
        return 0;
    __u64 cookie;
    struct sockdiag_socket_slot *slot = slot_of(sk, &cookie);
    if (!slot)
        return 0;
    /* A closed socket gives its slot away before any that may still send (egress_claim takes the
     * least recently active: stamp 0 is the oldest). */
    slot->active_jiffies = 0;
    struct sockdiag_egress_event *c = followed(slot);
    if (c)
        report_closed(sk, c, cookie);
    return 0;
}

/* A TCP socket of the cgroup is released in TCP_CLOSE with no peer port: its connect failed in
 * connect() itself (the kernel clears the port, or never sets it, when the route lookup or the
 * source port fails), or it never connected; one whose SYN was answered or given up keeps its
 * peer's port. The reader keeps the sockets whose connect it traced (same cookie), which also
 * name the destination. A connected socket costs three field reads. (cgroup/sock programs cannot
 * reach the tcp_sock, which would tell more.) */
SEC("cgroup/sock_release")
int outcome_sock_release(struct bpf_sock *sk)
{
    if (sk->protocol != IPPROTO_TCP) {
        /* A socket its program has closed gives its table slot away before any that may still
         * send (stamp 0 is the oldest); a TCP socket's is given when it is destroyed, whose
         * tracepoint looks its slot up anyway. */
        struct sockdiag_socket_slot *slot = egress_entry(bpf_get_socket_cookie(sk));
        if (slot)
            slot->active_jiffies = 0;
        return ALLOW;
    }
    if (sk->state != BPF_TCP_CLOSE || sk->dst_port != 0 || !current_is_traced())
        return ALLOW;
    __u64 cookie = bpf_get_socket_cookie(sk);
    struct sockdiag_outcome_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return ALLOW;
    }
    __builtin_memset(e, 0, sizeof(*e));
    e->kind = SOCKDIAG_EVENT_OUTCOME;
    e->outcome = SOCKDIAG_OUTCOME_FAILED;
    e->time_ns = bpf_ktime_get_ns();
    e->cookie = cookie;
    e->protocol = IPPROTO_TCP;
    e->family = sk->family;
    e->old_state = BPF_TCP_CLOSE;
    bpf_ringbuf_submit(e, wakeup_flags());
    return ALLOW;
}

/* An error was handed to a socket. A connected UDP socket's first one is reported: its client sees
 * ECONNREFUSED on its next call after a port unreachable. A traced TCP connect's is reported once
 * the kernel has closed the socket for it (an error it only passes on, as with IP_RECVERR, leaves
 * the socket open): a connect `timed-out` or `unreachable`, or a connection given up. */
SEC("tp_btf/inet_sk_error_report")
int outcome_error_report(__u64 *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    if (!sk)
        return 0;
    if (sk->sk_protocol == IPPROTO_TCP) {
        if (sk->__sk_common.skc_state != BPF_TCP_CLOSE)
            return 0;
        __u64 cookie;
        struct sockdiag_socket_slot *slot = slot_of(sk, &cookie);
        struct sockdiag_egress_event *c = slot ? followed(slot) : 0;
        if (c)
            report_closed(sk, c, cookie);
        return 0;
    }
    if (sk->sk_protocol != IPPROTO_UDP)
        return 0;
    struct connection *c = bpf_sk_storage_get(&udp_connections, sk, 0, 0);
    if (!c || (c->flags & REPORTED_CONNECT))
        return 0;
    c->flags |= REPORTED_CONNECT;
    int error = sk->sk_err;
    struct sockdiag_outcome_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    __builtin_memset(e, 0, sizeof(*e));
    e->kind = SOCKDIAG_EVENT_OUTCOME;
    e->outcome = error == SOCKDIAG_ECONNREFUSED ? SOCKDIAG_OUTCOME_REFUSED : SOCKDIAG_OUTCOME_UNREACHABLE;
    e->time_ns = bpf_ktime_get_ns();
    e->elapsed_ns = e->time_ns - c->start_ns;
    e->cookie = bpf_get_socket_cookie(sk);
    e->protocol = IPPROTO_UDP;
    e->error = error;
    bpf_ringbuf_submit(e, wakeup_flags());
    return 0;
}
