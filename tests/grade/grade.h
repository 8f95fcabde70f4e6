/* grade.h: what the autograder's tests (tests/grade/LABEL/test.c) share.
 *
 * A test file lists its tests with GRADE_TEST(name), which tools/grade/grade
 * also reads to know them, and ends with GRADE_MAIN(tests). tools/grade/grade
 * runs the test program once per test, "./test NAME", in the sandbox
 * (tools/grade/grade-sandbox), with a time limit; a test passes only if the
 * program prints "GRADE-PASS NONCE", NONCE the value the grader put in
 * $GRADE_NONCE for that run. A failing test says why in one line,
 * "GRADE-FAIL: reason", before it stops.
 *
 * Function exercises (kind=unit) are cmocka tests linked with the
 * student's object file: its code runs inside the test program, so the
 * nonce is copied and wiped from the environment before any test runs
 * (a submission that exits early, or prints cmocka's "OK", is no pass).
 * Program exercises (kind=program) are drivers, trusted code that runs
 * as root in the sandbox and starts the student's program as the
 * student's user (GRADE_PROGRAM below): that program never shares the
 * driver's output. */
#ifndef GRADE_H
#define GRADE_H

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char grade_nonce[64];

/* Copies $GRADE_NONCE and wipes it where it lives, in the environment's
 * memory (which /proc/self/environ shows too). */
static inline void grade_take_nonce(void)
{
    char *nonce = getenv("GRADE_NONCE");
    if (nonce == NULL) {
        snprintf(grade_nonce, sizeof grade_nonce, "no-nonce");
        return;
    }
    snprintf(grade_nonce, sizeof grade_nonce, "%s", nonce);
    memset(nonce, 'x', strlen(nonce));
}

/* Says in one line why the test fails: the grader prints the first. */
static inline void grade_reason(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("GRADE-FAIL: ", stdout);
    vprintf(format, args);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(args);
}

#ifndef GRADE_PROGRAM
/* ----------------------------------------------------- unit tests, cmocka */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after what it needs: a block of its own, not sorted */

#define GRADE_TEST(f) cmocka_unit_test(f)
/* Fails the current test with a one-line reason. */
#define grade_fail(...)                                                                      \
    do {                                                                                     \
        grade_reason(__VA_ARGS__);                                                           \
        fail();                                                                              \
    } while (0)

static inline int grade_main(const struct CMUnitTest *tests, size_t count, int argc,
                             char *argv[])
{
    grade_take_nonce();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: %s TEST\n", argv[0]);
        return 2;
    }
    size_t found = 0;
    for (size_t i = 0; i < count; i++)
        if (strcmp(tests[i].name, argv[1]) == 0)
            found = 1;
    if (!found) {
        grade_reason("no test named %s", argv[1]);
        return 2;
    }
    cmocka_set_test_filter(argv[1]);
    if (_cmocka_run_group_tests("grade", tests, count, NULL, NULL) != 0)
        return 1;
    printf("GRADE-PASS %s\n", grade_nonce);
    return 0;
}
#define GRADE_MAIN(tests)                                                                    \
    int main(int argc, char *argv[])                                                         \
    {                                                                                        \
        return grade_main(tests, sizeof tests / sizeof tests[0], argc, argv);                \
    }

#else
/* ------------------------------------------------ program tests, drivers */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct grade_test {
    const char *name;
    void (*run)(void);
};
#define GRADE_TEST(f)                                                                        \
    {                                                                                        \
#f, f                                                                                \
    }

static const char *grade_program_path;

/* The student's program, started by grade_start(). */
struct grade_program {
    pid_t pid;
    int out;        /* its standard output, a pipe */
    char line[512]; /* the last line read from it */
    char pending[4096];
    size_t pending_length;
    int exited, status;
};
static struct grade_program grade_current;

static inline double grade_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static inline void grade_stop(struct grade_program *program);

/* Stops the program and fails the test with a one-line reason. */
static inline void grade_fail(const char *format, ...)
{
    char reason[512];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    grade_reason("%s", reason);
    grade_stop(&grade_current);
    exit(1);
}

/* Skips the test with a one-line reason (what the machine lacks): the
 * grader leaves it out of the score, and says why. */
static inline void grade_skip(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("GRADE-SKIP: ", stdout);
    vprintf(format, args);
    fputc('\n', stdout);
    va_end(args);
    grade_stop(&grade_current);
    printf("GRADE-PASS %s\n", grade_nonce);
    exit(0);
}

/* Describes how the program ended: "exited with status 1". */
static inline const char *grade_how(int status)
{
    static char text[64];
    if (WIFEXITED(status))
        snprintf(text, sizeof text, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(text, sizeof text, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(text, sizeof text, "ended (status %d)", status);
    return text;
}

/* Runs the student's program with the arguments after its name (a NULL-
 * ended list), as the student's user ($GRADE_AS_STUDENT), its standard
 * output into a pipe, its standard error into program.err. */
static inline struct grade_program *grade_start(const char *first, ...)
{
    const char *args[64];
    size_t n = 0;
    static char prefix[1024];
    snprintf(prefix, sizeof prefix, "%s",
             getenv("GRADE_AS_STUDENT") ? getenv("GRADE_AS_STUDENT") : "");
    for (char *word = strtok(prefix, " "); word != NULL && n < 40; word = strtok(NULL, " "))
        args[n++] = word;
    args[n++] = grade_program_path;
    va_list list;
    va_start(list, first);
    for (const char *arg = first; arg != NULL && n < 62; arg = va_arg(list, const char *))
        args[n++] = arg;
    va_end(list);
    args[n] = NULL;

    int out[2];
    if (pipe(out) == -1) {
        grade_reason("grader: pipe: %s", strerror(errno));
        exit(3);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1) {
        grade_reason("grader: fork: %s", strerror(errno));
        exit(3);
    }
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        int err = open("program.err", O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(null, 0);
        dup2(out[1], 1);
        dup2(err == -1 ? null : err, 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        unsetenv("GRADE_NONCE");
        unsetenv("GRADE_AS_STUDENT");
        execvp(args[0], (char *const *)args);
        _exit(127);
    }
    setpgid(pid, pid);
    close(out[1]);
    memset(&grade_current, 0, sizeof grade_current);
    grade_current.pid = pid;
    grade_current.out = out[0];
    return &grade_current;
}

/* Reads the next line of the program's output, waiting until deadline
 * (grade_now() seconds). Returns 1 with it in program->line, 0 if the
 * output ended or the time ran out (program->exited says which). */
static inline int grade_read_line(struct grade_program *program, double deadline)
{
    for (;;) {
        char *newline = memchr(program->pending, '\n', program->pending_length);
        if (newline != NULL) {
            size_t length = (size_t)(newline - program->pending);
            size_t kept =
                length < sizeof program->line - 1 ? length : sizeof program->line - 1;
            memcpy(program->line, program->pending, kept);
            program->line[kept] = '\0';
            program->pending_length -= length + 1;
            memmove(program->pending, newline + 1, program->pending_length);
            return 1;
        }
        if (program->pending_length == sizeof program->pending)
            program->pending_length = 0; /* a line too long: forget it */
        double left = deadline - grade_now();
        if (left <= 0 || program->out == -1)
            return 0;
        struct pollfd wait = {program->out, POLLIN, 0};
        int ready = poll(&wait, 1, (int)(left * 1000) + 1);
        if (ready <= 0)
            continue;
        ssize_t got = read(program->out, program->pending + program->pending_length,
                           sizeof program->pending - program->pending_length);
        if (got <= 0) {
            close(program->out);
            program->out = -1;
            return 0;
        }
        program->pending_length += (size_t)got;
    }
}

/* Waits until the program has ended, at most seconds; returns 1 if it did. */
static inline int grade_wait_exit(struct grade_program *program, double seconds)
{
    double deadline = grade_now() + seconds;
    while (!program->exited) {
        pid_t done = waitpid(program->pid, &program->status, WNOHANG);
        if (done == program->pid) {
            program->exited = 1;
            break;
        }
        if (grade_now() > deadline)
            return 0;
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    return 1;
}

/* Ends the program and its process group: SIGTERM, then SIGKILL. */
static inline void grade_stop(struct grade_program *program)
{
    if (program->pid <= 0)
        return;
    if (!program->exited) {
        kill(-program->pid, SIGTERM);
        kill(program->pid, SIGTERM);
        if (!grade_wait_exit(program, 2)) {
            kill(-program->pid, SIGKILL);
            kill(program->pid, SIGKILL);
            grade_wait_exit(program, 2);
        }
    }
    kill(-program->pid, SIGKILL); /* its children, if any are left */
    if (program->out != -1)
        close(program->out);
    program->out = -1;
    program->pid = 0;
}

/* Waits for the server's line "server: listening on port N" and returns
 * N; fails the test if it does not come within seconds. */
static inline unsigned grade_wait_port(struct grade_program *program, double seconds)
{
    double deadline = grade_now() + seconds;
    while (grade_read_line(program, deadline)) {
        unsigned port;
        if (sscanf(program->line, "server: listening on port %u", &port) == 1 && port > 0 &&
            port < 65536)
            return port;
    }
    if (grade_wait_exit(program, 0.2))
        grade_fail("the server %s before it printed \"server: listening on port N\"",
                   grade_how(program->status));
    grade_fail("the server did not print \"server: listening on port N\" within %.0f s",
               seconds);
    return 0;
}

/* Connects to the port on address (127.0.0.1, ::1), within seconds. */
static inline int grade_connect(const char *address, unsigned port, double seconds)
{
    struct sockaddr_storage where;
    memset(&where, 0, sizeof where);
    socklen_t length;
    int family;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&where;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&where;
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        family = v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        length = sizeof *v4;
    } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
        family = v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        length = sizeof *v6;
    } else {
        grade_fail("grader: bad address %s", address);
        return -1;
    }
    double deadline = grade_now() + seconds;
    for (;;) {
        int fd = socket(family, SOCK_STREAM, 0);
        if (fd == -1)
            grade_fail("grader: socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&where, length) == 0)
            return fd;
        int error = errno;
        close(fd);
        if (grade_now() > deadline)
            grade_fail("cannot connect to %s port %u: %s", address, port, strerror(error));
        struct timespec tick = {0, 20 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}

/* Sends all n bytes, or fails the test. */
static inline void grade_send(int fd, const void *data, size_t n)
{
    size_t total = 0;
    while (total < n) {
        ssize_t sent = send(fd, (const char *)data + total, n - total, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent == -1)
            grade_fail("send to the server: %s", strerror(errno));
        total += (size_t)sent;
    }
}

/* Receives until n bytes came, the peer closed or seconds passed; returns
 * the count (the test decides what a short count means). */
static inline size_t grade_recv(int fd, void *buffer, size_t n, double seconds)
{
    double deadline = grade_now() + seconds;
    size_t total = 0;
    while (total < n) {
        double left = deadline - grade_now();
        if (left <= 0)
            break;
        struct pollfd wait = {fd, POLLIN, 0};
        if (poll(&wait, 1, (int)(left * 1000) + 1) <= 0)
            continue;
        ssize_t got = recv(fd, (char *)buffer + total, n - total, 0);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        total += (size_t)got;
    }
    return total;
}

/* The zombie children of process pid: those in state Z whose parent it is. */
/* The children of pid in state (any state when 0): from /proc. */
static inline int grade_children_of(pid_t pid, char wanted)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return 0;
    int zombies = 0;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *file = fopen(path, "r");
        if (file == NULL)
            continue;
        size_t length = fread(stat, 1, sizeof stat - 1, file);
        fclose(file);
        stat[length] = '\0';
        char *after = strrchr(stat, ')'); /* the name may hold spaces */
        char state;
        int parent;
        if (after != NULL && sscanf(after + 1, " %c %d", &state, &parent) == 2 &&
            parent == pid && (wanted == 0 || state == wanted))
            zombies++;
    }
    closedir(proc);
    return zombies;
}

static inline int grade_zombies_of(pid_t pid)
{
    return grade_children_of(pid, 'Z');
}

static inline int grade_program_main(const struct grade_test *tests, size_t count, int argc,
                                     char *argv[])
{
    grade_take_nonce();
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (argc != 3) {
        fprintf(stderr, "usage: %s TEST PROGRAM\n", argv[0]);
        return 2;
    }
    grade_program_path = argv[2];
    for (size_t i = 0; i < count; i++)
        if (strcmp(tests[i].name, argv[1]) == 0) {
            tests[i].run();
            grade_stop(&grade_current);
            printf("GRADE-PASS %s\n", grade_nonce);
            return 0;
        }
    grade_reason("no test named %s", argv[1]);
    return 2;
}
#define GRADE_MAIN(tests)                                                                    \
    int main(int argc, char *argv[])                                                         \
    {                                                                                        \
        return grade_program_main(tests, sizeof tests / sizeof tests[0], argc, argv);        \
    }
#endif
#endif
