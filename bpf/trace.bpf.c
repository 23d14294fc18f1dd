// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sockdiag_events.h"

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 20);
} events SEC(".maps");

SEC("cgroup/connect4")
int trace_connect4(struct bpf_sock_addr *ctx)
{
    struct sockdiag_sock_addr_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (e) {
        __builtin_memset(e, 0, sizeof(*e));
        e->kind = SOCKDIAG_EVENT_SOCK_ADDR;
        e->hook = SOCKDIAG_HOOK_CONNECT4;
        bpf_ringbuf_submit(e, 0);
    }
    return 1;
}
