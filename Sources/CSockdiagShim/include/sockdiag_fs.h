#ifndef SOCKDIAG_FS_H
#define SOCKDIAG_FS_H

/* statfs(2)'s f_type for path (CGROUP2_SUPER_MAGIC for a cgroup v2 directory), or -errno.
 * Glibc's Swift module does not carry <sys/vfs.h>. */
long sockdiag_filesystem_type(const char *path);

#endif
