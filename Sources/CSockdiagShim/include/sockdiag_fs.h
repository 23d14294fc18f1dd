#ifndef SOCKDIAG_FS_H
#define SOCKDIAG_FS_H

/* statfs(2)'s f_type for path (CGROUP2_SUPER_MAGIC for a cgroup v2 directory), or -errno.
 * Glibc's Swift module does not carry <sys/vfs.h>. */
long sockdiag_filesystem_type(const char *path);

/* open(path, O_RDONLY | O_CLOEXEC), given up after `seconds` (SIGALRM without SA_RESTART
 * interrupts it): opening a FIFO blocks until a writer opens it, which may never happen.
 * Returns the descriptor, or -errno; -EINTR when the time ran out. */
int sockdiag_open_read_within(const char *path, unsigned seconds);

#endif
