/* unit-recv-exactly: recv_exactly() of chapter 2's serv-32kb.c, with recv()
 * replaced (ld --wrap=recv) by a script of answers: data, EINTR, 0, errors.
 * Each case checks the return value, errno, the buffer's content and what
 * the report callback was told. */
/* The program comes first: it defines _POSIX_C_SOURCE before any header,
 * and its fail() must be seen before cmocka's fail() macro exists. */
#define main serv_32kb_main
/* NOLINTNEXTLINE(bugprone-suspicious-include): its static functions are tested */
#include "../build/tangle/02-fronteiras-de-mensagens/serv-32kb.c"
#undef main

#include "testlib.h"

/* One scripted answer of recv(): length bytes of data (taken in order from
 * the script's source text), or -1 with error in errno, or 0 (peer closed). */
struct step {
    ssize_t result;
    int error;
};

#define MAX_STEPS 64
static struct step script[MAX_STEPS];
static size_t script_length, script_next;
static const char *source; /* the bytes the "peer" sends, in order */
static size_t source_offset;
static char *expected_buffer; /* the buffer of the call under way, or NULL */
static size_t delivered;      /* bytes recv() has written so far */
static size_t asked[MAX_STEPS];

/* What report() was told, one entry per call. */
static size_t reports, report_received[MAX_STEPS], report_requested[MAX_STEPS];

static void record_report(size_t received, size_t requested)
{
    assert_true(reports < MAX_STEPS);
    report_received[reports] = received;
    report_requested[reports] = requested;
    reports++;
}

static void set_script(const struct step *steps, size_t count, const char *data)
{
    assert_true(count <= MAX_STEPS);
    if (count > 0)
        memcpy(script, steps, count * sizeof *steps);
    script_length = count;
    script_next = 0;
    source = data;
    source_offset = 0;
    delivered = 0;
    reports = 0;
    memset(asked, 0, sizeof asked);
}

/* recv_exactly(42, buffer, n, report); __wrap_recv() knows buffer only
 * while the call lasts, so no pointer to a test's array outlives it. */
static ssize_t call_recv_exactly(char *buffer, size_t n,
                                 void (*report)(size_t received, size_t requested))
{
    expected_buffer = buffer;
    ssize_t got = recv_exactly(42, buffer, n, report);
    expected_buffer = NULL;
    return got;
}

ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags)
{
    assert_int_equal(fd, 42);
    assert_int_equal(flags, 0);
    if (script_next >= script_length)
        fail_msg("recv() called %zu times; the script has only %zu answers", script_next + 1,
                 script_length);
    /* Data must land after what already arrived. */
    assert_non_null(expected_buffer);
    assert_ptr_equal((char *)buffer, expected_buffer + delivered);
    asked[script_next] = n;
    struct step step = script[script_next++];
    if (step.result == -1) {
        errno = step.error;
        return -1;
    }
    assert_true((size_t)step.result <= n);
    memcpy(buffer, source + source_offset, (size_t)step.result);
    source_offset += (size_t)step.result;
    delivered += (size_t)step.result;
    return step.result;
}

/* cli-32kb's send() is wrapped for every unit test; nothing here sends. */
ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags);
ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags)
{
    (void)fd, (void)buffer, (void)n, (void)flags;
    fail_msg("send() called from serv-32kb's recv_exactly");
    return -1;
}

static void one_byte_per_call_reaches_n(void **state)
{
    (void)state;
    enum { N = 10 };
    const char *data = "0123456789";
    struct step steps[N];
    for (size_t i = 0; i < N; i++)
        steps[i] = (struct step){1, 0};
    char buffer[N + 1];
    memset(buffer, '#', sizeof buffer);
    set_script(steps, N, data);

    assert_int_equal(call_recv_exactly(buffer, N, record_report), N);
    assert_int_equal(script_next, N);
    assert_memory_equal(buffer, data, N);
    assert_int_equal(buffer[N], '#'); /* nothing written past n */
    assert_int_equal(reports, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(asked[i], N - i); /* it asks for what is missing */
        assert_int_equal(report_received[i], 1);
        assert_int_equal(report_requested[i], N - i);
    }
}

static void uneven_pieces_land_at_buffer_plus_total(void **state)
{
    (void)state;
    /* 32769 bytes as 1448-byte segments and a short last one, the shape the
     * report saw between two Linux PCs. */
    static char data[DATASIZE_32KB], buffer[DATASIZE_32KB];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    struct step steps[MAX_STEPS];
    size_t count = 0, left = sizeof data;
    while (left > 0) {
        size_t piece = left < 1448 ? left : 1448;
        steps[count++] = (struct step){(ssize_t)piece, 0};
        left -= piece;
    }
    memset(buffer, 0, sizeof buffer);
    set_script(steps, count, data);

    assert_int_equal(call_recv_exactly(buffer, sizeof buffer, record_report), sizeof buffer);
    assert_memory_equal(buffer, data, sizeof data);
    assert_int_equal(reports, count);
    size_t sum = 0;
    for (size_t i = 0; i < reports; i++) {
        assert_int_equal(report_requested[i], sizeof data - sum);
        sum += report_received[i];
    }
    assert_int_equal(sum, sizeof data);
}

static void eintr_in_the_middle_is_retried(void **state)
{
    (void)state;
    const char *data = "hello, world";
    struct step steps[] = {{5, 0}, {-1, EINTR}, {-1, EINTR}, {7, 0}};
    char buffer[12];
    set_script(steps, 4, data);

    assert_int_equal(call_recv_exactly(buffer, 12, record_report), 12);
    assert_int_equal(script_next, 4);
    assert_memory_equal(buffer, data, 12);
    assert_int_equal(asked[1], 7);
    assert_int_equal(asked[3], 7);
    /* EINTR is not data: only the two answers with bytes are reported. */
    assert_int_equal(reports, 2);
    assert_int_equal(report_received[1], 7);
    assert_int_equal(report_requested[1], 7);
}

static void peer_closing_early_returns_the_short_count(void **state)
{
    (void)state;
    const char *data = "abcdefgh";
    struct step steps[] = {{3, 0}, {5, 0}, {0, 0}};
    char buffer[100];
    set_script(steps, 3, data);

    assert_int_equal(call_recv_exactly(buffer, 100, record_report), 8);
    assert_int_equal(script_next, 3); /* no recv() after the 0 */
    assert_memory_equal(buffer, data, 8);
    assert_int_equal(reports, 2); /* the 0 is not a recv() with data */
}

static void peer_closing_at_once_returns_zero(void **state)
{
    (void)state;
    struct step steps[] = {{0, 0}};
    char buffer[10];
    set_script(steps, 1, "");
    assert_int_equal(call_recv_exactly(buffer, 10, record_report), 0);
    assert_int_equal(reports, 0);
}

static void an_error_returns_minus_one_with_errno(void **state)
{
    (void)state;
    const char *data = "abcd";
    struct step steps[] = {{4, 0}, {-1, ECONNRESET}};
    char buffer[10];
    set_script(steps, 2, data);

    errno = 0;
    assert_int_equal(call_recv_exactly(buffer, 10, record_report), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(script_next, 2); /* no retry after a real error */
}

static void a_null_report_is_allowed(void **state)
{
    (void)state;
    const char *data = "xyz";
    struct step steps[] = {{2, 0}, {1, 0}};
    char buffer[3];
    set_script(steps, 2, data);
    assert_int_equal(call_recv_exactly(buffer, 3, NULL), 3);
    assert_memory_equal(buffer, data, 3);
}

static void zero_bytes_wanted_calls_nothing(void **state)
{
    (void)state;
    char buffer[1];
    set_script(NULL, 0, "");
    assert_int_equal(call_recv_exactly(buffer, 0, record_report), 0);
    assert_int_equal(script_next, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_byte_per_call_reaches_n),
        cmocka_unit_test(uneven_pieces_land_at_buffer_plus_total),
        cmocka_unit_test(eintr_in_the_middle_is_retried),
        cmocka_unit_test(peer_closing_early_returns_the_short_count),
        cmocka_unit_test(peer_closing_at_once_returns_zero),
        cmocka_unit_test(an_error_returns_minus_one_with_errno),
        cmocka_unit_test(a_null_report_is_allowed),
        cmocka_unit_test(zero_bytes_wanted_calls_nothing),
    };
    return cmocka_run_group_tests_name("recv_exactly", tests, NULL, NULL);
}
