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
    __u64 time_ns;
    __u64 cookie;
    __u64 cgroup_id;
    __u32 tgid;
    __u32 tid;
    __u32 uid;
    __u16 socket_family; /* AF_INET / AF_INET6 */
    __u16 socket_type;   /* SOCK_STREAM / SOCK_DGRAM */
    __u16 protocol;      /* IPPROTO_TCP / IPPROTO_UDP */
    __u16 port;
    __u8 addr[16];
    char comm[SOCKDIAG_COMM_LEN];
};

#endif
