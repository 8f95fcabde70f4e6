/* Exercise 1.7: serv-hello2 [-p PORT] [-n CONNECTIONS], the hello server
 * on two listening sockets, one per family, the IPv6 one with IPV6_V6ONLY
 * on: "Hello, world!\n" to a client of 127.0.0.1 and to one of ::1, a
 * line naming each, and one listening socket in /proc/net/tcp and one in
 * /proc/net/tcp6 at its port. Without IPv6 loopback (a kernel or a
 * container with it off) the IPv6 tests are skipped. */
#include "grade.h"

#define GREETING "Hello, world!\n"

/* Skips the test unless this machine can listen and connect on ::1. */
static void need_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd == -1)
        grade_skip("no IPv6 here (socket: %s)", strerror(errno));
    struct sockaddr_in6 address;
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    int status = bind(fd, (struct sockaddr *)&address, sizeof address);
    int error = errno;
    close(fd);
    if (status == -1)
        grade_skip("no IPv6 loopback ::1 here (bind: %s)", strerror(error));
}

/* Connects over address and expects the greeting, then the end. */
static void expect_greeting(unsigned port, const char *address)
{
    int fd = grade_connect(address, port, 3);
    char got[64];
    size_t n = grade_recv(fd, got, sizeof got, 5);
    close(fd);
    if (n != strlen(GREETING) || memcmp(got, GREETING, n) != 0)
        grade_fail("a client of %s got %zu bytes, not the 14 of \"Hello, world!\\n\" and the "
                   "end",
                   address, n);
}

/* Expects the server's next line to name a client, with text in it. */
static void expect_named(struct grade_program *server, const char *text)
{
    if (!grade_read_line(server, grade_now() + 5))
        grade_fail("no line \"server: got connection from ...\" within 5 s");
    if (strncmp(server->line, "server: got connection from ", 28) != 0 ||
        strstr(server->line, text) == NULL)
        grade_fail("the server wrote \"%s\", expected \"server: got connection from\" and %s",
                   server->line, text);
}

static void greets_ipv4(void)
{
    struct grade_program *server = grade_start("-p", "0", NULL);
    expect_greeting(grade_wait_port(server, 5), "127.0.0.1");
}

static void greets_ipv6(void)
{
    need_ipv6();
    struct grade_program *server = grade_start("-p", "0", NULL);
    expect_greeting(grade_wait_port(server, 5), "::1");
}

/* Listening sockets (state 0A) at port in FILE, /proc/net/tcp or tcp6:
 * lines "N: ADDRESS:PORT REMOTE:PORT STATE ...", the port in hex. */
static int listening_at(const char *file, unsigned port)
{
    FILE *table = fopen(file, "r");
    if (table == NULL)
        return 0;
    char line[512];
    int count = 0;
    while (fgets(line, sizeof line, table) != NULL) {
        char local[128], state[8];
        if (sscanf(line, " %*s %127s %*s %7s", local, state) != 2)
            continue;
        const char *colon = strrchr(local, ':');
        if (colon != NULL && strtoul(colon + 1, NULL, 16) == port && strcmp(state, "0A") == 0)
            count++;
    }
    fclose(table);
    return count;
}

static void two_sockets_one_port(void)
{
    need_ipv6();
    struct grade_program *server = grade_start("-p", "0", NULL);
    unsigned port = grade_wait_port(server, 5);
    int six = listening_at("/proc/net/tcp6", port),
        four = listening_at("/proc/net/tcp", port);
    if (six != 1 || four != 1)
        grade_fail("port %u: %d listening IPv6 socket(s) and %d IPv4, expected one of each",
                   port, six, four);
    expect_greeting(port, "::1");
    expect_named(server, "::1");
    expect_greeting(port, "127.0.0.1");
    expect_named(server, "127.0.0.1");
    if (strstr(server->line, "::ffff:") != NULL)
        grade_fail("the IPv4 client was named \"%s\": it reached an IPv6 socket",
                   server->line);
}

static void exits_after_n(void)
{
    struct grade_program *server = grade_start("-p", "0", "-n", "2", NULL);
    unsigned port = grade_wait_port(server, 5);
    expect_greeting(port, "127.0.0.1");
    expect_greeting(port, "127.0.0.1");
    if (!grade_wait_exit(server, 5))
        grade_fail("with -n 2, the server did not exit within 5 s after two clients");
    if (!WIFEXITED(server->status) || WEXITSTATUS(server->status) != 0)
        grade_fail("with -n 2, the server %s", grade_how(server->status));
}

static void rejects_a_bad_port(void)
{
    struct grade_program *server = grade_start("-p", "70000", NULL);
    if (!grade_wait_exit(server, 3))
        grade_fail("-p 70000: the server did not exit within 3 s (a usage error exits 2)");
    if (!WIFEXITED(server->status) || WEXITSTATUS(server->status) != 2)
        grade_fail("-p 70000: the server %s, expected exit status 2",
                   grade_how(server->status));
}

static const struct grade_test tests[] = {
    GRADE_TEST(greets_ipv4),          GRADE_TEST(greets_ipv6),
    GRADE_TEST(two_sockets_one_port), GRADE_TEST(exits_after_n),
    GRADE_TEST(rejects_a_bad_port),
};
GRADE_MAIN(tests)
