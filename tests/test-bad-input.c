/* test-bad-input: the book's programs refuse bad command lines and report
 * run-time failures as the chapter says: a usage error is one stderr line
 * "PROGRAM: what was wrong 'ARGUMENT': what was expected", then the usage
 * line, exit 2, nothing on stdout; a failed system call is one stderr line
 * and exit 1. -h prints the usage on stdout and exits 0. Every program of
 * the book alike: a bad option, a missing value, an argument too many; every
 * server a port in use; every client a host that does not resolve and a
 * refused connection. */
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define SERV_USAGE                                                                           \
    "usage: serv-32kb [-p PORT] [-n CONNECTIONS] [-t SECONDS] [-r BYTES] [-d MS] [-w]"
#define CLI_USAGE "usage: cli-32kb [-p PORT] [-s SIZE] HOST"

#define check_failure tl_check_failure
#define ARGS TL_ARGS
#define WORDS TL_WORDS

/* ------------------------------------------------------ serv-32kb */

static void serv_rejects_bad_ports(void **state)
{
    (void)state;
    check_failure(ARGS(SERV_32KB, "-p", "abc"), 2, "serv-32kb: ", WORDS("port", "'abc'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-p", "70000"), 2, "serv-32kb: ", WORDS("port", "'70000'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-p", "-1"), 2, "serv-32kb: ", WORDS("port", "'-1'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-p", ""), 2, "serv-32kb: ", WORDS("port", "''"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-p", "80x"), 2, "serv-32kb: ", WORDS("port", "'80x'"),
                  SERV_USAGE);
}

static void serv_rejects_bad_connection_counts(void **state)
{
    (void)state;
    check_failure(ARGS(SERV_32KB, "-n", "0"), 2, "serv-32kb: ", WORDS("connection", "'0'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-n", "-3"), 2, "serv-32kb: ", WORDS("connection", "'-3'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-n", "two"), 2,
                  "serv-32kb: ", WORDS("connection", "'two'"), SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-n", "99999999999999999999999"), 2,
                  "serv-32kb: ", WORDS("connection", "'99999999999999999999999'"),
                  SERV_USAGE);
}

/* The reader's options: a receive buffer of at least 1 byte, a delay of
 * 0 to 10000 ms; -w takes no value. */
static void serv_rejects_bad_reader_options(void **state)
{
    (void)state;
    check_failure(ARGS(SERV_32KB, "-r", "0"), 2,
                  "serv-32kb: ", WORDS("receive buffer", "'0'"), SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-r", "4k"), 2,
                  "serv-32kb: ", WORDS("receive buffer", "'4k'"), SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-r", "2000000000"), 2,
                  "serv-32kb: ", WORDS("receive buffer", "'2000000000'"), SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-d", "-1"), 2, "serv-32kb: ", WORDS("delay", "'-1'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-d", "10001"), 2, "serv-32kb: ", WORDS("delay", "'10001'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-w", "yes"), 2,
                  "serv-32kb: ", WORDS("unexpected", "'yes'"), SERV_USAGE);
}

static void serv_rejects_an_extra_argument(void **state)
{
    (void)state;
    check_failure(ARGS(SERV_32KB, "extra"), 2, "serv-32kb: ", WORDS("unexpected", "'extra'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-p", "0", "extra", "more"), 2,
                  "serv-32kb: ", WORDS("unexpected", "'extra'"), SERV_USAGE);
}

/* A bad option gets the same one-line format as every other error: the
 * program's name, not getopt()'s argv[0] wording. */
static void serv_rejects_unknown_options(void **state)
{
    (void)state;
    check_failure(ARGS(SERV_32KB, "-x"), 2, "serv-32kb: ", WORDS("unknown option", "'-x'"),
                  SERV_USAGE);
    check_failure(ARGS(SERV_32KB, "-p"), 2, "serv-32kb: ", WORDS("needs a value", "'-p'"),
                  SERV_USAGE);
}

/* A port that another serv-32kb already listens on: exit 1, one line. */
static void serv_reports_a_port_in_use(void **state)
{
    struct tl_proc *first = *state;
    unsigned port = tl_server_start(first, 1);
    char port_text[16], expected[128];
    snprintf(port_text, sizeof port_text, "%u", port);
    snprintf(expected, sizeof expected, "cannot bind port %u: %s", port,
             strerror(EADDRINUSE));
    check_failure(ARGS(SERV_32KB, "-p", port_text, "-n", "1"), 1,
                  "serv-32kb: ", WORDS(expected), NULL);
    /* The first server is unharmed: it still waits for its connection. */
    assert_true(kill(first->pid, 0) == 0);
}

static void serv_help(void **state)
{
    (void)state;
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 5, SERV_32KB, "-h", (char *)NULL), 0);
    assert_string_equal(run.out.data, SERV_USAGE "\n");
    assert_string_equal(run.err.data, "");
    tl_proc_free(&run);
}

/* ------------------------------------------------------- cli-32kb */

static void cli_needs_a_host(void **state)
{
    (void)state;
    check_failure(ARGS(CLI_32KB), 2, "cli-32kb: ", WORDS("HOST"), CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-p", "3490"), 2, "cli-32kb: ", WORDS("HOST"), CLI_USAGE);
}

static void cli_rejects_bad_ports(void **state)
{
    (void)state;
    check_failure(ARGS(CLI_32KB, "-p", "abc", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("port", "'abc'"), CLI_USAGE);
    /* Port 0 means "any free port" to bind(), never a server's port. */
    check_failure(ARGS(CLI_32KB, "-p", "0", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("port", "'0'"), CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-p", "65536", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("port", "'65536'"), CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-p", "70000", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("port", "'70000'"), CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-p", "", "127.0.0.1"), 2, "cli-32kb: ", WORDS("port", "''"),
                  CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-p", "80x", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("port", "'80x'"), CLI_USAGE);
}

/* -s SIZE: from 1 byte to the whole 32769. */
static void cli_rejects_bad_piece_sizes(void **state)
{
    (void)state;
    check_failure(ARGS(CLI_32KB, "-s", "0", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("size", "'0'"), CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-s", "32770", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("size", "'32770'"), CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-s", "1k", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("size", "'1k'"), CLI_USAGE);
}

static void cli_rejects_an_extra_argument(void **state)
{
    (void)state;
    check_failure(ARGS(CLI_32KB, "127.0.0.1", "extra"), 2,
                  "cli-32kb: ", WORDS("unexpected", "'extra'"), CLI_USAGE);
    /* The first of several extra arguments is the one named. */
    check_failure(ARGS(CLI_32KB, "127.0.0.1", "first", "second"), 2,
                  "cli-32kb: ", WORDS("unexpected", "'first'"), CLI_USAGE);
}

static void cli_rejects_unknown_options(void **state)
{
    (void)state;
    check_failure(ARGS(CLI_32KB, "-x", "127.0.0.1"), 2,
                  "cli-32kb: ", WORDS("unknown option", "'-x'"), CLI_USAGE);
    check_failure(ARGS(CLI_32KB, "-p"), 2, "cli-32kb: ", WORDS("needs a value", "'-p'"),
                  CLI_USAGE);
}

/* RFC 2606 reserves .invalid: no resolver answers for it. */
static void cli_reports_an_unresolvable_host(void **state)
{
    (void)state;
    check_failure(ARGS(CLI_32KB, "-p", "3490", "no-such-host.invalid"), 1,
                  "cli-32kb: ", WORDS("cannot resolve", "'no-such-host.invalid'"), NULL);
}

/* A port bound here but not listening: connect() is refused at once. */
static void cli_reports_a_refused_connection(void **state)
{
    (void)state;
    unsigned port;
    int fd = tl_loopback_socket(&port);
    char port_text[16], expected[128];
    snprintf(port_text, sizeof port_text, "%u", port);
    snprintf(expected, sizeof expected, "cli-32kb: cannot connect to 127.0.0.1 port %u: %s",
             port, strerror(ECONNREFUSED));
    check_failure(ARGS(CLI_32KB, "-p", port_text, "127.0.0.1"), 1, expected, WORDS(expected),
                  NULL);
    close(fd);
}

static void cli_help(void **state)
{
    (void)state;
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 5, CLI_32KB, "-h", (char *)NULL), 0);
    assert_string_equal(run.out.data, CLI_USAGE "\n");
    assert_string_equal(run.err.data, "");
    tl_proc_free(&run);
}

/* ------------------------------------------- every program alike */

/* One shared argument chunk, so every server and client of the book
 * refuses the same bad numbers with the same words: " 5" and "+5" are not
 * ports, " 5" is no connection count, and getopt's own message (with the
 * program's path) never appears. */
static void every_program_parses_arguments_alike(void **state)
{
    (void)state;
    static const char *const servers[] = {"serv-hello",   "serv-echo",    "serv-32kb",
                                          "serv-int",     "serv-int-net", "serv-peername",
                                          "serv-noreuse", "serv-msg"};
    static const char *const clients[] = {"cli-hello", "cli-echo", "cli-32kb", "cli-msg"};
    char path[128], usage[160], prefix[64];
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        snprintf(path, sizeof path, "%s", tl_bin(servers[i]));
        /* serv-32kb also has the reader's options (chapter 2). */
        snprintf(usage, sizeof usage, "usage: %s [-p PORT] [-n CONNECTIONS] [-t SECONDS]%s",
                 servers[i],
                 strcmp(servers[i], "serv-32kb") == 0 ? " [-r BYTES] [-d MS] [-w]" : "");
        snprintf(prefix, sizeof prefix, "%s: ", servers[i]);
        check_failure(ARGS(path, "-p", " 5"), 2, prefix, WORDS("invalid port", "' 5'"),
                      usage);
        check_failure(ARGS(path, "-p", "+5"), 2, prefix, WORDS("invalid port", "'+5'"),
                      usage);
        check_failure(ARGS(path, "-n", " 5"), 2, prefix,
                      WORDS("invalid connection count", "' 5'", "1 to 1000000"), usage);
        check_failure(ARGS(path, "-p"), 2, prefix, WORDS("option '-p' needs a value"), usage);
        check_failure(ARGS(path, "-q"), 2, prefix, WORDS("unknown option '-q'"), usage);
    }
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
        snprintf(path, sizeof path, "%s", tl_bin(clients[i]));
        snprintf(usage, sizeof usage, "usage: %s [-p PORT]%s HOST", clients[i],
                 strcmp(clients[i], "cli-32kb") == 0 ? " [-s SIZE]" : "");
        snprintf(prefix, sizeof prefix, "%s: ", clients[i]);
        check_failure(ARGS(path, "-p", " 5", "127.0.0.1"), 2, prefix,
                      WORDS("invalid port", "' 5'", "1 to 65535"), usage);
        check_failure(ARGS(path, "-p", "+5", "127.0.0.1"), 2, prefix,
                      WORDS("invalid port", "'+5'"), usage);
        check_failure(ARGS(path, "-p"), 2, prefix, WORDS("option '-p' needs a value"), usage);
    }
    /* The integer clients take HOST NUMBER; NUMBER may be negative, but
     * only with a minus sign and digits. */
    static const char *const int_clients[] = {"cli-int", "cli-int-net"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s", tl_bin(int_clients[i]));
        snprintf(usage, sizeof usage, "usage: %s [-p PORT] HOST NUMBER", int_clients[i]);
        snprintf(prefix, sizeof prefix, "%s: ", int_clients[i]);
        check_failure(ARGS(path, "-p", "+5", "127.0.0.1", "1"), 2, prefix,
                      WORDS("invalid port", "'+5'"), usage);
        check_failure(ARGS(path, "127.0.0.1", " 7"), 2, prefix,
                      WORDS("invalid number", "' 7'"), usage);
        check_failure(ARGS(path, "127.0.0.1", "+7"), 2, prefix,
                      WORDS("invalid number", "'+7'"), usage);
        check_failure(ARGS(path, "127.0.0.1", "2147483648"), 2, prefix,
                      WORDS("invalid number", "'2147483648'"), usage);
    }
}

/* ---------------------------------------- every program, every path */

enum kind { SERVER, CLIENT, ALONE };
static const struct {
    const char *name;
    enum kind kind;
    const char *number; /* a NUMBER after HOST, for the integer clients */
} every_program[] = {
    {"serv-hello", SERVER, NULL},
    {"serv-echo", SERVER, NULL},
    {"serv-32kb", SERVER, NULL},
    {"serv-peername", SERVER, NULL},
    {"serv-noreuse", SERVER, NULL},
    {"serv-int", SERVER, NULL},
    {"serv-int-net", SERVER, NULL},
    {"serv-msg", SERVER, NULL},
    {"serv-echo-fork", SERVER, NULL},
    {"serv-echo-fork-zombie", SERVER, NULL},
    {"serv-echo-fork-signal", SERVER, NULL},
    {"serv-echo-fork-bytewise", SERVER, NULL},
    {"serv-echo-prefork", SERVER, NULL},
    {"serv-echo-thread", SERVER, NULL},
    {"serv-echo-prethread", SERVER, NULL},
    {"serv-echo-poll", SERVER, NULL},
    {"serv-echo-epoll", SERVER, NULL},
    {"cli-hello", CLIENT, NULL},
    {"cli-echo", CLIENT, NULL},
    {"cli-32kb", CLIENT, NULL},
    {"cli-sockname", CLIENT, NULL},
    {"cli-int", CLIENT, "5"},
    {"cli-int-net", CLIENT, "5"},
    {"cli-msg", CLIENT, NULL},
    {"cli-many-connections", CLIENT, NULL},
    {"echo-load", CLIENT, NULL},
    {"accept-vs-getpeername", ALONE, NULL},
    {"sizes", ALONE, NULL},
};
#define EVERY_PROGRAM (sizeof every_program / sizeof every_program[0])

/* The first line -h prints (exit 0, nothing on stderr), without '\n'. */
static void usage_of(char *path, char *usage, size_t size)
{
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 10, path, "-h", (char *)NULL), 0);
    assert_string_equal(run.err.data, "");
    assert_int_equal(tl_line(run.out.data, 0, usage, size), 0);
    assert_true(strncmp(usage, "usage: ", 7) == 0);
    tl_proc_free(&run);
}

/* Every program: an unknown option, an option without its value, an
 * argument too many, a port or a count that is not a number; each refused with one line
 * naming it, the usage, exit 2. */
static void every_program_refuses_a_bad_command_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < EVERY_PROGRAM; i++) {
        char *path = tl_bin(every_program[i].name), usage[256], prefix[64];
        usage_of(path, usage, sizeof usage);
        snprintf(prefix, sizeof prefix, "%s: ", every_program[i].name);
        char *number = (char *)every_program[i].number;
        switch (every_program[i].kind) {
        case SERVER:
            check_failure(ARGS(path, "-z"), 2, prefix, WORDS("unknown option '-z'"), usage);
            check_failure(ARGS(path, "-n"), 2, prefix, WORDS("option '-n' needs a value"),
                          usage);
            check_failure(ARGS(path, "-n", "1", "surplus"), 2, prefix,
                          WORDS("unexpected argument 'surplus'"), usage);
            check_failure(ARGS(path, "-n", "many"), 2, prefix,
                          WORDS("invalid connection count 'many'"), usage);
            check_failure(ARGS(path, "-p", "http"), 2, prefix, WORDS("invalid port 'http'"),
                          usage);
            check_failure(ARGS(path, "-p", "65536"), 2, prefix, WORDS("invalid port '65536'"),
                          usage);
            check_failure(ARGS(path, "-n", "0"), 2, prefix,
                          WORDS("invalid connection count '0'"), usage);
            break;
        case CLIENT:
            check_failure(ARGS(path, "-z", "127.0.0.1"), 2, prefix,
                          WORDS("unknown option '-z'"), usage);
            check_failure(ARGS(path, "-p"), 2, prefix, WORDS("option '-p' needs a value"),
                          usage);
            check_failure(ARGS(path), 2, prefix, WORDS("missing HOST"), usage);
            check_failure(ARGS(path, "-p", "http", "127.0.0.1", number), 2, prefix,
                          WORDS("invalid port 'http'"), usage);
            check_failure(ARGS(path, "-p", "80x", "127.0.0.1", number), 2, prefix,
                          WORDS("invalid port '80x'"), usage);
            /* after HOST (and NUMBER; cli-sockname's LOCALPORT is a number) */
            if (number != NULL)
                check_failure(ARGS(path, "127.0.0.1", number, "surplus"), 2, prefix,
                              WORDS("unexpected argument 'surplus'"), usage);
            else if (strcmp(every_program[i].name, "cli-sockname") == 0)
                check_failure(ARGS(path, "127.0.0.1", "0", "surplus"), 2, prefix,
                              WORDS("unexpected argument 'surplus'"), usage);
            else
                check_failure(ARGS(path, "127.0.0.1", "surplus"), 2, prefix,
                              WORDS("unexpected argument 'surplus'"), usage);
            break;
        case ALONE:
            check_failure(ARGS(path, "-z"), 2, prefix, WORDS("unknown option '-z'"), usage);
            check_failure(ARGS(path, "surplus"), 2, prefix,
                          WORDS("unexpected argument 'surplus'"), usage);
            break;
        }
    }
}

/* Every server: a port another socket listens on: one line, exit 1. */
static void every_server_reports_a_port_in_use(void **state)
{
    (void)state;
    unsigned port;
    int fd = tl_loopback_socket(&port);
    assert_int_equal(listen(fd, 1), 0);
    char port_text[16], expected[160];
    snprintf(port_text, sizeof port_text, "%u", port);
    for (size_t i = 0; i < EVERY_PROGRAM; i++) {
        if (every_program[i].kind != SERVER)
            continue;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s: ", every_program[i].name);
        /* The port is held on IPv4 only: a dual-stack socket wants it too. */
        snprintf(expected, sizeof expected, "cannot bind port %u: %s", port,
                 strerror(EADDRINUSE));
        check_failure(ARGS(tl_bin(every_program[i].name), "-p", port_text, "-n", "1"), 1,
                      prefix, WORDS(expected), NULL);
    }
    close(fd);
}

/* Every client: a host that does not resolve (RFC 2606 reserves
 * .invalid) and a port where no one listens: one line, exit 1. */
static void every_client_reports_an_unknown_host_and_a_refusal(void **state)
{
    (void)state;
    unsigned port;
    int fd = tl_loopback_socket(&port); /* bound, not listening: refused */
    char port_text[16], refused[160];
    snprintf(port_text, sizeof port_text, "%u", port);
    snprintf(refused, sizeof refused, "cannot connect to 127.0.0.1 port %u: %s", port,
             strerror(ECONNREFUSED));
    for (size_t i = 0; i < EVERY_PROGRAM; i++) {
        if (every_program[i].kind != CLIENT)
            continue;
        char *path = tl_bin(every_program[i].name), prefix[64];
        snprintf(prefix, sizeof prefix, "%s: ", every_program[i].name);
        char *number = (char *)every_program[i].number;
        check_failure(ARGS(path, "-p", "3490", "no-such-host.invalid", number), 1, prefix,
                      WORDS("cannot resolve host 'no-such-host.invalid'"), NULL);
        check_failure(ARGS(path, "-p", port_text, "127.0.0.1", number), 1, prefix,
                      WORDS(refused), NULL);
    }
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serv_rejects_bad_ports),
        cmocka_unit_test(serv_rejects_bad_connection_counts),
        cmocka_unit_test(serv_rejects_bad_reader_options),
        cmocka_unit_test(serv_rejects_an_extra_argument),
        cmocka_unit_test(serv_rejects_unknown_options),
        cmocka_unit_test_setup_teardown(serv_reports_a_port_in_use, tl_server_setup,
                                        tl_server_teardown),
        cmocka_unit_test(serv_help),
        cmocka_unit_test(cli_needs_a_host),
        cmocka_unit_test(cli_rejects_bad_ports),
        cmocka_unit_test(cli_rejects_bad_piece_sizes),
        cmocka_unit_test(cli_rejects_an_extra_argument),
        cmocka_unit_test(cli_rejects_unknown_options),
        cmocka_unit_test(cli_reports_an_unresolvable_host),
        cmocka_unit_test(cli_reports_a_refused_connection),
        cmocka_unit_test(cli_help),
        cmocka_unit_test(every_program_parses_arguments_alike),
        cmocka_unit_test(every_program_refuses_a_bad_command_line),
        cmocka_unit_test(every_server_reports_a_port_in_use),
        cmocka_unit_test(every_client_reports_an_unknown_host_and_a_refusal),
    };
    return cmocka_run_group_tests_name("bad input", tests, NULL, NULL);
}
