// SPDX-License-Identifier: GPL-2.0
/* sockdiag trace: what the kernel is handed at connect/sendmsg/bind time, and which IP version
 * each socket's packets really use on egress. Every program returns 1: tracing never changes
 * what the traced program does. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "sockdiag_events.h"
#include "trace_ring.h"
#include "process_filter.h"
#include "egress_table.h"
#include "connect_state.h"
#include "outcome_record.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ALLOW 1

static __always_inline void fill_task(struct sockdiag_sock_addr_event *e, __u64 now)
{
    __u64 pid_tgid = current_pid_tgid_for_reader();
    e->time_ns = now;
    e->tgid = pid_tgid >> 32;
    e->tid = (__u32)pid_tgid;
    e->uid = (__u32)bpf_get_current_uid_gid();
    e->cgroup_id = bpf_get_current_cgroup_id();
    bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* A connect/sendmsg/bind event, reserved in the ring and filled with the calling task; NULL (and
 * counted as lost) when the ring is full. */
static __always_inline struct sockdiag_sock_addr_event *new_sock_addr_event(__u32 hook, __u64 now)
{
    struct sockdiag_sock_addr_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    fill_task(e, now);
    e->kind = SOCKDIAG_EVENT_SOCK_ADDR;
    e->hook = hook;
    e->reserved = 0;
    return e;
}

/* The address as four words: an IPv4 one in the first, the rest zero. Context fields can only be
 * read through the context itself, so the callers read them and pass the values. */
static __always_inline void store_address(struct sockdiag_sock_addr_event *e, __u32 w0, __u32 w1, __u32 w2, __u32 w3)
{
    __u32 *words = (__u32 *)e->addr;
    words[0] = w0;
    words[1] = w1;
    words[2] = w2;
    words[3] = w3;
}

/* A connect also leaves its socket's state for the outcome programs (connect_state.h). */
static __always_inline int report_sock_addr(struct bpf_sock_addr *ctx, __u32 hook)
{
    if (!current_is_traced())
        return ALLOW;
    __u64 cookie = bpf_get_socket_cookie(ctx);
    __u64 now = bpf_ktime_get_ns();
    struct sockdiag_sock_addr_event *e = new_sock_addr_event(hook, now);
    if (e) {
        e->cookie = cookie;
        e->socket_family = ctx->family;
        e->user_family = ctx->user_family;
        e->socket_type = ctx->type;
        e->protocol = ctx->protocol;
        e->port = bpf_ntohs((__u16)ctx->user_port);
        if (hook == SOCKDIAG_HOOK_CONNECT4 || hook == SOCKDIAG_HOOK_SENDMSG4)
            store_address(e, ctx->user_ip4, 0, 0, 0);
        else
            store_address(e, ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]);
        bpf_ringbuf_submit(e, wakeup_flags());
    }
    if (hook == SOCKDIAG_HOOK_CONNECT4 || hook == SOCKDIAG_HOOK_CONNECT6)
        enter_connect(ctx, cookie, now);
    return ALLOW;
}

SEC("cgroup/connect4")
int trace_connect4(struct bpf_sock_addr *ctx) { return report_sock_addr(ctx, SOCKDIAG_HOOK_CONNECT4); }

SEC("cgroup/connect6")
int trace_connect6(struct bpf_sock_addr *ctx) { return report_sock_addr(ctx, SOCKDIAG_HOOK_CONNECT6); }

SEC("cgroup/sendmsg4")
int trace_sendmsg4(struct bpf_sock_addr *ctx) { return report_sock_addr(ctx, SOCKDIAG_HOOK_SENDMSG4); }

SEC("cgroup/sendmsg6")
int trace_sendmsg6(struct bpf_sock_addr *ctx) { return report_sock_addr(ctx, SOCKDIAG_HOOK_SENDMSG6); }

static __always_inline int report_bind(struct bpf_sock *sk, __u32 hook)
{
    if (!current_is_traced())
        return ALLOW;
    struct sockdiag_sock_addr_event *e = new_sock_addr_event(hook, bpf_ktime_get_ns());
    if (!e)
        return ALLOW;
    e->cookie = bpf_get_socket_cookie(sk);
    e->socket_family = sk->family;
    e->user_family = hook == SOCKDIAG_HOOK_POST_BIND4 ? AF_INET : AF_INET6;
    e->socket_type = sk->type;
    e->protocol = sk->protocol;
    e->port = sk->src_port;
    if (hook == SOCKDIAG_HOOK_POST_BIND4)
        store_address(e, sk->src_ip4, 0, 0, 0);
    else
        store_address(e, sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3]);
    bpf_ringbuf_submit(e, wakeup_flags());
    return ALLOW;
}

SEC("cgroup/post_bind4")
int trace_post_bind4(struct bpf_sock *sk) { return report_bind(sk, SOCKDIAG_HOOK_POST_BIND4); }

SEC("cgroup/post_bind6")
int trace_post_bind6(struct bpf_sock *sk) { return report_bind(sk, SOCKDIAG_HOOK_POST_BIND6); }

/* The wire's view of a packet: addresses and ports read from the IP header the kernel built,
 * chosen by skb->protocol (what is really sent), never by skb->family (what the socket is). */
static __always_inline int read_wire_view(struct __sk_buff *skb, struct sockdiag_egress_event *v)
{
    __u32 ports = 0;
    if (v->wire_protocol == ETH_P_IP) {
        __u8 header[20];
        if (bpf_skb_load_bytes(skb, 0, header, sizeof(header)) < 0)
            return -1;
        v->ip_protocol = header[9];
        __builtin_memcpy(v->local_addr, header + 12, 4);
        __builtin_memcpy(v->remote_addr, header + 16, 4);
        __u32 header_length = (header[0] & 0x0f) * 4;
        if (header_length < 20 || header_length > 60)
            return 0;
        if (v->ip_protocol == IPPROTO_TCP || v->ip_protocol == IPPROTO_UDP)
            bpf_skb_load_bytes(skb, header_length, &ports, sizeof(ports));
    } else {
        __u8 header[40];
        if (bpf_skb_load_bytes(skb, 0, header, sizeof(header)) < 0)
            return -1;
        v->ip_protocol = header[6];
        __builtin_memcpy(v->local_addr, header + 8, 16);
        __builtin_memcpy(v->remote_addr, header + 24, 16);
        if (v->ip_protocol == IPPROTO_TCP || v->ip_protocol == IPPROTO_UDP)
            bpf_skb_load_bytes(skb, 40, &ports, sizeof(ports));
    }
    __u8 *p = (__u8 *)&ports;
    v->local_port = ((__u16)p[0] << 8) | p[1];
    v->remote_port = ((__u16)p[2] << 8) | p[3];
    return 0;
}

/* The socket lock a system call takes (lock_sock): `owned` while a process works on the socket. */
typedef struct {
    int owned;
} __attribute__((preserve_access_index)) socket_lock_t___view;

struct sock___locked {
    socket_lock_t___view sk_lock;
} __attribute__((preserve_access_index));

/* The packet leaves from the system call of a process that holds the TCP socket (connect, send,
 * shutdown, close, or the backlog it processes on release): the socket is locked by that process.
 * Softirqs and timers send only while no process has it locked, and then the current task is
 * whichever one they interrupted. */
static __always_inline int sent_by_holder(struct tcp_sock *tp)
{
    /* A direct load through the BTF-typed pointer: cheaper than bpf_probe_read on every packet
     * a softirq sends. */
    return tp && ((struct sock___locked *)tp)->sk_lock.owned;
}

/* The socket's holder is the process that last sent on it: an accepted socket a forked worker
 * serves, or one passed with SCM_RIGHTS, is named after the process that really uses it, not its
 * listener's. Looked at again only when the sending task is another process than the one known. */
static __always_inline void note_holder(struct sockdiag_egress_event *seen, struct tcp_sock *tp)
{
    if (seen->ip_protocol != IPPROTO_TCP)
        return;
    __u32 tgid = current_pid_tgid_for_reader() >> 32;
    if (tgid == seen->tgid || !tgid || !sent_by_holder(tp))
        return;
    seen->tgid = tgid;
    seen->holder_cgroup_id = bpf_get_current_cgroup_id();
    bpf_get_current_comm(seen->holder_comm, sizeof(seen->holder_comm));
}

/* A traced connect's next steps, seen at its socket's packets. The first packet in a state past
 * SYN_SENT follows the handshake (the ACK of the SYN-ACK, sent as the kernel completes it):
 * `established`. A packet that leaves a socket in CLOSE is the RST of an abortive close by its
 * program (SO_LINGER 0, or unread data): the kernel closes the socket, sends the RST, and only then
 * clears the connection's counters, so the bytes are read here. */
static __always_inline void follow_connect(struct sockdiag_socket_slot *slot, struct bpf_sock *sk, struct tcp_sock *tp)
{
    struct sockdiag_egress_event *c = &slot->egress;
    __u8 flags = c->connect_flags;
    if ((flags & (CONNECT_STARTED | REPORTED_END)) != CONNECT_STARTED)
        return;
    __u32 state = sk->state;
    if (state == BPF_TCP_SYN_SENT || (state == BPF_TCP_CLOSE) != !!(flags & REPORTED_CONNECT))
        return;
    if (!tp)
        return;
    if (!(flags & REPORTED_CONNECT)) {
        c->connect_flags = flags | REPORTED_CONNECT;
        report_tcp(tp, c, c->cookie, SOCKDIAG_OUTCOME_ESTABLISHED, 0, SOCKDIAG_RESET_NONE, BPF_TCP_SYN_SENT);
    } else {
        c->connect_flags = flags | REPORTED_END;
        report_tcp(tp, c, c->cookie, SOCKDIAG_OUTCOME_RESET, 0, SOCKDIAG_RESET_LOCAL, BPF_TCP_CLOSE);
    }
}

/* A packet of a socket whose first packet another took the first count of: its counts, its stamp
 * (the table gives the least recently active slot away), for TCP its holder, and a traced
 * connect's next step. */
static __always_inline void count_later_packet(struct sockdiag_socket_slot *slot, struct __sk_buff *skb, struct bpf_sock *sk,
                                               struct tcp_sock *tp)
{
    __sync_fetch_and_add(&slot->egress.bytes, skb->len);
    slot->active_jiffies = bpf_jiffies64();
    note_holder(&slot->egress, tp);
    follow_connect(slot, sk, tp);
}

SEC("cgroup_skb/egress")
int trace_egress(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return ALLOW;
    if (sk->state == BPF_TCP_LISTEN) {
        /* A SYN-ACK leaves under the listener before the accepted socket exists. */
        struct sockdiag_trace_stats *s = local_stats();
        if (s)
            s->egress_unattributed++;
        return ALLOW;
    }
    /* A TCP socket's cookie is read in place, 0 when no program has given it one; any other
     * socket's is asked for. A TCP socket is given one only by a traced process (its connect hook,
     * or a first packet that passed the process test), so each packet of a TCP socket --pid leaves
     * out stops at "no cookie", touching nothing the traced processes write. */
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    __u64 cookie = tp ? cookie_in_place(tp) : bpf_get_socket_cookie(skb);
    struct sockdiag_socket_slot *slot = cookie ? egress_entry(cookie) : 0;
    /* A traced TCP connect's entry is made at its connect hook (connect_state.h) with no packet: the
     * packet that takes the first count is the socket's first and reports it, as below. */
    if (slot && __sync_fetch_and_add(&slot->egress.packets, 1) != 0) {
        count_later_packet(slot, skb, sk, tp);
        return ALLOW;
    }
    __u16 protocol = bpf_ntohs((__u16)skb->protocol);
    if (protocol != ETH_P_IP && protocol != ETH_P_IPV6)
        return ALLOW;
    /* --pid: a socket is followed from its first packet, which leaves in the sending process
     * (a traced connect was chosen at its connect hook, in the same process). */
    if (!slot && !current_is_traced())
        return ALLOW;
    if (!cookie)
        cookie = bpf_get_socket_cookie(skb);

    struct sockdiag_egress_event v = {};
    v.kind = SOCKDIAG_EVENT_EGRESS;
    v.time_ns = slot ? slot->egress.time_ns : bpf_ktime_get_ns();
    v.cookie = cookie;
    v.packets = 1;
    v.bytes = skb->len;
    v.socket_family = skb->family;
    v.wire_protocol = protocol;
    if (read_wire_view(skb, &v) < 0)
        return ALLOW;
    if (v.ip_protocol == IPPROTO_TCP) {
        note_holder(&v, tp);
    } else {
        /* A datagram leaves from its sender's system call. */
        v.tgid = current_pid_tgid_for_reader() >> 32;
        v.holder_cgroup_id = bpf_get_current_cgroup_id();
        bpf_get_current_comm(v.holder_comm, sizeof(v.holder_comm));
    }
    if (!slot) {
        slot = egress_claim(cookie, v.time_ns);
        if (!slot) {
            struct sockdiag_trace_stats *s = local_stats();
            if (s)
                s->egress_untracked++;
            return ALLOW;
        }
        /* Another CPU's packet of the same socket, just as new, took the first count. */
        if (__sync_fetch_and_add(&slot->egress.packets, 1) != 0) {
            count_later_packet(slot, skb, sk, tp);
            return ALLOW;
        }
    }
    /* The connect's state (connect_flags, connect_offset_us) stays as the outcome program keeps
     * it; the packet was counted when this packet took the first count. */
    struct sockdiag_egress_event *seen = &slot->egress;
    __sync_fetch_and_add(&seen->bytes, skb->len);
    seen->tgid = v.tgid;
    seen->holder_cgroup_id = v.holder_cgroup_id;
    __builtin_memcpy(seen->holder_comm, v.holder_comm, sizeof(v.holder_comm));
    seen->socket_family = v.socket_family;
    seen->wire_protocol = v.wire_protocol;
    seen->ip_protocol = v.ip_protocol;
    seen->local_port = v.local_port;
    seen->remote_port = v.remote_port;
    __builtin_memcpy(seen->local_addr, v.local_addr, sizeof(v.local_addr));
    __builtin_memcpy(seen->remote_addr, v.remote_addr, sizeof(v.remote_addr));
    if (bpf_ringbuf_output(&events, &v, sizeof(v), wakeup_flags()) < 0)
        count_lost();
    return ALLOW;
}

/* --pid: a traced process's new child is traced too (a thread is already, by its group). */
struct task_struct {
    int pid;
    int tgid;
} __attribute__((preserve_access_index));

SEC("tp_btf/sched_process_fork")
int trace_fork(__u64 *ctx)
{
    struct task_struct *parent = (struct task_struct *)ctx[0];
    struct task_struct *child = (struct task_struct *)ctx[1];
    if (child->tgid == parent->tgid)
        return 0;
    __u32 parent_tgid = task_tgid_for_reader(parent, parent->tgid);
    if (!bpf_map_lookup_elem(&traced_processes, &parent_tgid))
        return 0;
    __u32 child_tgid = task_tgid_for_reader(child, child->tgid);
    if (!child_tgid)
        return 0;
    __u8 one = 1;
    bpf_map_update_elem(&traced_processes, &child_tgid, &one, BPF_ANY);
    traced_processes_changed();
    return 0;
}

/* --pid: a process that is gone leaves the set, so its number, reused, is not traced, and the run
 * knows when every traced process has exited. */
SEC("tp_btf/sched_process_exit")
int trace_exit(__u64 *ctx)
{
    struct task_struct *task = (struct task_struct *)ctx[0];
    if (task->pid != task->tgid)
        return 0;
    __u32 tgid = task_tgid_for_reader(task, task->tgid);
    /* Its number may be given to a process that is not traced: remembered answers go. */
    if (bpf_map_delete_elem(&traced_processes, &tgid) == 0)
        traced_processes_changed();
    return 0;
}
