/* unit-send-all: send_all() and parse_port() of chapter 2's cli-32kb.c, with
 * send() replaced (ld --wrap=send) by a scripted fake that takes at most a
 * few bytes per call, fails with EINTR or EPIPE when told to, and keeps
 * every byte it was given so the test can compare them. */

/* The program comes first: it defines _POSIX_C_SOURCE before any header,
 * and its fail() must be seen before cmocka's fail() macro exists. */
#define main cli_32kb_main
/* NOLINTNEXTLINE(bugprone-suspicious-include): its static functions are tested */
#include "../build/tangle/02-fronteiras-de-mensagens/cli-32kb.c"
#undef main

#include "testlib.h"

/* The fake send(): answer i of the script is "accept at most limit[i]
 * bytes", or, when limit[i] is negative, "fail with errno -limit[i]". */
#define MAX_CALLS 256
static long limit[MAX_CALLS];
static size_t calls_scripted, calls_made;
static char sink[2 * DATASIZE_32KB]; /* what the "kernel" accepted, in order */
static size_t sunk;
static const char *given_buffer; /* send_all's buffer */
static int flags_seen[MAX_CALLS];

static void set_script(const long *limits, size_t count, const char *buffer)
{
    assert_true(count <= MAX_CALLS);
    if (count > 0 && limits != limit)
        memcpy(limit, limits, count * sizeof *limits);
    calls_scripted = count;
    calls_made = 0;
    sunk = 0;
    given_buffer = buffer;
}

ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags);
ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags)
{
    assert_int_equal(fd, 7);
    if (calls_made >= calls_scripted)
        fail_msg("send() called %zu times; the script has only %zu answers", calls_made + 1,
                 calls_scripted);
    /* Each call continues where the kernel stopped taking bytes. */
    assert_ptr_equal((const char *)buffer, given_buffer + sunk);
    flags_seen[calls_made] = flags;
    long answer = limit[calls_made++];
    if (answer < 0) {
        errno = (int)-answer;
        return -1;
    }
    size_t taken = n < (size_t)answer ? n : (size_t)answer;
    assert_true(sunk + taken <= sizeof sink);
    memcpy(sink + sunk, buffer, taken);
    sunk += taken;
    return (ssize_t)taken;
}

ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags)
{
    (void)fd, (void)buffer, (void)n, (void)flags;
    fail_msg("recv() called from cli-32kb's send_all");
    return -1;
}

static char message[DATASIZE_32KB];

static int setup_message(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof message; i++)
        message[i] = (char)('a' + i % 26);
    return 0;
}

static void short_sends_deliver_every_byte_in_order(void **state)
{
    (void)state;
    long limits[MAX_CALLS];
    size_t needed = (sizeof message + 999) / 1000; /* 33 calls of <= 1000 bytes */
    for (size_t i = 0; i < needed; i++)
        limits[i] = 1000;
    set_script(limits, needed, message);

    assert_int_equal(send_all(7, message, sizeof message), sizeof message);
    assert_int_equal(calls_made, needed);
    assert_int_equal(sunk, sizeof message);
    assert_memory_equal(sink, message, sizeof message);
}

static void uneven_short_sends(void **state)
{
    (void)state;
    const char *text = "the quick brown fox jumps"; /* 25 = 1+2+3+5+8+6 */
    long limits[] = {1, 2, 3, 5, 8, 13};
    set_script(limits, 6, text);
    assert_int_equal(send_all(7, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(calls_made, 6);
    assert_memory_equal(sink, text, strlen(text));
}

static void one_call_when_the_kernel_takes_all(void **state)
{
    (void)state;
    long limits[] = {DATASIZE_32KB};
    set_script(limits, 1, message);
    assert_int_equal(send_all(7, message, sizeof message), sizeof message);
    assert_int_equal(calls_made, 1);
}

static void eintr_is_retried(void **state)
{
    (void)state;
    long limits[] = {100, -EINTR, -EINTR, 20000, -EINTR, DATASIZE_32KB};
    set_script(limits, 6, message);
    assert_int_equal(send_all(7, message, sizeof message), sizeof message);
    assert_int_equal(calls_made, 6);
    assert_int_equal(sunk, sizeof message);
    assert_memory_equal(sink, message, sizeof message);
}

static void epipe_returns_minus_one_with_errno(void **state)
{
    (void)state;
    long limits[] = {4096, -EPIPE};
    set_script(limits, 2, message);
    errno = 0;
    assert_int_equal(send_all(7, message, sizeof message), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(calls_made, 2); /* no retry after a real error */
}

static void every_call_passes_msg_nosignal(void **state)
{
    (void)state;
    long limits[] = {10, -EINTR, 10, 10000, DATASIZE_32KB};
    set_script(limits, 5, message);
    assert_int_equal(send_all(7, message, sizeof message), sizeof message);
    for (size_t i = 0; i < calls_made; i++)
        assert_int_equal(flags_seen[i], MSG_NOSIGNAL);
}

static void nothing_to_send_calls_nothing(void **state)
{
    (void)state;
    set_script(limit, 0, message);
    assert_int_equal(send_all(7, message, 0), 0);
    assert_int_equal(calls_made, 0);
}

/* ------------------------------------------------------- parse_port */

static void parse_port_accepts_the_range(void **state)
{
    (void)state;
    const struct {
        const char *text;
        unsigned port;
    } good[] = {{"0", 0}, {"1", 1}, {"3490", 3490}, {"65535", 65535}, {"007", 7}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint16_t port = 12345;
        if (parse_port(good[i].text, &port) != 0)
            fail_msg("parse_port(\"%s\") rejected a valid port", good[i].text);
        assert_int_equal(port, good[i].port);
    }
}

static void parse_port_rejects_what_is_not_a_port(void **state)
{
    (void)state;
    const char *bad[] = {"",    "abc", "-1",    "65536",  "70000",
                         "12x", "5 ",  "0x10",  "3490.0", "99999999999999999999999",
                         "1e3", " ",   "-65535"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint16_t port = 4242;
        if (parse_port(bad[i], &port) != -1)
            fail_msg("parse_port(\"%s\") accepted it as %u", bad[i], (unsigned)port);
        assert_int_equal(port, 4242); /* left alone on failure */
    }
}

/* strtol() alone skips leading white space and takes a sign; the chapter
 * asks for a whole decimal number, so parse_port() refuses both. */
static void parse_port_refuses_leading_space_and_sign(void **state)
{
    (void)state;
    const char *bad[] = {" 5", "+5", "-0", "\t80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint16_t port = 4242;
        if (parse_port(bad[i], &port) != -1)
            fail_msg("parse_port(\"%s\") accepted it as %u", bad[i], (unsigned)port);
        assert_int_equal(port, 4242);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_sends_deliver_every_byte_in_order),
        cmocka_unit_test(uneven_short_sends),
        cmocka_unit_test(one_call_when_the_kernel_takes_all),
        cmocka_unit_test(eintr_is_retried),
        cmocka_unit_test(epipe_returns_minus_one_with_errno),
        cmocka_unit_test(every_call_passes_msg_nosignal),
        cmocka_unit_test(nothing_to_send_calls_nothing),
        cmocka_unit_test(parse_port_accepts_the_range),
        cmocka_unit_test(parse_port_rejects_what_is_not_a_port),
        cmocka_unit_test(parse_port_refuses_leading_space_and_sign),
    };
    return cmocka_run_group_tests_name("send_all and parse_port", tests, setup_message, NULL);
}
