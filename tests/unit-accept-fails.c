/* unit-accept-fails: chapter 1's accept_client() when accept() fails. The
 * linker's --wrap=accept puts a fake in front of accept(): it fails with
 * the errno values a test lines up, then lets the real accept() run. The
 * text says: EINTR and the errors of one connection (ECONNABORTED; on
 * Linux, the connection's pending network errors that man 2 accept lists)
 * are tried again at once and silently;
 * EMFILE, ENFILE, ENOBUFS and ENOMEM are said once per burst of failures
 * and tried again every ACCEPT_RETRY_MS (no busy loop, no flood); any
 * other error ends the server with one line and exit status 1. */

/* The program comes first: it defines _POSIX_C_SOURCE before any header,
 * and its fail() must be seen before cmocka's fail() macro exists. */
#define main serv_hello_main
/* NOLINTNEXTLINE(bugprone-suspicious-include): its static functions are tested */
#include "../build/tangle/01-revisao-cliente-servidor/serv-hello.c"
#undef main

#include "testlib.h"

int __real_accept(int fd, struct sockaddr *address, socklen_t *length);
int __wrap_accept(int fd, struct sockaddr *address, socklen_t *length);

static int planned[4096]; /* errno values for the next calls; 0: the real one */
static size_t planned_count, calls;

int __wrap_accept(int fd, struct sockaddr *address, socklen_t *length)
{
    size_t call = calls++;
    if (call < planned_count && planned[call] != 0) {
        errno = planned[call];
        return -1;
    }
    return __real_accept(fd, address, length);
}

static void plan(const int *errors, size_t count)
{
    assert_true(count <= sizeof planned / sizeof planned[0]);
    memcpy(planned, errors, count * sizeof errors[0]);
    planned_count = count;
    calls = 0;
}

/* A listener on 127.0.0.1 with one client already in its queue. */
struct queued {
    int listener, client;
};

static struct queued queue_one_client(void)
{
    unsigned port;
    struct queued q;
    q.listener = tl_loopback_socket(&port);
    assert_int_equal(listen(q.listener, 4), 0);
    q.client = tl_connect_loopback(port);
    return q;
}

/* Runs accept_client() on a queued client with the failures planned;
 * returns the seconds it took and writes its stderr into text. */
static double accept_with(const int *errors, size_t count, char *text, size_t size)
{
    struct queued q = queue_one_client();
    plan(errors, count);
    int saved;
    int captured = tl_stderr_capture(&saved);
    double start = tl_now();
    char peer[INET_ADDRSTRLEN];
    int connection = accept_client(q.listener, peer, sizeof peer);
    double took = tl_now() - start;
    tl_stderr_restore(saved, captured, text, size);
    print_message("  %zu accept() calls in %.3f s; stderr: '%s'\n", calls, took, text);
    assert_true(connection >= 0);
    assert_string_equal(peer, "127.0.0.1");
    assert_int_equal(calls, count + 1); /* every planned failure, then the real one */
    close(connection);
    close(q.client);
    close(q.listener);
    return took;
}

static void emfile_is_said_once_and_each_retry_waits(void **state)
{
    (void)state;
    int errors[5] = {EMFILE, EMFILE, EMFILE, EMFILE, EMFILE};
    char text[4096];
    double took = accept_with(errors, 5, text, sizeof text);
    /* Five pauses of ACCEPT_RETRY_MS: no busy loop (a small margin below,
     * a wide one above for a loaded machine). */
    assert_true(took >= 5 * ACCEPT_RETRY_MS * 0.9 / 1000);
    assert_true(took < 5 * ACCEPT_RETRY_MS / 1000.0 + 5);
    assert_int_equal(tl_count_lines(text), 1);
    char expected[256];
    snprintf(expected, sizeof expected, "serv-hello: accept: %s; trying again every %d ms\n",
             strerror(EMFILE), ACCEPT_RETRY_MS);
    assert_string_equal(text, expected);
}

static void every_shortage_is_one_burst_said_once(void **state)
{
    (void)state;
    int errors[4] = {ENFILE, ENOBUFS, ENOMEM, EMFILE};
    char text[4096];
    double took = accept_with(errors, 4, text, sizeof text);
    assert_true(took >= 4 * ACCEPT_RETRY_MS * 0.9 / 1000);
    assert_int_equal(tl_count_lines(text), 1);
    assert_non_null(strstr(text, strerror(ENFILE)));
}

static void eintr_and_one_connections_errors_are_retried_at_once_and_silently(void **state)
{
    (void)state;
    /* man 2 accept: Linux passes these pending network errors on; treat
     * them like EAGAIN. EPERM: firewall rules forbid the connection. */
    static const int one_connection[] = {ECONNABORTED, EPROTO,       EPERM,       ENETDOWN,
                                         ENETUNREACH,  EHOSTUNREACH, ENOPROTOOPT, EOPNOTSUPP,
                                         EHOSTDOWN,    ENONET};
    const size_t kinds = sizeof one_connection / sizeof one_connection[0];
    static int errors[4000];
    for (size_t i = 0; i < 4000; i++)
        errors[i] = i % 2 ? EINTR : one_connection[(i / 2) % kinds];
    char text[4096];
    double took = accept_with(errors, 4000, text, sizeof text);
    assert_string_equal(text, "");
    assert_true(took < 2.0); /* no pause: 4000 pauses would take 400 s */
}

static void a_success_ends_the_burst(void **state)
{
    (void)state;
    int errors[2] = {EMFILE, EMFILE};
    char first[4096], second[4096];
    accept_with(errors, 2, first, sizeof first);
    accept_with(errors, 2, second, sizeof second);
    /* Each call to accept_client() is a new burst: said again. */
    assert_int_equal(tl_count_lines(first), 1);
    assert_string_equal(first, second);
}

static void another_error_ends_the_server(void **state)
{
    (void)state;
    int errors[1] = {EBADF};
    struct queued q = queue_one_client();
    int ends[2];
    assert_int_equal(pipe(ends), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    assert_true(child != -1);
    if (child == 0) {
        dup2(ends[1], STDERR_FILENO);
        plan(errors, 1);
        char peer[INET_ADDRSTRLEN];
        accept_client(q.listener, peer, sizeof peer);
        _exit(0); /* not reached: accept_client() exits */
    }
    close(ends[1]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    char text[1024];
    ssize_t got = read(ends[0], text, sizeof text - 1);
    text[got > 0 ? got : 0] = '\0';
    close(ends[0]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    char expected[256];
    snprintf(expected, sizeof expected, "serv-hello: accept: %s\n", strerror(EBADF));
    assert_string_equal(text, expected);
    close(q.client);
    close(q.listener);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(emfile_is_said_once_and_each_retry_waits),
        cmocka_unit_test(every_shortage_is_one_burst_said_once),
        cmocka_unit_test(eintr_and_one_connections_errors_are_retried_at_once_and_silently),
        cmocka_unit_test(a_success_ends_the_burst),
        cmocka_unit_test(another_error_ends_the_server),
    };
    return cmocka_run_group_tests_name("accept fails", tests, NULL, NULL);
}
