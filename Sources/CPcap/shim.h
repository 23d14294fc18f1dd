#ifndef SOCKDIAG_CPCAP_SHIM_H
#define SOCKDIAG_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The stdio side of reading a capture file, so that Swift holds only the pcap handle and the
   stream's buffer, both its own. */

/* libpcap reads a record at a time through stdio: with 1 MiB of buffer instead of the 4 KiB
   default, a large capture takes a few dozen reads instead of thousands. (glibc takes the size
   only along with a buffer: without one it keeps its default.) */
#define SOCKDIAG_PCAP_FILE_BUFFER (1 << 20)

/* Opens the capture file at `path`, or reads it through `fd` (taken over, closed on failure
   too) when fd >= 0, with nanosecond timestamps. On success `*buffer` is the stream's buffer, to
   be freed after the handle is closed (sockdiag_pcap_close). On failure NULL, and either
   `*error` is the errno of the open, or it is 0 and `errbuf` holds libpcap's words. */
static inline pcap_t *sockdiag_pcap_open_file(const char *path, int fd, void **buffer, int *error, char *errbuf) {
    *buffer = NULL;
    *error = 0;
    FILE *file = fd >= 0 ? fdopen(fd, "rb") : fopen(path, "rb");
    if (!file) {
        *error = errno;
        if (fd >= 0) close(fd);
        return NULL;
    }
    void *storage = malloc(SOCKDIAG_PCAP_FILE_BUFFER);
    if (storage) setvbuf(file, storage, _IOFBF, SOCKDIAG_PCAP_FILE_BUFFER);
    pcap_t *handle = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!handle) {
        fclose(file);
        free(storage);
        return NULL;
    }
    *buffer = storage;
    return handle;
}

/* Closes a handle, then frees the buffer its stream read through (NULL for a live capture). */
static inline void sockdiag_pcap_close(pcap_t *handle, void *buffer) {
    pcap_close(handle);
    free(buffer);
}

/* Waits up to `milliseconds` for a live capture to have packets; sleeps that long where the
   handle has no descriptor to wait on. An interrupted wait just ends early: the caller reads
   and waits again. */
static inline void sockdiag_pcap_wait(pcap_t *handle, int milliseconds) {
    int fd = pcap_get_selectable_fd(handle);
    if (fd < 0) {
        usleep((useconds_t)milliseconds * 1000);
        return;
    }
    struct pollfd descriptor = { .fd = fd, .events = POLLIN, .revents = 0 };
    (void)poll(&descriptor, 1, milliseconds);
}
#endif
