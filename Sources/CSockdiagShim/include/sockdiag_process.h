/* Process helpers that must run between fork and exec, where Swift code may not. */
#ifndef SOCKDIAG_PROCESS_H
#define SOCKDIAG_PROCESS_H

/* Forks a child that writes its own pid to the cgroup.procs file open as cgroup_procs_fd (so it
 * is inside the cgroup before its first instruction of path), restores default signal handling,
 * sends its stdout to stderr when stdout_to_stderr is set, and execs path with argv and the
 * current environment (a file without '#!' with /bin/sh, as execvp does). Returns the child's
 * pid, or -errno when fork failed or the child could not join the cgroup or exec (its errno comes back through a close-on-exec pipe; the child is reaped). */
int sockdiag_spawn_in_cgroup(const char *path, char *const argv[], int cgroup_procs_fd, int stdout_to_stderr);

/* SIGINT, SIGTERM and SIGHUP set sockdiag_termination_signal (without SA_RESTART, so a blocking
 * poll returns EINTR); SIGPIPE is ignored so a closed stdout ends the run through a write error. */
void sockdiag_install_termination_handlers(void);

/* The last termination signal received, 0 when none. */
int sockdiag_termination_signal(void);

/* The calling thread's id (gettid), which setpriority(PRIO_PROCESS) takes to change one thread. */
int sockdiag_thread_id(void);

#endif
