/* test-projetos: chapter 6's server designs and its load generator, the
 * real programs in build/bin (or $WORKBOOK_BIN), on 127.0.0.1 and
 * ephemeral ports, and the chapter's tables against this build's data.
 *   - every design (serv-echo-prefork, -thread, -prethread, -poll, -epoll)
 *     echoes 100 clients at once, 64 KiB each, byte-exact; afterwards its
 *     descriptors (/proc/PID/fd), threads (/proc/PID/task) and children
 *     are what they were before, with no zombie; with -n it exits 0 after
 *     saying every connection closed, and leaves no child behind;
 *   - a silent client does not block a second one; a client that resets
 *     mid-stream, one that half-closes and one that leaves without
 *     reading leave every design serving, each failure said in one line;
 *   - a client that sends and never reads does not stop the others, and
 *     the server's memory for it stays bounded (VmRSS);
 *   - echo-load counts what it did, holds connections with -w (a pool
 *     answers WORKERS of them, poll() all), and catches a server that
 *     flips, drops or adds a byte or closes early (broken servers kept
 *     here, in the test);
 *   - the tables of the PDF are this build's TSV, and its numbers agree.
 * Every wait is bounded, with margins for a loaded 2-core machine. */
#include "testlib.h"

#define RESULTS "build/results/06-projetos-de-servidor"
#define DESIGNS 5
#define WORKERS 16 /* the chapter's pools */
#define CLIENTS 100
#define CLIENT_BYTES ((size_t)64 * 1024)
#define RSS_MARGIN_KB 1024

static const char *const design_names[DESIGNS] = {
    "serv-echo-prefork", "serv-echo-thread", "serv-echo-prethread",
    "serv-echo-poll",    "serv-echo-epoll",
};

static char *design(size_t d)
{
    return tl_bin(design_names[d]);
}

/* ------------------------------------------------ a server's shape */

struct shape {
    int fds, threads, children, zombies;
};

static struct shape shape_of(pid_t pid)
{
    struct shape s;
    pid_t ignored[1];
    s.fds = tl_proc_entries(pid, "fd");
    s.threads = tl_proc_entries(pid, "task");
    s.children = tl_children(pid, ignored, 0, &s.zombies);
    return s;
}

static int same_shape(struct shape a, struct shape b)
{
    return a.fds == b.fds && a.threads == b.threads && a.children == b.children &&
           a.zombies == b.zombies;
}

/* The shape of a design started with -n connections, at rest: its pool
 * made, no client. serv-echo-prefork keeps a child only for each ticket,
 * one per connection still to come: the others exit at once. */
static struct shape at_rest(size_t d, pid_t pid, int connections)
{
    struct shape expected = {0, 1, 0, 0};
    if (strcmp(design_names[d], "serv-echo-prefork") == 0)
        expected.children = connections < WORKERS ? connections : WORKERS;
    if (strcmp(design_names[d], "serv-echo-prethread") == 0)
        expected.threads = WORKERS + 1;
    double deadline = tl_now() + 30;
    struct shape now = shape_of(pid);
    while ((now.threads != expected.threads || now.children != expected.children ||
            now.zombies != 0) &&
           tl_now() < deadline) {
        tl_sleep(0.02);
        now = shape_of(pid);
    }
    if (now.threads != expected.threads || now.children != expected.children || now.zombies)
        fail_msg("%s: %d threads, %d children (%d zombies) after 30 s; expected %d and %d",
                 design_names[d], now.threads, now.children, now.zombies, expected.threads,
                 expected.children);
    struct shape later; /* and its descriptors settled: the same for 0.2 s */
    while (tl_sleep(0.2), !same_shape(later = shape_of(pid), now) && tl_now() < deadline)
        now = later;
    return now;
}

/* Waits (at most 30 s) until pid has the shape it had before. */
static void back_to(pid_t pid, struct shape before, const char *name)
{
    double deadline = tl_now() + 30;
    struct shape now = shape_of(pid);
    while (!same_shape(now, before) && tl_now() < deadline) {
        tl_sleep(0.02);
        now = shape_of(pid);
    }
    print_message("  %s: %d descriptors, %d threads, %d children before and after\n", name,
                  before.fds, before.threads, before.children);
    if (!same_shape(now, before))
        fail_msg(
            "%s: %d descriptors, %d threads, %d children, %d zombies; before: %d, %d, %d, "
            "%d",
            name, now.fds, now.threads, now.children, now.zombies, before.fds, before.threads,
            before.children, before.zombies);
}

static int count_lines_with(const char *text, const char *word)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, word)) != NULL; p += strlen(word))
        n++;
    return n;
}

/* Waits (at most 60 s) for a server started with -n to exit by itself:
 * exit 0, `closed` "closing connection" lines; none of its children
 * (children[], n of them) is left. */
static void finish_server(struct tl_proc *server, int closed, const pid_t *children, int n)
{
    int status = tl_proc_finish(server, 60);
    if (server->timed_out)
        fail_msg("the server did not exit within 60 s; stdout:\n%s", server->out.data);
    if (status != 0)
        fail_msg("the server exited %d; stderr:\n%s", status, server->err.data);
    assert_int_equal(count_lines_with(server->out.data, "server: closing connection"),
                     closed);
    assert_int_equal(count_lines_with(server->out.data, "server: got connection from"),
                     closed);
    for (int i = 0; i < n; i++)
        if (kill(children[i], 0) == 0)
            fail_msg("child %d of the server is still there after it exited",
                     (int)children[i]);
}

/* --------------------------------------------------------- clients */

static int connect_loopback(unsigned port)
{
    return tl_connect_within(port, 20);
}

static void set_nonblocking(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int anything_within(int fd, double seconds)
{
    struct pollfd readable = {fd, POLLIN, 0};
    return poll(&readable, 1, (int)(seconds * 1000)) > 0;
}

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

static void one_echo(unsigned port, const char *text)
{
    int fd = connect_loopback(port);
    assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
    expect_echo(fd, text);
    close(fd);
}

/* ----------------------------------------------------- every design */

static void every_design_echoes_100_clients_of_64_kib(void **state)
{
    struct tl_proc *server = *state;
    for (size_t d = 0; d < DESIGNS; d++) {
        /* one more connection for each child after the clients: then every
         * child of serv-echo-prefork still has its ticket */
        int connections = CLIENTS + WORKERS;
        unsigned port = tl_program_start(server, design(d), connections);
        struct shape before = at_rest(d, server->pid, connections);
        pid_t children[WORKERS];
        int zombies;
        int n = tl_children(server->pid, children, WORKERS, &zombies);
        double start = tl_now();
        tl_echo_many(port, CLIENTS, CLIENT_BYTES, 120, 6061, NULL, NULL);
        double took = tl_now() - start;
        print_message("  %s: %d clients x %zu KiB echoed in %.2f s\n", design_names[d],
                      CLIENTS, CLIENT_BYTES / 1024, took);
        tl_proc_pump(server, tl_now());
        back_to(server->pid, before, design_names[d]);
        for (int i = CLIENTS; i < connections; i++)
            one_echo(port, "the last ones");
        finish_server(server, connections, children, n);
        assert_string_equal(server->err.data, "");
        tl_proc_free(server);
    }
}

/* A: silent; B: served meanwhile; C: resets mid-stream; D: half-closes;
 * E: leaves without reading; F: served afterwards. */
static void misbehaving_clients_leave_every_design_serving(void **state)
{
    struct tl_proc *server = *state;
    static char lots[1024 * 1024];
    memset(lots, 'r', sizeof lots);
    for (size_t d = 0; d < DESIGNS; d++) {
        unsigned port = tl_program_start(server, design(d), 6);
        int silent = connect_loopback(port);
        one_echo(port, "served");

        int c = connect_loopback(port);
        set_nonblocking(c);
        while (send(c, lots, sizeof lots, MSG_NOSIGNAL) > 0)
            ;
        tl_sleep(0.1); /* the server is reading it */
        struct linger reset = {1, 0};
        assert_int_equal(setsockopt(c, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
        close(c); /* RST */

        int h = connect_loopback(port);
        assert_int_equal(send(h, "half", 4, MSG_NOSIGNAL), 4);
        assert_int_equal(shutdown(h, SHUT_WR), 0);
        expect_echo(h, "half");
        if (!anything_within(h, 20))
            fail_msg("%s: no end of the stream within 20 s of the half-close",
                     design_names[d]);
        char byte;
        assert_int_equal(recv(h, &byte, 1, 0), 0);
        close(h);

        int e = connect_loopback(port);
        set_nonblocking(e);
        while (send(e, lots, sizeof lots, MSG_NOSIGNAL) > 0)
            ;
        tl_sleep(0.1);
        close(e); /* unread data: the kernel resets this one too */

        one_echo(port, "afterwards");
        assert_true(kill(server->pid, 0) == 0);
        close(silent);
        finish_server(server, 6, NULL, 0);
        const char *err = server->err.data;
        print_message("  %s: %s", design_names[d], err);
        assert_int_equal(tl_count_lines(err), 2);
        assert_int_equal(count_lines_with(err, ": recv from 127.0.0.1:") +
                             count_lines_with(err, ": send to 127.0.0.1:"),
                         2);
        tl_proc_free(server);
    }
}

/* A client that sends and never reads: the server stops reading from it
 * (its buffer is full), serves another client meanwhile, and its memory
 * does not grow with what the slow client sends; then the slow client
 * reads its echo, byte-exact. */
static void a_client_that_never_reads_costs_a_bounded_buffer(void **state)
{
    struct tl_proc *server = *state;
    static unsigned char data[32 * 1024 * 1024], back[65536];
    tl_fill_pattern(data, sizeof data, 4242);
    for (size_t d = 0; d < DESIGNS; d++) {
        unsigned port = tl_program_start(server, design(d), 2);
        at_rest(d, server->pid, 2);
        long rss_before = tl_rss_kb(server->pid);
        int slow = connect_loopback(port);
        set_nonblocking(slow);
        size_t sent = 0;
        double until = tl_now() + 10;
        while (sent < sizeof data && tl_now() < until) { /* until every buffer is full */
            ssize_t n = send(slow, data + sent, sizeof data - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += (size_t)n;
                continue;
            }
            struct pollfd writable = {slow, POLLOUT, 0};
            if (poll(&writable, 1, 300) == 0)
                break; /* 0.3 s without room: full */
        }
        assert_true(sent < sizeof data); /* the server did not take 32 MiB */
        one_echo(port, "not blocked by the slow one");
        long rss_after = tl_rss_kb(server->pid);
        print_message("  %s: the slow client got %zu KiB in before it stopped; server VmRSS "
                      "%ld -> %ld KiB\n",
                      design_names[d], sent / 1024, rss_before, rss_after);
        if (rss_after > rss_before + RSS_MARGIN_KB)
            fail_msg("%s grew from %ld to %ld KiB for a client that does not read",
                     design_names[d], rss_before, rss_after);
        shutdown(slow, SHUT_WR);
        size_t received = 0;
        double deadline = tl_now() + 60;
        for (;;) {
            if (tl_now() > deadline)
                fail_msg("%s: the slow client's echo was not done in 60 s", design_names[d]);
            if (!anything_within(slow, 1))
                continue;
            ssize_t n = recv(slow, back, sizeof back, 0);
            if (n == -1 && errno == EAGAIN)
                continue;
            assert_true(n >= 0);
            if (n == 0)
                break;
            if (received + (size_t)n > sent || memcmp(back, data + received, (size_t)n) != 0)
                fail_msg("%s: the slow client's echo differs after %zu bytes",
                         design_names[d], received);
            received += (size_t)n;
        }
        assert_int_equal(received, sent);
        close(slow);
        finish_server(server, 2, NULL, 0);
        assert_string_equal(server->err.data, "");
        tl_proc_free(server);
    }
}

/* ---------------------------------------------------------- echo-load */

/* The numbers of echo-load's line: requests, size, connections, at once,
 * seconds, requests/s. */
struct load_line {
    long requests, size, connections, at_once;
    double seconds, rate;
};

static struct load_line read_load_line(const char *text)
{
    struct load_line l;
    const char *p = text;
    if (tl_skip(&p, "echo-load: ") != 0 || tl_scan_long(&p, 10, &l.requests) != 0 ||
        tl_skip(&p, " requests of ") != 0 || tl_scan_long(&p, 10, &l.size) != 0 ||
        tl_skip(&p, " bytes on ") != 0 || tl_scan_long(&p, 10, &l.connections) != 0 ||
        tl_skip(&p, " connections (") != 0 || tl_scan_long(&p, 10, &l.at_once) != 0 ||
        tl_skip(&p, " at once) in ") != 0 || tl_scan_double(&p, &l.seconds) != 0 ||
        tl_skip(&p, " s: ") != 0 || tl_scan_double(&p, &l.rate) != 0 ||
        tl_skip(&p, " requests/s, ") != 0)
        fail_msg("not echo-load's line: %s", text);
    return l;
}

/* echo-load against a design: the line counts what was asked. */
static void echo_load_does_what_it_says(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, design(3), 12); /* serv-echo-poll */
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    struct tl_proc load;
    int status = tl_runl(&load, 60, tl_bin("echo-load"), "-p", port_text, "-c", "4", "-k",
                         "3", "-r", "5", "-s", "300", "127.0.0.1", (char *)NULL);
    print_message("  %s", load.out.data);
    assert_int_equal(status, 0);
    assert_string_equal(load.err.data, "");
    struct load_line l = read_load_line(load.out.data);
    assert_int_equal(l.requests, 4L * 3 * 5);
    assert_int_equal(l.size, 300);
    assert_int_equal(l.connections, 12);
    assert_int_equal(l.at_once, 4);
    assert_true(l.seconds > 0);
    /* the seconds are printed to 0.1 ms: the rate agrees within that */
    double low = (double)l.requests / (l.seconds + 0.00005);
    double high = l.seconds > 0.00005 ? (double)l.requests / (l.seconds - 0.00005) : 1e18;
    if (l.rate < low - 1 || l.rate > high + 1)
        fail_msg("%ld requests in %.4f s is not %.0f requests/s", l.requests, l.seconds,
                 l.rate);
    tl_proc_free(&load);
    finish_server(server, 12, NULL, 0);
    tl_proc_free(server);
}

/* -w: connections held open; a pool answers WORKERS of them at once,
 * serv-echo-poll all of them (the chapter's table says so). */
static void held_connections_show_who_serves_at_once(void **state)
{
    struct tl_proc *server = *state;
    const struct {
        size_t design;
        long answered;
    } cases[] = {{2, WORKERS}, {3, 40}};
    for (size_t i = 0; i < 2; i++) {
        unsigned port = tl_program_start(server, design(cases[i].design), 40);
        char port_text[16], expected[128];
        snprintf(port_text, sizeof port_text, "%u", port);
        struct tl_proc load;
        int status = tl_runl(&load, 60, tl_bin("echo-load"), "-p", port_text, "-c", "40",
                             "-r", "1", "-w", "2000", "127.0.0.1", (char *)NULL);
        print_message("  %s: %s", design_names[cases[i].design], load.out.data);
        assert_int_equal(status, 0);
        snprintf(expected, sizeof expected,
                 "echo-load: %ld of 40 connections answered within 2000 ms\n",
                 cases[i].answered);
        assert_non_null(strstr(load.out.data, expected));
        tl_proc_free(&load);
        finish_server(server, 40, NULL, 0);
        tl_proc_free(server);
    }
}

/* A broken echo server, kept here: accepts connections on listener and
 * echoes each, except byte number FAULT_AT (from 1) of each connection:
 * flipped, dropped, doubled, or the connection closed there. */
enum fault { NONE, FLIP, DROP, ADD, CLOSE };
#define FAULT_AT 100

static _Noreturn void serve_broken(int listener, enum fault fault, int connections)
{
    for (int i = 0; i < connections; i++) {
        int fd = accept(listener, NULL, NULL);
        if (fd == -1)
            _exit(1);
        size_t position = 0;
        unsigned char buffer[4096];
        ssize_t n;
        while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) {
            unsigned char out[sizeof buffer + 1];
            size_t length = 0;
            int closing = 0;
            for (ssize_t k = 0; k < n; k++) {
                position++;
                if (position == FAULT_AT && fault == FLIP)
                    out[length++] = (unsigned char)(buffer[k] ^ 0x20);
                else if (position == FAULT_AT && fault == DROP)
                    continue;
                else if (position == FAULT_AT && fault == ADD) {
                    out[length++] = buffer[k];
                    out[length++] = buffer[k];
                } else if (position == FAULT_AT && fault == CLOSE) {
                    closing = 1;
                    break;
                } else {
                    out[length++] = buffer[k];
                }
            }
            if (length > 0 && send(fd, out, length, MSG_NOSIGNAL) != (ssize_t)length)
                break;
            if (closing)
                break;
        }
        close(fd);
    }
    _exit(0);
}

static void echo_load_catches_a_broken_server(void **state)
{
    (void)state;
    const struct {
        enum fault fault;
        const char *says;
    } cases[] = {
        {NONE, NULL},
        {FLIP, "echo-load: connection 1, request 1: byte 100 of 512 came back as 0x"},
        {DROP, "echo-load: connection 1, request 1: "},
        {ADD, "echo-load: connection 1, request 1: byte 101 of 512 came back as 0x"},
        {CLOSE,
         "echo-load: connection 1, request 1: the server closed after 99 of 512 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned port;
        int listener = tl_loopback_socket(&port);
        assert_int_equal(listen(listener, 8), 0);
        fflush(stdout);
        pid_t broken = fork();
        assert_true(broken != -1);
        if (broken == 0)
            serve_broken(listener, cases[i].fault, 1);
        close(listener);
        char port_text[16];
        snprintf(port_text, sizeof port_text, "%u", port);
        struct tl_proc load;
        int status = tl_runl(&load, 30, tl_bin("echo-load"), "-p", port_text, "-c", "1", "-r",
                             "3", "-s", "512", "-t", "2", "127.0.0.1", (char *)NULL);
        print_message("  fault %d: exit %d: %s%s", (int)cases[i].fault, status, load.out.data,
                      load.err.data);
        if (cases[i].says == NULL) {
            assert_int_equal(status, 0);
            assert_string_equal(load.err.data, "");
        } else {
            assert_int_equal(status, 1);
            assert_string_equal(load.out.data, "");
            assert_int_equal(tl_count_lines(load.err.data), 1);
            if (strncmp(load.err.data, cases[i].says, strlen(cases[i].says)) != 0)
                fail_msg("expected '%s...', got '%s'", cases[i].says, load.err.data);
        }
        tl_proc_free(&load);
        kill(broken, SIGKILL);
        waitpid(broken, NULL, 0);
    }
}

static void echo_load_refuses_bad_numbers(void **state)
{
    (void)state;
    const char *usage = "usage: echo-load [-p PORT] [-c CONNECTIONS] [-k EACH] [-r REQUESTS] "
                        "[-s SIZE] [-w MS] [-t SECONDS] HOST";
    char *load = tl_bin("echo-load");
    tl_check_failure(TL_ARGS(load, "-c", "0", "127.0.0.1"), 2,
                     "echo-load: ", TL_WORDS("invalid connection count '0'", "1 to 10000"),
                     usage);
    tl_check_failure(TL_ARGS(load, "-s", "65537", "127.0.0.1"), 2,
                     "echo-load: ", TL_WORDS("invalid request size '65537'"), usage);
    tl_check_failure(TL_ARGS(load, "-r", "x", "127.0.0.1"), 2,
                     "echo-load: ", TL_WORDS("invalid request count 'x'"), usage);
    tl_check_failure(TL_ARGS(load, "-w", "-1", "127.0.0.1"), 2,
                     "echo-load: ", TL_WORDS("invalid hold time '-1'"), usage);
    tl_check_failure(TL_ARGS(load, "-t", "0", "127.0.0.1"), 2,
                     "echo-load: ", TL_WORDS("invalid time limit '0'"), usage);
    tl_check_failure(TL_ARGS(load, "-k", "0", "127.0.0.1"), 2,
                     "echo-load: ", TL_WORDS("invalid connections each '0'"), usage);
}

/* ------------------------------------------------ this build's data */

static void read_result(const char *name, struct tl_text *text)
{
    char path[256];
    snprintf(path, sizeof path, RESULTS "/%s", name);
    memset(text, 0, sizeof *text);
    if (tl_read_file(path, text) != 0)
        fail_msg("cannot read %s (has `make` run?)", path);
}

static const char *number(const char *key)
{
    static struct tl_text numbers;
    static char values[4][256];
    static size_t next;
    char *value = values[next++ % 4];
    if (numbers.data == NULL)
        read_result("numbers.tsv", &numbers);
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

/* The LaTeX table the book printed is tools/weave/tsv2tex of this build's TSV. */
static void check_table(const char *name)
{
    char tsv[256], tex[256];
    snprintf(tsv, sizeof tsv, RESULTS "/%s.tsv", name);
    snprintf(tex, sizeof tex, "%s.tex", name);
    struct tl_text used;
    read_result(tex, &used);
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 30, "tools/weave/tsv2tex", tsv, (char *)NULL), 0);
    if (strcmp(run.out.data, used.data) != 0)
        fail_msg("%s is not tsv2tex of %s", tex, tsv);
    tl_proc_free(&run);
    tl_text_free(&used);
}

/* The median requests/s of design with that many long connections, from
 * medidas.tsv (design, kind, connections, repeat, ..., requests_s 7th). */
static double median_rate(const char *name, long connections)
{
    struct tl_text data;
    read_result("medidas.tsv", &data);
    double v[16] = {0};
    int n = 0;
    char line[512];
    for (size_t i = 1; tl_line(data.data, i, line, sizeof line) == 0; i++) {
        char *field[10];
        int f = 0;
        for (char *cell = strtok(line, "\t"); cell != NULL && f < 10;
             cell = strtok(NULL, "\t"))
            field[f++] = cell;
        if (f == 10 && strcmp(field[0], name) == 0 && strcmp(field[1], "long") == 0 &&
            tl_to_long(field[2], "connections") == connections && n < 16)
            v[n++] = tl_to_double(field[6], "requests/s");
    }
    tl_text_free(&data);
    assert_true(n > 0);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[(n - 1) / 2];
}

static void the_tables_in_the_book_are_this_builds(void **state)
{
    (void)state;
    check_table("vazao");
    check_table("custo");
    struct tl_text woven;
    memset(&woven, 0, sizeof woven);
    if (tl_read_file("build/chapters/06-projetos-de-servidor.tex", &woven) != 0)
        fail_msg("cannot read the woven chapter (has `make` run?)");
    assert_non_null(strstr(woven.data, "\\resulttable{" RESULTS "/vazao.tex}"));
    assert_non_null(strstr(woven.data, "\\resulttable{" RESULTS "/custo.tex}"));
    tl_text_free(&woven);
    /* the best and the worst with 1000 connections are the medians' */
    const char *all[] = {"serv-echo",        "serv-echo-fork",      "serv-echo-prefork",
                         "serv-echo-thread", "serv-echo-prethread", "serv-echo-poll",
                         "serv-echo-epoll"};
    double best = 0, worst = 1e18;
    for (size_t i = 0; i < 7; i++) {
        double rate = median_rate(all[i], 1000);
        best = rate > best ? rate : best;
        worst = rate < worst ? rate : worst;
    }
    assert_true(median_rate(number("proj-best-1000"), 1000) == best);
    assert_true(median_rate(number("proj-worst-1000"), 1000) == worst);
    /* what the text says of the held connections: a pool answers its
     * WORKERS, the others all of them (the iterative server, one) */
    assert_int_equal(tl_to_long(number("proj-workers"), "workers"), WORKERS);
    assert_int_equal(tl_to_long(number("proj-held-answered-prefork"), "answered"), WORKERS);
    assert_int_equal(tl_to_long(number("proj-held-answered-prethread"), "answered"), WORKERS);
    assert_int_equal(tl_to_long(number("proj-held-answered-iterative"), "answered"), 1);
    long held = tl_to_long(number("proj-held"), "held");
    assert_int_equal(tl_to_long(number("proj-held-answered-poll"), "answered"), held);
    assert_int_equal(tl_to_long(number("proj-held-tasks-poll"), "tasks"), 1);
    assert_int_equal(tl_to_long(number("proj-held-tasks-epoll"), "tasks"), 1);
    /* each connection woke at least the child that served it */
    assert_true(tl_to_long(number("proj-herd-woken-min"), "woken") >= 1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_design_echoes_100_clients_of_64_kib,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(misbehaving_clients_leave_every_design_serving,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_client_that_never_reads_costs_a_bounded_buffer,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(echo_load_does_what_it_says, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(held_connections_show_who_serves_at_once,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test(echo_load_catches_a_broken_server),
        cmocka_unit_test(echo_load_refuses_bad_numbers),
        cmocka_unit_test(the_tables_in_the_book_are_this_builds),
    };
    return cmocka_run_group_tests_name("chapter 6: server designs", tests, NULL, NULL);
}
