/* unit-fork-fails: chapter 5's serv-echo-fork when fork() fails. The
 * linker's --wrap=fork replaces fork() with a fake that fails with EAGAIN,
 * as it does when the user's process limit is reached. The text says the
 * server reports it, closes that connection (the client sees it end) and
 * goes on serving: nothing exits, the listening socket stays open. */

/* The program comes first: it defines _POSIX_C_SOURCE before any header,
 * and its fail() must be seen before cmocka's fail() macro exists. */
#define main serv_echo_fork_main
/* NOLINTNEXTLINE(bugprone-suspicious-include): its static functions are tested */
#include "../build/tangle/05-servidor-concorrente/serv-echo-fork.c"
#undef main

#include "testlib.h"

static int forks_tried;

pid_t __wrap_fork(void);
pid_t __wrap_fork(void)
{
    forks_tried++;
    errno = EAGAIN;
    return -1;
}

/* Reads what serve_in_a_child() writes to stderr, through a pipe. */
static int capture_stderr(int *saved)
{
    int pipe_ends[2];
    assert_int_equal(pipe(pipe_ends), 0);
    fflush(stderr);
    *saved = dup(STDERR_FILENO);
    assert_true(*saved >= 0);
    assert_true(dup2(pipe_ends[1], STDERR_FILENO) >= 0);
    close(pipe_ends[1]);
    return pipe_ends[0];
}

static void restore_stderr(int saved)
{
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
}

static void a_failed_fork_closes_the_connection_and_the_server_goes_on(void **state)
{
    (void)state;
    unsigned port;
    int listener = tl_loopback_socket(&port);
    assert_int_equal(listen(listener, 4), 0);
    /* Two clients in the queue; the server takes the first and fork() fails. */
    int clients[2];
    for (int i = 0; i < 2; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = {.sin_family = AF_INET,
                                      .sin_port = htons((uint16_t)port)};
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(clients[i], (struct sockaddr *)&address, sizeof address), 0);
    }
    int saved;
    int messages = capture_stderr(&saved);
    for (int i = 0; i < 2; i++) {
        int connection = accept(listener, NULL, NULL);
        assert_true(connection >= 0);
        serve_in_a_child(listener, connection, "127.0.0.1:4242");
        /* The server's copy of the connection is closed... */
        errno = 0;
        assert_int_equal(fcntl(connection, F_GETFD), -1);
        assert_int_equal(errno, EBADF);
    }
    restore_stderr(saved);
    assert_int_equal(forks_tried, 2);
    /* ... the listening socket is not ... */
    assert_true(fcntl(listener, F_GETFD) != -1);
    /* ... each client sees its connection end, with no byte ... */
    for (int i = 0; i < 2; i++) {
        struct pollfd ready = {.fd = clients[i], .events = POLLIN};
        assert_int_equal(poll(&ready, 1, 5000), 1);
        char byte;
        assert_int_equal(recv(clients[i], &byte, 1, 0), 0);
        close(clients[i]);
    }
    /* ... and stderr has one line per failure naming fork, the client and
     * the reason. */
    char text[1024] = "";
    ssize_t got = read(messages, text, sizeof text - 1);
    close(messages);
    assert_true(got > 0);
    text[got] = '\0';
    print_message("  stderr: %s", text);
    assert_int_equal(tl_count_lines(text), 2);
    char expected[256];
    snprintf(expected, sizeof expected,
             "serv-echo-fork: fork: closing the connection from "
             "127.0.0.1:4242: %s\n",
             strerror(EAGAIN));
    assert_true(strncmp(text, expected, strlen(expected)) == 0);
    close(listener);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_failed_fork_closes_the_connection_and_the_server_goes_on),
    };
    return cmocka_run_group_tests_name("fork fails", tests, NULL, NULL);
}
