// SPDX-License-Identifier: GPL-2.0
/* sockdiag trace: how each connect of the traced cgroup ended, and when. A TCP connect is followed
 * from its state change to SYN_SENT to ESTABLISHED (with the handshake's RTT) or to its end in
 * SYN_SENT (the change to CLOSE: refused, unreachable, timed-out, aborted), then to its
 * connection's end (reset or closed, with bytes each way), all seen at the kernel's
 * `inet_sock_set_state` tracepoint. A sock_ops program would see the same, but the kernel calls it
 * at a dozen points of every TCP socket of the cgroup whatever it asks for (the benchmark loop's
 * dispatch cost a tenth of a loopback connect with empty programs); the tracepoint runs at the
 * state changes only, and for a socket that is not a traced connect returns at its first tests.
 * A connected UDP socket reports the error an ICMP message left on it (ECONNREFUSED for a port
 * unreachable). A TCP connect that returned before any SYN left (no route, no source address, a
 * policy's EPERM) is `failed`, found when its socket is released without a SYN ever sent.
 * Sockets are chosen in the kernel: only those whose connect ran in the traced cgroup get an
 * `egress` entry or a `udp_connections` entry, made by trace.bpf.c's connect programs
 * (connect_state.h), and the tracepoints look at nothing else. Every program returns "allow" and
 * changes nothing. The ring, the lost-event counters and those tables are trace.bpf.c's (the loader
 * hands this object the same maps), so outcomes arrive in one stream with the connects. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <linux/in6.h>
#include "sockdiag_events.h"
#include "trace_ring.h"
#include "process_filter.h"
#include "egress_table.h"
#include "connect_state.h"

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

/* Minimal CO-RE views of what the tracepoints read: the addresses, ports and errors of a socket,
 * and the counters of its tcp_sock. libbpf relocates the offsets against the running kernel. */
struct sock_common {
    __be32 skc_daddr;
    __be32 skc_rcv_saddr;
    __be16 skc_dport;
    unsigned short skc_family;
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

/* As the socket holds them; the local port from inet_sport, which the change to CLOSE leaves. */
static __always_inline void store_addresses(struct sockdiag_outcome_event *e, struct sock *sk, struct tcp_sock *tp)
{
    __u32 *local = (__u32 *)e->local_addr, *remote = (__u32 *)e->remote_addr;
    e->family = sk->__sk_common.skc_family;
    e->local_port = bpf_ntohs(((struct inet_sock *)tp)->inet_sport);
    e->remote_port = bpf_ntohs(sk->__sk_common.skc_dport);
    if (e->family == AF_INET) {
        local[0] = sk->__sk_common.skc_rcv_saddr;
        remote[0] = sk->__sk_common.skc_daddr;
    } else {
        /* Direct loads through the tracepoint's socket pointer, not a probe read per address. */
        const __u32 *source = sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32;
        const __u32 *destination = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32;
        for (int i = 0; i < 4; i++) {
            local[i] = source[i];
            remote[i] = destination[i];
        }
    }
}

/* When the socket's current connect began: its entry's time, or later for a second connect of
 * the same socket (after the first failed). */
static __always_inline __u64 connect_start(struct sockdiag_egress_event *c)
{
    return c->time_ns + (__u64)c->connect_offset_us * 1000;
}

/* The socket's table slot and its cookie, by the cookie the hooks made: NULL for a socket no hook
 * has seen, which gets no cookie from this. */
static __always_inline struct sockdiag_socket_slot *slot_of(struct sock *sk, __u64 *cookie)
{
    *cookie = cookie_in_place(sk);
    return *cookie ? egress_entry(*cookie) : 0;
}

/* SYN_SENT: the SYN is about to leave. Start the clock, and note the packets so far to tell, at a
 * close in SYN_SENT, whether a SYN left at all. */
static __always_inline void on_syn_sent(struct sockdiag_egress_event *c)
{
    __u64 now = bpf_ktime_get_ns();
    if ((c->connect_flags & EVER_STARTED) || c->packets) {
        __u64 offset_us = (now - c->time_ns) / 1000;
        c->connect_offset_us = offset_us > 0xffffffff ? 0xffffffff : offset_us;
    } else {
        c->time_ns = now;
    }
    c->connect_syn_mark = (__u16)c->packets;
    c->connect_flags = CONNECT_STARTED | EVER_STARTED;
}

static __always_inline void report(struct sock *sk, struct sockdiag_egress_event *c, __u64 cookie, __u32 outcome,
                                   int error, __u8 reset_by, __u8 old_state)
{
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    if (!tp)
        return;
    struct sockdiag_outcome_event *e = new_outcome(outcome, connect_start(c), cookie);
    if (!e)
        return;
    store_addresses(e, sk, tp);
    e->protocol = IPPROTO_TCP;
    e->rtt_us = tp->srtt_us >> 3;
    e->error = error;
    e->reset_by = reset_by;
    e->old_state = old_state;
    if (outcome == SOCKDIAG_OUTCOME_ESTABLISHED || old_state == BPF_TCP_SYN_SENT) {
        e->syn_retransmits = tp->total_retrans;
    } else {
        e->bytes_sent = tp->bytes_sent;
        /* bytes_received counts the sequence space, the peer's FIN included. */
        __u64 received = tp->bytes_received;
        if (received && (sk->__sk_common.skc_flags & (1UL << SOCK_DONE)))
            received--;
        e->bytes_received = received;
    }
    bpf_ringbuf_submit(e, wakeup_flags());
}

/* The socket reaches TCP_CLOSE: sk_err says why (the kernel sets it before the state changes). */
static __always_inline void on_close(struct sock *sk, struct sockdiag_egress_event *c, __u64 cookie, __u32 old_state)
{
    int error = sk->sk_err, soft_error = sk->sk_err_soft;
    int reset = c->connect_flags & SEEN_RESET;
    if (old_state == BPF_TCP_SYN_SENT) {
        if (c->connect_flags & REPORTED_CONNECT)
            return;
        /* No SYN left (no local port, no route at the SYN, an error of tcp_connect itself): the
         * connect failed in connect(), which the socket's release reports as `failed`. */
        if ((__u16)c->packets == c->connect_syn_mark) {
            c->connect_flags &= ~CONNECT_STARTED;
            return;
        }
        c->connect_flags |= REPORTED_CONNECT | REPORTED_END;
        __u32 outcome = reset ? SOCKDIAG_OUTCOME_REFUSED
                        : error == ETIMEDOUT ? SOCKDIAG_OUTCOME_TIMED_OUT
                        : error ? SOCKDIAG_OUTCOME_UNREACHABLE
                                : SOCKDIAG_OUTCOME_ABORTED;
        /* An ICMP error in SYN_SENT is kept as a soft error until the retransmission timer gives
         * up on it; a program that closes first has had its answer without seeing it. */
        if (outcome == SOCKDIAG_OUTCOME_ABORTED)
            error = soft_error;
        report(sk, c, cookie, outcome, error, reset ? SOCKDIAG_RESET_PEER : SOCKDIAG_RESET_NONE, old_state);
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
    report(sk, c, cookie, reset_by ? SOCKDIAG_OUTCOME_RESET : SOCKDIAG_OUTCOME_CLOSED, error, reset_by, old_state);
}

/* Every state change of every inet socket on the host comes here, at the end of tcp_set_state():
 * one that is not a traced connect's start, handshake or close returns at the state test, and a
 * socket without an entry at the cookie filter's bit, most often in one cache line. */
SEC("tp_btf/inet_sock_set_state")
int outcome_state_change(__u64 *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    int old_state = (int)ctx[1], new_state = (int)ctx[2];
    if (new_state != BPF_TCP_SYN_SENT && new_state != BPF_TCP_ESTABLISHED && new_state != BPF_TCP_CLOSE)
        return 0;
    if (!sk || sk->sk_protocol != IPPROTO_TCP)
        return 0;
    __u64 cookie;
    struct sockdiag_socket_slot *slot = slot_of(sk, &cookie);
    if (!slot)
        return 0;
    struct sockdiag_egress_event *c = &slot->egress;
    if (new_state == BPF_TCP_CLOSE) {
        /* A closed socket gives its slot away before any that may still send (egress_claim takes
         * the least recently active: stamp 0 is the oldest); a RST it sends next stamps it again. */
        slot->active_jiffies = 0;
    }
    if (new_state == BPF_TCP_SYN_SENT) {
        /* Only a socket whose connect hook ran in a traced process; an accepted one's entry is
         * its egress alone. */
        if (c->connect_flags & CONNECT_HOOKED)
            on_syn_sent(c);
        return 0;
    }
    if (!(c->connect_flags & CONNECT_STARTED))
        return 0;
    if (new_state == BPF_TCP_ESTABLISHED) {
        if (!(c->connect_flags & REPORTED_CONNECT)) {
            c->connect_flags |= REPORTED_CONNECT;
            report(sk, c, cookie, SOCKDIAG_OUTCOME_ESTABLISHED, 0, SOCKDIAG_RESET_NONE, BPF_TCP_SYN_SENT);
        }
        return 0;
    }
    on_close(sk, c, cookie, old_state);
    return 0;
}

/* A RST arrived for a socket: marked here so its close says `refused`/`reset` by the peer, not an
 * ICMP port unreachable (ECONNREFUSED too). Runs before the socket is closed. */
SEC("tp_btf/tcp_receive_reset")
int outcome_receive_reset(__u64 *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    if (!sk)
        return 0;
    /* Every RST the host receives comes here: only a traced connect's socket has a started entry. */
    __u64 cookie;
    struct sockdiag_socket_slot *slot = slot_of(sk, &cookie);
    if (slot && (slot->egress.connect_flags & CONNECT_STARTED))
        slot->egress.connect_flags |= SEEN_RESET;
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
         * send (stamp 0 is the oldest); a TCP socket's is given at its change to CLOSE, whose
         * tracepoint has already looked its slot up. */
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
