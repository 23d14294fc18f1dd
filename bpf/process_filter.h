/* sockdiag trace --pid: keep only the events of chosen processes and the children they fork during
 * the run. The programs stay attached to the cgroup the processes live in (nothing is moved); each
 * asks here whether the calling task belongs to a traced thread group. Included by trace.bpf.c and
 * outcome.bpf.c: the loader hands the second object the first one's set and generation, and sets
 * the switch in both before loading, so without --pid the verifier removes the lookups altogether. */
#ifndef SOCKDIAG_PROCESS_FILTER_H
#define SOCKDIAG_PROCESS_FILTER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "pid_numbers.h"

/* 1 with --pid; read-only after load, so the branch is decided at verification. */
const volatile __u32 filter_by_process = 0;

/* tgid -> 1: the processes given with --pid, and those they fork (sched_process_fork), numbered as
 * sockdiag's pid namespace numbers them. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, __u8);
} traced_processes SEC(".maps");

/* Changes whenever the set does after the programs are attached (a traced process forked or
 * exited; the processes given are entered before): a decision remembered under an older value is
 * asked again. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} traced_processes_generation SEC(".maps");

/* The last answers on this CPU, one for an odd tgid and one for an even: a neighbour of the traced
 * processes asks at each of its packets and callbacks, always with the same tgid, and an array
 * element is read in place where the set's hash lookup cost about 0.15 us a question (bpf_stats,
 * benchmark loop). */
struct process_decision {
    __u32 tgid_plus_one; /* 0: nothing remembered yet */
    __u32 generation;
    __u32 traced;
    __u32 reserved;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct process_decision);
} process_decisions SEC(".maps");

/* Called after every change of the set, so a decision read before it is asked again. */
static __always_inline void traced_processes_changed(void)
{
    __u32 zero = 0;
    __u32 *generation = bpf_map_lookup_elem(&traced_processes_generation, &zero);
    if (generation)
        __sync_fetch_and_add(generation, 1);
}

/* True when the current task's events are kept. */
static __always_inline int current_is_traced(void)
{
    if (!filter_by_process)
        return 1;
    __u32 zero = 0;
    /* Remembered by the kernel's own number, which names one process whatever the namespace; the
     * set is keyed by the number sockdiag's namespace gives, found only when asked again. */
    __u32 host_tgid = bpf_get_current_pid_tgid() >> 32;
    __u32 slot = host_tgid & 1;
    __u32 *generation = bpf_map_lookup_elem(&traced_processes_generation, &zero);
    struct process_decision *last = bpf_map_lookup_elem(&process_decisions, &slot);
    __u32 tgid;
    if (!generation || !last) {
        tgid = current_pid_tgid_for_reader() >> 32;
        return bpf_map_lookup_elem(&traced_processes, &tgid) != 0;
    }
    /* Read before the set: a change made after this read is seen as a new generation next time. */
    __u32 now = *(volatile __u32 *)generation;
    if (last->tgid_plus_one == host_tgid + 1 && last->generation == now)
        return last->traced;
    tgid = current_pid_tgid_for_reader() >> 32;
    int traced = bpf_map_lookup_elem(&traced_processes, &tgid) != 0;
    last->tgid_plus_one = host_tgid + 1;
    last->generation = now;
    last->traced = traced;
    return traced;
}

#endif
