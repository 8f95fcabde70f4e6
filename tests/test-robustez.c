/* test-robustez: every server of the book, the real programs in build/bin
 * (or $WORKBOOK_BIN: make coverage runs it with its own builds), when
 * things go wrong around it, on 127.0.0.1 and ephemeral ports.
 *   - out of descriptors (prlimit --nofile=4, or what a server holds
 *     besides: accept() fails with EMFILE while a client waits), a server
 *     neither dies nor floods stderr: one line in 1.5 s; when the limit
 *     is raised (prlimit --pid) it serves the waiting client.
 *   - a standard output that cannot be written (/dev/full): every program
 *     exits 1 with one line "PROGRAM: write to stdout: ...", for -h and
 *     for a real run (a server with -n 1 and one client; each client
 *     against its server).
 *   - SIGTERM or SIGINT to the main process of every server that makes
 *     processes, with a client being served: it ends by that signal and
 *     leaves no child behind;
 *   - hostile peers of the iterative servers, run with -t 10: one that
 *     connects and sends nothing, or sends 4 MiB to serv-echo and never
 *     reads, holds the server at most those 10 s before a second client is
 *     served; one that half-closes, one that resets mid-stream (SO_LINGER
 *     0), 10 MB sent to serv-hello, serv-32kb given fewer than 32769
 *     bytes: the server says what happened and serves the next client.
 * Every wait is bounded, with margins for a loaded 2-core machine. */
#include "testlib.h"

static int still_running(struct tl_proc *proc)
{
    int status;
    return proc->pid > 0 && waitpid(proc->pid, &status, WNOHANG) == 0;
}

/* ------------------------------------------ accept() out of descriptors */

/* Not serv-echo-prefork: a worker takes its descriptor when it enters
 * accept(), before any client comes, and the parent needs two more than a
 * worker to make the pipe, so a limit low enough for a worker's accept()
 * to fail stops the parent first. */
static int runs_out_at_accept(const char *server)
{
    return strcmp(server, "serv-echo-prefork") != 0;
}

/* The servers of the test below; the teardown kills any a failure left. */
static struct tl_proc proc[TL_SERVERS];

static int kill_the_servers(void **state)
{
    (void)state;
    for (size_t i = 0; i < TL_SERVERS; i++)
        tl_proc_free(&proc[i]);
    return 0;
}

static void out_of_descriptors_a_server_waits_says_it_once_and_recovers(void **state)
{
    (void)state;
    int clients[TL_SERVERS];
    if (access("/usr/bin/prlimit", X_OK) != 0) {
        print_message("  skipped: no /usr/bin/prlimit (util-linux)\n");
        skip();
    }
    /* Descriptors 0, 1, 2 and the listening socket: accept() has none left
     * (the soft limit; the hard one, 64, lets the test raise it later);
     * serv-echo-epoll holds its epoll instance too: one more. */
    for (size_t i = 0; i < TL_SERVERS; i++) {
        if (!runs_out_at_accept(tl_servers[i]))
            continue;
        const char *limit =
            strcmp(tl_servers[i], "serv-echo-epoll") == 0 ? "--nofile=5:64" : "--nofile=4:64";
        char *argv[] = {"/usr/bin/prlimit",
                        (char *)limit,
                        tl_bin(tl_servers[i]),
                        "-p",
                        "0",
                        "-n",
                        "1",
                        NULL};
        unsigned port = tl_program_start_argv(&proc[i], argv, tl_bin(tl_servers[i]));
        clients[i] = tl_connect_loopback(port); /* the kernel completes it */
    }
    double until = tl_now() + 1.5;
    while (tl_now() < until)
        for (size_t i = 0; i < TL_SERVERS; i++)
            if (runs_out_at_accept(tl_servers[i]))
                tl_proc_pump(&proc[i], tl_now() + 0.01);
    for (size_t i = 0; i < TL_SERVERS; i++) {
        if (!runs_out_at_accept(tl_servers[i]))
            continue;
        const char *err = tl_text_str(&proc[i].err);
        print_message("  %s: %zu stderr lines in 1.5 s: %s", tl_servers[i],
                      tl_count_lines(err), err);
        if (!still_running(&proc[i]))
            fail_msg("%s exited when accept() failed with EMFILE", tl_servers[i]);
        size_t lines = tl_count_lines(err);
        if (lines != 1)
            fail_msg("%s: %zu lines on stderr in 1.5 s, expected one about accept(): %s",
                     tl_servers[i], lines, err);
        for (size_t line = 0; line < lines; line++) {
            char text[512];
            tl_line(err, line, text, sizeof text);
            if (strstr(text, "accept: ") == NULL || strstr(text, strerror(EMFILE)) == NULL)
                fail_msg("%s: a line on stderr that is not accept()'s EMFILE: %s",
                         tl_servers[i], text);
        }
    }
    /* More descriptors: each server takes its client and, with -n 1, ends. */
    for (size_t i = 0; i < TL_SERVERS; i++) {
        if (!runs_out_at_accept(tl_servers[i]))
            continue;
        char command[128];
        snprintf(command, sizeof command, "prlimit --pid %d --nofile=64:64",
                 (int)proc[i].pid);
        struct tl_proc raise;
        if (tl_sh(&raise, 10, command) != 0)
            fail_msg("%s: %s", command, tl_text_str(&raise.err));
        tl_proc_free(&raise);
    }
    for (size_t i = 0; i < TL_SERVERS; i++) {
        if (!runs_out_at_accept(tl_servers[i]))
            continue;
        double deadline = tl_now() + 10;
        while (strstr(tl_text_str(&proc[i].out), "got connection from") == NULL &&
               tl_now() < deadline && tl_proc_pump(&proc[i], deadline))
            ;
        close(clients[i]);
        int status = tl_proc_finish(&proc[i], 20);
        if (strstr(proc[i].out.data, "got connection from") == NULL || status != 0)
            fail_msg("%s did not serve its client after the limit was raised (status %d): %s",
                     tl_servers[i], status, proc[i].out.data);
        /* Still one accept() line (serv-int may add one about the client). */
        const char *said = strstr(proc[i].err.data, "accept:");
        assert_non_null(said);
        assert_null(strstr(said + 1, "accept:"));
        tl_proc_free(&proc[i]);
    }
}

/* ----------------------------------------------- the standard output */

static const char *const programs[] = {
    "serv-hello",
    "cli-hello",
    "serv-echo",
    "cli-echo",
    "serv-32kb",
    "cli-32kb",
    "serv-peername",
    "cli-sockname",
    "serv-noreuse",
    "accept-vs-getpeername",
    "cli-int",
    "serv-int",
    "cli-int-net",
    "serv-int-net",
    "show-bytes",
    "cli-msg",
    "serv-msg",
    "sizes",
    "serv-echo-fork",
    "serv-echo-fork-zombie",
    "serv-echo-fork-signal",
    "serv-echo-fork-bytewise",
    "cli-many-connections",
    "serv-echo-prefork",
    "serv-echo-thread",
    "serv-echo-prethread",
    "serv-echo-poll",
    "serv-echo-epoll",
    "echo-load",
};
#define PROGRAMS (sizeof programs / sizeof programs[0])

/* The lines of text that start with "NAME: write to stdout: ". */
static size_t stdout_complaints(const char *text, const char *name)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s: write to stdout: ", name);
    size_t n = 0;
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            n++;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return n;
}

/* Runs the shell command line; it must exit 1 with exactly one stderr
 * line, the complaint of name about the standard output. */
static void check_lost_output(const char *name, const char *command)
{
    struct tl_proc run;
    int status = tl_sh(&run, 20, command);
    const char *err = tl_text_str(&run.err);
    print_message("  %-24s exit %d: %s", name, status, err);
    if (status != 1 || tl_count_lines(err) != 1 || stdout_complaints(err, name) != 1)
        fail_msg("%s: expected exit 1 and one line '%s: write to stdout: ...', got %d: '%s'",
                 command, name, status, err);
    tl_proc_free(&run);
}

static void with_a_full_standard_output_h_exits_1(void **state)
{
    (void)state;
    for (size_t i = 0; i < PROGRAMS; i++) {
        char command[256];
        snprintf(command, sizeof command, "exec %s -h >/dev/full", tl_bin(programs[i]));
        check_lost_output(programs[i], command);
    }
}

static void with_a_full_standard_output_a_client_exits_1(void **state)
{
    (void)state;
    static const struct {
        const char *client, *server, *command;
    } runs[] = {
        {"cli-hello", "serv-hello", "exec %s/cli-hello -p %u 127.0.0.1"},
        {"cli-echo", "serv-echo", "echo hi | exec %s/cli-echo -p %u 127.0.0.1"},
        {"cli-32kb", "serv-32kb", "exec %s/cli-32kb -p %u 127.0.0.1"},
        {"cli-sockname", "serv-peername", "exec %s/cli-sockname -p %u 127.0.0.1"},
        {"cli-int", "serv-int", "exec %s/cli-int -p %u 127.0.0.1 5"},
        {"cli-int-net", "serv-int-net", "exec %s/cli-int-net -p %u 127.0.0.1 5"},
        {"cli-msg", "serv-msg", "echo hi | exec %s/cli-msg -p %u 127.0.0.1"},
        {"cli-many-connections", "serv-echo-fork",
         "exec %s/cli-many-connections -c 1 -p %u 127.0.0.1"},
        {"echo-load", "serv-echo-epoll", "exec %s/echo-load -c 1 -r 1 -p %u 127.0.0.1"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char format[256], command[512];
        struct tl_proc server;
        unsigned port = tl_program_start(&server, tl_bin(runs[i].server), 1);
        snprintf(format, sizeof format, "%s >/dev/full", runs[i].command);
        snprintf(command, sizeof command, format, tl_bin_dir(), port);
        check_lost_output(runs[i].client, command);
        tl_proc_finish(&server, 20);
        tl_proc_free(&server);
    }
    static const char *const alone[][2] = {
        {"show-bytes", "5"}, {"sizes", ""}, {"accept-vs-getpeername", ""}};
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++) {
        char command[512];
        snprintf(command, sizeof command, "exec %s %s >/dev/full", tl_bin(alone[i][0]),
                 alone[i][1]);
        check_lost_output(alone[i][0], command);
    }
}

/* A port that was free a moment ago (bound, then closed). */
static unsigned free_port(void)
{
    unsigned port;
    close(tl_loopback_socket(&port));
    return port;
}

static void with_a_full_standard_output_a_server_exits_1(void **state)
{
    (void)state;
    for (size_t i = 0, tries = 0; i < TL_SERVERS; i++) {
        unsigned port = free_port();
        char command[256];
        snprintf(command, sizeof command, "exec %s -p %u -n 1 >/dev/full",
                 tl_bin(tl_servers[i]), port);
        char *argv[] = {"/bin/sh", "-c", command, NULL};
        struct tl_proc server;
        if (tl_proc_start(&server, argv) == -1)
            fail_msg("cannot start %s", command);
        /* Another program may have taken the port meanwhile: another one. */
        tl_proc_pump(&server, tl_now() + 0.2);
        if (strstr(tl_text_str(&server.err), "cannot bind") != NULL && ++tries < 5) {
            tl_proc_free(&server);
            i--;
            continue;
        }
        /* One client, once the server listens (it cannot say when). */
        int client = -1;
        double deadline = tl_now() + 10;
        while (client == -1 && tl_now() < deadline) {
            client = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in address = {.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t)port)};
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (connect(client, (struct sockaddr *)&address, sizeof address) == -1) {
                close(client);
                client = -1;
                tl_sleep(0.02);
            }
        }
        if (client == -1) {
            tl_proc_finish(&server, 1);
            fail_msg("%s: no connection in 10 s; stderr: %s", command, server.err.data);
        }
        close(client);
        int status = tl_proc_finish(&server, 20);
        const char *err = tl_text_str(&server.err);
        const char *name = tl_servers[i];
        size_t said = stdout_complaints(err, name);
        print_message("  %-24s exit %d: %s", name, status, err);
        /* One line from the server; a concurrent server's child (it
         * inherits the stream in error) may add its own. */
        if (status != 1 || said < 1 || said > (strstr(name, "fork") ? 2u : 1u))
            fail_msg("%s: expected exit 1 and one '%s: write to stdout' line, got %d: '%s'",
                     command, name, status, err);
        tl_proc_free(&server);
    }
}

/* ---------------------------------------------------- stopping */

/* Every server that makes processes, stopped with SIGTERM (kill, systemd,
 * docker) or SIGINT sent to its main process alone, while a client is
 * being served: the server ends by that signal (143 or 130, as without a
 * handler), and no child of it is left, running or zombie. */
static void sigterm_or_sigint_stops_every_process_of_a_server(void **state)
{
    (void)state;
    static const char *const makers[] = {"serv-echo-fork", "serv-echo-fork-zombie",
                                         "serv-echo-fork-signal", "serv-echo-fork-bytewise",
                                         "serv-echo-prefork"};
    const int signals[] = {SIGTERM, SIGINT};
    for (size_t i = 0; i < sizeof makers / sizeof makers[0]; i++)
        for (size_t k = 0; k < 2; k++) {
            struct tl_proc server;
            char *argv[] = {(char *)tl_bin(makers[i]), "-p", "0", NULL};
            unsigned port = tl_program_start_argv(&server, argv, makers[i]);
            int fd = tl_connect_loopback(port);
            /* an echo: a child is serving this client now */
            assert_int_equal(send(fd, "x", 1, MSG_NOSIGNAL), 1);
            struct pollfd readable = {fd, POLLIN, 0};
            char echo;
            if (poll(&readable, 1, 10000) != 1 || recv(fd, &echo, 1, 0) != 1)
                fail_msg("%s: no echo within 10 s", makers[i]);
            pid_t children[64];
            int zombies;
            int count = tl_children(server.pid, children, 64, &zombies);
            assert_true(count >= 1 && count <= 64);
            assert_int_equal(kill(server.pid, signals[k]), 0);
            int status = tl_proc_finish(&server, 30);
            int left = 0;
            double deadline = tl_now() + 5; /* reaped: gone from /proc at once */
            do {
                left = 0;
                for (int c = 0; c < count; c++)
                    left += kill(children[c], 0) == 0;
            } while (left > 0 && tl_now() < deadline && (tl_sleep(0.02), 1));
            close(fd);
            print_message("  %-24s %s: exit %d, %d children before, %d left\n", makers[i],
                          signals[k] == SIGTERM ? "SIGTERM" : "SIGINT", status, count, left);
            if (server.timed_out)
                fail_msg("%s did not end within 30 s of its signal", makers[i]);
            assert_int_equal(status, 128 + signals[k]);
            if (left > 0)
                fail_msg("%s: %d of its %d children outlived it", makers[i], left, count);
            tl_proc_free(&server);
        }
}

/* ---------------------------------------------------- hostile peers */

/* The limit each iterative server is given with -t (its default, minutes,
 * suits a person; test-revisao checks a 30-s pause is still served). */
#define CONNECTION_TIMEOUT 10
#define CONNECTION_TIMEOUT_TEXT "10"

static const char *const iterative[] = {
    "serv-hello",   "serv-echo", "serv-32kb",    "serv-peername",
    "serv-noreuse", "serv-int",  "serv-int-net", "serv-msg",
};
#define ITERATIVE (sizeof iterative / sizeof iterative[0])

/* A well-behaved client: sends 32769 bytes (a full serv-32kb request, and
 * something for every other server), half-closes and reads to the end. */
struct polite {
    size_t sent;
    int fd;
    int done; /* the server closed: this client was served */
};

static void polite_start(struct polite *c, unsigned port)
{
    c->fd = tl_connect_loopback(port);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->sent = 0;
    c->done = 0;
}

/* One step without blocking: send what the socket takes, read what came. */
static void polite_step(struct polite *c)
{
    static char data[DATASIZE_32KB];
    if (c->done)
        return;
    if (c->sent < sizeof data) {
        ssize_t n = send(c->fd, data + c->sent, sizeof data - c->sent, MSG_NOSIGNAL);
        if (n > 0)
            c->sent += (size_t)n;
        else if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            c->sent = sizeof data; /* the server has gone away from us: read */
        if (c->sent == sizeof data)
            shutdown(c->fd, SHUT_WR);
    }
    char buffer[65536];
    ssize_t got = recv(c->fd, buffer, sizeof buffer, 0);
    if (got == 0 ||
        (got == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        c->done = 1;
        close(c->fd);
    }
}

/* Each iterative server (-n 2) gets a hostile first client, made by
 * hostile(fd), then a polite second one. Every second client must be
 * served within limit seconds, and every server must exit 0 (not killed
 * by a signal). Returns the longest wait. */
static double hostile_then_polite(void (*hostile)(int fd, const char *server), double limit,
                                  const char *const *list, size_t count)
{
    struct tl_proc proc[ITERATIVE];
    int bad[ITERATIVE];
    struct polite good[ITERATIVE];
    double served_at[ITERATIVE];
    for (size_t i = 0; i < count; i++) {
        char *argv[] = {(char *)tl_bin(list[i]), "-p", "0", "-n", "2", "-t",
                        CONNECTION_TIMEOUT_TEXT, NULL};
        unsigned port = tl_program_start_argv(&proc[i], argv, list[i]);
        bad[i] = tl_connect_loopback(port);
        hostile(bad[i], list[i]);
        polite_start(&good[i], port);
        served_at[i] = 0;
    }
    double start = tl_now(), deadline = start + limit;
    for (size_t left = count; left > 0 && tl_now() < deadline;) {
        left = 0;
        for (size_t i = 0; i < count; i++) {
            polite_step(&good[i]);
            if (good[i].done && served_at[i] == 0)
                served_at[i] = tl_now() - start;
            left += !good[i].done;
            tl_proc_pump(&proc[i], tl_now() + 0.005);
        }
    }
    double longest = 0;
    for (size_t i = 0; i < count; i++) {
        if (!good[i].done)
            close(good[i].fd);
        close(bad[i]);
        int status = tl_proc_finish(&proc[i], 20);
        const char *err = tl_text_str(&proc[i].err);
        print_message("  %-24s second client served after %.2f s; exit %d; stderr: %s%s",
                      list[i], served_at[i], status, err, *err ? "" : "(none)\n");
        if (!good[i].done)
            fail_msg("%s: a second client was not served in %.0f s", list[i], limit);
        if (status != 0)
            fail_msg("%s exited with %d (128 + signal: killed)", list[i], status);
        if (served_at[i] > longest)
            longest = served_at[i];
        tl_proc_free(&proc[i]);
    }
    return longest;
}

static void send_nothing(int fd, const char *server)
{
    (void)fd, (void)server;
}

/* A whole megabyte more than the buffers hold, to serv-echo, never reading
 * the echo; a little to the others. */
static void send_and_never_read(int fd, const char *server)
{
    static char data[4 << 20];
    size_t size = strstr(server, "serv-echo") ? sizeof data : 1000;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t sent = 0;
    double deadline = tl_now() + 2;
    while (sent < size && tl_now() < deadline) {
        ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else
            tl_sleep(0.01); /* the buffers are full: the server waits on us */
    }
}

static void an_idle_client_holds_an_iterative_server_for_the_timeout_only(void **state)
{
    (void)state;
    double longest =
        hostile_then_polite(send_nothing, CONNECTION_TIMEOUT + 15, iterative, ITERATIVE);
    print_message("  the longest wait: %.2f s (the limit is %d s)\n", longest,
                  CONNECTION_TIMEOUT);
}

static void a_client_that_never_reads_holds_serv_echo_for_the_timeout_only(void **state)
{
    (void)state;
    static const char *const echo[] = {"serv-echo"};
    /* The limit is per call: a send() that moved some bytes before it
     * returns them, and send_all() waits again; three limits at most here. */
    hostile_then_polite(send_and_never_read, 3 * CONNECTION_TIMEOUT + 15, echo, 1);
}

static void half_close(int fd, const char *server)
{
    (void)server;
    send(fd, "half", 4, MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
}

/* Some bytes, then close with SO_LINGER 0: the kernel sends RST. */
static void reset_mid_stream(int fd, const char *server)
{
    (void)server;
    static char data[100000];
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    send(fd, data, sizeof data, MSG_NOSIGNAL);
    tl_sleep(0.2); /* the server is reading */
    struct linger linger = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
    int copy = dup(fd); /* the caller closes fd later; the RST goes now */
    close(fd);
    shutdown(copy, SHUT_RDWR);
    close(copy);
}

/* 10 MB, for at most 10 s, without reading: a server that closes first
 * makes the kernel answer with RST and the sends fail; none may kill it. */
static void send_ten_megabytes(int fd, const char *server)
{
    (void)server;
    static char data[1 << 20];
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t sent = 0;
    double deadline = tl_now() + 10;
    while (sent < 10u * sizeof data && tl_now() < deadline) {
        ssize_t n = send(fd, data, sizeof data, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (n == -1 && (errno == EPIPE || errno == ECONNRESET))
            break;
        else
            tl_sleep(0.001);
    }
    print_message("  %s: %zu of 10 MiB sent before the server closed\n", server, sent);
}

static void a_half_closed_or_reset_client_does_not_stop_a_server(void **state)
{
    (void)state;
    /* Without waiting for the limit: the server sees the end at once. */
    hostile_then_polite(half_close, CONNECTION_TIMEOUT - 2, iterative, ITERATIVE);
    hostile_then_polite(reset_mid_stream, CONNECTION_TIMEOUT - 2, iterative, ITERATIVE);
}

static void ten_megabytes_to_serv_hello_do_not_kill_it(void **state)
{
    (void)state;
    static const char *const hello[] = {"serv-hello", "serv-int"};
    hostile_then_polite(send_ten_megabytes, CONNECTION_TIMEOUT - 2, hello, 2);
}

static void serv_32kb_given_fewer_bytes_says_how_many_and_goes_on(void **state)
{
    (void)state;
    struct tl_proc server;
    unsigned port = tl_program_start(&server, SERV_32KB, 2);
    int fd = tl_connect_loopback(port);
    static char data[20000];
    assert_int_equal(send(fd, data, sizeof data, MSG_NOSIGNAL), (ssize_t)sizeof data);
    close(fd);
    struct polite good;
    polite_start(&good, port);
    double deadline = tl_now() + 10;
    while (!good.done && tl_now() < deadline) {
        polite_step(&good);
        tl_proc_pump(&server, tl_now() + 0.01);
    }
    int status = tl_proc_finish(&server, 10);
    print_message("%s", server.out.data);
    assert_true(good.done);
    assert_int_equal(status, 0);
    assert_non_null(strstr(server.out.data, "got 20000 bytes with"));
    assert_non_null(strstr(server.out.data, "peer closed before 32769"));
    assert_non_null(strstr(server.out.data, "got 32769 bytes with"));
    tl_proc_free(&server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(out_of_descriptors_a_server_waits_says_it_once_and_recovers,
                                  kill_the_servers),
        cmocka_unit_test(with_a_full_standard_output_h_exits_1),
        cmocka_unit_test(with_a_full_standard_output_a_client_exits_1),
        cmocka_unit_test(with_a_full_standard_output_a_server_exits_1),
        cmocka_unit_test(an_idle_client_holds_an_iterative_server_for_the_timeout_only),
        cmocka_unit_test(a_client_that_never_reads_holds_serv_echo_for_the_timeout_only),
        cmocka_unit_test(a_half_closed_or_reset_client_does_not_stop_a_server),
        cmocka_unit_test(ten_megabytes_to_serv_hello_do_not_kill_it),
        cmocka_unit_test(serv_32kb_given_fewer_bytes_says_how_many_and_goes_on),
        cmocka_unit_test(sigterm_or_sigint_stops_every_process_of_a_server),
    };
    return cmocka_run_group_tests_name("robustez", tests, NULL, NULL);
}
