/* Layouts shared by bpf/policy.bpf.c (--redirect, --block-ipv6, --naive) and the Swift side.
 * Addresses in network byte order (IPv4 in the first 4 bytes), ports in host byte order. */
#ifndef SOCKDIAG_POLICY_H
#define SOCKDIAG_POLICY_H

#include <linux/types.h>
#include "sockdiag_events.h"

enum sockdiag_policy_event_kind {
    SOCKDIAG_EVENT_REDIRECT = 3, /* a connect/sendmsg rewritten to a redirect target */
    SOCKDIAG_EVENT_BLOCKED = 4,  /* first dropped packet of a socket (struct sockdiag_egress_event) */
};

enum sockdiag_block_mode {
    SOCKDIAG_BLOCK_NONE = 0,
    SOCKDIAG_BLOCK_IPV6_BY_PROTOCOL = 1, /* drop what is IPv6 on the wire (skb->protocol) */
    SOCKDIAG_BLOCK_IPV6_BY_FAMILY = 2,   /* the naive rule: drop what AF_INET6 sockets send */
};

/* Value of the `rules` map, keyed by the destination port (__u16, host order). */
struct sockdiag_redirect_rule {
    __u32 v4_addr;    /* target for IPv4 and IPv4-mapped destinations */
    __u32 v6_addr[4]; /* target for native IPv6 destinations */
    __u16 v4_port;
    __u16 v6_port;
    __u8 has_v4;
    __u8 has_v6;
    __u16 reserved;
};

/* Element 0 of the `config` array. */
struct sockdiag_policy_config {
    __u32 block_mode; /* enum sockdiag_block_mode */
    __u32 reserved;
};

struct sockdiag_redirect_event {
    __u32 kind; /* SOCKDIAG_EVENT_REDIRECT */
    __u32 hook; /* enum sockdiag_hook */
    __u64 time_ns;
    __u64 cookie;
    __u64 cgroup_id;
    __u32 tgid;
    __u32 tid;
    __u32 uid;
    __u16 socket_family;
    __u16 protocol;
    __u16 original_port;
    __u16 port;
    __u32 reserved;
    __u8 original_addr[16]; /* as the hook received it: IPv4 in 4 bytes at the 4 hooks */
    __u8 addr[16];          /* the same form, rewritten */
    char comm[SOCKDIAG_COMM_LEN];
};

/* Value of the `redirected` map (socket cookie -> where its traffic really went), so replies can
 * be given the address the program sent to. */
struct sockdiag_redirect_memory {
    __u32 original_v4;
    __u32 target_v4;
    __u32 original_v6[4];
    __u32 target_v6[4];
    __u16 original_port;
    __u16 target_port;
    __u8 is_v6; /* the native IPv6 pair is the one in use */
    __u8 reserved[3];
};

#endif
