/* The ring buffer and counters of sockdiag trace, shared by bpf/trace.bpf.c and bpf/outcome.bpf.c:
 * both objects declare them alike and the loader hands the second the first one's maps, so every
 * record arrives in one stream. */
#ifndef SOCKDIAG_TRACE_RING_H
#define SOCKDIAG_TRACE_RING_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sockdiag_events.h"

/* The reader polls the ring on a short timer and is woken only when half of it is pending:
 * waking it per event costs an inter-processor interrupt per connect, more than the hook. The
 * reader yields its CPU to the traced programs until then (Tracer.poll): half the ring holds about
 * 35,000 connects with their egress and outcome records (about 470 bytes each). */
#define RING_SIZE (32 << 20)
#define WAKEUP_THRESHOLD (RING_SIZE / 2)

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, RING_SIZE);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sockdiag_trace_stats);
} stats SEC(".maps");

static __always_inline struct sockdiag_trace_stats *local_stats(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline void count_lost(void)
{
    struct sockdiag_trace_stats *s = local_stats();
    if (s)
        s->lost_events++;
}

static __always_inline __u64 wakeup_flags(void)
{
    return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > WAKEUP_THRESHOLD ? BPF_RB_FORCE_WAKEUP
                                                                             : BPF_RB_NO_WAKEUP;
}

#endif
