/* test-familias: the book's programs are protocol-independent (chapter 1),
 * the real programs in build/bin (or $WORKBOOK_BIN), on loopback.
 *   - every server serves an IPv6 client (::1) and an IPv4 one (127.0.0.1)
 *     on one port, and names the IPv4 one 127.0.0.1, not ::ffff:127.0.0.1;
 *   - socat over IPv6 talks to chapter 1's programs: a socat client gets
 *     serv-hello's greeting and serv-echo's echo, and cli-hello and
 *     cli-echo talk to socat servers that listen on ::1 only;
 *   - every client reaches a peer that listens on ::1 only and one that
 *     listens on 127.0.0.1 only (peers written here, with IPV6_V6ONLY on);
 *   - where socket(AF_INET6) fails with EAFNOSUPPORT (a seccomp filter
 *     here, as on a kernel without IPv6), every server listens on IPv4
 *     alone and serves 127.0.0.1;
 *   - in a network namespace with IPv6 disabled by sysctl, serv-hello
 *     still listens on the IPv6 socket and serves an IPv4 client.
 * The IPv6 tests skip, saying why, where ::1 is missing; socat's, without
 * socat; the namespace test, without root or ip. Every wait is bounded. */
#include "testlib.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* The server under test: the teardown stops it if an assertion failed. */
static struct tl_proc server = {.out_fd = -1, .err_fd = -1};

static int stop_the_server(void **state)
{
    (void)state;
    tl_proc_free(&server);
    return 0;
}

/* Skips the test unless this machine can listen and connect on ::1. */
static void need_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd == -1) {
        print_message("  skipped: no IPv6 here (socket: %s)\n", strerror(errno));
        skip();
    }
    struct sockaddr_in6 address;
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    int status = bind(fd, (struct sockaddr *)&address, sizeof address);
    int error = errno;
    close(fd);
    if (status == -1) {
        print_message("  skipped: no IPv6 loopback ::1 here (bind: %s)\n", strerror(error));
        skip();
    }
}

/* Connects to host (::1 or 127.0.0.1) at port within 5 s; -1 if refused. */
static int connect_host(const char *host, unsigned port)
{
    int six = strchr(host, ':') != NULL;
    struct sockaddr_storage address;
    memset(&address, 0, sizeof address);
    socklen_t length;
    if (six) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)&address;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &a->sin6_addr);
        length = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)(void *)&address;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &a->sin_addr);
        length = sizeof *a;
    }
    int fd = socket(six ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    assert_true(fd != -1);
    struct timeval limit = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    if (connect(fd, (struct sockaddr *)&address, length) == -1) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits (at most 10 s) until the server's stdout has a line that starts
 * with "server: got connection from " and continues with name; returns
 * whether it came. */
static int named(struct tl_proc *server, const char *name)
{
    char needle[96];
    snprintf(needle, sizeof needle, "server: got connection from %s", name);
    double deadline = tl_now() + 10;
    while (strstr(tl_text_str(&server->out), needle) == NULL && tl_now() < deadline &&
           tl_proc_pump(server, deadline))
        ;
    return strstr(tl_text_str(&server->out), needle) != NULL;
}

/* One connection from host: connect, close at once (every server takes a
 * client that says nothing and leaves), and the server names it. */
static void served_from(struct tl_proc *server, const char *program, unsigned port,
                        const char *host, const char *name)
{
    int fd = connect_host(host, port);
    if (fd == -1)
        fail_msg("%s: a client of %s was refused at port %u: %s", program, host, port,
                 strerror(errno));
    close(fd);
    if (!named(server, name))
        fail_msg("%s: no \"got connection from %s\" within 10 s; stdout:\n%s", program, name,
                 tl_text_str(&server->out));
}

static void every_server_serves_both_families_on_one_port(void **state)
{
    (void)state;
    need_ipv6();
    for (size_t i = 0; i < TL_SERVERS; i++) {
        char *argv[] = {tl_bin(tl_servers[i]), "-p", "0", NULL};
        unsigned port = tl_program_start_argv(&server, argv, tl_servers[i]);
        served_from(&server, tl_servers[i], port, "::1", "");
        served_from(&server, tl_servers[i], port, "127.0.0.1", "127.0.0.1");
        const char *out = tl_text_str(&server.out);
        if (strstr(out, "from ::1") == NULL && strstr(out, "from [::1]") == NULL)
            fail_msg("%s did not name its IPv6 client ::1:\n%s", tl_servers[i], out);
        if (strstr(out, "::ffff:") != NULL)
            fail_msg("%s named an IPv4 client by its IPv4-mapped address:\n%s", tl_servers[i],
                     out);
        tl_proc_free(&server);
    }
}

/* ------------------------------------------------------ socat over IPv6 */

static void need_socat(void)
{
    if (access("/usr/bin/socat", X_OK) != 0) {
        print_message("  skipped: no /usr/bin/socat (the socat package)\n");
        skip();
    }
}

/* socat -d -d FLOW LISTEN THEN as a server (FLOW: -U, data from THEN to
 * the client only, or -b8192, both ways): its port, from the line
 * "listening on ... :PORT" it writes to stderr (LISTEN asks for port 0). */
static unsigned socat_listening(struct tl_proc *socat, const char *flow, const char *listen,
                                const char *then)
{
    char *argv[] = {"/usr/bin/socat", "-d",         "-d", (char *)flow,
                    (char *)listen,   (char *)then, NULL};
    if (tl_proc_start(socat, argv) == -1)
        fail_msg("cannot start socat: %s", strerror(errno));
    double deadline = tl_now() + TL_START_SECONDS;
    const char *line;
    while ((line = strstr(tl_text_str(&socat->err), "listening on")) == NULL &&
           tl_now() < deadline && tl_proc_pump(socat, deadline))
        ;
    if (line == NULL || strchr(line, '\n') == NULL) {
        /* the line may still be on its way */
        tl_proc_pump(socat, tl_now() + 1);
        line = strstr(tl_text_str(&socat->err), "listening on");
    }
    if (line == NULL)
        fail_msg("socat %s did not say where it listens: %s", listen,
                 tl_text_str(&socat->err));
    const char *end = strchr(line, '\n');
    if (end == NULL)
        end = line + strlen(line);
    const char *colon = NULL;
    for (const char *p = line; p < end; p++)
        if (*p == ':')
            colon = p;
    if (colon == NULL)
        fail_msg("socat wrote no port: %s", line);
    return colon != NULL ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
}

static void socat_over_ipv6_talks_to_chapter_1(void **state)
{
    (void)state;
    need_ipv6();
    need_socat();
    char command[512];
    struct tl_proc run;

    /* socat as the client of serv-hello and serv-echo, over ::1 */
    char *hello[] = {tl_bin("serv-hello"), "-p", "0", "-n", "1", NULL};
    unsigned port = tl_program_start_argv(&server, hello, "serv-hello");
    snprintf(command, sizeof command, "exec /usr/bin/socat -u 'TCP6:[::1]:%u' -", port);
    assert_int_equal(tl_sh(&run, 10, command), 0);
    assert_string_equal(run.out.data, "Hello, world!\n");
    tl_proc_free(&run);
    assert_true(named(&server, "::1"));
    tl_proc_free(&server);

    char *echo[] = {tl_bin("serv-echo"), "-p", "0", "-n", "1", NULL};
    port = tl_program_start_argv(&server, echo, "serv-echo");
    snprintf(command, sizeof command,
             "printf 'um\\ndois\\n' | exec /usr/bin/socat - 'TCP6:[::1]:%u'", port);
    assert_int_equal(tl_sh(&run, 10, command), 0);
    assert_string_equal(run.out.data, "um\ndois\n");
    tl_proc_free(&run);
    assert_true(named(&server, "::1"));
    tl_proc_free(&server);

    /* socat as the server of cli-hello and cli-echo, on ::1 only */
    struct tl_proc socat;
    char greeting[] = "/tmp/familias-greeting.XXXXXX";
    int file = mkstemp(greeting);
    assert_true(file != -1);
    assert_int_equal(write(file, "Hello, world!\n", 14), 14);
    close(file);
    char source[64];
    snprintf(source, sizeof source, "OPEN:%s", greeting);
    port = socat_listening(&socat, "-U", "TCP6-LISTEN:0,bind=[::1],ipv6only=1,reuseaddr",
                           source);
    snprintf(command, sizeof command, "exec %s -p %u ::1", tl_bin("cli-hello"), port);
    int status = tl_sh(&run, 10, command);
    tl_proc_free(&socat);
    unlink(greeting); /* before any assertion: nothing is left behind */
    assert_int_equal(status, 0);
    assert_string_equal(run.out.data, "Received: Hello, world!\n");
    tl_proc_free(&run);

    port = socat_listening(&socat, "-b8192", "TCP6-LISTEN:0,bind=[::1],ipv6only=1,reuseaddr",
                           "PIPE");
    snprintf(command, sizeof command, "printf 'tres\\n' | exec %s -p %u ::1",
             tl_bin("cli-echo"), port);
    assert_int_equal(tl_sh(&run, 10, command), 0);
    assert_string_equal(run.out.data, "tres\n");
    tl_proc_free(&run);
    tl_proc_free(&socat);
}

/* ------------------------------------------ clients against one family */

enum peer_kind { GREETS, ECHOES, SINKS };

/* A peer in a child process, listening on host only (IPV6_V6ONLY on for
 * ::1): it greets, echoes or swallows each client, one after the other,
 * until it is killed. Returns its pid; *port gets the port. */
static pid_t start_peer(const char *host, enum peer_kind kind, unsigned *port)
{
    int six = strchr(host, ':') != NULL;
    int listener = socket(six ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    assert_true(listener != -1);
    struct sockaddr_storage address;
    memset(&address, 0, sizeof address);
    socklen_t length;
    if (six) {
        int yes = 1;
        assert_int_equal(setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof yes),
                         0);
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)&address;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        length = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)(void *)&address;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof *a;
    }
    assert_int_equal(bind(listener, (struct sockaddr *)&address, length), 0);
    assert_int_equal(listen(listener, 16), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&address, &length), 0);
    *port = six ? ntohs(((struct sockaddr_in6 *)(void *)&address)->sin6_port)
                : ntohs(((struct sockaddr_in *)(void *)&address)->sin_port);
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid != -1);
    if (pid > 0) {
        close(listener);
        return pid;
    }
    alarm(60); /* the child never outlives a stuck test */
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd == -1)
            continue;
        struct timeval limit = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        if (kind == GREETS) {
            const char greeting[] = "Hello, world!\n";
            (void)!send(fd, greeting, sizeof greeting - 1, MSG_NOSIGNAL);
        } else {
            char buffer[65536];
            ssize_t got;
            while ((got = recv(fd, buffer, sizeof buffer, 0)) > 0)
                if (kind == ECHOES)
                    (void)!send(fd, buffer, (size_t)got, MSG_NOSIGNAL);
        }
        close(fd);
    }
}

static void stop_peer(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

struct client_case {
    const char *program;
    enum peer_kind peer;
    const char *input;     /* printed into its standard input, or NULL */
    const char *arguments; /* after HOST, or "" */
    const char *expected;  /* a text its standard output must have */
};

static const struct client_case clients[] = {
    {"cli-hello", GREETS, NULL, "", "Received: Hello, world!"},
    {"cli-echo", ECHOES, "um\\ndois\\n", "", "um\ndois\n"},
    {"cli-32kb", SINKS, NULL, "", "sent 32769 bytes from 32769."},
    {"cli-sockname", GREETS, NULL, "", "Received: Hello, world!"},
    {"cli-int", SINKS, NULL, "12345", "12345"},
    {"cli-int-net", SINKS, NULL, "12345", "12345"},
    {"cli-msg", SINKS, "Hello\\nworld\\n", "", "Sent 5 bytes."},
    {"cli-many-connections", ECHOES, NULL, "", "connections/s"},
    {"echo-load", ECHOES, NULL, "", "requests/s"},
};

/* The command line of one client case against host at port. */
static void client_command(const struct client_case *c, const char *host, unsigned port,
                           char *command, size_t size)
{
    const char *options = strcmp(c->program, "cli-many-connections") == 0 ? "-c 3 "
                          : strcmp(c->program, "echo-load") == 0          ? "-c 2 -k 2 -r 3 "
                                                                          : "";
    if (c->input != NULL)
        snprintf(command, size, "printf '%s' | exec %s -p %u %s%s %s", c->input,
                 tl_bin(c->program), port, options, host, c->arguments);
    else
        snprintf(command, size, "exec %s -p %u %s%s %s </dev/null", tl_bin(c->program), port,
                 options, host, c->arguments);
}

static void every_client_reaches_a_peer_of_one_family(const char *host)
{
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
        const struct client_case *c = &clients[i];
        unsigned port;
        pid_t peer = start_peer(host, c->peer, &port);
        char command[512];
        client_command(c, host, port, command, sizeof command);
        struct tl_proc run;
        int status = tl_sh(&run, 20, command);
        stop_peer(peer);
        if (status != 0 || strstr(tl_text_str(&run.out), c->expected) == NULL)
            fail_msg("%s against a peer on %s only: status %d, stdout '%s', stderr '%s'",
                     c->program, host, status, tl_text_str(&run.out), tl_text_str(&run.err));
        tl_proc_free(&run);
    }
}

static void every_client_reaches_an_ipv6_only_peer(void **state)
{
    (void)state;
    need_ipv6();
    every_client_reaches_a_peer_of_one_family("::1");
}

static void every_client_reaches_an_ipv4_only_peer(void **state)
{
    (void)state;
    every_client_reaches_a_peer_of_one_family("127.0.0.1");
}

/* ------------------------------------------------- no IPv6 on the system */

/* In the child, before exec: socket(AF_INET6, ...) fails with EAFNOSUPPORT,
 * as on a kernel built or booted without IPv6; every other call works. */
static void deny_ipv6_sockets(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    tl_seccomp_install(filter, sizeof filter / sizeof filter[0], "deny_ipv6_sockets");
}

static int allow_ipv6_again(void **state)
{
    tl_before_exec = NULL;
    return stop_the_server(state);
}

static void without_ipv6_every_server_listens_on_ipv4_alone(void **state)
{
    (void)state;
    for (size_t i = 0; i < TL_SERVERS; i++) {
        char *argv[] = {tl_bin(tl_servers[i]), "-p", "0", NULL};
        tl_before_exec = deny_ipv6_sockets;
        unsigned port = tl_program_start_argv(&server, argv, tl_servers[i]);
        tl_before_exec = NULL;
        served_from(&server, tl_servers[i], port, "127.0.0.1", "127.0.0.1");
        int fd = connect_host("::1", port);
        if (fd != -1) {
            /* Some other program may hold the same port on IPv6: not ours. */
            close(fd);
            print_message("  %s: something else answered on [::1]:%u\n", tl_servers[i], port);
        }
        if (strstr(tl_text_str(&server.err), strerror(EAFNOSUPPORT)) != NULL)
            fail_msg("%s said: %s", tl_servers[i], tl_text_str(&server.err));
        tl_proc_free(&server);
    }
}

/* A network namespace of this run with IPv6 disabled on every interface:
 * serv-hello still gets its IPv6 socket (the kernel has IPv6), and an IPv4
 * client in the namespace is served through it. */
static void with_ipv6_disabled_a_server_serves_ipv4(void **state)
{
    (void)state;
    if (geteuid() != 0 ||
        (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0)) {
        print_message("  skipped: needs root and ip (iproute2) to make a namespace\n");
        skip();
    }
    char command[1024];
    snprintf(
        command, sizeof command,
        "ns=familias-$$; ip netns add $ns || exit 3; "
        "trap 'ip netns pids $ns | xargs -r kill -9; ip netns delete $ns' EXIT; "
        "ip netns exec $ns sh -c '"
        "ip link set lo up && sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
        "net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1 || exit 3; "
        "out=$(mktemp); timeout 10 %s -p 0 -n 1 >$out & "
        "for i in $(seq 50); do grep -q port $out && break; sleep 0.1; done; "
        "port=$(sed -n \"s/.*listening on port //p\" $out); "
        "timeout 5 %s -p $port 127.0.0.1 && wait && cat $out; rm -f $out'",
        tl_bin("serv-hello"), tl_bin("cli-hello"));
    struct tl_proc run;
    int status = tl_sh(&run, 30, command);
    if (status == 3) {
        print_message("  skipped: cannot make a namespace here: %s\n", tl_text_str(&run.err));
        tl_proc_free(&run);
        skip();
    }
    assert_int_equal(status, 0);
    assert_non_null(strstr(run.out.data, "Received: Hello, world!\n"));
    assert_non_null(strstr(run.out.data, "server: got connection from 127.0.0.1\n"));
    tl_proc_free(&run);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(every_server_serves_both_families_on_one_port,
                                  stop_the_server),
        cmocka_unit_test_teardown(socat_over_ipv6_talks_to_chapter_1, stop_the_server),
        cmocka_unit_test(every_client_reaches_an_ipv6_only_peer),
        cmocka_unit_test(every_client_reaches_an_ipv4_only_peer),
        cmocka_unit_test_teardown(without_ipv6_every_server_listens_on_ipv4_alone,
                                  allow_ipv6_again),
        cmocka_unit_test(with_ipv6_disabled_a_server_serves_ipv4),
    };
    return cmocka_run_group_tests_name("IPv4 and IPv6", tests, NULL, NULL);
}
