/* test-revisao: chapter 1's serv-hello, cli-hello, serv-echo and cli-echo,
 * the real programs in build/bin (or $WORKBOOK_BIN), on 127.0.0.1 and ephemeral ports.
 *   - the greeting is exactly "Hello, world!\n", then the end of the stream;
 *   - 1 MiB of random bytes goes through cli-echo and serv-echo unchanged;
 *   - the iterative serv-echo accepts a second connection in the kernel
 *     but answers it only after the first client leaves;
 *   - a client gone before the accept(): serv-hello says its send() failed
 *     and greets the next one; cli-echo reports a server that closes
 *     before the end of the input, a reset, an input it cannot read;
 *     stopped and continued, serv-echo (EINTR) and cli-echo go on; cli-hello
 *     ends a greeting without a newline with one;
 *   - bad command lines: one stderr line naming the problem, the usage,
 *     exit 2; -h: the usage on stdout, exit 0; a refused connection or a
 *     host that does not resolve: exit 1.
 * Every wait is bounded. */
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define SERV_HELLO tl_bin("serv-hello")
#define CLI_HELLO tl_bin("cli-hello")
#define SERV_ECHO tl_bin("serv-echo")
#define CLI_ECHO tl_bin("cli-echo")

#define SERV_HELLO_USAGE "usage: serv-hello [-p PORT] [-n CONNECTIONS] [-t SECONDS]"
#define CLI_HELLO_USAGE "usage: cli-hello [-p PORT] HOST"
#define SERV_ECHO_USAGE "usage: serv-echo [-p PORT] [-n CONNECTIONS] [-t SECONDS]"
#define CLI_ECHO_USAGE "usage: cli-echo [-p PORT] HOST"

#define GREETING "Hello, world!\n"
#define ECHO_SIZE (1024 * 1024)

#define ARGS TL_ARGS
#define WORDS TL_WORDS
#define check_failure tl_check_failure
#define start_server tl_program_start

/* ---------------------------------------------------------- servers */

/* Waits (at most 10 s) for a server started with -n to exit by itself and
 * checks its whole stdout, stderr empty and exit 0. */
static void finish_server(struct tl_proc *server, const char *expected_out)
{
    int status = tl_proc_finish(server, 10);
    if (server->timed_out)
        fail_msg("the server did not exit within 10 s; stdout:\n%s", server->out.data);
    assert_string_equal(server->out.data, expected_out);
    assert_string_equal(server->err.data, "");
    assert_int_equal(status, 0);
}

/* A client that ran to the end: exit 0 in time, nothing on stderr, and
 * exactly out on stdout. Frees it. */
static void check_clean_exit(struct tl_proc *client, int status, const char *out)
{
    assert_false(client->timed_out);
    assert_string_equal(client->out.data, out);
    assert_string_equal(client->err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(client);
}

/* ------------------------------------------------- a test client */

static int connect_loopback(unsigned port)
{
    return tl_connect_within(port, 5);
}

static void send_text(int fd, const char *text)
{
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t sent = send(fd, text, length, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0)
            fail_msg("send: %s", strerror(errno));
        text += sent;
        length -= (size_t)sent;
    }
}

/* Reads from fd until size bytes, the end of the stream, or the deadline.
 * Returns the bytes read; *closed tells whether the peer closed. */
static size_t receive_until(int fd, char *buffer, size_t size, double deadline, int *closed)
{
    size_t total = 0;
    *closed = 0;
    while (total < size) {
        struct pollfd readable = {fd, POLLIN, 0};
        int ready = poll(&readable, 1, tl_ms_left(deadline));
        if (ready == -1 && errno == EINTR)
            continue;
        if (ready <= 0)
            break; /* out of time */
        ssize_t got = recv(fd, buffer + total, size - total, 0);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0) {
            *closed = 1;
            break;
        }
        total += (size_t)got;
    }
    return total;
}

/* True if something (data or the end of the stream) arrives within the
 * given seconds. */
static int anything_within(int fd, double seconds)
{
    struct pollfd readable = {fd, POLLIN, 0};
    double deadline = tl_now() + seconds;
    int ready;
    while ((ready = poll(&readable, 1, tl_ms_left(deadline))) == -1 && errno == EINTR)
        ;
    return ready > 0;
}

/* ------------------------------------------------------------ hello */

/* The greeting, read here with a raw socket: exactly 14 bytes, then the
 * server closes. */
static void the_greeting_is_byte_exact(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_HELLO, 1);
    int fd = connect_loopback(port);
    char got[64];
    int closed;
    size_t length = receive_until(fd, got, sizeof got, tl_now() + 5, &closed);
    close(fd);
    assert_int_equal(length, 14);
    assert_memory_equal(got, GREETING, 14);
    assert_true(closed);

    char expected[128];
    snprintf(expected, sizeof expected,
             "server: listening on port %u\nserver: got connection from 127.0.0.1\n", port);
    finish_server(server, expected);
}

static void cli_hello_prints_the_greeting(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_HELLO, 2);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    /* By address and by name: getaddrinfo() takes both. */
    const char *hosts[] = {"127.0.0.1", "localhost"};
    for (size_t i = 0; i < 2; i++) {
        struct tl_proc client;
        int status = tl_runl(&client, 10, CLI_HELLO, "-p", port_text, hosts[i], (char *)NULL);
        check_clean_exit(&client, status, "Received: Hello, world!\n");
    }
    char expected[160];
    snprintf(expected, sizeof expected,
             "server: listening on port %u\nserver: got connection from 127.0.0.1\n"
             "server: got connection from 127.0.0.1\n",
             port);
    finish_server(server, expected);
}

/* ------------------------------------------------------------- echo */

/* 1 MiB of random bytes (newlines and zeros included) from a file through
 * cli-echo's stdin, to serv-echo and back to cli-echo's stdout. */
static void a_mebibyte_comes_back_unchanged(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_ECHO, 1);

    static unsigned char data[ECHO_SIZE];
    tl_fill_pattern(data, sizeof data, 823);
    char input[256], output[256], command[1024];
    snprintf(input, sizeof input, "%s/echo.in", tl_scratch);
    snprintf(output, sizeof output, "%s/echo.out", tl_scratch);
    FILE *file = fopen(input, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(data, 1, sizeof data, file), sizeof data);
    assert_int_equal(fclose(file), 0);

    snprintf(command, sizeof command, "exec %s -p %u 127.0.0.1 <'%s' >'%s'", CLI_ECHO, port,
             input, output);
    struct tl_proc client;
    int status = tl_sh(&client, 60, command);
    assert_false(client.timed_out);
    assert_string_equal(client.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&client);

    struct tl_text echoed;
    memset(&echoed, 0, sizeof echoed);
    assert_int_equal(tl_read_file(output, &echoed), 0);
    assert_int_equal(echoed.length, sizeof data);
    assert_memory_equal(echoed.data, data, sizeof data);
    tl_text_free(&echoed);

    char expected[160];
    snprintf(expected, sizeof expected,
             "server: listening on port %u\nserver: got connection from 127.0.0.1\n"
             "server: closed connection to 127.0.0.1\n",
             port);
    finish_server(server, expected);
}

/* An empty input: cli-echo half-closes at once, the server closes, and
 * the client exits 0 with nothing on stdout. */
static void an_empty_input_ends_cleanly(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_ECHO, 1);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    struct tl_proc client; /* tl_run gives it /dev/null as stdin */
    int status = tl_runl(&client, 10, CLI_ECHO, "-p", port_text, "127.0.0.1", (char *)NULL);
    check_clean_exit(&client, status, "");
    char expected[160];
    snprintf(expected, sizeof expected,
             "server: listening on port %u\nserver: got connection from 127.0.0.1\n"
             "server: closed connection to 127.0.0.1\n",
             port);
    finish_server(server, expected);
}

/* Client A is being served; client B's connect() succeeds (the kernel
 * completes the handshake and queues it), but its "x" is echoed only
 * after A leaves. */
static void the_second_client_waits_for_the_first(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_ECHO, 2);
    char got[16];
    int closed;

    int a = connect_loopback(port);
    send_text(a, "a");
    assert_int_equal(receive_until(a, got, 1, tl_now() + 5, &closed), 1);
    assert_memory_equal(got, "a", 1);

    int b = connect_loopback(port); /* fails the test if connect() fails */
    send_text(b, "x");
    if (anything_within(b, 0.5))
        fail_msg("client B got an answer while client A was still connected");

    close(a);
    size_t length = receive_until(b, got, 1, tl_now() + 5, &closed);
    if (length != 1)
        fail_msg("client B got no echo within 5 s of client A leaving");
    assert_memory_equal(got, "x", 1);
    close(b);

    char expected[256];
    snprintf(
        expected, sizeof expected,
        "server: listening on port %u\n"
        "server: got connection from 127.0.0.1\nserver: closed connection to 127.0.0.1\n"
        "server: got connection from 127.0.0.1\nserver: closed connection to 127.0.0.1\n",
        port);
    finish_server(server, expected);
}

/* ------------------------------------------------ when things go wrong */

static int count_lines_with(const char *text, const char *word)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, word)) != NULL; p += strlen(word))
        n++;
    return n;
}

/* A client that resets before the accept(): serv-hello's send() of the
 * greeting fails; it says so in one line and greets the next client. */
static void serv_hello_says_a_failed_send_and_goes_on(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_HELLO, 2);
    tl_reset_before_accept(server->pid, port);
    int fd = connect_loopback(port);
    char got[64];
    int closed;
    assert_int_equal(receive_until(fd, got, sizeof got, tl_now() + 10, &closed), 14);
    assert_memory_equal(got, GREETING, 14);
    close(fd);
    int status = tl_proc_finish(server, 10);
    char expected[160];
    snprintf(expected, sizeof expected, "serv-hello: send to 127.0.0.1: %s\n",
             strerror(ECONNRESET));
    assert_string_equal(server->err.data, expected);
    assert_int_equal(status, 0);
    assert_int_equal(count_lines_with(server->out.data, "server: got connection from"), 2);
}

/* Starts cli-echo -p port 127.0.0.1 with its stdin a FIFO whose write end
 * is returned (tl_start_on_a_fifo). */
static int start_cli_echo_on_a_fifo(struct tl_proc *client, unsigned port)
{
    char command[512];
    snprintf(command, sizeof command, "exec %s -p %u 127.0.0.1", CLI_ECHO, port);
    return tl_start_on_a_fifo(client, tl_scratch, command);
}

/* The text: the server closing before the end of the input is an error:
 * part of the input never had an echo. serv-hello greets and closes. */
static void cli_echo_reports_a_server_that_closes_first(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_HELLO, 1);
    struct tl_proc client;
    int writer = start_cli_echo_on_a_fifo(&client, port);
    int status = tl_proc_finish(&client, 10);
    close(writer);
    assert_false(client.timed_out);
    assert_string_equal(client.out.data, GREETING);
    assert_string_equal(client.err.data, "cli-echo: the server closed the connection before "
                                         "the end of the input\n");
    assert_int_equal(status, 1);
    tl_proc_free(&client);
    assert_int_equal(tl_proc_finish(server, 10), 0);
}

/* A server that resets the connection: cli-echo's recv() fails, one line. */
static void cli_echo_reports_a_reset(void **state)
{
    (void)state;
    unsigned port;
    int listener = tl_loopback_socket(&port);
    assert_int_equal(listen(listener, 1), 0);
    struct tl_proc client;
    int writer = start_cli_echo_on_a_fifo(&client, port);
    if (!anything_within(listener, 10))
        fail_msg("cli-echo did not connect within 10 s");
    int fd = accept(listener, NULL, NULL);
    assert_true(fd >= 0);
    struct linger reset = {1, 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    close(fd);
    int status = tl_proc_finish(&client, 10);
    close(writer);
    close(listener);
    char expected[128];
    snprintf(expected, sizeof expected, "cli-echo: recv: %s\n", strerror(ECONNRESET));
    assert_string_equal(client.err.data, expected);
    assert_int_equal(status, 1);
    tl_proc_free(&client);
}

/* An input that cannot be read (a directory): one line, exit 1. */
static void cli_echo_reports_an_unreadable_input(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_ECHO, 1);
    char command[512];
    snprintf(command, sizeof command, "exec %s -p %u 127.0.0.1 </", CLI_ECHO, port);
    struct tl_proc client;
    int status = tl_sh(&client, 10, command);
    char expected[128];
    snprintf(expected, sizeof expected, "cli-echo: read from stdin: %s\n", strerror(EISDIR));
    assert_string_equal(client.err.data, expected);
    assert_int_equal(status, 1);
    tl_proc_free(&client);
    assert_int_equal(tl_proc_finish(server, 10), 0);
}

/* Stopped and continued (Ctrl-Z, fg) while they wait, serv-echo in recv()
 * (it has a time limit: EINTR, and it tries again) and cli-echo in poll()
 * (restarted): the echo goes on as if nothing had happened. */
static void a_stop_and_continue_changes_nothing(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = start_server(server, SERV_ECHO, 1);
    struct tl_proc client;
    int writer = start_cli_echo_on_a_fifo(&client, port);
    double deadline = tl_now() + 10; /* connected: the server names it */
    while (strstr(tl_text_str(&server->out), "got connection") == NULL && tl_now() < deadline)
        tl_proc_pump(server, deadline);
    tl_stop_and_continue(server->pid); /* in recv() */
    tl_stop_and_continue(client.pid);  /* in poll() */
    const char *line = "still here\n";
    assert_int_equal(write(writer, line, strlen(line)), (ssize_t)strlen(line));
    close(writer);
    int status = tl_proc_finish(&client, 10);
    assert_string_equal(client.err.data, "");
    assert_string_equal(client.out.data, line);
    assert_int_equal(status, 0);
    tl_proc_free(&client);
    assert_int_equal(tl_proc_finish(server, 10), 0);
    assert_string_equal(server->err.data, "");
}

/* The text: the bytes received go to the output as they came; if they do
 * not end with a newline, cli-hello adds one. */
static void cli_hello_ends_the_greeting_with_a_newline(void **state)
{
    (void)state;
    const char *greetings[] = {"no newline", "", "two\nlines\n"};
    const char *outputs[] = {"Received: no newline\n", "Received: \n",
                             "Received: two\nlines\n"};
    for (size_t i = 0; i < 3; i++) {
        unsigned port;
        int listener = tl_loopback_socket(&port);
        assert_int_equal(listen(listener, 1), 0);
        char port_text[16];
        snprintf(port_text, sizeof port_text, "%u", port);
        struct tl_proc client;
        char *argv[] = {CLI_HELLO, "-p", port_text, "127.0.0.1", NULL};
        assert_int_equal(tl_proc_start(&client, argv), 0);
        if (!anything_within(listener, 10))
            fail_msg("cli-hello did not connect within 10 s");
        int fd = accept(listener, NULL, NULL);
        assert_true(fd >= 0);
        send_text(fd, greetings[i]);
        close(fd);
        close(listener);
        check_clean_exit(&client, tl_proc_finish(&client, 10), outputs[i]);
    }
}

static void clients_report_a_host_that_does_not_resolve(void **state)
{
    (void)state;
    /* RFC 2606 reserves .invalid: no resolver answers for it. */
    check_failure(ARGS(CLI_HELLO, "no-such-host.invalid"), 1,
                  "cli-hello: ", WORDS("cannot resolve host", "'no-such-host.invalid'"),
                  NULL);
    check_failure(ARGS(CLI_ECHO, "no-such-host.invalid"), 1,
                  "cli-echo: ", WORDS("cannot resolve host", "'no-such-host.invalid'"), NULL);
}

/* In the child, before exec: socket() fails with EACCES from now on (a
 * seccomp filter, as a sandbox's policy would), and nothing else changes. */
static void deny_socket(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    tl_seccomp_install(filter, sizeof filter / sizeof filter[0], "deny_socket");
}

/* When socket() itself fails, a client names that error (it said
 * "Success" once: errno was saved only when connect() failed). */
static void clients_name_the_error_of_a_failed_socket(void **state)
{
    (void)state;
    char expected[128];
    snprintf(expected, sizeof expected, "cannot connect to 127.0.0.1 port 9: %s",
             strerror(EACCES));
    tl_before_exec = deny_socket;
    check_failure(ARGS(CLI_HELLO, "-p", "9", "127.0.0.1"), 1, "cli-hello: ", WORDS(expected),
                  NULL);
    check_failure(ARGS(CLI_ECHO, "-p", "9", "127.0.0.1"), 1, "cli-echo: ", WORDS(expected),
                  NULL);
}

/* Also when the test failed half-way: the next tests run unchanged. */
static int allow_socket_again(void **state)
{
    (void)state;
    tl_before_exec = NULL;
    return 0;
}

/* The text: the default limit of each connection suits a person who stops
 * to think. A client that connects, says nothing for 30 s, then sends a
 * line gets its echo (with a 10-s limit it was cut off). */
static void a_person_who_pauses_for_30_s_is_still_served(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, SERV_ECHO, 1);
    int fd = tl_connect_loopback(port);
    tl_sleep(30);
    send_text(fd, "still here\n");
    shutdown(fd, SHUT_WR);
    char got[64];
    /* a recv() error here: the server cut the client off */
    tl_recv_until_closed(fd, got, sizeof got, 10);
    close(fd);
    assert_string_equal(got, "still here\n");
    assert_int_equal(tl_proc_finish(server, 10), 0);
    assert_string_equal(tl_text_str(&server->err), "");
}

/* ------------------------------------------------------ bad input */

struct program {
    const char *name;   /* in tl_bin_dir() */
    const char *prefix; /* "name: " */
    const char *usage;
};

static const struct program servers[] = {
    {"serv-hello", "serv-hello: ", SERV_HELLO_USAGE},
    {"serv-echo", "serv-echo: ", SERV_ECHO_USAGE},
};
static const struct program clients[] = {
    {"cli-hello", "cli-hello: ", CLI_HELLO_USAGE},
    {"cli-echo", "cli-echo: ", CLI_ECHO_USAGE},
};

/* Each server refuses each of values for option with one line that names
 * what and the value and says the range, then the usage; exit 2. */
static void servers_reject(const char *option, const char *const *values, size_t count,
                           const char *what, const char *range)
{
    for (size_t s = 0; s < 2; s++) {
        const struct program *p = &servers[s];
        for (size_t i = 0; i < count; i++) {
            char quoted[40];
            snprintf(quoted, sizeof quoted, "'%s'", values[i]);
            check_failure(ARGS(tl_bin(p->name), (char *)option, (char *)values[i]), 2,
                          p->prefix, WORDS(what, quoted, range), p->usage);
        }
    }
}

static void servers_reject_bad_ports(void **state)
{
    (void)state;
    const char *const ports[] = {"abc", "70000", "65536", " 5", "+5", "-1", "", "80x"};
    servers_reject("-p", ports, sizeof ports / sizeof ports[0], "invalid port",
                   "from 0 to 65535");
}

static void servers_reject_bad_connection_counts(void **state)
{
    (void)state;
    const char *const counts[] = {"0",  "5x", "-3",      "two",
                                  " 5", "+5", "1000001", "99999999999999999999999"};
    servers_reject("-n", counts, sizeof counts / sizeof counts[0], "invalid connection count",
                   "from 1 to 1000000");
}

static void servers_reject_bad_timeouts(void **state)
{
    (void)state;
    const char *const timeouts[] = {"0",  "10s",   "-3",
                                    " 5", "86401", "99999999999999999999999"};
    servers_reject("-t", timeouts, sizeof timeouts / sizeof timeouts[0], "invalid timeout",
                   "from 1 to 86400");
}

static void servers_reject_extra_arguments_and_unknown_options(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        const struct program *p = &servers[s];
        check_failure(ARGS(tl_bin(p->name), "extra"), 2, p->prefix,
                      WORDS("unexpected argument", "'extra'"), p->usage);
        check_failure(ARGS(tl_bin(p->name), "-p", "0", "extra", "more"), 2, p->prefix,
                      WORDS("unexpected argument", "'extra'"), p->usage);
        check_failure(ARGS(tl_bin(p->name), "-x"), 2, p->prefix,
                      WORDS("unknown option", "'-x'"), p->usage);
        check_failure(ARGS(tl_bin(p->name), "-n"), 2, p->prefix,
                      WORDS("needs a value", "'-n'"), p->usage);
    }
}

static void clients_reject_bad_ports(void **state)
{
    (void)state;
    const char *ports[] = {"abc", "0", "70000", "65536", " 5", "+5", "-1", "", "80x"};
    for (size_t c = 0; c < 2; c++) {
        const struct program *p = &clients[c];
        for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
            char quoted[32];
            snprintf(quoted, sizeof quoted, "'%s'", ports[i]);
            check_failure(ARGS(tl_bin(p->name), "-p", (char *)ports[i], "127.0.0.1"), 2,
                          p->prefix, WORDS("invalid port", quoted, "from 1 to 65535"),
                          p->usage);
        }
    }
}

static void clients_need_exactly_one_host(void **state)
{
    (void)state;
    for (size_t c = 0; c < 2; c++) {
        const struct program *p = &clients[c];
        check_failure(ARGS(tl_bin(p->name)), 2, p->prefix, WORDS("missing HOST"), p->usage);
        check_failure(ARGS(tl_bin(p->name), "-p", "3490"), 2, p->prefix,
                      WORDS("missing HOST"), p->usage);
        check_failure(ARGS(tl_bin(p->name), "127.0.0.1", "extra"), 2, p->prefix,
                      WORDS("unexpected argument", "'extra'"), p->usage);
        check_failure(ARGS(tl_bin(p->name), "-x", "127.0.0.1"), 2, p->prefix,
                      WORDS("unknown option", "'-x'"), p->usage);
        check_failure(ARGS(tl_bin(p->name), "-p"), 2, p->prefix,
                      WORDS("needs a value", "'-p'"), p->usage);
    }
}

/* A port bound here but not listening: connect() is refused at once. */
static void clients_report_a_refused_connection(void **state)
{
    (void)state;
    unsigned port;
    int fd = tl_loopback_socket(&port);
    char port_text[16], expected[160];
    snprintf(port_text, sizeof port_text, "%u", port);
    for (size_t c = 0; c < 2; c++) {
        const struct program *p = &clients[c];
        snprintf(expected, sizeof expected, "%scannot connect to 127.0.0.1 port %u: %s",
                 p->prefix, port, strerror(ECONNREFUSED));
        check_failure(ARGS(tl_bin(p->name), "-p", port_text, "127.0.0.1"), 1, expected,
                      WORDS(expected), NULL);
    }
    close(fd);
}

/* A port another server already listens on: exit 1, one line. */
static void servers_report_a_port_in_use(void **state)
{
    (void)state;
    unsigned port;
    int fd = tl_loopback_socket(&port);
    assert_int_equal(listen(fd, 1), 0);
    char port_text[16], expected[160];
    snprintf(port_text, sizeof port_text, "%u", port);
    for (size_t s = 0; s < 2; s++) {
        const struct program *p = &servers[s];
        snprintf(expected, sizeof expected, "%scannot bind port %u: %s", p->prefix, port,
                 strerror(EADDRINUSE));
        check_failure(ARGS(tl_bin(p->name), "-p", port_text, "-n", "1"), 1, expected,
                      WORDS(expected), NULL);
    }
    close(fd);
}

static void every_program_has_help(void **state)
{
    (void)state;
    const struct program *all[] = {&servers[0], &servers[1], &clients[0], &clients[1]};
    for (size_t i = 0; i < 4; i++) {
        struct tl_proc run;
        assert_int_equal(tl_runl(&run, 5, tl_bin(all[i]->name), "-h", (char *)NULL), 0);
        char expected[128];
        snprintf(expected, sizeof expected, "%s\n", all[i]->usage);
        assert_string_equal(run.out.data, expected);
        assert_string_equal(run.err.data, "");
        tl_proc_free(&run);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_greeting_is_byte_exact, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(cli_hello_prints_the_greeting, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_mebibyte_comes_back_unchanged, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_person_who_pauses_for_30_s_is_still_served,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(an_empty_input_ends_cleanly, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(the_second_client_waits_for_the_first,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(serv_hello_says_a_failed_send_and_goes_on,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(cli_echo_reports_a_server_that_closes_first,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test(cli_echo_reports_a_reset),
        cmocka_unit_test_setup_teardown(cli_echo_reports_an_unreadable_input, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_stop_and_continue_changes_nothing, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test(cli_hello_ends_the_greeting_with_a_newline),
        cmocka_unit_test(clients_report_a_host_that_does_not_resolve),
        cmocka_unit_test_teardown(clients_name_the_error_of_a_failed_socket,
                                  allow_socket_again),
        cmocka_unit_test(servers_reject_bad_ports),
        cmocka_unit_test(servers_reject_bad_connection_counts),
        cmocka_unit_test(servers_reject_bad_timeouts),
        cmocka_unit_test(servers_reject_extra_arguments_and_unknown_options),
        cmocka_unit_test(clients_reject_bad_ports),
        cmocka_unit_test(clients_need_exactly_one_host),
        cmocka_unit_test(clients_report_a_refused_connection),
        cmocka_unit_test(servers_report_a_port_in_use),
        cmocka_unit_test(every_program_has_help),
    };
    return cmocka_run_group_tests_name("chapter 1: hello and echo on loopback", tests,
                                       tl_scratch_make, tl_scratch_remove);
}
