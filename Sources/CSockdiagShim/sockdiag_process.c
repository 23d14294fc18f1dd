#define _GNU_SOURCE
#include "sockdiag_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t termination_signal = 0;

static void note_signal(int signal_number) { termination_signal = signal_number; }

static void set_termination_handlers(void (*handler)(int))
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
}

void sockdiag_install_termination_handlers(void)
{
    set_termination_handlers(note_signal);
    signal(SIGPIPE, SIG_IGN);
}

int sockdiag_termination_signal(void) { return termination_signal; }

static void report_and_exit(int fd, int error)
{
    ssize_t ignored = write(fd, &error, sizeof(error));
    (void)ignored;
    _exit(127);
}

int sockdiag_spawn_in_cgroup(const char *path, char *const argv[], int cgroup_procs_fd, int stdout_to_stderr)
{
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(status_pipe[0]);
        close(status_pipe[1]);
        return -error;
    }
    if (pid == 0) {
        close(status_pipe[0]);
        if (write(cgroup_procs_fd, "0", 1) != 1)
            report_and_exit(status_pipe[1], errno);
        set_termination_handlers(SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
            report_and_exit(status_pipe[1], errno);
        execve(path, argv, environ);
        if (errno == ENOEXEC) {
            /* A script without '#!': run it with /bin/sh, as execvp(3) and shells do. (A stack
             * array: malloc is not safe between fork and exec.) */
            int count = 0;
            while (argv[count])
                count++;
            char *shell_argv[count + 3];
            shell_argv[0] = (char *)"/bin/sh";
            shell_argv[1] = (char *)path;
            for (int i = 1; i <= count; i++)
                shell_argv[i + 1] = argv[i];
            execve("/bin/sh", shell_argv, environ);
            errno = ENOEXEC;
        }
        report_and_exit(status_pipe[1], errno);
    }
    close(status_pipe[1]);
    int child_error = 0;
    ssize_t n;
    do {
        n = read(status_pipe[0], &child_error, sizeof(child_error));
    } while (n < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (n == (ssize_t)sizeof(child_error)) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        return -child_error;
    }
    return pid;
}

int sockdiag_thread_id(void)
{
    return (int)syscall(SYS_gettid);
}
