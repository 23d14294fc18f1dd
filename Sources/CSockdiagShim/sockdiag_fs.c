#include "sockdiag_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/vfs.h>

long sockdiag_filesystem_type(const char *path)
{
    struct statfs fs;
    if (statfs(path, &fs) < 0)
        return -errno;
    return (long)fs.f_type;
}

static void ignore_alarm(int signal_number) { (void)signal_number; }

int sockdiag_open_read_within(const char *path, unsigned seconds)
{
    struct sigaction action, previous;
    memset(&action, 0, sizeof action);
    action.sa_handler = ignore_alarm;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, &previous);
    unsigned earlier = alarm(seconds);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int error = errno;
    alarm(0);
    sigaction(SIGALRM, &previous, NULL);
    if (earlier)
        alarm(earlier);
    return fd >= 0 ? fd : -error;
}
