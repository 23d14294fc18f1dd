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
    SOCKDIAG_EVENT_OUTCOME = 3,   /* how a connect ended, and later how its connection ended */
};

/* What became of a connect (bpf/outcome.bpf.c). The first five end a TCP connect; `reset` and
 * `closed` end an established connection; UDP sockets report the error the kernel handed them. */
enum sockdiag_outcome {
    SOCKDIAG_OUTCOME_ESTABLISHED = 1, /* handshake done */
    SOCKDIAG_OUTCOME_REFUSED = 2,     /* SYN answered by a RST (TCP), ICMP port unreachable (UDP) */
    SOCKDIAG_OUTCOME_UNREACHABLE = 3, /* an ICMP/ICMPv6 error ended the SYN_SENT socket */
    SOCKDIAG_OUTCOME_TIMED_OUT = 4,   /* SYN retransmissions exhausted */
    SOCKDIAG_OUTCOME_ABORTED = 5,     /* closed by its program while the SYN was in flight */
    SOCKDIAG_OUTCOME_RESET = 6,       /* established, then ended by a RST (received or sent) */
    SOCKDIAG_OUTCOME_CLOSED = 7,      /* established, then closed */
    SOCKDIAG_OUTCOME_FAILED = 8,      /* TCP: connect() failed before any SYN left; seen at the socket's release */
};

/* Who sent the RST of a `reset` (or `refused`). */
enum sockdiag_reset_by {
    SOCKDIAG_RESET_NONE = 0,
    SOCKDIAG_RESET_PEER = 1,
    SOCKDIAG_RESET_LOCAL = 2,
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

/* One socket's egress, both its slot's entry in the per-socket table and the ring-buffer record sent
 * when the socket's first packet leaves (packets/bytes then count that packet only). A traced TCP
 * connect's entry is made at its connect hook, time_ns set again when it reaches SYN_SENT, and
 * also holds the connect's state for bpf/outcome.bpf.c (connect_flags, connect_syn_mark,
 * connect_offset_us: zero in ring records). */
struct sockdiag_egress_event {
    __u32 kind; /* SOCKDIAG_EVENT_EGRESS */
    __u32 tgid; /* the socket's holder: the process whose system call sent its latest packet with
                 * the socket locked (connect, send, close), 0 until one has; a UDP socket's sender */
    __u64 time_ns;
    __u64 cookie;
    __u64 packets;
    __u64 bytes;
    __u16 socket_family; /* skb->family: AF_INET / AF_INET6 */
    __u16 wire_protocol; /* skb->protocol in host order: ETH_P_IP / ETH_P_IPV6 */
    __u8 ip_protocol;    /* IPPROTO_TCP / IPPROTO_UDP / other, from the packet */
    __u8 connect_flags;  /* map only: what the outcome program saw and reported of the connect */
    __u16 local_port;
    __u16 remote_port;
    __u16 connect_syn_mark;  /* map only: the low 16 bits of packets when the connect reached SYN_SENT */
    __u32 connect_offset_us; /* map only: a later connect of the same socket, us after time_ns */
    __u8 local_addr[16];
    __u8 remote_addr[16];
    __u64 holder_cgroup_id;   /* the holder's cgroup v2 id */
    char holder_comm[SOCKDIAG_COMM_LEN];
};

/* A slot of trace's per-socket table (bpf/egress_table.h): the socket's egress entry, empty while
 * egress.cookie is 0, and when a packet of the socket last passed (jiffies; 0 once its program
 * closed it), which decides the slot a new socket takes over when every slot it may use is taken. 128 bytes, page-aligned in the
 * table: a packet's lookup, counts and stamp touch the first cache line only. */
struct sockdiag_socket_slot {
    __u64 active_jiffies;
    struct sockdiag_egress_event egress;
    __u64 reserved;
};

/* A socket's outcome. Written from the socket's own callbacks (often in softirq context), so
 * there is no process here: the reader names it from the socket's connect (same cookie). */
struct sockdiag_outcome_event {
    __u32 kind;          /* SOCKDIAG_EVENT_OUTCOME */
    __u32 outcome;       /* enum sockdiag_outcome */
    __u64 time_ns;       /* when it happened, CLOCK_MONOTONIC */
    __u64 cookie;
    __u64 elapsed_ns;    /* since connect() ran (its connect hook); 0 on `failed` */
    __u64 bytes_sent;    /* payload bytes sent (retransmissions included), tcp_sock.bytes_sent */
    __u64 bytes_received;
    __u32 syn_retransmits; /* SYNs sent again before the outcome (total_retrans while SYN_SENT) */
    __u32 rtt_us;        /* smoothed RTT at the outcome; 0 when no sample was taken */
    __s32 error;         /* sk_err at the outcome (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH...), 0 if none;
                          * on `aborted`, the ICMP error that had arrived (sk_err_soft) */
    __u8 old_state;      /* BPF_TCP_SYN_SENT for a connect's outcome; at its end, the state a peer's RST found, else CLOSE */
    __u8 reset_by;       /* enum sockdiag_reset_by */
    __u8 protocol;       /* IPPROTO_TCP / IPPROTO_UDP */
    __u8 reserved;
    __u16 family;        /* AF_INET / AF_INET6: the socket's family */
    __u16 local_port;
    __u16 remote_port;
    __u16 reserved2;
    __u8 local_addr[16]; /* as the socket holds them: IPv4 in the first 4 bytes for AF_INET */
    __u8 remote_addr[16];
};

/* Per-CPU counters; the reader sums them over CPUs. */
struct sockdiag_trace_stats {
    __u64 lost_events;          /* ring-buffer reservations that failed */
    __u64 egress_untracked;     /* sockets not tracked: another socket took the slot at the same moment */
    __u64 egress_unattributed;  /* packets of a listening socket (SYN-ACKs of half-open connections) */
};

/* One socket held by a task of the traced cgroup, written by bpf/socket_snapshot.bpf.c's iterator
 * at the start of a live run: the sockets that existed before any hook could see them. */
#define SOCKDIAG_SNAPSHOT_V6ONLY 1

struct sockdiag_socket_record {
    __u64 cookie;        /* the same number the hooks report for this socket */
    __u64 cgroup_id;     /* the holding task's cgroup v2 id */
    __u32 tgid;
    __u32 fd;
    __u16 family;        /* AF_INET / AF_INET6 */
    __u16 protocol;      /* IPPROTO_TCP / IPPROTO_UDP / other */
    __u16 socket_type;   /* SOCK_STREAM / SOCK_DGRAM / ... */
    __u8 state;          /* TCP state numbering (include/net/tcp_states.h) */
    __u8 flags;          /* SOCKDIAG_SNAPSHOT_V6ONLY */
    __u16 local_port;    /* host order */
    __u16 remote_port;   /* host order */
    __u32 reserved;
    __u8 local_addr[16]; /* as the socket holds them: IPv4 in the first 4 bytes for AF_INET */
    __u8 remote_addr[16];
    char comm[SOCKDIAG_COMM_LEN];
};

#endif
