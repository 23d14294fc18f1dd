/* Event layout shared by the bpf/ programs (producer) and the Swift reader (consumer).
 * Every field has a fixed width and the structs are padded by hand, so both compilers agree
 * on the layout; sockdiag_shim.c checks the sizes at compile time. Addresses are in network
 * byte order (IPv4 in the first 4 bytes of addr), ports in host byte order. */
#ifndef SOCKDIAG_EVENTS_H
#define SOCKDIAG_EVENTS_H

#include <linux/types.h>

#define SOCKDIAG_COMM_LEN 16

enum sockdiag_event_kind {
    SOCKDIAG_EVENT_SOCK_ADDR = 1, /* connect / sendmsg / post_bind as the hook received it */
    SOCKDIAG_EVENT_EGRESS = 2,    /* first packet of a socket seen in cgroup_skb/egress */
};

enum sockdiag_hook {
    SOCKDIAG_HOOK_CONNECT4 = 1,
    SOCKDIAG_HOOK_CONNECT6 = 2,
    SOCKDIAG_HOOK_SENDMSG4 = 3,
    SOCKDIAG_HOOK_SENDMSG6 = 4,
    SOCKDIAG_HOOK_POST_BIND4 = 5,
    SOCKDIAG_HOOK_POST_BIND6 = 6,
    SOCKDIAG_HOOK_EGRESS = 7,
};

struct sockdiag_sock_addr_event {
    __u32 kind; /* SOCKDIAG_EVENT_SOCK_ADDR */
    __u32 hook; /* enum sockdiag_hook */
    __u64 time_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
    __u64 cookie;
    __u64 cgroup_id;
    __u32 tgid;
    __u32 tid;
    __u32 uid;
    __u16 socket_family; /* AF_INET / AF_INET6: the socket's own family */
    __u16 user_family;   /* family of the address the hook was handed (sendmsg4 on AF_INET6: AF_INET) */
    __u16 socket_type;   /* SOCK_STREAM / SOCK_DGRAM */
    __u16 protocol;      /* IPPROTO_TCP / IPPROTO_UDP */
    __u16 port;
    __u16 reserved;
    __u8 addr[16];
    char comm[SOCKDIAG_COMM_LEN];
};

/* One socket's egress, both the value of the per-cookie map and the ring-buffer record sent
 * when the socket's first packet leaves (packets/bytes then count that packet only). */
struct sockdiag_egress_event {
    __u32 kind; /* SOCKDIAG_EVENT_EGRESS */
    __u32 tgid; /* the task running when the first packet left (meaningful for client sockets) */
    __u64 time_ns;
    __u64 cookie;
    __u64 packets;
    __u64 bytes;
    __u16 socket_family; /* skb->family: AF_INET / AF_INET6 */
    __u16 wire_protocol; /* skb->protocol in host order: ETH_P_IP / ETH_P_IPV6 */
    __u8 ip_protocol;    /* IPPROTO_TCP / IPPROTO_UDP / other, from the packet */
    __u8 reserved;
    __u16 local_port;
    __u16 remote_port;
    __u16 reserved2;
    __u32 reserved3;
    __u8 local_addr[16];
    __u8 remote_addr[16];
};

/* Per-CPU counters; the reader sums them over CPUs. */
struct sockdiag_trace_stats {
    __u64 lost_events;          /* ring-buffer reservations that failed */
    __u64 egress_untracked;     /* sockets not tracked because the egress map was full */
    __u64 egress_unattributed;  /* packets of a listening socket (SYN-ACKs of half-open connections) */
};

#endif
