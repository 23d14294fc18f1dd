// SPDX-License-Identifier: GPL-2.0
/* sockdiag trace --redirect / --block-ipv6: the story's DNS redirect and IPv6 block, written so that
 * dual-mode (AF_INET6) sockets talking IPv4 through ::ffff:a.b.c.d are handled like AF_INET ones.
 * --naive loads only connect4 and blocks on skb->family, as the story's first version did. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sockdiag_events.h"
#include "sockdiag_policy.h"
#include "pid_numbers.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IPV6 0x86DD
#define ALLOW 1
#define DROP 0

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 << 20);
} policy_events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u16);
    __type(value, struct sockdiag_redirect_rule);
} rules SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sockdiag_policy_config);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);
    __type(value, struct sockdiag_redirect_memory);
} redirected SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);
    __type(value, struct sockdiag_egress_event);
} blocked SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sockdiag_trace_stats);
} policy_stats SEC(".maps");

static __always_inline void count_lost(void)
{
    __u32 zero = 0;
    struct sockdiag_trace_stats *s = bpf_map_lookup_elem(&policy_stats, &zero);
    if (s)
        s->lost_events++;
}

static __always_inline int is_mapped(const __u32 addr[4])
{
    return addr[0] == 0 && addr[1] == 0 && addr[2] == bpf_htonl(0x0000ffff);
}

static __always_inline void report_redirect(struct bpf_sock_addr *ctx, __u32 hook, const __u32 original[4],
                                            __u16 original_port, const __u32 now[4], __u16 port)
{
    struct sockdiag_redirect_event *e = bpf_ringbuf_reserve(&policy_events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return;
    }
    __u64 pid_tgid = current_pid_tgid_for_reader();
    e->kind = SOCKDIAG_EVENT_REDIRECT;
    e->hook = hook;
    e->time_ns = bpf_ktime_get_ns();
    e->cookie = bpf_get_socket_cookie(ctx);
    e->cgroup_id = bpf_get_current_cgroup_id();
    e->tgid = pid_tgid >> 32;
    e->tid = (__u32)pid_tgid;
    e->uid = (__u32)bpf_get_current_uid_gid();
    e->socket_family = ctx->family;
    e->protocol = ctx->protocol;
    e->original_port = original_port;
    e->port = port;
    e->reserved = 0;
    __builtin_memcpy(e->original_addr, original, 16);
    __builtin_memcpy(e->addr, now, 16);
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    bpf_ringbuf_submit(e, 0);
}

static __always_inline void remember(struct bpf_sock_addr *ctx, struct sockdiag_redirect_memory *m)
{
    __u64 cookie = bpf_get_socket_cookie(ctx);
    bpf_map_update_elem(&redirected, &cookie, m, BPF_ANY);
}

/* connect4 and sendmsg4: AF_INET sockets, and AF_INET6 sockets whose mapped destination the
 * kernel un-mapped before sendmsg4. */
static __always_inline int redirect4(struct bpf_sock_addr *ctx, __u32 hook)
{
    __u16 port = bpf_ntohs((__u16)ctx->user_port);
    struct sockdiag_redirect_rule *rule = bpf_map_lookup_elem(&rules, &port);
    if (!rule || !rule->has_v4)
        return ALLOW;
    __u32 original[4] = {ctx->user_ip4, 0, 0, 0};
    __u32 now[4] = {rule->v4_addr, 0, 0, 0};
    struct sockdiag_redirect_memory m = {};
    m.original_v4 = original[0];
    m.target_v4 = rule->v4_addr;
    m.original_port = port;
    m.target_port = rule->v4_port;
    ctx->user_ip4 = rule->v4_addr;
    ctx->user_port = bpf_htons(rule->v4_port);
    remember(ctx, &m);
    report_redirect(ctx, hook, original, port, now, rule->v4_port);
    return ALLOW;
}

/* connect6 and sendmsg6: a mapped destination keeps its mapping with the IPv4 target in its low
 * 32 bits; a native one goes to the IPv6 target when the rule has one. */
static __always_inline int redirect6(struct bpf_sock_addr *ctx, __u32 hook)
{
    __u16 port = bpf_ntohs((__u16)ctx->user_port);
    struct sockdiag_redirect_rule *rule = bpf_map_lookup_elem(&rules, &port);
    if (!rule)
        return ALLOW;
    __u32 original[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    __u32 now[4] = {original[0], original[1], original[2], original[3]};
    struct sockdiag_redirect_memory m = {};
    m.original_port = port;
    if (is_mapped(original)) {
        if (!rule->has_v4)
            return ALLOW;
        now[3] = rule->v4_addr;
        m.original_v4 = original[3];
        m.target_v4 = rule->v4_addr;
        m.target_port = rule->v4_port;
        ctx->user_ip6[3] = rule->v4_addr;
        ctx->user_port = bpf_htons(rule->v4_port);
    } else {
        if (!rule->has_v6)
            return ALLOW;
        now[0] = rule->v6_addr[0];
        now[1] = rule->v6_addr[1];
        now[2] = rule->v6_addr[2];
        now[3] = rule->v6_addr[3];
        __builtin_memcpy(m.original_v6, original, 16);
        __builtin_memcpy(m.target_v6, now, 16);
        m.target_port = rule->v6_port;
        m.is_v6 = 1;
        ctx->user_ip6[0] = now[0];
        ctx->user_ip6[1] = now[1];
        ctx->user_ip6[2] = now[2];
        ctx->user_ip6[3] = now[3];
        ctx->user_port = bpf_htons(rule->v6_port);
    }
    remember(ctx, &m);
    report_redirect(ctx, hook, original, port, now, m.target_port);
    return ALLOW;
}

SEC("cgroup/connect4")
int policy_connect4(struct bpf_sock_addr *ctx) { return redirect4(ctx, SOCKDIAG_HOOK_CONNECT4); }

SEC("cgroup/sendmsg4")
int policy_sendmsg4(struct bpf_sock_addr *ctx) { return redirect4(ctx, SOCKDIAG_HOOK_SENDMSG4); }

SEC("cgroup/connect6")
int policy_connect6(struct bpf_sock_addr *ctx) { return redirect6(ctx, SOCKDIAG_HOOK_CONNECT6); }

SEC("cgroup/sendmsg6")
int policy_sendmsg6(struct bpf_sock_addr *ctx) { return redirect6(ctx, SOCKDIAG_HOOK_SENDMSG6); }

/* Replies from a redirect target are shown coming from the address the program sent to, or a
 * DNS client drops them as answers from a stranger. */
SEC("cgroup/recvmsg4")
int policy_recvmsg4(struct bpf_sock_addr *ctx)
{
    __u64 cookie = bpf_get_socket_cookie(ctx);
    struct sockdiag_redirect_memory *m = bpf_map_lookup_elem(&redirected, &cookie);
    if (!m || m->is_v6)
        return ALLOW;
    if (ctx->user_ip4 == m->target_v4 && bpf_ntohs((__u16)ctx->user_port) == m->target_port) {
        ctx->user_ip4 = m->original_v4;
        ctx->user_port = bpf_htons(m->original_port);
    }
    return ALLOW;
}

/* An AF_INET6 socket receiving IPv4 runs recvmsg6 with the source mapped (::ffff:a.b.c.d). */
SEC("cgroup/recvmsg6")
int policy_recvmsg6(struct bpf_sock_addr *ctx)
{
    __u64 cookie = bpf_get_socket_cookie(ctx);
    struct sockdiag_redirect_memory *m = bpf_map_lookup_elem(&redirected, &cookie);
    if (!m || bpf_ntohs((__u16)ctx->user_port) != m->target_port)
        return ALLOW;
    __u32 source[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    if (!m->is_v6) {
        if (is_mapped(source) && source[3] == m->target_v4) {
            ctx->user_ip6[3] = m->original_v4;
            ctx->user_port = bpf_htons(m->original_port);
        }
        return ALLOW;
    }
    if (source[0] == m->target_v6[0] && source[1] == m->target_v6[1] && source[2] == m->target_v6[2] &&
        source[3] == m->target_v6[3]) {
        ctx->user_ip6[0] = m->original_v6[0];
        ctx->user_ip6[1] = m->original_v6[1];
        ctx->user_ip6[2] = m->original_v6[2];
        ctx->user_ip6[3] = m->original_v6[3];
        ctx->user_port = bpf_htons(m->original_port);
    }
    return ALLOW;
}

static __always_inline void record_block(struct __sk_buff *skb)
{
    __u64 cookie = bpf_get_socket_cookie(skb);
    struct sockdiag_egress_event *seen = bpf_map_lookup_elem(&blocked, &cookie);
    if (seen) {
        __sync_fetch_and_add(&seen->packets, 1);
        __sync_fetch_and_add(&seen->bytes, skb->len);
        return;
    }
    struct sockdiag_egress_event v = {};
    v.kind = SOCKDIAG_EVENT_BLOCKED;
    v.tgid = current_pid_tgid_for_reader() >> 32;
    v.time_ns = bpf_ktime_get_ns();
    v.cookie = cookie;
    v.packets = 1;
    v.bytes = skb->len;
    v.socket_family = skb->family;
    v.wire_protocol = bpf_ntohs((__u16)skb->protocol);
    if (v.wire_protocol == ETH_P_IPV6) {
        __u8 header[40];
        if (bpf_skb_load_bytes(skb, 0, header, sizeof(header)) == 0) {
            v.ip_protocol = header[6];
            __builtin_memcpy(v.local_addr, header + 8, 16);
            __builtin_memcpy(v.remote_addr, header + 24, 16);
        }
        bpf_skb_load_bytes(skb, 40, &v.local_port, 2);
        bpf_skb_load_bytes(skb, 42, &v.remote_port, 2);
    } else {
        __u8 header[20];
        if (bpf_skb_load_bytes(skb, 0, header, sizeof(header)) == 0) {
            v.ip_protocol = header[9];
            __builtin_memcpy(v.local_addr, header + 12, 4);
            __builtin_memcpy(v.remote_addr, header + 16, 4);
            __u32 header_length = (header[0] & 0x0f) * 4;
            if (header_length >= 20 && header_length <= 60) {
                bpf_skb_load_bytes(skb, header_length, &v.local_port, 2);
                bpf_skb_load_bytes(skb, header_length + 2, &v.remote_port, 2);
            }
        }
    }
    v.local_port = bpf_ntohs(v.local_port);
    v.remote_port = bpf_ntohs(v.remote_port);
    if (bpf_map_update_elem(&blocked, &cookie, &v, BPF_NOEXIST) == 0 &&
        bpf_ringbuf_output(&policy_events, &v, sizeof(v), 0) < 0)
        count_lost();
}

SEC("cgroup_skb/egress")
int policy_egress(struct __sk_buff *skb)
{
    __u32 zero = 0;
    struct sockdiag_policy_config *c = bpf_map_lookup_elem(&config, &zero);
    if (!c || c->block_mode == SOCKDIAG_BLOCK_NONE)
        return ALLOW;
    int drop = c->block_mode == SOCKDIAG_BLOCK_IPV6_BY_PROTOCOL ? skb->protocol == bpf_htons(ETH_P_IPV6)
                                                                 : skb->family == AF_INET6;
    if (!drop)
        return ALLOW;
    record_block(skb);
    return DROP;
}
