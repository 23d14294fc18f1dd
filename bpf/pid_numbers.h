/* Process numbers as sockdiag's own pid namespace gives them, so a sockdiag started in a container
 * (or under unshare --pid) names the pids its /proc shows, and never a host number. A struct pid
 * holds one number per namespace level, from the initial namespace (0) down to the one the process
 * was made in. Used by the task-file iterators (the reader is the task running the program) and by
 * the hooks (the loader sets the reader's namespace before loading). */
#ifndef SOCKDIAG_PID_NUMBERS_H
#define SOCKDIAG_PID_NUMBERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "namespace_view.h"

struct pid_namespace {
    struct ns_common ns;
} __attribute__((preserve_access_index));

struct upid {
    int nr;
    struct pid_namespace *ns;
};

struct pid {
    unsigned int level;
    struct upid numbers[];
} __attribute__((preserve_access_index));

/* The task fields read here, under a name of their own so each program keeps its own task view. */
struct task_struct___numbered {
    struct pid *thread_pid;
    struct task_struct___numbered *group_leader;
} __attribute__((preserve_access_index));

static __always_inline int read_upid(struct pid *pid, unsigned int level, struct upid *out)
{
    __u64 offset = bpf_core_field_offset(struct pid, numbers) + (__u64)level * sizeof(struct upid);
    return bpf_probe_read_kernel(out, sizeof(*out), (void *)pid + offset);
}

/* The number `holder` has in the pid namespace of the reading process (`reader`, the task that
 * reads the iterator, for which the program runs). 0 when the holder is outside that namespace. */
static __always_inline __u32 pid_seen_by(struct pid *reader, struct pid *holder)
{
    if (!reader || !holder)
        return 0;
    unsigned int level = BPF_CORE_READ(reader, level);
    struct upid mine, theirs;
    if (BPF_CORE_READ(holder, level) < level || read_upid(reader, level, &mine) < 0 || read_upid(holder, level, &theirs) < 0)
        return 0;
    return theirs.ns == mine.ns ? (__u32)theirs.nr : 0;
}

/* The process number of `task` (a task the iterator walks) in the reading process's namespace. */
static __always_inline __u32 tgid_seen_by_reader(void *task)
{
    struct task_struct___numbered *reader = (struct task_struct___numbered *)bpf_get_current_task();
    struct task_struct___numbered *walked = task;
    return pid_seen_by(BPF_CORE_READ(reader, thread_pid), BPF_CORE_READ(walked, group_leader, thread_pid));
}

/* sockdiag's pid namespace, by its inode number (/proc/self/ns/pid); 0 for the initial namespace,
 * whose numbers are the kernel's own and cost nothing more. Read-only after load, so the verifier
 * drops the walk below when it is 0. */
const volatile __u32 reader_pid_namespace = 0;

/* Deepest pid namespace level looked at (the kernel allows 32, MAX_PID_NS_LEVEL). */
#define SOCKDIAG_PID_NS_LEVELS 32

/* The number a struct pid has in sockdiag's namespace, found by that namespace among the levels the
 * pid has (level 0 is the initial namespace, never sockdiag's here); 0 when it is outside. */
static __always_inline __u32 number_for_reader(struct pid *pid)
{
    if (!pid)
        return 0;
    unsigned int level = BPF_CORE_READ(pid, level);
    for (unsigned int i = 1; i < SOCKDIAG_PID_NS_LEVELS; i++) {
        struct upid upid;
        if (i > level || read_upid(pid, i, &upid) < 0)
            return 0;
        if (BPF_CORE_READ(upid.ns, ns.inum) == reader_pid_namespace)
            return (__u32)upid.nr;
    }
    return 0;
}

/* A task's process (thread-group) number in sockdiag's namespace. */
static __always_inline __u32 task_tgid_for_reader(void *task, __u32 kernel_tgid)
{
    if (!reader_pid_namespace)
        return kernel_tgid;
    struct task_struct___numbered *t = task;
    return number_for_reader(BPF_CORE_READ(t, group_leader, thread_pid));
}

/* The current task's process (high half) and thread (low half) numbers in sockdiag's namespace,
 * as bpf_get_current_pid_tgid() lays them out; 0 for a task outside it. */
static __always_inline __u64 current_pid_tgid_for_reader(void)
{
    if (!reader_pid_namespace)
        return bpf_get_current_pid_tgid();
    struct task_struct___numbered *task = (struct task_struct___numbered *)bpf_get_current_task();
    __u32 tgid = number_for_reader(BPF_CORE_READ(task, group_leader, thread_pid));
    __u32 tid = number_for_reader(BPF_CORE_READ(task, thread_pid));
    return (__u64)tgid << 32 | tid;
}

#endif
