/* Exercise 5.1: serv-echo-fork-cap [-p PORT] [-n CONNECTIONS] [-k K], an
 * echo server with a child per connection and at most K children alive.
 * Each test starts it with -p 0, reads its port from "server: listening
 * on port N", and proves what it claims with clients that stay
 * connected (a blocking peer): two served at once, a third kept waiting
 * until one of them leaves. */
#include "grade.h"

/* Sends text and expects it back within seconds; returns 1 if it came. */
static int echoed(int fd, const char *text, double seconds)
{
    char back[256];
    size_t n = strlen(text);
    grade_send(fd, text, n);
    size_t got = grade_recv(fd, back, n, seconds);
    if (got == n && memcmp(back, text, n) == 0)
        return 1;
    if (got > 0 && (got != n || memcmp(back, text, n) != 0))
        grade_fail("sent \"%s\", got back %zu other bytes", text, got);
    return 0;
}

static void echoes_every_byte(void)
{
    struct grade_program *server = grade_start("-p", "0", "-k", "2", "-n", "1", NULL);
    unsigned port = grade_wait_port(server, 5);
    int fd = grade_connect("127.0.0.1", port, 3);
    enum { SIZE = 200000 };
    static unsigned char sent[SIZE], back[SIZE];
    for (size_t i = 0; i < SIZE; i++)
        sent[i] = (unsigned char)(i * 13 + i / 509);
    /* Send and read in turns of 10000 bytes: neither side's buffers fill. */
    for (size_t at = 0; at < SIZE; at += 10000) {
        grade_send(fd, sent + at, 10000);
        size_t got = grade_recv(fd, back + at, 10000, 5);
        if (got != 10000)
            grade_fail("sent %zu bytes, %zu came back within 5 s", at + 10000, at + got);
    }
    if (memcmp(sent, back, SIZE) != 0)
        grade_fail("the %d bytes came back different", SIZE);
    close(fd);
    if (!grade_wait_exit(server, 5))
        grade_fail("with -n 1, the server did not exit within 5 s after its client closed");
    if (!WIFEXITED(server->status) || WEXITSTATUS(server->status) != 0)
        grade_fail("with -n 1, the server %s", grade_how(server->status));
}

static void serves_two_at_once(void)
{
    struct grade_program *server = grade_start("-p", "0", "-k", "2", NULL);
    unsigned port = grade_wait_port(server, 5);
    int first = grade_connect("127.0.0.1", port, 3);
    if (!echoed(first, "first", 5))
        grade_fail("the first client got no echo within 5 s");
    int second = grade_connect("127.0.0.1", port, 3);
    if (!echoed(second, "second", 5))
        grade_fail("a second client got no echo while the first stayed connected: "
                   "is the server concurrent?");
    if (!echoed(first, "first again", 5))
        grade_fail("the first client got no more echo after a second one connected");
    close(first);
    close(second);
}

/* With K alive, the next client waits; it is served when one leaves. */
static void check_cap(const char *k, int limit)
{
    struct grade_program *server = grade_start("-p", "0", "-k", k, NULL);
    unsigned port = grade_wait_port(server, 5);
    int fd[3];
    for (int i = 0; i < limit; i++) {
        fd[i] = grade_connect("127.0.0.1", port, 3);
        if (!echoed(fd[i], "held", 5))
            grade_fail("client %d of %d (-k %s) got no echo within 5 s", i + 1, limit, k);
    }
    int waiting = grade_connect("127.0.0.1", port, 3);
    if (echoed(waiting, "waiting", 1.5))
        grade_fail("with -k %s and %d clients connected, one more was served", k, limit);
    close(fd[0]);
    char back[16];
    if (grade_recv(waiting, back, 7, 5) != 7 || memcmp(back, "waiting", 7) != 0)
        grade_fail("with -k %s, the waiting client got no echo within 5 s after a client "
                   "left",
                   k);
    close(waiting);
    for (int i = 1; i < limit; i++)
        close(fd[i]);
}

static void caps_at_two(void)
{
    check_cap("2", 2);
}

static void caps_at_one(void)
{
    check_cap("1", 1);
}

static void reaps_children(void)
{
    struct grade_program *server = grade_start("-p", "0", "-k", "3", NULL);
    unsigned port = grade_wait_port(server, 5);
    for (int i = 0; i < 10; i++) {
        int fd = grade_connect("127.0.0.1", port, 3);
        if (!echoed(fd, "short", 5))
            grade_fail("connection %d of 10 in a row (-k 3) got no echo within 5 s", i + 1);
        close(fd);
    }
    /* The last children need a moment to end and be collected: no zombie
     * while some children still run proves nothing, so it waits until no
     * child is left at all, or 5 s. */
    int children = 0, zombies = 0;
    for (double end = grade_now() + 5; grade_now() < end;) {
        children = grade_children_of(server->pid, 0);
        zombies = grade_zombies_of(server->pid);
        if (children == 0)
            return;
        struct timespec tick = {0, 50L * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    if (zombies > 0)
        grade_fail("%d zombie children 5 s after 10 connections ended: are they reaped?",
                   zombies);
    grade_fail("%d children still running 5 s after their clients closed", children);
}

static void exits_after_n(void)
{
    struct grade_program *server = grade_start("-p", "0", "-k", "2", "-n", "3", NULL);
    unsigned port = grade_wait_port(server, 5);
    int fd[3];
    for (int i = 0; i < 2; i++) {
        fd[i] = grade_connect("127.0.0.1", port, 3);
        if (!echoed(fd[i], "n", 5))
            grade_fail("client %d got no echo within 5 s", i + 1);
    }
    close(fd[0]);
    fd[2] = grade_connect("127.0.0.1", port, 3);
    if (!echoed(fd[2], "third", 5))
        grade_fail("the third client got no echo within 5 s after the first left");
    close(fd[1]);
    close(fd[2]);
    if (!grade_wait_exit(server, 5))
        grade_fail("with -n 3, the server did not exit within 5 s after its clients closed");
    if (!WIFEXITED(server->status) || WEXITSTATUS(server->status) != 0)
        grade_fail("with -n 3, the server %s", grade_how(server->status));
}

static void rejects_a_bad_limit(void)
{
    const char *bad[] = {"0", "abc", "-3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct grade_program *server = grade_start("-p", "0", "-k", bad[i], NULL);
        if (!grade_wait_exit(server, 3))
            grade_fail("-k %s: the server did not exit within 3 s (a usage error exits 2)",
                       bad[i]);
        if (!WIFEXITED(server->status) || WEXITSTATUS(server->status) != 2)
            grade_fail("-k %s: the server %s, expected exit status 2", bad[i],
                       grade_how(server->status));
        grade_stop(server);
    }
}

static const struct grade_test tests[] = {
    GRADE_TEST(echoes_every_byte),   GRADE_TEST(serves_two_at_once),
    GRADE_TEST(caps_at_two),         GRADE_TEST(caps_at_one),
    GRADE_TEST(reaps_children),      GRADE_TEST(exits_after_n),
    GRADE_TEST(rejects_a_bad_limit),
};
GRADE_MAIN(tests)
