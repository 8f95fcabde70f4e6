/* test-concorrente: chapter 5's concurrent echo servers, the real programs
 * in build/bin (or $WORKBOOK_BIN), on 127.0.0.1 and ephemeral ports, and the chapter's
 * numbers against this build's data.
 *   - 200 clients at once each echo 256 KiB of random bytes, byte-exact;
 *     afterwards the server has no child and no zombie, its open
 *     descriptors (/proc/PID/fd) are what they were before and its memory
 *     (VmRSS) is flat; the rates and the peak of children are printed;
 *   - 2000 short connections in a row: no zombie, the descriptors and the
 *     memory flat;
 *   - a silent client does not block a second one; a client that resets
 *     (SO_LINGER 0) mid-stream, one that half-closes (gets its echo, then
 *     the end) and one that leaves without reading leave the server
 *     serving, and every child says it closed (none died of SIGPIPE);
 *   - serv-echo-fork-zombie leaves one <defunct> child per client,
 *     serv-echo-fork-signal all but the first, serv-echo-fork none;
 *   - the iterative serv-echo makes a second client wait, serv-echo-fork
 *     does not;
 *   - bad command lines, -h;
 *   - the transcripts and the tables are this build's.
 * Generous time limits: a loaded 2-core machine passes. Every wait is
 * bounded. */
#include "testlib.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#define SERV_FORK tl_bin("serv-echo-fork")
#define SERV_ZOMBIE tl_bin("serv-echo-fork-zombie")
#define SERV_SIGNAL tl_bin("serv-echo-fork-signal")
#define SERV_BYTEWISE tl_bin("serv-echo-fork-bytewise")
#define CLI_MANY tl_bin("cli-many-connections")
#define SERV_ECHO tl_bin("serv-echo")
#define RESULTS "build/results/05-servidor-concorrente"

#define CLIENTS 200
#define CLIENT_BYTES ((size_t)256 * 1024)
#define SHORT_CONNECTIONS 2000
#define RSS_MARGIN_KB 1024 /* the parent's VmRSS may grow this much, no more */

/* ------------------------------------------------------ processes */

static int count_fds(pid_t pid)
{
    int n = tl_proc_entries(pid, "fd");
    if (n == -1)
        fail_msg("cannot list /proc/%d/fd: %s", (int)pid, strerror(errno));
    return n;
}

/* Fails if the memory of pid grew more than RSS_MARGIN_KB since before. */
static void memory_is_flat(pid_t pid, long before, const char *after_what)
{
    long now = tl_rss_kb(pid);
    print_message("  VmRSS of the server: %ld KiB before, %ld KiB after %s\n", before, now,
                  after_what);
    if (now > before + RSS_MARGIN_KB)
        fail_msg("the server's VmRSS grew from %ld to %ld KiB after %s", before, now,
                 after_what);
}

/* The children of parent, and how many of them are zombies. */
static int count_children(pid_t parent, int *zombies)
{
    return tl_children(parent, NULL, 0, zombies);
}

/* Waits (at most seconds) until no child of parent is running, then
 * until at most allowed zombies are left (a child that has just exited is
 * a zombie until the SIGCHLD handler runs); returns the zombies left. */
static int settle(pid_t parent, double seconds, int allowed)
{
    double deadline = tl_now() + seconds;
    int zombies, children;
    while ((children = count_children(parent, &zombies)) > zombies && tl_now() < deadline)
        tl_sleep(0.02);
    if (children > zombies)
        fail_msg("%d children of %d still running after %.0f s", children - zombies,
                 (int)parent, seconds);
    double grace = tl_now() + 5; /* for a handler that would reap them */
    while (count_children(parent, &zombies) > allowed && tl_now() < grace)
        tl_sleep(0.02);
    return zombies;
}

static int count_lines_with(const char *text, const char *word)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, word)) != NULL; p += strlen(word))
        n++;
    return n;
}

/* Waits (at most 60 s) for a server started with -n to exit by itself:
 * exit 0 and `closed` "closing connection" lines. */
static void finish_server(struct tl_proc *server, int closed)
{
    int status = tl_proc_finish(server, 60);
    if (server->timed_out)
        fail_msg("the server did not exit within 60 s; stdout:\n%s", server->out.data);
    assert_int_equal(status, 0);
    assert_int_equal(count_lines_with(server->out.data, "server: closing connection"),
                     closed);
}

/* --------------------------------------------------------- clients */

static int connect_loopback(unsigned port)
{
    return tl_connect_within(port, 20);
}

static void send_text(int fd, const char *text)
{
    size_t length = strlen(text);
    if (send(fd, text, length, MSG_NOSIGNAL) != (ssize_t)length)
        fail_msg("send: %s", strerror(errno));
}

/* True if something (data or the end) arrives within the given seconds. */
static int anything_within(int fd, double seconds)
{
    struct pollfd readable = {fd, POLLIN, 0};
    int ready = poll(&readable, 1, (int)(seconds * 1000));
    return ready > 0;
}

/* Reads exactly length bytes (at most 20 s) and compares them with text. */
static void expect_echo(int fd, const char *text)
{
    size_t length = strlen(text), got = 0;
    char buffer[256];
    assert_true(length < sizeof buffer);
    while (got < length) {
        if (!anything_within(fd, 20))
            fail_msg("no echo of '%s' within 20 s", text);
        ssize_t n = recv(fd, buffer + got, length - got, 0);
        if (n <= 0)
            fail_msg("the connection ended before the echo of '%s'", text);
        got += (size_t)n;
    }
    assert_memory_equal(buffer, text, length);
}

/* One short connection: "x" and its echo. */
static void one_echo(unsigned port)
{
    int fd = connect_loopback(port);
    send_text(fd, "x");
    expect_echo(fd, "x");
    close(fd);
}

/* ----------------------------------------------------- concurrency */

/* The peak of the server's children, counted at most twice a second
 * while the clients run (tl_echo_many's tick). */
struct children_peak {
    pid_t server;
    int peak;
    double next;
};

static void count_the_peak(void *arg)
{
    struct children_peak *watch = arg;
    if (tl_now() < watch->next)
        return;
    int zombies;
    int children = count_children(watch->server, &zombies);
    watch->peak = children > watch->peak ? children : watch->peak;
    watch->next = tl_now() + 0.5;
}

static void two_hundred_clients_echo_256_kib_each(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, SERV_FORK, CLIENTS + 1);
    int fds_before = count_fds(server->pid);
    long rss_before = tl_rss_kb(server->pid);
    struct children_peak watch = {server->pid, 0, 0};
    double start = tl_now();
    double connected =
        tl_echo_many(port, CLIENTS, CLIENT_BYTES, 240, 5823, count_the_peak, &watch);
    int peak = watch.peak;
    double took = tl_now() - start;
    print_message("  %d clients connected in %.2f s; %zu KiB each echoed in %.2f s in all: "
                  "%.1f MiB/s each way, at most %d children at once\n",
                  CLIENTS, connected, CLIENT_BYTES / 1024, took,
                  (double)CLIENTS * CLIENT_BYTES / (1024 * 1024) / took, peak);
    assert_int_equal(settle(server->pid, 30, 0), 0);
    int zombies;
    assert_int_equal(count_children(server->pid, &zombies), 0);
    assert_int_equal(count_fds(server->pid), fds_before);
    memory_is_flat(server->pid, rss_before, "the clients");
    one_echo(port); /* the last connection: the server exits */
    finish_server(server, CLIENTS + 1);
}

static void two_thousand_short_connections_leave_nothing(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, SERV_FORK, SHORT_CONNECTIONS + 1);
    int fds_before = count_fds(server->pid);
    long rss_before = tl_rss_kb(server->pid);
    double start = tl_now();
    for (int i = 1; i <= SHORT_CONNECTIONS; i++) {
        one_echo(port);
        /* Read the server's lines as they come: 2000 connections write more
         * than a pipe holds, and a server blocked in printf() echoes nothing. */
        tl_proc_pump(server, tl_now());
        if (i % 500 == 0) {
            assert_int_equal(settle(server->pid, 30, 0), 0);
            if (count_fds(server->pid) != fds_before)
                fail_msg("after %d connections the server has %d descriptors, not %d", i,
                         count_fds(server->pid), fds_before);
        }
    }
    double took = tl_now() - start;
    print_message("  %d short connections in %.2f s: %.0f connections/s\n", SHORT_CONNECTIONS,
                  took, SHORT_CONNECTIONS / took);
    memory_is_flat(server->pid, rss_before, "the connections");
    one_echo(port);
    finish_server(server, SHORT_CONNECTIONS + 1);
}

/* The four concurrent servers: the one of the text and its variants. */
#define FORK_SERVERS 4
static const char *fork_server(size_t i)
{
    const char *names[FORK_SERVERS] = {"serv-echo-fork", "serv-echo-fork-zombie",
                                       "serv-echo-fork-signal", "serv-echo-fork-bytewise"};
    return tl_bin(names[i]);
}

/* A: silent; B: served meanwhile; C: resets mid-stream; D: half-closes;
 * E: leaves without reading; F: served afterwards. Each of the four
 * servers; a child whose client failed says so in one line and ends. */
static void misbehaving_clients_leave_the_server_serving(void **state)
{
    struct tl_proc *server = *state;
    for (size_t v = 0; v < FORK_SERVERS; v++) {
        unsigned port = tl_program_start(server, fork_server(v), 6);
        int silent = connect_loopback(port);

        int b = connect_loopback(port);
        send_text(b, "served");
        expect_echo(b, "served");
        close(b);

        static char lots[1024 * 1024];
        memset(lots, 'r', sizeof lots);
        int c = connect_loopback(port);
        fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
        while (send(c, lots, sizeof lots, MSG_NOSIGNAL) > 0)
            ;
        struct linger reset = {1, 0};
        assert_int_equal(setsockopt(c, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
        close(c); /* RST */

        int d = connect_loopback(port);
        send_text(d, "half");
        assert_int_equal(shutdown(d, SHUT_WR), 0);
        expect_echo(d, "half");
        if (!anything_within(d, 20))
            fail_msg("no end of the stream within 20 s of the half-close");
        char byte;
        assert_int_equal(recv(d, &byte, 1, 0), 0);
        close(d);

        int e = connect_loopback(port);
        fcntl(e, F_SETFL, fcntl(e, F_GETFL) | O_NONBLOCK);
        while (send(e, lots, sizeof lots, MSG_NOSIGNAL) > 0)
            ;
        close(e); /* unread data: the kernel resets this one too */

        one_echo(port);
        assert_true(kill(server->pid, 0) == 0);
        close(silent);
        finish_server(server, 6); /* every child said it closed: none died of SIGPIPE */
        /* C and E: one line each from their child, naming the failed call */
        const char *err = server->err.data;
        print_message("  %s: %s", fork_server(v), err);
        assert_int_equal(tl_count_lines(err), 2);
        assert_int_equal(count_lines_with(err, ": recv from 127.0.0.1:") +
                             count_lines_with(err, ": send to 127.0.0.1:"),
                         2);
        tl_proc_free(server);
    }
}

/* The text: a client that connects and resets before the accept() is
 * still accepted; getpeername() fails (ENOTCONN), and the server names it
 * by accept()'s IP alone, and goes on. */
static void a_client_gone_before_accept_is_named_by_its_ip(void **state)
{
    struct tl_proc *server = *state;
    for (size_t v = 0; v < FORK_SERVERS; v++) {
        unsigned port = tl_program_start(server, fork_server(v), 2);
        tl_reset_before_accept(server->pid, port);
        one_echo(port);
        finish_server(server, 2);
        print_message("  %s: %s", fork_server(v), server->err.data);
        assert_non_null(strstr(server->out.data, "server: got connection from 127.0.0.1\n"));
        assert_non_null(strstr(server->out.data, "server: closing connection 127.0.0.1\n"));
        /* the next client has its port again */
        assert_non_null(strstr(server->out.data, "server: got connection from 127.0.0.1:"));
        const char *name = strrchr(fork_server(v), '/') + 1;
        char expected[160];
        snprintf(expected, sizeof expected, "%s: recv from 127.0.0.1: %s\n", name,
                 strerror(ECONNRESET));
        assert_string_equal(server->err.data, expected);
        tl_proc_free(server);
    }
}

/* One client sends size bytes of data (its own pace, without blocking),
 * half-closes and reads the echo to the end, at most 120 s; fails unless
 * the echo is byte-exact. Returns the seconds it took. */
static double echo_through(unsigned port, const unsigned char *data, size_t size)
{
    int fd = connect_loopback(port);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t sent = 0, received = 0;
    static unsigned char buffer[65536];
    double start = tl_now(), deadline = start + 120;
    for (;;) {
        if (tl_now() > deadline)
            fail_msg("the echo of %zu bytes was not done in 120 s (%zu back)", size,
                     received);
        struct pollfd ready = {fd, POLLIN | (sent < size ? POLLOUT : 0), 0};
        if (poll(&ready, 1, 1000) <= 0)
            continue;
        if ((ready.revents & POLLOUT) && sent < size) {
            ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
            if (n > 0 && (sent += (size_t)n) == size)
                shutdown(fd, SHUT_WR);
            if (n == -1 && errno != EAGAIN)
                fail_msg("send: %s", strerror(errno));
        }
        if (ready.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, buffer, sizeof buffer, 0);
            if (n == -1 && errno == EAGAIN)
                continue;
            if (n == -1)
                fail_msg("recv: %s", strerror(errno));
            if (n == 0)
                break;
            if (received + (size_t)n > size ||
                memcmp(buffer, data + received, (size_t)n) != 0)
                fail_msg("the echo differs after %zu bytes", received);
            received += (size_t)n;
        }
    }
    close(fd);
    if (received != size)
        fail_msg("the echo ended after %zu of %zu bytes", received, size);
    return tl_now() - start;
}

/* The text: one byte per recv() and send() works, only slower: the client
 * sees the same bytes from serv-echo-fork-bytewise as from serv-echo-fork. */
static void the_bytewise_echo_gives_back_the_same_bytes(void **state)
{
    struct tl_proc *server = *state;
    static unsigned char data[200 * 1024 + 17];
    tl_fill_pattern(data, sizeof data, 1623);
    const size_t sizes[] = {1, 2, sizeof data};
    for (size_t v = 0; v < 4; v += 3) { /* serv-echo-fork and the bytewise one */
        unsigned port = tl_program_start(server, fork_server(v), 3);
        double took = 0;
        for (size_t i = 0; i < 3; i++)
            took = echo_through(port, data, sizes[i]);
        print_message("  %s: %zu bytes echoed in %.3f s\n", fork_server(v), sizeof data,
                      took);
        finish_server(server, 3);
        assert_string_equal(server->err.data, "");
        tl_proc_free(server);
    }
}

/* The path of a program that runs p, or "" (command -v). */
static void find_program(const char *p, char *path, size_t size)
{
    char command[128];
    snprintf(command, sizeof command, "command -v %s", p);
    struct tl_proc run;
    path[0] = '\0';
    if (tl_sh(&run, 10, command) == 0)
        snprintf(path, size, "%.*s", (int)strcspn(run.out.data, "\n"), run.out.data);
    tl_proc_free(&run);
}

/* The text: if fork() fails, the connection is closed (the client sees it
 * end) and the server goes on. fork() fails for real here: each server
 * runs (setpriv) as a user id no one else uses, whose limit of processes
 * (prlimit --nproc=1) the server itself fills; root would bypass the
 * limit. The server closes each of two connections and exits 0. */
static void a_failed_fork_closes_that_connection_only(void **state)
{
    struct tl_proc *server = *state;
    char setpriv[256], prlimit[256];
    find_program("setpriv", setpriv, sizeof setpriv);
    find_program("prlimit", prlimit, sizeof prlimit);
    if (geteuid() != 0 || setpriv[0] == '\0' || prlimit[0] == '\0') {
        print_message("  skipped: needs root, setpriv and prlimit (util-linux) to run a "
                      "server as another user with a limit of processes\n");
        skip();
    }
    const char *dir = tl_scratch; /* the group's, removed even if this test fails */
    /* LeakSanitizer (the sanitized builds) checks at exit from a thread of
     * its own, which this limit forbids: no leak check for these runs. */
    const char *asan = getenv("ASAN_OPTIONS");
    char options[1024];
    snprintf(options, sizeof options, "ASAN_OPTIONS=%s%sdetect_leaks=0", asan ? asan : "",
             asan ? ":" : "");
    for (size_t v = 0; v < FORK_SERVERS; v++) {
        const char *name = strrchr(fork_server(v), '/') + 1;
        char copy[512], command[1200];
        snprintf(copy, sizeof copy, "%s/%s", dir, name); /* that user may run it there */
        snprintf(command, sizeof command, "cp '%s' '%s' && chmod 755 '%s'", fork_server(v),
                 copy, copy);
        struct tl_proc run;
        assert_int_equal(tl_sh(&run, 10, command), 0);
        tl_proc_free(&run);
        char *argv[] = {"/usr/bin/env",
                        options,
                        prlimit,
                        "--nproc=1:1",
                        setpriv,
                        "--reuid=64123",
                        "--regid=64123",
                        "--clear-groups",
                        copy,
                        "-p",
                        "0",
                        "-n",
                        "2",
                        NULL};
        unsigned port = tl_program_start_argv(server, argv, copy);
        for (int c = 0; c < 2; c++) {
            int fd = connect_loopback(port);
            send_text(fd, "x");
            if (!anything_within(fd, 20))
                fail_msg("%s: the connection did not end within 20 s of a failed fork()",
                         name);
            char byte;
            assert_true(recv(fd, &byte, 1, 0) <= 0); /* the end, no echo */
            close(fd);
        }
        int status = tl_proc_finish(server, 60);
        print_message("  %s: %s", name, server->err.data);
        assert_false(server->timed_out);
        assert_int_equal(status, 0);
        char expected[256];
        snprintf(expected, sizeof expected,
                 "%s: fork: closing the connection from 127.0.0.1:", name);
        assert_int_equal(count_lines_with(server->err.data, expected), 2);
        assert_int_equal(count_lines_with(server->err.data, strerror(EAGAIN)), 2);
        assert_int_equal(tl_count_lines(server->err.data), 2);
        assert_int_equal(count_lines_with(server->out.data, "server: got connection from"),
                         2);
        assert_int_equal(count_lines_with(server->out.data, "server: closing connection"), 0);
        tl_proc_free(server);
        unlink(copy);
    }
}

/* ------------------------------------------------ cli-many-connections */

/* A listening socket on 127.0.0.1 for a test that plays the server. */
static int test_listener(unsigned *port)
{
    int listener = tl_loopback_socket(port);
    assert_int_equal(listen(listener, 16), 0);
    return listener;
}

/* Accepts the next connection (at most 20 s) and reads its byte, which
 * must come alone: the client waits for the echo before anything else. */
static int accept_one_byte(int listener)
{
    if (!anything_within(listener, 20))
        fail_msg("no connection within 20 s");
    int fd = accept(listener, NULL, NULL);
    assert_true(fd >= 0);
    char byte[2];
    if (!anything_within(fd, 20))
        fail_msg("no byte within 20 s of the connection");
    assert_int_equal(recv(fd, byte, 2, 0), 1);
    assert_int_equal(byte[0], 'x');
    if (anything_within(fd, 0.2))
        fail_msg("the client sent more than its byte before the echo");
    return fd;
}

static struct tl_proc start_many(unsigned port, const char *count)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    struct tl_proc client;
    char *argv[] = {CLI_MANY, "-p", port_text, "-c", (char *)count, "127.0.0.1", NULL};
    if (tl_proc_start(&client, argv) == -1)
        fail_msg("cannot start %s", CLI_MANY);
    return client;
}

/* Checks "client: N connections in S s: R connections/s" and R = N / S. */
static void check_rate_line(const char *out, long count)
{
    long n;
    double seconds, rate;
    const char *rest = out;
    if (tl_skip(&rest, "client: ") != 0 || tl_scan_long(&rest, 10, &n) != 0 ||
        tl_skip(&rest, " connections in ") != 0 || tl_scan_double(&rest, &seconds) != 0 ||
        tl_skip(&rest, " s: ") != 0 || tl_scan_double(&rest, &rate) != 0 ||
        tl_skip(&rest, " connections/s\n") != 0 || *rest != '\0')
        fail_msg("cli-many-connections printed '%s'", out);
    assert_int_equal(n, count);
    assert_true(seconds >= 0);
    /* seconds is rounded to 1 ms: the rate agrees within that */
    double low = count / (seconds + 0.0005), high = count / (seconds - 0.0005 + 1e-9);
    if (seconds > 0.001 && (rate < low - 1 || rate > high + 1))
        fail_msg("%ld connections in %.3f s is not %.0f connections/s", count, seconds, rate);
}

/* The text: N connections in a row, each sends 1 byte, waits for the
 * echo and closes; at the end, the connections per second. */
static void cli_many_connections_sends_a_byte_waits_for_its_echo_and_closes(void **state)
{
    (void)state;
    unsigned port;
    int listener = test_listener(&port);
    struct tl_proc client = start_many(port, "3");
    for (int i = 0; i < 3; i++) {
        int fd = accept_one_byte(listener);
        assert_int_equal(send(fd, "x", 1, MSG_NOSIGNAL), 1);
        if (!anything_within(fd, 20))
            fail_msg("connection %d: the client did not close within 20 s of its echo",
                     i + 1);
        char byte;
        assert_int_equal(recv(fd, &byte, 1, 0), 0);
        close(fd);
        tl_proc_pump(&client, tl_now());
    }
    assert_int_equal(tl_proc_finish(&client, 20), 0);
    check_rate_line(client.out.data, 3);
    assert_string_equal(client.err.data, "");
    close(listener);
    tl_proc_free(&client);
}

/* A server that closes without the echo, or resets: one line, exit 1. */
static void cli_many_connections_reports_a_missing_echo_and_a_reset(void **state)
{
    (void)state;
    for (int how = 0; how < 2; how++) {
        unsigned port;
        int listener = test_listener(&port);
        struct tl_proc client = start_many(port, "5");
        int fd = accept_one_byte(listener);
        assert_int_equal(send(fd, "x", 1, MSG_NOSIGNAL), 1);
        close(fd);
        fd = accept_one_byte(listener); /* the second: no echo */
        if (how == 1) {
            struct linger reset = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        }
        close(fd);
        assert_int_equal(tl_proc_finish(&client, 20), 1);
        char expected[160];
        if (how == 0)
            snprintf(expected, sizeof expected,
                     "cli-many-connections: connection 2 closed without an echo\n");
        else
            snprintf(expected, sizeof expected, "cli-many-connections: recv: %s\n",
                     strerror(ECONNRESET));
        assert_string_equal(client.err.data, expected);
        assert_string_equal(client.out.data, "");
        close(listener);
        tl_proc_free(&client);
    }
}

/* What the chapter's experiment does: many connections to the iterative
 * server, to serv-echo-fork and to the bytewise one; each server counts
 * them all and exits. */
static void cli_many_connections_against_the_servers(void **state)
{
    struct tl_proc *server = *state;
    const char *servers[] = {SERV_ECHO, SERV_FORK, SERV_BYTEWISE};
    for (size_t s = 0; s < 3; s++) {
        unsigned port = tl_program_start(server, servers[s], 25);
        struct tl_proc client = start_many(port, "25");
        double deadline = tl_now() + 60;
        while (client.pid > 0 && tl_now() < deadline && tl_proc_pump(&client, deadline))
            tl_proc_pump(server, tl_now()); /* the server's lines: the pipe must not fill */
        assert_int_equal(tl_proc_finish(&client, 60), 0);
        check_rate_line(client.out.data, 25);
        print_message("  against %s: %s", servers[s], client.out.data);
        int status = tl_proc_finish(server, 60);
        assert_false(server->timed_out);
        assert_int_equal(status, 0);
        assert_int_equal(count_lines_with(server->out.data, "server: got connection from"),
                         25);
        tl_proc_free(&client);
        tl_proc_free(server);
    }
}

/* ---------------------------------------------------------- zombies */

static void zombies_of_each_variant(void **state)
{
    struct tl_proc *server = *state;
    const struct {
        const char *path;
        int zombies;
    } variants[] = {{SERV_ZOMBIE, 3}, {SERV_SIGNAL, 2}, {SERV_FORK, 0}};
    for (size_t v = 0; v < 3; v++) {
        unsigned port = tl_program_start(server, variants[v].path, 4);
        for (int i = 0; i < 3; i++) {
            one_echo(port);
            /* after client i + 1: the zombie variant has i + 1, the signal()
             * one i (its first child was reaped), serv-echo-fork none */
            int allowed = variants[v].zombies - (2 - i);
            settle(server->pid, 30, allowed > 0 ? allowed : 0);
        }
        int zombies = settle(server->pid, 30, variants[v].zombies);
        print_message("  %s: %d zombies after 3 clients\n", variants[v].path, zombies);
        if (zombies != variants[v].zombies)
            fail_msg("%s left %d zombies, expected %d", variants[v].path, zombies,
                     variants[v].zombies);
        one_echo(port);
        finish_server(server, 4);
        tl_proc_free(server);
    }
}

/* ----------------------------------------------- iterative vs fork */

static void only_the_iterative_server_makes_the_second_client_wait(void **state)
{
    struct tl_proc *server = *state;
    const char *programs[] = {SERV_ECHO, SERV_FORK};
    for (size_t p = 0; p < 2; p++) {
        unsigned port = tl_program_start(server, programs[p], 2);
        int a = connect_loopback(port);
        send_text(a, "a");
        expect_echo(a, "a");
        int b = connect_loopback(port);
        send_text(b, "b");
        if (p == 0) {
            if (anything_within(b, 0.5))
                fail_msg("serv-echo answered client B while client A was connected");
            close(a);
            expect_echo(b, "b");
        } else {
            expect_echo(b, "b"); /* with client A still connected */
            close(a);
        }
        close(b);
        int status = tl_proc_finish(server, 60);
        assert_false(server->timed_out);
        assert_int_equal(status, 0);
        tl_proc_free(server);
    }
}

/* ------------------------------------------------------- bad input */

static void bad_command_lines_and_help(void **state)
{
    (void)state;
    const char *servers[] = {SERV_FORK, SERV_ZOMBIE, SERV_SIGNAL, SERV_BYTEWISE};
    for (size_t s = 0; s < 4; s++) {
        const char *name = strrchr(servers[s], '/') + 1;
        char prefix[64], usage[160];
        snprintf(prefix, sizeof prefix, "%s: ", name);
        struct tl_proc help;
        assert_int_equal(tl_runl(&help, 10, servers[s], "-h", (char *)NULL), 0);
        snprintf(usage, sizeof usage, "usage: %s [-p PORT] [-n CONNECTIONS]", name);
        assert_true(strncmp(help.out.data, usage, strlen(usage)) == 0);
        assert_int_equal(tl_count_lines(help.out.data), 1);
        help.out.data[strlen(help.out.data) - 1] = '\0';
        snprintf(usage, sizeof usage, "%s", help.out.data);
        tl_proc_free(&help);
        tl_check_failure(TL_ARGS((char *)servers[s], "-p", "70000"), 2, prefix,
                         TL_WORDS("invalid port", "'70000'"), usage);
        tl_check_failure(TL_ARGS((char *)servers[s], "-n", "0"), 2, prefix,
                         TL_WORDS("invalid connection count", "'0'"), usage);
        tl_check_failure(TL_ARGS((char *)servers[s], "extra"), 2, prefix,
                         TL_WORDS("unexpected argument", "'extra'"), usage);
        tl_check_failure(TL_ARGS((char *)servers[s], "-x"), 2, prefix,
                         TL_WORDS("unknown option", "'-x'"), usage);
    }
    const char *cli_usage = "usage: cli-many-connections [-p PORT] [-c COUNT] HOST";
    tl_check_failure(TL_ARGS(CLI_MANY, "-c", "0", "127.0.0.1"), 2,
                     "cli-many-connections: ", TL_WORDS("invalid count", "'0'"), cli_usage);
    tl_check_failure(TL_ARGS(CLI_MANY, "-p", "0", "127.0.0.1"), 2,
                     "cli-many-connections: ", TL_WORDS("invalid port", "'0'"), cli_usage);
    tl_check_failure(TL_ARGS(CLI_MANY), 2, "cli-many-connections: ", TL_WORDS("missing HOST"),
                     cli_usage);
}

/* ------------------------------------------------ this build's data */

static struct tl_text numbers;

/* The value of key in numbers.tsv; four calls may share one expression. */
static const char *number(const char *key)
{
    static char values[4][256];
    static size_t next;
    char *value = values[next++ % 4];
    if (numbers.data == NULL && tl_read_file(RESULTS "/numbers.tsv", &numbers) != 0)
        fail_msg("cannot read " RESULTS "/numbers.tsv (has `make` run?)");
    char line[512];
    for (size_t i = 0; tl_line(numbers.data, i, line, sizeof line) == 0; i++) {
        char *tab = strchr(line, '\t');
        if (tab != NULL && (size_t)(tab - line) == strlen(key) &&
            strncmp(line, key, strlen(key)) == 0) {
            snprintf(value, sizeof values[0], "%s", tab + 1);
            return value;
        }
    }
    fail_msg("numbers.tsv has no key '%s'", key);
    return NULL;
}

static long number_long(const char *key)
{
    return tl_to_long(number(key), key);
}

static double number_double(const char *key)
{
    return tl_to_double(number(key), key);
}

static void read_result(const char *name, struct tl_text *text)
{
    char path[256];
    snprintf(path, sizeof path, RESULTS "/%s", name);
    memset(text, 0, sizeof *text);
    if (tl_read_file(path, text) != 0)
        fail_msg("cannot read %s", path);
}

static void the_transcripts_and_numbers_agree(void **state)
{
    (void)state;
    struct tl_text text;
    char expected[256];
    /* the port and the parent: in the photographs */
    read_result("netstat-antes.txt", &text);
    /* "*:PORT" in ss, ":::PORT" in netstat: the dual-stack socket listens */
    snprintf(expected, sizeof expected, ":%s ", number("conc-port"));
    int listening = 0;
    char line[512];
    for (size_t i = 0; tl_line(text.data, i, line, sizeof line) == 0; i++) {
        char spaced[520]; /* the port may end the line */
        snprintf(spaced, sizeof spaced, "%s ", line);
        listening += strstr(spaced, expected) != NULL && strstr(spaced, "LISTEN") != NULL;
    }
    /* one line of ss, and one of netstat where it is installed */
    assert_int_equal(listening, strcmp(number("conc-netstat"), "yes") == 0 ? 2 : 1);
    tl_text_free(&text);
    read_result("ps-durante.txt", &text);
    snprintf(expected, sizeof expected, " %s S", number("conc-parent-pid"));
    assert_int_equal(count_lines_with(text.data, expected),
                     number_long("conc-children-during"));
    tl_text_free(&text);
    /* the figure's PIDs, descriptors and ports: in the ss -p transcript */
    read_result("sockets.txt", &text);
    for (int c = 1; c <= 2; c++) {
        char key[64];
        snprintf(key, sizeof key, "conc-child%d-pid", c);
        snprintf(expected, sizeof expected, "pid=%s,", number(key));
        assert_non_null(strstr(text.data, expected));
        snprintf(key, sizeof key, "conc-client%d-port", c);
        snprintf(expected, sizeof expected, "127.0.0.1]:%s ", number(key)); /* mapped */
        assert_non_null(strstr(text.data, expected));
    }
    snprintf(expected, sizeof expected, "pid=%s,fd=%s\n", number("conc-parent-pid"),
             number("conc-listen-fd"));
    assert_non_null(strstr(text.data, expected));
    tl_text_free(&text);
    /* the zombies the text counts are the <defunct> lines */
    read_result("zumbis.txt", &text);
    long defunct = number_long("conc-zombies-zombie") + number_long("conc-zombies-signal") +
                   number_long("conc-zombies-fork");
    assert_int_equal(count_lines_with(text.data, "<defunct>"), defunct);
    assert_int_equal(number_long("conc-zombies-zombie"), 3);
    assert_int_equal(number_long("conc-zombies-fork"), 0);
    tl_text_free(&text);
    /* client 2 got its echo while client 1 (1.5 s) was connected */
    assert_true(number_long("conc-wait-ms") < 1400);
}

/* Every cell of a TSV table is in the LaTeX table made from it. */
static void check_table(const char *name)
{
    char tsv[64], tex[64];
    snprintf(tsv, sizeof tsv, "%s.tsv", name);
    snprintf(tex, sizeof tex, "%s.tex", name);
    struct tl_text data, table;
    read_result(tsv, &data);
    read_result(tex, &table);
    char line[512];
    for (size_t i = 1; tl_line(data.data, i, line, sizeof line) == 0; i++)
        for (char *cell = strtok(line, "\t"); cell != NULL; cell = strtok(NULL, "\t"))
            if (strstr(table.data, cell) == NULL)
                fail_msg("%s has '%s', %s does not", tsv, cell, tex);
    tl_text_free(&data);
    tl_text_free(&table);
}

/* Half a unit of the last digit printed in text ("0.17": 0.005). */
static double half_unit(const char *text)
{
    const char *point = strchr(text, '.');
    double half = 0.5;
    for (const char *d = point ? point + 1 : ""; *d >= '0' && *d <= '9'; d++)
        half /= 10;
    return half;
}

static void the_tables_are_this_builds(void **state)
{
    (void)state;
    check_table("eco");
    check_table("conexoes");
    double bytewise = number_double("conc-bytewise-rate");
    double buffered = number_double("conc-buffered-rate");
    assert_true(bytewise > 0 && buffered > 0);
    /* The speed-up comes from the unrounded data: it lies between the
     * ratios the printed rates allow, give or take its own rounding. */
    double by_half = half_unit(number("conc-bytewise-rate"));
    double bu_half = half_unit(number("conc-buffered-rate"));
    double lowest = (buffered - bu_half) / (bytewise + by_half) - 0.5;
    double highest = (buffered + bu_half) / (bytewise - by_half) + 0.5;
    double speedup = number_double("conc-speedup");
    print_message("  speed-up %.0f; the printed rates allow %.0f to %.0f\n", speedup, lowest,
                  highest);
    assert_true(bytewise > by_half);
    assert_true(speedup >= lowest && speedup <= highest);
    assert_true(buffered > bytewise); /* what the chapter says */
    if (strcmp(number("conc-strace"), "yes") == 0) {
        long calls = number_long("conc-bytewise-calls");
        long traced = number_long("conc-bytewise-traced");
        assert_true(calls >= 2 * traced && calls <= 2 * traced + 8);
    }
    assert_true(number_double("conc-fork-rate") > 0 &&
                number_double("conc-iterative-rate") > 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_hundred_clients_echo_256_kib_each,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(two_thousand_short_connections_leave_nothing,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(misbehaving_clients_leave_the_server_serving,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_client_gone_before_accept_is_named_by_its_ip,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(the_bytewise_echo_gives_back_the_same_bytes,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_failed_fork_closes_that_connection_only,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test(cli_many_connections_sends_a_byte_waits_for_its_echo_and_closes),
        cmocka_unit_test(cli_many_connections_reports_a_missing_echo_and_a_reset),
        cmocka_unit_test_setup_teardown(cli_many_connections_against_the_servers,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(zombies_of_each_variant, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(
            only_the_iterative_server_makes_the_second_client_wait, tl_server_setup,
            tl_server_teardown),
        cmocka_unit_test(bad_command_lines_and_help),
        cmocka_unit_test(the_transcripts_and_numbers_agree),
        cmocka_unit_test(the_tables_are_this_builds),
    };
    return cmocka_run_group_tests_name("chapter 5: the concurrent server", tests,
                                       tl_scratch_make, tl_scratch_remove);
}
