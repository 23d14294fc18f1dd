/* sockdiag trace --pid: keep only the events of chosen processes and the children they fork during
 * the run. The programs stay attached to the cgroup the processes live in (nothing is moved); each
 * asks here whether the calling task belongs to a traced thread group. Included by trace.bpf.c and
 * outcome.bpf.c: the loader hands the second object the first one's set, and sets the switch in
 * both before loading, so without --pid the verifier removes the lookup altogether. */
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

/* True when the current task's events are kept. */
static __always_inline int current_is_traced(void)
{
    if (!filter_by_process)
        return 1;
    __u32 tgid = current_pid_tgid_for_reader() >> 32;
    return bpf_map_lookup_elem(&traced_processes, &tgid) != 0;
}

#endif
