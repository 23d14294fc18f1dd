/* The per-socket egress table of sockdiag trace, shared by bpf/trace.bpf.c (which counts every
 * packet into it) and bpf/outcome.bpf.c (which enters a traced TCP connect at its connect hook and
 * keeps the connect's state in the same entry): one lookup by cookie per packet or state change,
 * one insert per socket, nothing deleted, instead of a second table entered and left per connect.
 * The loader hands the outcome object the trace object's map. */
#ifndef SOCKDIAG_EGRESS_TABLE_H
#define SOCKDIAG_EGRESS_TABLE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sockdiag_events.h"

/* socket cookie -> that socket's egress so far. LRU so a long trace keeps the newest sockets. An
 * entry the outcome program made at a SYN has no packet yet until that SYN passes egress. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 131072);
    __type(key, __u64);
    __type(value, struct sockdiag_egress_event);
} egress SEC(".maps");

/* Which cookies may have an entry: one bit per hash of the cookie, set before an entry is made
 * and never cleared. A packet of a socket whose bit is clear has no entry, which this says in a
 * word of 64 KiB kept in cache instead of a lookup in the table's 2 MiB of buckets that misses
 * (about 0.2 us: the first packet of every socket, and every packet of the sockets --pid leaves
 * out). A set bit only means "look". */
#define EGRESS_FILTER_WORDS 8192

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, EGRESS_FILTER_WORDS);
    __type(key, __u32);
    __type(value, __u64);
} egress_filter SEC(".maps");

static __always_inline __u64 *egress_filter_word(__u64 cookie, __u64 *bit)
{
    __u64 hash = cookie * 0x9E3779B97F4A7C15ULL; /* consecutive cookies spread over the words */
    __u32 index = (hash >> 51) & (EGRESS_FILTER_WORDS - 1);
    *bit = 1ULL << ((hash >> 45) & 63);
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

static __always_inline struct sockdiag_egress_event *egress_entry(__u64 cookie)
{
    __u64 bit;
    __u64 *word = egress_filter_word(cookie, &bit);
    if (word && !(*word & bit))
        return 0;
    return bpf_map_lookup_elem(&egress, &cookie);
}

#endif
