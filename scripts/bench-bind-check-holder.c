/* Builds the bind-check benchmark's host: a server process listening on 127.0.0.1 ports
 * BASE..BASE+NPORTS-1 that accepts and keeps every connection, and a client process that opens
 * NCONN connections to them, spread round-robin over the ports. The server is forked last, so a
 * /proc walk in pid order meets the client's fds first (the slow case for an owner lookup).
 * Prints "ready SERVER_PID CLIENT_PID" when every connection is established, then waits for
 * SIGTERM or stdin to close. Loopback only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static void raise_fd_limit(int want) {
    struct rlimit r = {want, want};
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) die("setrlimit(RLIMIT_NOFILE)");
}

/* Closing with linger 0 sends a reset instead of leaving 24,000 TIME-WAIT sockets behind. */
static void no_time_wait(int fd) {
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s BASE NPORTS NCONN\n", argv[0]); return 2; }
    int base = atoi(argv[1]), nports = atoi(argv[2]), nconn = atoi(argv[3]);
    raise_fd_limit(nconn + nports + 256);
    int ready[2], go[2];
    if (pipe(ready) || pipe(go)) die("pipe");

    pid_t client = fork();
    if (client < 0) die("fork");
    if (client == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(1); /* wait until the server listens */
        for (int i = 0; i < nconn; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            if (fd < 0) die("client socket");
            no_time_wait(fd);
            struct sockaddr_in a = loopback(base + i % nports);
            if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
        }
        if (write(ready[1], "c", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    pid_t server = fork();
    if (server < 0) die("fork");
    if (server == 0) {
        struct pollfd *p = calloc(nports, sizeof *p);
        for (int i = 0; i < nports; i++) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), on = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
            struct sockaddr_in a = loopback(base + i);
            if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4096)) die("listen");
            p[i] = (struct pollfd){.fd = fd, .events = POLLIN};
        }
        if (write(go[1], "g", 1) != 1) _exit(1);
        int accepted = 0;
        while (accepted < nconn) {
            if (poll(p, nports, 10000) <= 0) die("poll");
            for (int i = 0; i < nports; i++) {
                if (!(p[i].revents & POLLIN)) continue;
                int fd;
                while ((fd = accept(p[i].fd, NULL, NULL)) >= 0) { no_time_wait(fd); accepted++; }
                if (errno != EAGAIN && errno != EWOULDBLOCK) die("accept");
            }
        }
        if (write(ready[1], "s", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c;
    for (int i = 0; i < 2; i++) if (read(ready[0], &c, 1) != 1) die("ready");
    printf("ready %d %d\n", server, client);
    fflush(stdout);
    /* Stay until stdin closes or a signal arrives, then take both children down. */
    while (read(0, &c, 1) > 0) {}
    kill(client, SIGTERM);
    kill(server, SIGTERM);
    waitpid(client, NULL, 0);
    waitpid(server, NULL, 0);
    return 0;
}
