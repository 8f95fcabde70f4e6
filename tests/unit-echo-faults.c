/* unit-echo-faults: the echo loop of chapter 1's serv-echo (serve_connection)
 * with recv() and send() replaced (ld --wrap) by scripted fakes: short
 * counts, EINTR, ECONNRESET and EPIPE. The text says: every byte that
 * came is echoed, in order, whatever the sizes of the pieces; EINTR is
 * tried again; an error ends that connection with one line naming the
 * client and the call, and the server goes on (serve_connection returns). */

/* The program comes first: it defines _POSIX_C_SOURCE before any header,
 * and its fail() must be seen before cmocka's fail() macro exists.
 * unit-fork-echo-faults.c includes this file for chapter 5's loop. */
#ifndef ECHO_NAME
#define main serv_echo_main
/* NOLINTNEXTLINE(bugprone-suspicious-include): its static functions are tested */
#include "../build/tangle/01-revisao-cliente-servidor/serv-echo.c"
#undef main
#define ECHO_NAME "serv-echo"
#define ECHO(fd, peer) serve_connection(fd, peer)
#endif

#include "testlib.h"

#define FD 42 /* the connection the fakes expect; close(42) fails harmlessly */
#define MAX_STEPS 64

/* recv(): answer i is "deliver up to got[i] bytes of source", 0 (the peer
 * closed) or, when negative, "fail with errno -got[i]". send(): answer i
 * is "take at most took[i] bytes" or, when negative, "fail with -took[i]". */
static long got[MAX_STEPS], took[MAX_STEPS];
static size_t recvs_scripted, recvs_made, sends_scripted, sends_made;
static const char *source;
static size_t source_offset;
static char sink[1 << 16];
static size_t sunk;

static void script(const long *recv_answers, size_t recvs, const long *send_answers,
                   size_t sends, const char *data)
{
    if (recvs > 0)
        memcpy(got, recv_answers, recvs * sizeof *got);
    if (sends > 0)
        memcpy(took, send_answers, sends * sizeof *took);
    recvs_scripted = recvs, sends_scripted = sends;
    recvs_made = sends_made = 0;
    source = data, source_offset = 0, sunk = 0;
}

ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags)
{
    assert_int_equal(fd, FD);
    (void)flags;
    if (recvs_made >= recvs_scripted)
        fail_msg("recv() called %zu times; the script has %zu answers", recvs_made + 1,
                 recvs_scripted);
    long answer = got[recvs_made++];
    if (answer < 0) {
        errno = (int)-answer;
        return -1;
    }
    size_t length = n < (size_t)answer ? n : (size_t)answer;
    memcpy(buffer, source + source_offset, length);
    source_offset += length;
    return (ssize_t)length;
}

ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags);
ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags)
{
    assert_int_equal(fd, FD);
    assert_true(flags & MSG_NOSIGNAL); /* never SIGPIPE */
    if (sends_made >= sends_scripted)
        fail_msg("send() called %zu times; the script has %zu answers", sends_made + 1,
                 sends_scripted);
    long answer = took[sends_made++];
    if (answer < 0) {
        errno = (int)-answer;
        return -1;
    }
    size_t length = n < (size_t)answer ? n : (size_t)answer;
    assert_true(sunk + length <= sizeof sink);
    memcpy(sink + sunk, buffer, length);
    sunk += length;
    return (ssize_t)length;
}

/* Runs the echo loop on the script; returns its stderr in text. */
static void serve(char *text, size_t size)
{
    int saved;
    int captured = tl_stderr_capture(&saved);
    ECHO(FD, "127.0.0.1");
    tl_stderr_restore(saved, captured, text, size);
    print_message("  %zu recv()s, %zu send()s, %zu bytes echoed; stderr: '%s'\n", recvs_made,
                  sends_made, sunk, text);
}

static void short_counts_and_eintr_echo_every_byte_in_order(void **state)
{
    (void)state;
    const char *data = "the quick brown fox jumps over the lazy dog";
    long recvs[] = {3, -EINTR, 1, 10, -EINTR, 29, 0};
    long sends[] = {1, 2, -EINTR, 1, 1, 1, -EINTR, 9, 5, 100};
    script(recvs, 7, sends, 10, data);
    char text[1024];
    serve(text, sizeof text);
    assert_string_equal(text, "");
    assert_int_equal(recvs_made, 7); /* to the end, 0 */
    assert_int_equal(sunk, strlen(data));
    assert_memory_equal(sink, data, strlen(data));
}

static void expect_one_line(const char *text, const char *call, int error)
{
    char expected[256];
    snprintf(expected, sizeof expected, ECHO_NAME ": %s 127.0.0.1: %s\n", call,
             strerror(error));
    assert_string_equal(text, expected);
}

static void a_reset_during_recv_ends_the_connection_with_one_line(void **state)
{
    (void)state;
    long recvs[] = {5, -ECONNRESET};
    long sends[] = {100};
    script(recvs, 2, sends, 1, "hello");
    char text[1024];
    serve(text, sizeof text);
    assert_int_equal(recvs_made, 2); /* no retry after ECONNRESET */
    assert_int_equal(sunk, 5);
    expect_one_line(text, "recv from", ECONNRESET);
}

static void epipe_during_send_ends_the_connection_with_one_line(void **state)
{
    (void)state;
    long recvs[] = {5, 5};
    long sends[] = {2, -EPIPE};
    script(recvs, 2, sends, 2, "hello world");
    char text[1024];
    serve(text, sizeof text);
    assert_int_equal(recvs_made, 1); /* no more reading for a dead client */
    assert_int_equal(sends_made, 2);
    expect_one_line(text, "send to", EPIPE);
}

static void a_reset_during_send_ends_the_connection_with_one_line(void **state)
{
    (void)state;
    long recvs[] = {5};
    long sends[] = {-ECONNRESET};
    script(recvs, 1, sends, 1, "hello");
    char text[1024];
    serve(text, sizeof text);
    expect_one_line(text, "send to", ECONNRESET);
}

static void a_timeout_ends_the_connection_with_one_line(void **state)
{
    (void)state;
    long recvs[] = {-EAGAIN}; /* SO_RCVTIMEO expired */
    script(recvs, 1, NULL, 0, "");
    char text[1024];
    serve(text, sizeof text);
    expect_one_line(text, "recv from", EAGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_counts_and_eintr_echo_every_byte_in_order),
        cmocka_unit_test(a_reset_during_recv_ends_the_connection_with_one_line),
        cmocka_unit_test(epipe_during_send_ends_the_connection_with_one_line),
        cmocka_unit_test(a_reset_during_send_ends_the_connection_with_one_line),
        cmocka_unit_test(a_timeout_ends_the_connection_with_one_line),
    };
    return cmocka_run_group_tests_name("echo faults", tests, NULL, NULL);
}
