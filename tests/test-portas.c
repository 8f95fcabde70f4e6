/* test-portas: chapter 3's serv-peername, cli-sockname, serv-noreuse and
 * accept-vs-getpeername, the real programs in build/bin (or $WORKBOOK_BIN), on 127.0.0.1 and
 * ephemeral ports, and the chapter's numbers against this build's data.
 *   - serv-peername names the client's real address and port (the test
 *     knows its own socket's port) and greets it byte-exact; cli-sockname
 *     binds the local port it is given and prints it;
 *   - a local port in use: "cli-sockname: bind: Address already in use",
 *     exit 1; a port below ip_unprivileged_port_start as nobody (or as
 *     the unprivileged user running the test): "bind: Permission denied"
 *     (skipped, with the reason, when root has no setpriv, the start is 0
 *     or the user has CAP_NET_BIND_SERVICE);
 *   - SO_REUSEADDR: after the server closes first, its port is in
 *     TIME_WAIT, serv-noreuse cannot bind it and serv-peername can; after
 *     the client closes first, even serv-noreuse can;
 *   - a client that resets before the accept() costs serv-peername and
 *     serv-noreuse only its connection (getpeername: ENOTCONN, said in one
 *     line), and the next client is greeted;
 *   - cli-sockname: a host that does not resolve, a refused connection, a
 *     reset;
 *   - bad command lines: one stderr line naming the argument, the usage,
 *     exit 2;
 *   - every port and number the chapter quotes is in this build's data.
 * Every wait is bounded. */
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#define SERV_PEERNAME tl_bin("serv-peername")
#define SERV_NOREUSE tl_bin("serv-noreuse")
#define CLI_SOCKNAME tl_bin("cli-sockname")
#define ACCEPT_VS tl_bin("accept-vs-getpeername")
#define SERV_ECHO tl_bin("serv-echo")

#define SERV_PEERNAME_USAGE "usage: serv-peername [-p PORT] [-n CONNECTIONS] [-t SECONDS]"
#define SERV_NOREUSE_USAGE "usage: serv-noreuse [-p PORT] [-n CONNECTIONS] [-t SECONDS]"
#define CLI_SOCKNAME_USAGE "usage: cli-sockname [-p PORT] HOST [LOCALPORT]"
#define ACCEPT_VS_USAGE "usage: accept-vs-getpeername"

#define CHAPTER "03-getsockname-e-portas"
#define RESULTS "build/results/" CHAPTER
#define GREETING "Hello, world!\n"
#define UNPRIVILEGED_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define PORT_RANGE "/proc/sys/net/ipv4/ip_local_port_range"

#define ARGS TL_ARGS
#define WORDS TL_WORDS
#define check_failure tl_check_failure

/* ---------------------------------------------------------- helpers */

static void read_or_fail(const char *path, struct tl_text *text)
{
    memset(text, 0, sizeof *text);
    if (tl_read_file(path, text) != 0)
        fail_msg("cannot read %s: %s (has `make` run?)", path, strerror(errno));
}

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

/* Starts PROGRAM -p PORT -n 1 and waits (5 s) for it to listen on PORT. */
static void start_on_port(struct tl_proc *server, const char *program, unsigned port)
{
    char port_text[16], expected[64];
    snprintf(port_text, sizeof port_text, "%u", port);
    char *argv[] = {(char *)program, "-p", port_text, "-n", "1", NULL};
    if (tl_proc_start(server, argv) == -1)
        fail_msg("cannot start %s: %s", program, strerror(errno));
    snprintf(expected, sizeof expected, "server: listening on port %u\n", port);
    double deadline = tl_now() + TL_START_SECONDS;
    while (strcmp(tl_text_str(&server->out), expected) != 0 && tl_now() < deadline &&
           tl_proc_pump(server, deadline))
        ;
    if (strcmp(tl_text_str(&server->out), expected) != 0)
        fail_msg("%s -p %u did not listen within %d s; stdout '%s' stderr '%s'", program,
                 port, TL_START_SECONDS, server->out.data, tl_text_str(&server->err));
}

/* Connects fd (bound or not) to 127.0.0.1 port, 5 s at most per call. */
static void connect_fd(int fd, unsigned port)
{
    tl_connect_fd(fd, port, 5);
}

/* Reads until the peer closes (at most 5 s) and checks it sent exactly the
 * greeting. */
static void expect_greeting(int fd)
{
    char got[64];
    size_t total = tl_recv_until_closed(fd, got, sizeof got, 5);
    assert_int_equal(total, strlen(GREETING));
    assert_memory_equal(got, GREETING, total);
}

/* A row of /proc/net/tcp or tcp6, "  N: ADDR:PORT ADDR:PORT STATE ..." (hexadecimal
 * but N): returns 0 with the local and remote ports and the state, or -1
 * for another line (the heading). */
static int tcp_row(const char *line, long *local_port, long *remote_port, long *state)
{
    /* The address is 8 hex digits in /proc/net/tcp, 32 in tcp6: each port
     * follows the second and third ':' of the line, the state the port. */
    const char *colon = strchr(line, ':');
    long *fields[2] = {local_port, remote_port};
    char *end = NULL;
    for (int i = 0; i < 2; i++) {
        colon = colon != NULL ? strchr(colon + 1, ':') : NULL;
        if (colon == NULL)
            return -1;
        *fields[i] = strtol(colon + 1, &end, 16);
        if (end == colon + 1)
            return -1;
        colon = end;
    }
    const char *rest = end;
    *state = strtol(rest, &end, 16);
    return end == rest ? -1 : 0;
}

/* The kernel's range of ephemeral ports, "LOW\tHIGH". */
static void port_range(long *low, long *high)
{
    struct tl_text range;
    read_or_fail(PORT_RANGE, &range);
    const char *rest = range.data;
    if (tl_scan_long(&rest, 10, low) != 0 || tl_scan_long(&rest, 10, high) != 0)
        fail_msg(PORT_RANGE " reads '%s'", range.data);
    tl_text_free(&range);
}

/* How many sockets are in TIME_WAIT (state 06) with local port local and
 * remote port remote, -1 meaning any. A dual-stack server's connections
 * are IPv6 sockets, so /proc/net/tcp6 is read too (where there is one). */
static int time_wait_rows(long local, long remote)
{
    const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int count = 0;
    for (size_t t = 0; t < 2; t++) {
        struct tl_text table = {0};
        if (tl_read_file(tables[t], &table) == -1) {
            if (t == 0)
                fail_msg("cannot read /proc/net/tcp: %s", strerror(errno));
            tl_text_free(&table);
            continue;
        }
        char line[512];
        for (size_t i = 1; tl_line(table.data, i, line, sizeof line) == 0; i++) {
            long local_port, remote_port, state;
            if (tcp_row(line, &local_port, &remote_port, &state) == 0 && state == 0x06 &&
                (local == -1 || local_port == local) &&
                (remote == -1 || remote_port == remote))
                count++;
        }
        tl_text_free(&table);
    }
    return count;
}

/* TIME_WAIT entries with port as their local (local = 1) or remote
 * (local = 0) port. */
static int time_wait_count(unsigned port, int local)
{
    return local ? time_wait_rows((long)port, -1) : time_wait_rows(-1, (long)port);
}

/* TIME_WAIT entries of exactly this connection, seen from the end whose
 * local port is local_port: other tests' connections on 127.0.0.1 leave
 * TIME_WAITs too, and any of their ports may be this test's port now. */
static int time_wait_between(unsigned local_port, unsigned remote_port)
{
    return time_wait_rows((long)local_port, (long)remote_port);
}

/* The local port of a connected socket. */
static unsigned own_port(int fd)
{
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    return ntohs(address.sin_port);
}

/* A port nothing uses now: bound by the kernel's choice, then released.
 * A socket that was only bound leaves no TIME_WAIT behind. */
static unsigned free_port(void)
{
    unsigned port;
    int fd = tl_loopback_socket(&port);
    close(fd);
    return port;
}

/* ------------------------------------------------ the two programs */

/* The test's socket is bound to a port it knows; the server must name it. */
static void serv_peername_names_the_real_client(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, SERV_PEERNAME, 1);
    unsigned client_port;
    int fd = tl_loopback_socket(&client_port);
    connect_fd(fd, port);
    expect_greeting(fd);
    close(fd);
    char expected[160];
    snprintf(expected, sizeof expected,
             "server: listening on port %u\nserver: got connection from 127.0.0.1:%u\n", port,
             client_port);
    finish_server(server, expected);
}

/* With LOCALPORT, cli-sockname binds it and prints it; without, it prints
 * the port connect() chose, in the ephemeral range, the one the server saw. */
static void cli_sockname_binds_the_port_it_is_given(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, SERV_PEERNAME, 2);
    unsigned local = free_port();
    char port_text[16], local_text[16], expected[160];
    snprintf(port_text, sizeof port_text, "%u", port);
    snprintf(local_text, sizeof local_text, "%u", local);

    struct tl_proc client;
    int status = tl_runl(&client, 10, CLI_SOCKNAME, "-p", port_text, "127.0.0.1", local_text,
                         (char *)NULL);
    snprintf(expected, sizeof expected,
             "client: connected using local 127.0.0.1:%u\nReceived: Hello, world!\n", local);
    assert_string_equal(client.out.data, expected);
    assert_string_equal(client.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&client);

    status = tl_runl(&client, 10, CLI_SOCKNAME, "-p", port_text, "127.0.0.1", (char *)NULL);
    long chosen = 0, low = 0, high = 0;
    const char *said = client.out.data;
    if (tl_skip(&said, "client: connected using local 127.0.0.1:") != 0 ||
        tl_scan_long(&said, 10, &chosen) != 0 || *said != '\n')
        fail_msg("cli-sockname without LOCALPORT printed '%s'", client.out.data);
    assert_int_equal(status, 0);
    tl_proc_free(&client);
    port_range(&low, &high);
    if (chosen < low || chosen > high)
        fail_msg("connect() chose port %ld, outside %ld..%ld", chosen, low, high);

    snprintf(expected, sizeof expected,
             "server: listening on port %u\nserver: got connection from 127.0.0.1:%u\n"
             "server: got connection from 127.0.0.1:%ld\n",
             port, local, chosen);
    finish_server(server, expected);
}

/* The server's own listening port is in use: bind() fails, the seed's words. */
static void a_local_port_in_use_is_refused(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, SERV_PEERNAME, 1);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    check_failure(ARGS(CLI_SOCKNAME, "-p", port_text, "127.0.0.1", port_text), 1,
                  "cli-sockname: bind: Address already in use", WORDS("bind"), NULL);
    assert_true(kill(server->pid, 0) == 0); /* the server is unharmed */
}

/* True if this process may bind any port: CAP_NET_BIND_SERVICE (bit 10)
 * in its effective capabilities. */
static int may_bind_any_port(void)
{
    struct tl_text status;
    read_or_fail("/proc/self/status", &status);
    const char *line = strstr(status.data, "\nCapEff:");
    unsigned long long capabilities = line ? strtoull(line + 8, NULL, 16) : 0;
    tl_text_free(&status);
    return (capabilities >> 10) & 1;
}

/* A port below ip_unprivileged_port_start, unprivileged: EACCES. As root
 * the test becomes nobody with setpriv; otherwise it is unprivileged
 * already, unless it has CAP_NET_BIND_SERVICE. */
static void a_privileged_port_is_refused_to_nobody(void **state)
{
    (void)state;
    struct tl_text start_text;
    memset(&start_text, 0, sizeof start_text);
    if (tl_read_file(UNPRIVILEGED_START, &start_text) != 0) {
        print_message("SKIP: no %s in this kernel\n", UNPRIVILEGED_START);
        skip();
    }
    long start = strtol(start_text.data, NULL, 10);
    tl_text_free(&start_text);
    if (start <= 1) {
        print_message("SKIP: ip_unprivileged_port_start is %ld: every port is unprivileged\n",
                      start);
        skip();
    }
    char setpriv[256] = "";
    if (geteuid() == 0) {
        struct tl_proc run;
        int found = tl_sh(&run, 10, "command -v setpriv");
        snprintf(setpriv, sizeof setpriv, "%.*s", (int)strcspn(run.out.data, "\n"),
                 run.out.data);
        tl_proc_free(&run);
        if (found != 0) {
            print_message("SKIP: root, and no setpriv to become nobody\n");
            skip();
        }
    } else if (may_bind_any_port()) {
        print_message(
            "SKIP: not root, but with CAP_NET_BIND_SERVICE: every port is allowed\n");
        skip();
    }
    char copy[256], command[600], port_text[32];
    snprintf(copy, sizeof copy, "%s/cli-sockname", tl_scratch);
    snprintf(command, sizeof command, "cp %s '%s' && chmod 755 '%s'", CLI_SOCKNAME, copy,
             copy);
    struct tl_proc run;
    assert_int_equal(tl_sh(&run, 10, command), 0);
    tl_proc_free(&run);
    snprintf(port_text, sizeof port_text, "%ld", start > 1024 ? 1023 : start - 1);
    if (setpriv[0] != '\0')
        check_failure(ARGS(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", copy,
                           "-p", "3490", "127.0.0.1", port_text),
                      1, "cli-sockname: bind: Permission denied", WORDS("bind"), NULL);
    else
        check_failure(ARGS(copy, "-p", "3490", "127.0.0.1", port_text), 1,
                      "cli-sockname: bind: Permission denied", WORDS("bind"), NULL);
}

/* The four ends of one connection, and accept() agrees with getpeername(). */
static void accept_and_getpeername_agree(void **state)
{
    (void)state;
    struct tl_proc run;
    int status = tl_runl(&run, 10, ACCEPT_VS, (char *)NULL);
    char a[32], b[32], c[32], d[32], e[32];
    if (sscanf(run.out.data,
               "client: getsockname() %31s getpeername() %31s\n"
               "server: getsockname() %31s getpeername() %31s\n"
               "server: accept() said %31s\n",
               a, b, c, d, e) != 5)
        fail_msg("accept-vs-getpeername printed '%s'", run.out.data);
    assert_string_equal(a, d); /* the client's end, from both sides */
    assert_string_equal(b, c); /* the server's end, from both sides */
    assert_string_equal(d, e); /* accept() and getpeername() */
    assert_int_equal(strncmp(a, "127.0.0.1:", 10), 0);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    assert_int_equal(tl_count_lines(run.out.data), 3);
    tl_proc_free(&run);
}

/* ------------------------------------------ TIME_WAIT, SO_REUSEADDR */

/* The server closes first: its port is in TIME_WAIT, serv-noreuse cannot
 * bind it, serv-peername (SO_REUSEADDR) can. */
static void so_reuseaddr_is_what_lets_a_server_restart(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = 0;
    /* The server's own TIME_WAIT is what the claim is about. Once, in a
     * loop of make test on a loaded machine, serv-noreuse could bind: the
     * only TIME_WAIT on the port was another connection's. What else runs
     * on loopback may end one early (net.ipv4.tcp_tw_reuse hands a
     * TIME_WAIT to a connect() with the same four numbers), so a
     * connection whose TIME_WAIT is not there is made again. */
    for (int attempt = 1;; attempt++) {
        port = tl_program_start(server, SERV_PEERNAME, 1);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd != -1);
        connect_fd(fd, port);
        unsigned client_port = own_port(fd);
        expect_greeting(fd);
        close(fd);
        tl_proc_finish(server, 10);
        assert_int_equal(server->status, 0);
        tl_proc_free(server);
        assert_int_equal(time_wait_between(client_port, port), 0);
        if (time_wait_between(port, client_port) == 1)
            break;
        if (attempt == 3)
            fail_msg("three times no TIME_WAIT of the connection %u -> %u after the server "
                     "closed first",
                     port, client_port);
        print_message("  no TIME_WAIT of the connection %u -> %u: again\n", port,
                      client_port);
    }

    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    char refusal[96];
    snprintf(refusal, sizeof refusal,
             "serv-noreuse: cannot bind port %u: Address already in use", port);
    check_failure(ARGS(SERV_NOREUSE, "-p", port_text, "-n", "1"), 1, refusal, WORDS("bind"),
                  NULL);

    start_on_port(server, SERV_PEERNAME, port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    connect_fd(fd, port);
    expect_greeting(fd);
    close(fd);
    assert_int_equal(tl_proc_finish(server, 10), 0);
}

/* The client closes first (chapter 1's serv-echo waits for its FIN): the
 * TIME_WAIT is the client's, and serv-noreuse binds the server's port. */
static void when_the_client_closes_first_the_port_is_free(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_program_start(server, SERV_ECHO, 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd != -1);
    connect_fd(fd, port);
    unsigned client_port = own_port(fd);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    char byte;
    assert_int_equal(recv(fd, &byte, 1, 0), 0); /* the server closes after us */
    close(fd);
    tl_proc_finish(server, 10);
    assert_int_equal(server->status, 0);
    tl_proc_free(server);
    assert_int_equal(time_wait_between(port, client_port), 0);
    if (time_wait_count(port, 0) < 1)
        fail_msg("no TIME_WAIT towards port %u after the client closed first", port);

    start_on_port(server, SERV_NOREUSE, port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    connect_fd(fd, port);
    expect_greeting(fd);
    close(fd);
    assert_int_equal(tl_proc_finish(server, 10), 0);
}

/* The text: if getpeername() fails (ENOTCONN: the client has reset the
 * connection while it waited in the queue), the server says so in one line
 * with accept()'s IP, closes that connection and serves the next client;
 * the report's server ended there. */
static void a_client_gone_before_accept_costs_only_its_connection(void **state)
{
    struct tl_proc *server = *state;
    const char *servers[] = {SERV_PEERNAME, SERV_NOREUSE};
    for (size_t i = 0; i < 2; i++) {
        unsigned port = tl_program_start(server, servers[i], 2);
        tl_reset_before_accept(server->pid, port);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        connect_fd(fd, port);
        expect_greeting(fd);
        close(fd);
        int status = tl_proc_finish(server, 10);
        assert_false(server->timed_out);
        char expected[200];
        snprintf(expected, sizeof expected,
                 "%s: getpeername for 127.0.0.1: %s; closing the connection\n",
                 strrchr(servers[i], '/') + 1, strerror(ENOTCONN));
        print_message("  %s -> %d: %s", servers[i], status, server->err.data);
        assert_string_equal(tl_text_str(&server->err), expected);
        assert_int_equal(status, 0);
        if (strstr(tl_text_str(&server->out), "server: got connection from 127.0.0.1:") ==
            NULL)
            fail_msg("%s did not greet the client after the reset one: %s", servers[i],
                     tl_text_str(&server->out));
        tl_proc_free(server);
    }
}

/* cli-sockname, like every client: a name that does not resolve (RFC 2606
 * reserves .invalid) and a port where no one listens: one line, exit 1. */
static void cli_sockname_reports_unresolvable_and_refused(void **state)
{
    (void)state;
    check_failure(ARGS(CLI_SOCKNAME, "-p", "3490", "no-such-host.invalid"), 1,
                  "cli-sockname: ", WORDS("cannot resolve host", "'no-such-host.invalid'"),
                  NULL);
    unsigned port;
    int fd = tl_loopback_socket(&port); /* bound, not listening: refused */
    char port_text[16], expected[128];
    snprintf(port_text, sizeof port_text, "%u", port);
    snprintf(expected, sizeof expected, "cannot connect to 127.0.0.1 port %u: %s", port,
             strerror(ECONNREFUSED));
    check_failure(ARGS(CLI_SOCKNAME, "-p", port_text, "127.0.0.1"), 1,
                  "cli-sockname: ", WORDS(expected), NULL);
    close(fd);
}

/* A server that resets the connection instead of greeting: cli-sockname
 * has said its local end, and its recv() fails: one line, exit 1. */
static void cli_sockname_reports_a_reset(void **state)
{
    (void)state;
    unsigned port;
    int listener = tl_loopback_socket(&port);
    assert_int_equal(listen(listener, 1), 0);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    struct tl_proc client;
    char *argv[] = {CLI_SOCKNAME, "-p", port_text, "127.0.0.1", NULL};
    assert_int_equal(tl_proc_start(&client, argv), 0);
    struct pollfd ready = {listener, POLLIN, 0};
    if (poll(&ready, 1, 10000) != 1)
        fail_msg("cli-sockname did not connect within 10 s");
    int fd = accept(listener, NULL, NULL);
    assert_true(fd >= 0);
    struct linger reset = {1, 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    close(fd);
    close(listener);
    int status = tl_proc_finish(&client, 10);
    char expected[128];
    snprintf(expected, sizeof expected, "cli-sockname: recv: %s\n", strerror(ECONNRESET));
    assert_string_equal(client.err.data, expected);
    assert_true(strncmp(client.out.data, "client: connected using local 127.0.0.1:", 40) ==
                0);
    assert_int_equal(status, 1);
    tl_proc_free(&client);
}

/* ---------------------------------------------- bad command lines */

static void cli_sockname_rejects_bad_arguments(void **state)
{
    (void)state;
    static const char *const bad_ports[] = {"notaport", "12abc", "70000", "65536",
                                            "-1",       " 5",    "+5",    ""};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", bad_ports[i]);
        check_failure(ARGS(CLI_SOCKNAME, "127.0.0.1", (char *)bad_ports[i]), 2,
                      "cli-sockname: ", WORDS("invalid local port", quoted, "0 to 65535"),
                      CLI_SOCKNAME_USAGE);
    }
    check_failure(ARGS(CLI_SOCKNAME), 2, "cli-sockname: ", WORDS("missing HOST"),
                  CLI_SOCKNAME_USAGE);
    check_failure(ARGS(CLI_SOCKNAME, "-p", "3490"), 2,
                  "cli-sockname: ", WORDS("missing HOST"), CLI_SOCKNAME_USAGE);
    check_failure(ARGS(CLI_SOCKNAME, "127.0.0.1", "2222", "extra"), 2,
                  "cli-sockname: ", WORDS("unexpected", "'extra'"), CLI_SOCKNAME_USAGE);
    check_failure(ARGS(CLI_SOCKNAME, "-p", "0", "127.0.0.1"), 2,
                  "cli-sockname: ", WORDS("invalid port", "'0'"), CLI_SOCKNAME_USAGE);
    check_failure(ARGS(CLI_SOCKNAME, "-x", "127.0.0.1"), 2,
                  "cli-sockname: ", WORDS("unknown option", "'-x'"), CLI_SOCKNAME_USAGE);
}

static void the_servers_reject_bad_arguments(void **state)
{
    (void)state;
    const char *servers[][3] = {{SERV_PEERNAME, "serv-peername: ", SERV_PEERNAME_USAGE},
                                {SERV_NOREUSE, "serv-noreuse: ", SERV_NOREUSE_USAGE}};
    for (size_t i = 0; i < 2; i++) {
        char *path = (char *)servers[i][0];
        check_failure(ARGS(path, "-p", "12abc"), 2, servers[i][1],
                      WORDS("invalid port", "'12abc'"), servers[i][2]);
        check_failure(ARGS(path, "-p", "70000"), 2, servers[i][1],
                      WORDS("invalid port", "'70000'"), servers[i][2]);
        check_failure(ARGS(path, "-n", "0"), 2, servers[i][1],
                      WORDS("invalid connection count", "'0'"), servers[i][2]);
        check_failure(ARGS(path, "extra"), 2, servers[i][1], WORDS("unexpected", "'extra'"),
                      servers[i][2]);
    }
    check_failure(ARGS(ACCEPT_VS, "extra"), 2,
                  "accept-vs-getpeername: ", WORDS("unexpected", "'extra'"), ACCEPT_VS_USAGE);
    check_failure(ARGS(ACCEPT_VS, "-x"), 2,
                  "accept-vs-getpeername: ", WORDS("unknown option", "'-x'"),
                  ACCEPT_VS_USAGE);
}

static void help_prints_the_usage(void **state)
{
    (void)state;
    const char *programs[][2] = {{SERV_PEERNAME, SERV_PEERNAME_USAGE},
                                 {SERV_NOREUSE, SERV_NOREUSE_USAGE},
                                 {CLI_SOCKNAME, CLI_SOCKNAME_USAGE},
                                 {ACCEPT_VS, ACCEPT_VS_USAGE}};
    for (size_t i = 0; i < 4; i++) {
        struct tl_proc run;
        assert_int_equal(tl_runl(&run, 5, programs[i][0], "-h", (char *)NULL), 0);
        char expected[128];
        snprintf(expected, sizeof expected, "%s\n", programs[i][1]);
        assert_string_equal(run.out.data, expected);
        assert_string_equal(run.err.data, "");
        tl_proc_free(&run);
    }
}

/* ------------------------------------- the chapter's numbers (TSV) */

static struct tl_text numbers;

/* The value of key in this build's numbers.tsv; fails the test if absent. */
static const char *number(const char *key, char *value, size_t size)
{
    if (numbers.data == NULL)
        read_or_fail(RESULTS "/numbers.tsv", &numbers);
    char line[512];
    for (size_t i = 0; tl_line(numbers.data, i, line, sizeof line) == 0; i++) {
        char *tab = strchr(line, '\t');
        if (tab != NULL && (size_t)(tab - line) == strlen(key) &&
            strncmp(line, key, strlen(key)) == 0) {
            snprintf(value, size, "%s", tab + 1);
            return value;
        }
    }
    fail_msg("%s/numbers.tsv has no key '%s'", RESULTS, key);
    return NULL;
}

static long number_long(const char *key)
{
    char value[64];
    return tl_to_long(number(key, value, sizeof value), key);
}

/* text must contain the line made from format and the arguments. */
static void has_line(const char *file, const char *text, const char *format, ...)
{
    char line[512], needle[520];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    snprintf(needle, sizeof needle, "\n%s\n", line);
    if (strstr(text, needle) == NULL && strstr(text, needle + 1) != text) /* nor the first */
        fail_msg("%s has no line '%s'", file, line);
}

/* Every \result, \ifresultsequal and \ifresultis key of the woven chapter
 * and of its figure is one this build's numbers.tsv has. */
static void every_key_the_chapter_quotes_was_measured(void **state)
{
    (void)state;
    const char *files[] = {"build/chapters/" CHAPTER ".tex", "figures/quadrupla.tex"};
    const char *commands[] = {"\\result{", "\\ifresultsequal{", "\\ifresultis{", "\\nrecvs{"};
    size_t keys = 0;
    for (size_t f = 0; f < 2; f++) {
        struct tl_text text;
        read_or_fail(files[f], &text);
        for (size_t c = 0; c < 4; c++) {
            for (const char *p = text.data; (p = strstr(p, commands[c])) != NULL;) {
                p += strlen(commands[c]);
                char key[64], value[512];
                for (int argument = 0; argument < (c == 1 ? 2 : 1); argument++) {
                    size_t length = strcspn(p, "}");
                    assert_true(length > 0 && length < sizeof key);
                    snprintf(key, sizeof key, "%.*s", (int)length, p);
                    number(key, value, sizeof value);
                    keys++;
                    p += length + 1;
                    if (*p == '{')
                        p++;
                }
            }
        }
        tl_text_free(&text);
    }
    assert_true(keys >= 30);
}

/* The seed's three tests: the ports and messages in the transcript are
 * the TSV's, and the privileged test says what really happened. */
static void the_seed_tests_are_this_builds(void **state)
{
    (void)state;
    struct tl_text text;
    read_or_fail(RESULTS "/seed-tests.txt", &text);
    const char *file = "seed-tests.txt";
    char value[128];
    long free = number_long("free-port"), server = number_long("server-port");
    assert_int_equal(number_long("free-port-seen"), free);
    assert_int_equal(number_long("free-status"), 0);
    has_line(file, text.data, "client: connected using local 127.0.0.1:%ld", free);
    has_line(file, text.data, "server: got connection from 127.0.0.1:%ld", free);
    has_line(file, text.data, "hostA$ ./cli-sockname -p %ld 127.0.0.1 %ld", server, server);
    has_line(file, text.data, "cli-sockname: bind: Address already in use");
    assert_int_equal(number_long("inuse-status"), 1);

    /* The privileged port: the start printed is the kernel's. */
    struct tl_text start;
    memset(&start, 0, sizeof start);
    if (tl_read_file(UNPRIVILEGED_START, &start) == 0) {
        long now = strtol(start.data, NULL, 10);
        assert_int_equal(number_long("priv-start"), now);
        has_line(file, text.data, "%ld", now);
        tl_text_free(&start);
    }
    const char *outcome = number("priv-outcome", value, sizeof value);
    int denied = strstr(text.data, "cli-sockname: bind: Permission denied") != NULL;
    if (strcmp(outcome, "denied") == 0)
        assert_true(denied);
    else
        assert_false(denied);
    if (strcmp(outcome, "allowed") == 0)
        assert_true(number_long("priv-start") <= number_long("priv-port"));
    if (geteuid() == 0 && strcmp(number("priv-how", value, sizeof value), "nobody") == 0 &&
        number_long("priv-start") > number_long("priv-port"))
        assert_true(denied); /* what the text claims: nobody gets EACCES */
    tl_text_free(&text);
}

/* The figure's four-tuple is the accept-vs-getpeername transcript's. */
static void the_figure_is_the_transcripts_connection(void **state)
{
    (void)state;
    struct tl_text text;
    read_or_fail(RESULTS "/accept.txt", &text);
    char client_ip[64], server_ip[64], said[64];
    number("tuple-client-ip", client_ip, sizeof client_ip);
    number("tuple-server-ip", server_ip, sizeof server_ip);
    long client = number_long("tuple-client-port"), server = number_long("tuple-server-port");
    has_line("accept.txt", text.data, "client: getsockname() %s:%ld  getpeername() %s:%ld",
             client_ip, client, server_ip, server);
    has_line("accept.txt", text.data, "server: getsockname() %s:%ld  getpeername() %s:%ld",
             server_ip, server, client_ip, client);
    char expected[96];
    snprintf(expected, sizeof expected, "%s:%ld", client_ip, client);
    assert_string_equal(number("accept-said", said, sizeof said), expected);
    tl_text_free(&text);
}

/* The table of ephemeral ports: each row's ports agree, lie in the range
 * the kernel has now, and the counts the text quotes are recounted. */
static void the_ephemeral_table_is_recounted(void **state)
{
    (void)state;
    struct tl_text table, transcript;
    read_or_fail(RESULTS "/ephemeral-ports.tsv", &table);
    read_or_fail(RESULTS "/ephemeral.txt", &transcript);
    long low, high;
    port_range(&low, &high);
    assert_int_equal(number_long("range-low"), low);
    assert_int_equal(number_long("range-high"), high);
    assert_int_equal(number_long("range-size"), high - low + 1);
    long runs = number_long("ephemeral-runs");
    char line[256];
    long rows = 0, in_range = 0, same = 0, even = 0, last = 0, ascending = 1;
    for (size_t i = 1; tl_line(table.data, i, line, sizeof line) == 0; i++) {
        long row, client, server;
        const char *rest = line; /* row, bound (a word), client port, server port */
        if (tl_scan_long(&rest, 10, &row) != 0 || tl_skip(&rest, "\t") != 0 ||
            (rest = strchr(rest, '\t')) == NULL || tl_scan_long(&rest, 10, &client) != 0 ||
            tl_scan_long(&rest, 10, &server) != 0 || *rest != '\0')
            fail_msg("ephemeral-ports.tsv line %zu: '%s'", i + 1, line);
        assert_int_equal(row, (long)i);
        rows++;
        in_range += client >= low && client <= high;
        same += client == server;
        even += row <= runs && client % 2 == 0;
        if (row > 1 && row <= runs && client <= last)
            ascending = 0;
        last = client;
        has_line("ephemeral.txt", transcript.data,
                 "client: connected using local 127.0.0.1:%ld", client);
        has_line("ephemeral.txt", transcript.data,
                 "server: got connection from 127.0.0.1:%ld", server);
    }
    assert_int_equal(rows, number_long("ephemeral-connections"));
    assert_int_equal(rows, runs + 1);
    assert_int_equal(in_range, number_long("ephemeral-in-range"));
    assert_int_equal(same, number_long("ephemeral-same"));
    assert_int_equal(same, rows);
    assert_int_equal(even, number_long("ephemeral-even"));
    assert_int_equal(last, number_long("ephemeral-bind0"));
    char value[16];
    assert_string_equal(number("ephemeral-ascending", value, sizeof value),
                        ascending ? "yes" : "no");
    assert_string_equal(number("ephemeral-bind0-odd", value, sizeof value),
                        last % 2 == 1 ? "yes" : "no");
    tl_text_free(&table);
    tl_text_free(&transcript);

    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 30, "tools/weave/tsv2tex", RESULTS "/ephemeral-ports.tsv",
                             (char *)NULL),
                     0);
    struct tl_text used;
    read_or_fail(RESULTS "/ephemeral-ports.tex", &used);
    assert_string_equal(run.out.data, used.data);
    tl_text_free(&used);
    tl_proc_free(&run);
}

/* The TIME_WAIT transcripts show what the TSV says and the text claims. */
static void the_time_wait_runs_are_this_builds(void **state)
{
    (void)state;
    struct tl_text text;
    char value[64];
    read_or_fail(RESULTS "/timewait-server.txt", &text);
    long port = number_long("tw1-port");
    assert_true(number_long("tw1-local") >= 1);
    assert_int_equal(number_long("tw1-peer"), 0);
    assert_int_equal(number_long("tw1-noreuse"), 1);
    assert_int_equal(number_long("tw1-reuse"), 0);
    long left = number_long("tw1-seconds-left"); /* Linux's TIME_WAIT: 60 s */
    assert_true(left >= 1 && left <= 60);
    char needle[64];
    snprintf(needle, sizeof needle, ":%ld ", port); /* [::ffff:127.0.0.1]:PORT on IPv6 */
    const char *tw = strstr(text.data, "\nTIME-WAIT");
    assert_non_null(tw);
    assert_non_null(strstr(tw, needle));
    has_line("timewait-server.txt", text.data,
             "serv-noreuse: cannot bind port %ld: Address already in use", port);
    has_line("timewait-server.txt", text.data, "hostA$ ./serv-peername -p %ld -n 1", port);
    has_line("timewait-server.txt", text.data, "server: listening on port %ld", port);
    tl_text_free(&text);
    if (strcmp(number("tw2-ran", value, sizeof value), "yes") == 0) {
        assert_int_equal(number_long("tw2-local"), 0);
        assert_true(number_long("tw2-peer") >= 1);
        assert_int_equal(number_long("tw2-noreuse"), 0);
        read_or_fail(RESULTS "/timewait-client.txt", &text);
        has_line("timewait-client.txt", text.data, "server: listening on port %ld",
                 number_long("tw2-port"));
        assert_null(strstr(text.data, "bind: Address already in use"));
        tl_text_free(&text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(serv_peername_names_the_real_client, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(cli_sockname_binds_the_port_it_is_given,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_local_port_in_use_is_refused, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test(a_privileged_port_is_refused_to_nobody),
        cmocka_unit_test(accept_and_getpeername_agree),
        cmocka_unit_test_setup_teardown(so_reuseaddr_is_what_lets_a_server_restart,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(when_the_client_closes_first_the_port_is_free,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_client_gone_before_accept_costs_only_its_connection,
                                        tl_server_setup, tl_server_teardown),
        cmocka_unit_test(cli_sockname_reports_unresolvable_and_refused),
        cmocka_unit_test(cli_sockname_reports_a_reset),
        cmocka_unit_test(cli_sockname_rejects_bad_arguments),
        cmocka_unit_test(the_servers_reject_bad_arguments),
        cmocka_unit_test(help_prints_the_usage),
        cmocka_unit_test(every_key_the_chapter_quotes_was_measured),
        cmocka_unit_test(the_seed_tests_are_this_builds),
        cmocka_unit_test(the_figure_is_the_transcripts_connection),
        cmocka_unit_test(the_ephemeral_table_is_recounted),
        cmocka_unit_test(the_time_wait_runs_are_this_builds),
    };
    return cmocka_run_group_tests_name("ports", tests, tl_scratch_make, tl_scratch_remove);
}
