/* A namespace's inode number, as /proc/PID/ns/ shows it: what socket_views.h (a socket's network
 * namespace) and pid_numbers.h (a process number's pid namespace) read of a namespace. */
#ifndef SOCKDIAG_NAMESPACE_VIEW_H
#define SOCKDIAG_NAMESPACE_VIEW_H

struct ns_common {
    unsigned int inum;
} __attribute__((preserve_access_index));

#endif
