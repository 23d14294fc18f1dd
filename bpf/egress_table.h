/* The per-socket table of sockdiag trace, shared by bpf/trace.bpf.c (which counts every packet
 * into it, and enters a traced TCP connect at its connect hook: connect_state.h) and
 * bpf/outcome.bpf.c (which keeps the connect's state in the same entry): one lookup by cookie per
 * packet, RST, error or socket end, one entry per socket, nothing deleted. The loader hands the
 * outcome object the trace object's maps.
 *
 * An array, not a hash map: a socket takes the first free slot of the EGRESS_WAYS from its home
 * slot with one compare-and-swap of its cookie, where an LRU hash map's insert took about 0.6 us
 * (its free lists are refilled and its LRU lists rotated under locks, touching cold nodes) and the
 * benchmark loop makes two per connect; a lookup reads one slot, not a bucket and an element.
 * The home slot is the cookie itself modulo the size: the kernel hands each CPU cookies in runs
 * of consecutive numbers, so the sockets a CPU makes one after another fill neighbouring slots,
 * whose cache lines and pages were just used (0.15 us less per insert than slots spread by a
 * hash), and a slot is wanted again only about EGRESS_SLOTS sockets later. */
#ifndef SOCKDIAG_EGRESS_TABLE_H
#define SOCKDIAG_EGRESS_TABLE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sockdiag_events.h"

#define EGRESS_SLOTS 131072 /* a power of two */
#define EGRESS_WAYS 8

/* A slot is empty while its cookie is 0 (the kernel's cookies start at 1). Slots are never
 * emptied, so a lookup that reaches an empty slot has passed every slot its cookie could take. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE); /* its slots then start on a page */
    __uint(max_entries, EGRESS_SLOTS);
    __type(key, __u32);
    __type(value, struct sockdiag_socket_slot);
} egress SEC(".maps");

/* Which cookies may have an entry: one bit per cookie modulo the filter's 524,288 bits, set before
 * an entry is made and never cleared. A packet of a socket whose bit is clear has no entry, which
 * this says in a word of 64 KiB kept in cache instead of reading the table's cold slots (the first
 * packet of every socket, and every packet of the sockets --pid leaves out). A set bit only means
 * "look". The cookie's own bit, not a hash's: a CPU's run of cookies shares words, so the sockets
 * it makes one after another test and set bits in a cache line just used, and the sockets of two
 * processes on two CPUs seldom share a line that one of them writes. */
#define EGRESS_FILTER_WORDS 8192

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, EGRESS_FILTER_WORDS);
    __type(key, __u32);
    __type(value, __u64);
} egress_filter SEC(".maps");

static __always_inline __u64 *egress_filter_word(__u64 cookie, __u64 *bit)
{
    __u32 index = (cookie >> 6) & (EGRESS_FILTER_WORDS - 1);
    *bit = 1ULL << (cookie & 63);
    return bpf_map_lookup_elem(&egress_filter, &index);
}

/* Called before the entry is made: a packet that then finds the bit clear ran before the entry
 * existed, as a lookup that missed would have. */
static __always_inline void egress_filter_add(__u64 cookie)
{
    __u64 bit;
    __u64 *word = egress_filter_word(cookie, &bit);
    if (word && !(*word & bit))
        __sync_fetch_and_or(word, bit);
}

/* A socket's cookie as the kernel holds it, read through a BTF pointer to the socket: 0 while no
 * program has asked for it. */
struct sock_common___cookie {
    struct {
        __s64 counter;
    } skc_cookie;
} __attribute__((preserve_access_index));

static __always_inline __u64 cookie_in_place(const void *kernel_socket)
{
    return ((const struct sock_common___cookie *)kernel_socket)->skc_cookie.counter;
}

static __always_inline struct sockdiag_socket_slot *egress_slot(__u64 cookie, __u32 way)
{
    __u32 index = ((__u32)cookie + way) & (EGRESS_SLOTS - 1);
    return bpf_map_lookup_elem(&egress, &index);
}

static __always_inline struct sockdiag_socket_slot *egress_entry(__u64 cookie)
{
    __u64 bit;
    __u64 *word = egress_filter_word(cookie, &bit);
    if (word && !(*word & bit))
        return 0;
    for (__u32 way = 0; way < EGRESS_WAYS; way++) {
        struct sockdiag_socket_slot *slot = egress_slot(cookie, way);
        if (!slot)
            return 0;
        __u64 held = slot->egress.cookie;
        if (held == cookie)
            return slot;
        if (!held)
            return 0;
    }
    return 0;
}

/* A slot for `cookie`, with its egress cleared to the cookie, `time_ns` and no packet; or the
 * socket's own slot, if another CPU gave it one first. When every slot the cookie may take is
 * held, the socket takes over the one least recently active: a socket already closed first (a TCP
 * socket's destruction, any other socket's release, sets its stamp to 0), else the one whose last
 * packet is oldest; its totals are lost. NULL only when another socket took that slot at the same
 * moment. */
static __always_inline struct sockdiag_socket_slot *egress_claim(__u64 cookie, __u64 time_ns)
{
    egress_filter_add(cookie);
    struct sockdiag_socket_slot *oldest = 0;
    __u64 oldest_cookie = 0;
    for (__u32 way = 0; way < EGRESS_WAYS; way++) {
        struct sockdiag_socket_slot *slot = egress_slot(cookie, way);
        if (!slot)
            return 0;
        __u64 held = slot->egress.cookie;
        if (!held)
            held = __sync_val_compare_and_swap(&slot->egress.cookie, 0, cookie);
        if (held == cookie)
            return slot;
        if (!held) {
            slot->egress.kind = SOCKDIAG_EVENT_EGRESS;
            slot->egress.time_ns = time_ns;
            slot->active_jiffies = bpf_jiffies64();
            return slot;
        }
        if (!oldest || slot->active_jiffies < oldest->active_jiffies) {
            oldest = slot;
            oldest_cookie = held;
        }
    }
    if (!oldest || __sync_val_compare_and_swap(&oldest->egress.cookie, oldest_cookie, cookie) != oldest_cookie)
        return 0;
    /* A packet of the socket that held the slot, counted as this is cleared, counts here: the
     * table is full and that socket the least active of its neighbourhood. */
    struct sockdiag_egress_event cleared = {
        .kind = SOCKDIAG_EVENT_EGRESS,
        .time_ns = time_ns,
        .cookie = cookie,
    };
    __builtin_memcpy(&oldest->egress, &cleared, sizeof(cleared));
    oldest->active_jiffies = bpf_jiffies64();
    return oldest;
}

#endif
