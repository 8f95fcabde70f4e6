/* testlib.h: helpers shared by the workbook's cmocka tests.
 *
 * Every test runs from the repository root (make test), so paths such as
 * build/bin/serv-32kb are relative to it; tl_bin() names a program in the
 * directory $WORKBOOK_BIN (build/bin unless set), so the same tests run
 * the sanitized builds (build/bin-asan) or the coverage builds too. Every wait is bounded: a
 * child process that outlives its time limit is killed with its process group. The network
 * tests only talk to 127.0.0.1. */
#ifndef TESTLIB_H
#define TESTLIB_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* cmocka's fail() and fail_msg() end the test (a longjmp back to the
 * runner) through _fail(), which cmocka.h does not declare noreturn; said
 * here, the compilers and clang's analyzer (make lint) stop following a
 * path past a failed check. */
_Noreturn void _fail(const char *const file, const int line);
/* cmocka's checks return when they hold, which the analyzer cannot see:
 * for the analysis only, the checks on a truth value, a pointer or an
 * integer are spelled with _fail() (cmocka's messages are for the runs). */
#ifdef __clang_analyzer__
#undef assert_true
#undef assert_false
#undef assert_non_null
#undef assert_null
#undef assert_int_equal
#undef assert_int_not_equal
#define assert_true(c) ((c) ? (void)0 : _fail(__FILE__, __LINE__))
#define assert_false(c) ((c) ? _fail(__FILE__, __LINE__) : (void)0)
#define assert_non_null(c) ((c) != NULL ? (void)0 : _fail(__FILE__, __LINE__))
#define assert_null(c) ((c) == NULL ? (void)0 : _fail(__FILE__, __LINE__))
#define assert_int_equal(a, b) ((a) == (b) ? (void)0 : _fail(__FILE__, __LINE__))
#define assert_int_not_equal(a, b) ((a) != (b) ? (void)0 : _fail(__FILE__, __LINE__))
#endif

/* ------------------------------------------------------- programs */

/* The directory of the programs under test: $WORKBOOK_BIN, or build/bin. */
static inline const char *tl_bin_dir(void)
{
    const char *dir = getenv("WORKBOOK_BIN");
    return dir != NULL && *dir != '\0' ? dir : "build/bin";
}

/* The path of the program NAME in tl_bin_dir(): tl_bin("serv-32kb"). The
 * text stays valid until the test ends (a table, one entry per name);
 * char *, as argv[] wants it. */
static inline char *tl_bin(const char *name)
{
    static char paths[64][256];
    static size_t used;
    char path[256];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", tl_bin_dir(), name) >= sizeof path) {
        fprintf(stderr, "testlib: program path too long: %s/%s\n", tl_bin_dir(), name);
        exit(2);
    }
    for (size_t i = 0; i < used; i++)
        if (strcmp(paths[i], path) == 0)
            return paths[i];
    if (used == sizeof paths / sizeof paths[0]) {
        fprintf(stderr, "testlib: more than %zu programs\n", used);
        exit(2);
    }
    memcpy(paths[used], path, sizeof path);
    return paths[used++];
}

/* The lab's experiment.sh finds the recorded runs two folders up from its
 * own (../../chapters/recorded/): right from a student's tangle/NN-slug/,
 * not from the book's copy that the build and the tests run,
 * build/tangle/NN-slug/. tools/experiments/run-experiment says where they are in
 * LAB_RECORDED_DIR; so does this, first in main(), for a test that runs
 * the lab's scripts. */
static inline void tl_lab_recorded_dir(void)
{
    char here[4096], dir[4200];
    if (getenv("LAB_RECORDED_DIR") != NULL)
        return;
    if (getcwd(here, sizeof here) == NULL) {
        fprintf(stderr, "testlib: getcwd: %s\n", strerror(errno));
        exit(2);
    }
    snprintf(dir, sizeof dir, "%s/chapters/recorded/90-laboratorio", here);
    setenv("LAB_RECORDED_DIR", dir, 1);
}

#define SERV_32KB tl_bin("serv-32kb")
#define CLI_32KB tl_bin("cli-32kb")
#define DATASIZE_32KB (32 * 1024 + 1)

/* ------------------------------------------------------- solutions */

/* The solutions (solutions/NN-slug.nw) are in the instructor's copy of
 * the repository, not in the one published for students: a test that
 * needs them skips there, saying why. */
static inline int tl_have_solutions(void)
{
    DIR *dir = opendir("solutions");
    if (dir == NULL)
        return 0;
    int found = 0;
    for (struct dirent *entry; !found && (entry = readdir(dir)) != NULL;) {
        size_t length = strlen(entry->d_name);
        found = length > 3 && strcmp(entry->d_name + length - 3, ".nw") == 0;
    }
    closedir(dir);
    return found;
}

#define TL_SKIP_WITHOUT_SOLUTIONS()                                                          \
    do {                                                                                     \
        if (!tl_have_solutions()) {                                                          \
            print_message(                                                                   \
                "skipped: the solutions are not in this copy (no solutions/*.nw)\n");        \
            skip();                                                                          \
        }                                                                                    \
    } while (0)

/* ------------------------------------------------------------ time */

static inline double tl_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline void tl_sleep(double seconds)
{
    struct timespec t;
    t.tv_sec = (time_t)seconds;
    t.tv_nsec = (long)((seconds - (double)t.tv_sec) * 1e9);
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

/* Milliseconds left until deadline, for poll(); never negative. */
static inline int tl_ms_left(double deadline)
{
    double left = deadline - tl_now();
    return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* ---------------------------------------------------- growing text */

struct tl_text {
    char *data; /* always NUL-terminated once anything was appended */
    size_t length;
    size_t capacity;
};

static inline void tl_text_append(struct tl_text *text, const char *data, size_t length)
{
    if (text->data == NULL || text->length + length + 1 > text->capacity) {
        size_t wanted = text->capacity ? 2 * text->capacity : 4096;
        while (wanted < text->length + length + 1)
            wanted *= 2;
        char *fresh = realloc(text->data, wanted);
        assert_non_null(fresh);
        text->data = fresh;
        text->capacity = wanted;
    }
    memcpy(text->data + text->length, data, length);
    text->length += length;
    text->data[text->length] = '\0';
}

static inline const char *tl_text_str(struct tl_text *text)
{
    if (text->data == NULL)
        tl_text_append(text, "", 0);
    return text->data;
}

static inline void tl_text_free(struct tl_text *text)
{
    free(text->data);
    memset(text, 0, sizeof *text);
}

/* --------------------------------------------------------- numbers */

/* Fills data with bytes that look random and are the same in every run
 * and on every C library for the same seed (rand() is neither: make lint,
 * cert-msc30-c and cert-msc32-c): Marsaglia's xorshift32. */
static inline void tl_fill_pattern(unsigned char *data, size_t size, uint32_t seed)
{
    uint32_t x = seed != 0 ? seed : 1;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)(x >> 24);
    }
}

/* Reading numbers without sscanf() or atoi(), which cannot tell a number
 * out of range (make lint: cert-err34-c). Each tl_scan_* reads from *text
 * (blanks first are skipped, as strtol() does), moves *text past what it
 * read and returns 0; or returns -1 and leaves *text. */

/* *text starts with prefix. */
static inline int tl_skip(const char **text, const char *prefix)
{
    size_t length = strlen(prefix);
    if (strncmp(*text, prefix, length) != 0)
        return -1;
    *text += length;
    return 0;
}

/* A long in base (10, or 16 for /proc's hexadecimal fields). */
static inline int tl_scan_long(const char **text, int base, long *value)
{
    char *end;
    errno = 0;
    long number = strtol(*text, &end, base);
    if (end == *text || errno != 0)
        return -1;
    *text = end;
    *value = number;
    return 0;
}

/* A decimal count, 0 or more. */
static inline int tl_scan_size(const char **text, size_t *value)
{
    const char *start = *text;
    long number;
    if (tl_scan_long(text, 10, &number) != 0)
        return -1;
    if (number < 0) {
        *text = start;
        return -1;
    }
    *value = (size_t)number;
    return 0;
}

static inline int tl_scan_double(const char **text, double *value)
{
    char *end;
    errno = 0;
    double number = strtod(*text, &end);
    if (end == *text || errno != 0)
        return -1;
    *text = end;
    *value = number;
    return 0;
}

/* The whole text is a decimal long; what names it in the failure. */
static inline long tl_to_long(const char *text, const char *what)
{
    const char *rest = text;
    long value;
    if (tl_scan_long(&rest, 10, &value) != 0 || *rest != '\0')
        fail_msg("%s: '%s' is not a whole number", what, text);
    return value;
}

/* The whole text is a number (a decimal point allowed). */
static inline double tl_to_double(const char *text, const char *what)
{
    const char *rest = text;
    double value;
    if (tl_scan_double(&rest, &value) != 0 || *rest != '\0')
        fail_msg("%s: '%s' is not a number", what, text);
    return value;
}

/* ------------------------------------------------------- processes */

/* A child process with its stdout and stderr captured through pipes. */
struct tl_proc {
    pid_t pid; /* 0: not running (never started or already reaped) */
    int out_fd, err_fd;
    struct tl_text out, err;
    int status;    /* exit status; 128 + signal if killed by one */
    int timed_out; /* 1 if we killed it after its time limit */
};

/* Receives on fd until the peer closes, at most seconds, into buffer
 * (size bytes, one kept for a '\0' at the end). Returns the bytes received;
 * fails the test on a timeout, an error or more than size - 1 bytes. */
static inline size_t tl_recv_until_closed(int fd, char *buffer, size_t size, double seconds)
{
    size_t total = 0;
    double deadline = tl_now() + seconds;
    for (;;) {
        struct pollfd readable = {fd, POLLIN, 0};
        int ready = poll(&readable, 1, tl_ms_left(deadline));
        if (ready == -1 && errno == EINTR)
            continue;
        if (ready <= 0)
            fail_msg("the peer did not close within %.0f s (%zu bytes)", seconds, total);
        ssize_t n = recv(fd, buffer + total, size - 1 - total, 0);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            fail_msg("recv: %s", strerror(errno));
        if (n == 0)
            break;
        total += (size_t)n;
        if (total == size - 1)
            fail_msg("more than %zu bytes before the peer closed", size - 1);
    }
    buffer[total] = '\0';
    return total;
}

/* Run in the child just before execv() when set: a test that needs the
 * program to start in a changed world (a system call denied) sets it, runs,
 * and sets it back to NULL. */
static void (*tl_before_exec)(void);

/* For a tl_before_exec: installs the seccomp filter of count instructions
 * (a system call denied with an errno, as a sandbox's policy or a kernel
 * without a feature would), or ends the child with 127 saying why. */
static inline void tl_seccomp_install(struct sock_filter *filter, size_t count,
                                      const char *who)
{
    struct sock_fprog program = {(unsigned short)count, filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == -1) {
        fprintf(stderr, "%s: %s\n", who, strerror(errno));
        _exit(127);
    }
}

/* Starts argv[0] (a path) with stdin from /dev/null, in its own process
 * group so a timeout kills its children too. Returns 0, or -1. */
static inline int tl_proc_start(struct tl_proc *proc, char *const argv[])
{
    memset(proc, 0, sizeof *proc);
    proc->out_fd = proc->err_fd = -1;
    int out[2], err[2];
    if (pipe(out) == -1)
        return -1;
    if (pipe(err) == -1) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    /* Close-on-exec: a later child does not inherit these pipes (dup2()
     * clears the flag on the copies this child's stdout and stderr get). */
    int ends[4] = {out[0], out[1], err[0], err[1]};
    for (int i = 0; i < 4; i++)
        fcntl(ends[i], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == -1) {
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        if (null != -1)
            dup2(null, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        signal(SIGPIPE, SIG_DFL);
        if (tl_before_exec != NULL)
            tl_before_exec();
        execv(argv[0], argv);
        fprintf(stderr, "testlib: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also here, so the group exists before we return */
    close(out[1]);
    close(err[1]);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
    proc->pid = pid;
    proc->out_fd = out[0];
    proc->err_fd = err[0];
    return 0;
}

/* Reads whatever the child's pipes have, waiting at most until deadline
 * for something to arrive. Returns 1 while a pipe is still open. */
static inline int tl_proc_pump(struct tl_proc *proc, double deadline)
{
    struct pollfd fds[2] = {{proc->out_fd, POLLIN, 0}, {proc->err_fd, POLLIN, 0}};
    struct tl_text *texts[2] = {&proc->out, &proc->err};
    int *fd_of[2] = {&proc->out_fd, &proc->err_fd};
    if (proc->out_fd == -1 && proc->err_fd == -1)
        return 0;
    int ready = poll(fds, 2, tl_ms_left(deadline));
    if (ready <= 0)
        return 1;
    for (int i = 0; i < 2; i++) {
        if (fds[i].fd == -1 || fds[i].revents == 0)
            continue;
        char buffer[8192];
        ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
        if (got > 0) {
            tl_text_append(texts[i], buffer, (size_t)got);
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
            close(fds[i].fd);
            *fd_of[i] = -1;
        }
    }
    return proc->out_fd != -1 || proc->err_fd != -1;
}

/* Kills the child's process group and reaps it; safe to call twice. */
static inline void tl_proc_kill(struct tl_proc *proc)
{
    if (proc->pid > 0) {
        kill(-proc->pid, SIGKILL);
        kill(proc->pid, SIGKILL);
        int status;
        if (waitpid(proc->pid, &status, 0) == proc->pid)
            proc->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        proc->pid = 0;
    }
    if (proc->out_fd != -1)
        close(proc->out_fd);
    if (proc->err_fd != -1)
        close(proc->err_fd);
    proc->out_fd = proc->err_fd = -1;
}

/* Collects the child's output until it exits, at most timeout seconds;
 * then kills it (timed_out = 1). Returns its exit status (128 + signal
 * if a signal ended it). */
static inline int tl_proc_finish(struct tl_proc *proc, double timeout)
{
    double deadline = tl_now() + timeout;
    while (tl_now() < deadline && tl_proc_pump(proc, deadline))
        ;
    while (proc->pid > 0 && tl_now() < deadline) {
        int status;
        pid_t done = waitpid(proc->pid, &status, WNOHANG);
        if (done == proc->pid) {
            proc->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            proc->pid = 0;
            break;
        }
        tl_sleep(0.01);
    }
    if (proc->pid > 0) {
        proc->timed_out = 1;
        tl_proc_kill(proc);
    }
    tl_proc_kill(proc); /* closes the pipes */
    tl_text_str(&proc->out);
    tl_text_str(&proc->err);
    return proc->status;
}

static inline void tl_proc_free(struct tl_proc *proc)
{
    tl_proc_kill(proc);
    tl_text_free(&proc->out);
    tl_text_free(&proc->err);
}

/* Runs a command to completion (at most timeout seconds) and returns its
 * exit status; proc holds its stdout and stderr (free with tl_proc_free). */
static inline int tl_run(struct tl_proc *proc, double timeout, char *const argv[])
{
    if (tl_proc_start(proc, argv) == -1) {
        fail_msg("cannot start %s: %s", argv[0], strerror(errno));
    }
    return tl_proc_finish(proc, timeout);
}

/* The same with the arguments listed, NULL last: tl_runl(&p, 5, "a", "b", NULL). */
static inline int tl_runl(struct tl_proc *proc, double timeout, const char *program, ...)
{
    char *argv[64];
    size_t argc = 0;
    va_list arguments;
    va_start(arguments, program);
    argv[argc++] = (char *)program;
    const char *argument;
    while ((argument = va_arg(arguments, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *)argument;
    va_end(arguments);
    argv[argc] = NULL;
    return tl_run(proc, timeout, argv);
}

/* Runs a shell command line (sh -c) bounded in time. */
static inline int tl_sh(struct tl_proc *proc, double timeout, const char *command)
{
    return tl_runl(proc, timeout, "/bin/sh", "-c", command, (const char *)NULL);
}

/* Can user nobody (65534) enter the folder dir, an absolute path, as a
 * script that does cd "$(dirname "$0")/.." does? Tried as nobody (setpriv),
 * folder by folder from /, never read from the modes: a clone in a folder
 * only its owner can enter (mktemp -d) has a tree nobody cannot reach,
 * whatever the tree's own modes. Returns 1 if it can; otherwise 0, with
 * why ("user nobody cannot enter /tmp/tmp.x1, a folder on the way to
 * ...", or that there is no setpriv). For a test run as root. */
static inline int tl_nobody_can_enter(const char *dir, char *why, size_t size)
{
    static const char try_as_nobody[] =
        "command -v setpriv >/dev/null || { printf 'no setpriv to become nobody'; exit 1; }\n"
        "exec setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c '\n"
        "    set -f; IFS=/; d=\n"
        "    for part in $1; do\n"
        "        [ -n \"$part\" ] || continue\n"
        "        d=$d/$part\n"
        "        cd \"$d\" 2>/dev/null || {\n"
        "            printf \"user nobody cannot enter %s, a folder on the way to %s\" "
        "\"$d\" \"$1\"\n"
        "            exit 1\n"
        "        }\n"
        "    done' sh \"$1\"\n";
    struct tl_proc run;
    int status = tl_runl(&run, 10, "/bin/sh", "-c", try_as_nobody, "sh", dir, (char *)NULL);
    if (status != 0) {
        const char *said = run.out.length > 0 ? tl_text_str(&run.out) : tl_text_str(&run.err);
        if (*said == '\0')
            said = "setpriv could not run a shell as nobody";
        snprintf(why, size, "%.*s", (int)strcspn(said, "\n"), said);
    }
    tl_proc_free(&run);
    return status == 0;
}

/* ------------------------------------------ every server of the book */

/* In the order of the chapters. */
static const char *const tl_servers[] = {
    "serv-hello",
    "serv-echo",
    "serv-32kb",
    "serv-peername",
    "serv-noreuse",
    "serv-int",
    "serv-int-net",
    "serv-msg",
    "serv-echo-fork",
    "serv-echo-fork-zombie",
    "serv-echo-fork-signal",
    "serv-echo-fork-bytewise",
    "serv-echo-thread",
    "serv-echo-prethread",
    "serv-echo-poll",
    "serv-echo-epoll",
    "serv-echo-prefork",
};
#define TL_SERVERS (sizeof tl_servers / sizeof tl_servers[0])

/* ---------------------------------------------------- serv-32kb */

/* A line of serv-32kb's that starts "\t | received X bytes from Y
 * requested": returns 0 with X and Y, or -1 for any other line. */
static inline int tl_received_from_requested(const char *line, size_t *received,
                                             size_t *requested)
{
    const char *rest = line;
    if (tl_skip(&rest, "\t | received ") != 0 || tl_scan_size(&rest, received) != 0 ||
        tl_skip(&rest, " bytes from ") != 0 || tl_scan_size(&rest, requested) != 0 ||
        tl_skip(&rest, " requested") != 0)
        return -1;
    return 0;
}

/* How long a server may take to say its port: a bound, not a measure. A
 * loaded machine starting a server under valgrind took more than 5 s. */
#define TL_START_SECONDS 30

/* Starts a server of the book, PROGRAM -p 0 -n connections, and waits (at
 * most TL_START_SECONDS) for its first line, "server: listening on port
 * N". Returns N, or fails the test (killing the server). */
static inline unsigned tl_program_start_argv(struct tl_proc *server, char *const argv[],
                                             const char *program);
static inline unsigned tl_program_start(struct tl_proc *server, const char *program,
                                        int connections)
{
    char count[32];
    snprintf(count, sizeof count, "%d", connections);
    char *argv[] = {(char *)program, "-p", "0", "-n", count, NULL};
    return tl_program_start_argv(server, argv, program);
}

/* The same with a whole command line, argv (a server of the book, or a
 * command that runs one: prlimit ... build/bin/serv-hello -p 0). */
static inline unsigned tl_program_start_argv(struct tl_proc *server, char *const argv[],
                                             const char *program)
{
    if (tl_proc_start(server, argv) == -1)
        fail_msg("cannot start %s: %s", program, strerror(errno));
    double deadline = tl_now() + TL_START_SECONDS;
    while (strchr(tl_text_str(&server->out), '\n') == NULL && tl_now() < deadline &&
           tl_proc_pump(server, deadline))
        ;
    const char *said = tl_text_str(&server->out);
    long port = 0;
    if (tl_skip(&said, "server: listening on port ") != 0 ||
        tl_scan_long(&said, 10, &port) != 0 || *said != '\n' || port <= 0 || port > 65535) {
        tl_proc_kill(server);
        fail_msg("%s did not say its port within %d s; stdout: '%s' stderr: '%s'", program,
                 TL_START_SECONDS, tl_text_str(&server->out), tl_text_str(&server->err));
    }
    return (unsigned)port;
}

/* The same for serv-32kb. */
static inline unsigned tl_server_start(struct tl_proc *server, int connections)
{
    return tl_program_start(server, SERV_32KB, connections);
}

/* Connects fd (a TCP socket, bound or not) to 127.0.0.1 port; with
 * seconds > 0, each send() and recv() on it waits that long at most.
 * Fails the test if the connection is refused. */
static inline void tl_connect_fd(int fd, unsigned port, int seconds)
{
    if (seconds > 0) {
        struct timeval limit = {seconds, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    }
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) == -1)
        fail_msg("connect to 127.0.0.1 port %u: %s", port, strerror(errno));
}

/* A new TCP socket connected to 127.0.0.1 port (see tl_connect_fd); a
 * program the test starts later gets no copy of it. */
static inline int tl_connect_within(unsigned port, int seconds)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd != -1);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    tl_connect_fd(fd, port, seconds);
    return fd;
}

/* A TCP socket bound to 127.0.0.1 on a port the kernel picks, not yet
 * listening; stores that port in *port. Fails the test if it cannot. */
static inline int tl_loopback_socket(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1)
        fail_msg("socket: %s", strerror(errno));
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) == -1 ||
        getsockname(fd, (struct sockaddr *)&address, &length) == -1)
        fail_msg("bind to 127.0.0.1: %s", strerror(errno));
    *port = ntohs(address.sin_port);
    return fd;
}

/* ------------------------------------------------- hostile timing */

/* A client that connects and resets (SO_LINGER 0) before the server
 * accept()s: the server (pid, listening on 127.0.0.1 port) is stopped
 * (SIGSTOP) meanwhile, so the kernel completes the handshake and takes
 * the RST while the connection waits in the queue; then it goes on
 * (SIGCONT), and its accept() returns a connection already reset. */
static inline void tl_reset_before_accept(pid_t server, unsigned port)
{
    assert_int_equal(kill(server, SIGSTOP), 0);
    int fd = tl_connect_within(port, 10);
    struct linger reset = {1, 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    close(fd); /* on loopback the RST arrives before close() returns */
    assert_int_equal(kill(server, SIGCONT), 0);
}

/* The state letter of process pid (/proc/PID/stat: R, S, T, Z...), or 0. */
static inline char tl_process_state(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return 0;
    char *got = fgets(line, sizeof line, file);
    fclose(file);
    const char *after = got ? strrchr(line, ')') : NULL;
    char state;
    return after != NULL && sscanf(after, ") %c", &state) == 1 ? state : 0;
}

/* The entries of directory /proc/PID/what (fd: open descriptors; task:
 * threads), or -1 if the process is gone. */
static inline int tl_proc_entries(pid_t pid, const char *what)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (entry->d_name[0] != '.')
            n++;
    closedir(dir);
    return n;
}

/* The resident memory of pid in KiB (VmRSS in /proc/PID/status). */
static inline long tl_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "r");
    if (file == NULL)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    long kb = -1;
    while (fgets(line, sizeof line, file) != NULL) {
        const char *rest = line;
        if (tl_skip(&rest, "VmRSS:") == 0 && tl_scan_long(&rest, 10, &kb) == 0)
            break;
    }
    fclose(file);
    if (kb < 0)
        fail_msg("no VmRSS in %s", path);
    return kb;
}

/* The children of parent (their pids into pids[], at most size), and how
 * many of them are zombies. */
static inline int tl_children(pid_t parent, pid_t *pids, int size, int *zombies)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        fail_msg("cannot open /proc: %s", strerror(errno));
    int n = 0;
    *zombies = 0;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *file = fopen(path, "r");
        if (file == NULL)
            continue;
        char *got = fgets(line, sizeof line, file);
        fclose(file);
        const char *after = got ? strrchr(line, ')') : NULL;
        long ppid; /* after the command in parentheses: ") STATE PPID" */
        if (after == NULL || tl_skip(&after, ") ") != 0 || *after == '\0')
            continue;
        char state = *after++;
        if (tl_scan_long(&after, 10, &ppid) != 0 || ppid != parent)
            continue;
        if (n < size)
            pids[n] = (pid_t)tl_to_long(entry->d_name, "a pid");
        n++;
        if (state == 'Z')
            (*zombies)++;
    }
    closedir(proc);
    return n;
}

/* Echo clients at once: count connections to 127.0.0.1:port, client c
 * sending its own bytes (data + c of a pattern seeded with seed, so every
 * client's bytes differ), bytes of them, half-closing and reading the echo
 * to its end, byte-exact; at most seconds in all, or the test fails. Each
 * time around (at least once a second) tick(arg) is called, if not NULL:
 * to watch the server meanwhile. Returns the seconds the connections took
 * to be made. */
struct tl_echo_client {
    size_t sent, received;
    int fd;
    int done;
};

static inline double tl_echo_many(unsigned port, int count, size_t bytes, double seconds,
                                  uint32_t seed, void (*tick)(void *), void *arg)
{
    unsigned char *data = malloc(bytes + (size_t)count);
    struct tl_echo_client *clients = calloc((size_t)count, sizeof *clients);
    struct pollfd *ready = calloc((size_t)count, sizeof *ready);
    static unsigned char buffer[65536];
    if (data == NULL || clients == NULL || ready == NULL)
        fail_msg("no memory for %d clients of %zu bytes", count, bytes);
    tl_fill_pattern(data, bytes + (size_t)count, seed);
    double start = tl_now();
    for (int c = 0; c < count; c++) {
        clients[c].fd = tl_connect_within(port, 20);
        fcntl(clients[c].fd, F_SETFL, fcntl(clients[c].fd, F_GETFL) | O_NONBLOCK);
    }
    double connected = tl_now() - start, deadline = start + seconds;
    int left = count;
    while (left > 0) {
        if (tl_now() > deadline)
            fail_msg("%d clients not done after %.0f s", left, seconds);
        if (tick != NULL)
            tick(arg);
        for (int c = 0; c < count; c++) {
            ready[c].fd = clients[c].done ? -1 : clients[c].fd;
            ready[c].events = (short)(POLLIN | (clients[c].sent < bytes ? POLLOUT : 0));
            ready[c].revents = 0;
        }
        if (poll(ready, (nfds_t)count, 1000) <= 0)
            continue;
        for (int c = 0; c < count; c++) {
            struct tl_echo_client *k = &clients[c];
            if (k->done)
                continue;
            if ((ready[c].revents & POLLOUT) && k->sent < bytes) {
                size_t piece = bytes - k->sent > 16384 ? 16384 : bytes - k->sent;
                ssize_t n = send(k->fd, data + c + k->sent, piece, MSG_NOSIGNAL);
                if (n > 0 && (k->sent += (size_t)n) == bytes)
                    shutdown(k->fd, SHUT_WR);
                if (n == -1 && errno != EAGAIN)
                    fail_msg("client %d: send: %s", c, strerror(errno));
            }
            if (ready[c].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = recv(k->fd, buffer, sizeof buffer, 0);
                if (n == -1 && errno == EAGAIN)
                    continue;
                if (n == -1)
                    fail_msg("client %d: recv: %s", c, strerror(errno));
                if (n == 0) {
                    if (k->received != bytes)
                        fail_msg("client %d: the echo ended after %zu bytes", c, k->received);
                    k->done = 1;
                    left--;
                    continue;
                }
                if (k->received + (size_t)n > bytes ||
                    memcmp(buffer, data + c + k->received, (size_t)n) != 0)
                    fail_msg("client %d: the echo differs after %zu bytes", c, k->received);
                k->received += (size_t)n;
            }
        }
    }
    for (int c = 0; c < count; c++)
        close(clients[c].fd);
    free(data);
    free(clients);
    free(ready);
    return connected;
}

/* Waits (at most 10 s) until pid sleeps in a call (state S), then stops
 * it and lets it go on, as Ctrl-Z and fg do. On Linux a recv() or send()
 * on a socket with a time limit (SO_RCVTIMEO, SO_SNDTIMEO) fails then with
 * EINTR, even with no signal handler; most other calls, poll() among
 * them, are restarted by the kernel (man 7 signal). */
static inline void tl_stop_and_continue(pid_t pid)
{
    double deadline = tl_now() + 10;
    while (tl_process_state(pid) != 'S' && tl_now() < deadline)
        tl_sleep(0.01);
    tl_sleep(0.05); /* still asleep: in the call that waits */
    assert_int_equal(kill(pid, SIGSTOP), 0);
    deadline = tl_now() + 10;
    while (tl_process_state(pid) != 'T' && tl_now() < deadline)
        tl_sleep(0.01);
    assert_int_equal(kill(pid, SIGCONT), 0);
}

/* Starts the shell command line command with its stdin a FIFO made in
 * directory dir, and returns the FIFO's write end: the input stays open,
 * with nothing in it, until the test writes to it or closes it. */
static inline int tl_start_on_a_fifo(struct tl_proc *proc, const char *dir,
                                     const char *command)
{
    char fifo[512], line[2048];
    snprintf(fifo, sizeof fifo, "%s/input.fifo", dir);
    unlink(fifo);
    if (mkfifo(fifo, 0600) == -1)
        fail_msg("mkfifo %s: %s", fifo, strerror(errno));
    snprintf(line, sizeof line, "%s <'%s'", command, fifo);
    char *argv[] = {"/bin/sh", "-c", line, NULL};
    if (tl_proc_start(proc, argv) == -1)
        fail_msg("cannot start %s", line);
    int writer = -1;
    double deadline = tl_now() + 10; /* until the shell opens its end */
    while ((writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1 && errno == ENXIO &&
           tl_now() < deadline)
        tl_sleep(0.01);
    if (writer == -1)
        fail_msg("%s did not open its input: %s", line, strerror(errno));
    unlink(fifo);
    return writer;
}

/* ------------------------------------------------ our own stderr */

/* Sends what this process writes to stderr into a pipe and returns its
 * read end; *saved keeps the real stderr for tl_stderr_restore(). The
 * write end does not block: a flood of messages is cut, never a hang. */
static inline int tl_stderr_capture(int *saved)
{
    int ends[2];
    if (pipe(ends) == -1)
        fail_msg("pipe: %s", strerror(errno));
    fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK);
    fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK);
    fflush(stderr);
    *saved = dup(STDERR_FILENO);
    if (*saved == -1 || dup2(ends[1], STDERR_FILENO) == -1)
        fail_msg("dup: %s", strerror(errno));
    close(ends[1]);
    return ends[0];
}

/* Puts the real stderr back and reads what the pipe got (at most size - 1
 * bytes) into text; closes the pipe. */
static inline void tl_stderr_restore(int saved, int captured, char *text, size_t size)
{
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t got = read(captured, text, size - 1);
    text[got > 0 ? got : 0] = '\0';
    close(captured);
}

/* Connects a new socket to 127.0.0.1:port; fails the test if it cannot. */
static inline int tl_connect_loopback(unsigned port)
{
    return tl_connect_within(port, 0);
}

/* ----------------------------------------------------------- files */

/* Reads a whole file into text; returns 0 or -1 (errno set). */
static inline int tl_read_file(const char *path, struct tl_text *text)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return -1;
    char buffer[8192];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, file)) > 0)
        tl_text_append(text, buffer, got);
    int failed = ferror(file);
    fclose(file);
    tl_text_str(text);
    return failed ? -1 : 0;
}

/* The value of key in an experiment's numbers.tsv ("key<TAB>value"
 * lines), as a number; fails the test if the file or the key is missing. */
static inline long tl_result_long(const char *numbers_tsv, const char *key)
{
    struct tl_text numbers = {0};
    if (tl_read_file(numbers_tsv, &numbers) != 0)
        fail_msg("cannot read %s (has `make` run?): %s", numbers_tsv, strerror(errno));
    size_t key_length = strlen(key);
    for (const char *line = numbers.data; *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        if (strncmp(line, key, key_length) == 0 && line[key_length] == '\t') {
            char value[64];
            snprintf(value, sizeof value, "%.*s", (int)(end - line - (long)key_length - 1),
                     line + key_length + 1);
            free(numbers.data);
            return tl_to_long(value, key);
        }
        line = *end == '\n' ? end + 1 : end;
    }
    free(numbers.data);
    fail_msg("%s has no key '%s'", numbers_tsv, key);
    return 0;
}

static inline void tl_write_file(const char *path, const char *content)
{
    FILE *file = fopen(path, "w");
    if (file == NULL)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    fputs(content, file);
    if (fclose(file) != 0)
        fail_msg("cannot write %s: %s", path, strerror(errno));
}

/* The number of lines of text (a last line without '\n' counts too). */
static inline size_t tl_count_lines(const char *text)
{
    size_t lines = 0;
    for (const char *p = text; *p != '\0'; p++)
        if (*p == '\n' || p[1] == '\0')
            lines++;
    return lines;
}

/* Copies line number index (0-based) of text into line, without '\n';
 * returns 0, or -1 if text has fewer lines. */
static inline int tl_line(const char *text, size_t index, char *line, size_t size)
{
    const char *p = text;
    for (size_t i = 0; i < index; i++) {
        p = strchr(p, '\n');
        if (p == NULL || p[1] == '\0')
            return -1;
        p++;
    }
    if (*p == '\0')
        return -1;
    size_t length = strcspn(p, "\n");
    if (length >= size)
        length = size - 1;
    memcpy(line, p, length);
    line[length] = '\0';
    return 0;
}

/* ------------------------------------------- cmocka group fixtures */

/* A new temporary directory named like template ("NAME.XXXXXX") in
 * $TMPDIR, or /tmp: tests/run gives each test a TMPDIR of its own and
 * removes it afterwards, also when the test was killed by its timeout.
 * Writes the path into path; returns path, or NULL (errno set). */
static inline char *tl_mkdtemp(char *path, size_t size, const char *template)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    if ((size_t)snprintf(path, size, "%s/%s", dir, template) >= size) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return mkdtemp(path);
}

/* A scratch directory for a test group, made by tl_scratch_make (cmocka
 * group setup) and removed by tl_scratch_remove (group teardown), in
 * $TMPDIR (tl_mkdtemp; a short path). Readable by all: a test may run a tool there as
 * another user. */
static char tl_scratch[128];

static inline int tl_scratch_make(void **state)
{
    (void)state;
    return tl_mkdtemp(tl_scratch, sizeof tl_scratch, "workbook-test.XXXXXX") == NULL ||
                   chmod(tl_scratch, 0755) == -1
               ? -1
               : 0;
}

static inline int tl_scratch_remove(void **state)
{
    (void)state;
    struct tl_proc run;
    tl_runl(&run, 30, "/bin/rm", "-rf", tl_scratch, (char *)NULL);
    tl_proc_free(&run);
    return 0;
}

/* Per-test fixtures that hand each test a not-yet-started server process
 * in *state and make sure none is left running afterwards. */
static inline int tl_server_setup(void **state)
{
    static struct tl_proc server;
    memset(&server, 0, sizeof server);
    server.out_fd = server.err_fd = -1;
    *state = &server;
    return 0;
}

static inline int tl_server_teardown(void **state)
{
    tl_proc_free(*state);
    return 0;
}

/* ------------------------------------------------- bad command lines */

/* Runs argv, which must end with exactly the lines first and then (NULL:
 * none) on stderr, where first begins with prefix and contains every
 * string of words[] (NULL-terminated); nothing on stdout; that exit status. */
static inline void tl_check_failure(char *const argv[], int status, const char *prefix,
                                    const char *words[], const char *then)
{
    struct tl_proc run;
    int got = tl_run(&run, 30, argv);
    const char *err = tl_text_str(&run.err);
    if (run.timed_out)
        fail_msg("%s %s... did not finish within 30 s", argv[0], argv[1] ? argv[1] : "");
    print_message("  %s%s%s%s%s -> %d: %s", argv[0], argv[1] ? " " : "",
                  argv[1] ? argv[1] : "", argv[1] && argv[2] ? " " : "",
                  argv[1] && argv[2] ? argv[2] : "", got, err);
    if (got != status)
        fail_msg("%s %s %s: exit %d, expected %d; stderr: %s", argv[0],
                 argv[1] ? argv[1] : "", argv[1] && argv[2] ? argv[2] : "", got, status, err);
    assert_string_equal(tl_text_str(&run.out), "");
    assert_int_equal(tl_count_lines(err), then ? 2 : 1);
    assert_int_equal(err[strlen(err) - 1], '\n');
    char line[512];
    assert_int_equal(tl_line(err, 0, line, sizeof line), 0);
    if (strncmp(line, prefix, strlen(prefix)) != 0)
        fail_msg("stderr line '%s' does not start with '%s'", line, prefix);
    for (size_t i = 0; words[i] != NULL; i++)
        if (strstr(line, words[i]) == NULL)
            fail_msg("stderr line '%s' does not name '%s'", line, words[i]);
    if (then != NULL) {
        assert_int_equal(tl_line(err, 1, line, sizeof line), 0);
        assert_string_equal(line, then);
    }
    tl_proc_free(&run);
}

#define TL_ARGS(...) ((char *[]){__VA_ARGS__, NULL})
#define TL_WORDS(...) ((const char *[]){__VA_ARGS__, NULL})

#endif /* TESTLIB_H */
