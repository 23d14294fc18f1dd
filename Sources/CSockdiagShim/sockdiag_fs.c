#include "sockdiag_fs.h"

#include <errno.h>
#include <sys/vfs.h>

long sockdiag_filesystem_type(const char *path)
{
    struct statfs fs;
    if (statfs(path, &fs) < 0)
        return -errno;
    return (long)fs.f_type;
}
