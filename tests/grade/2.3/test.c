/* Exercise 2.3: size_t recv_counted(int fd, void *buffer, size_t n, int *error).
 * recv() is the test's (-Wl,--wrap=recv): it serves a stream of known
 * bytes in pieces of the sizes each test chooses (1 to 4096 bytes, drawn
 * at random with a fixed seed), and can interrupt a call with EINTR, end
 * the stream (return 0) or fail with ECONNRESET after some bytes. Each
 * test checks the count, *error, the bytes, and that nothing was written
 * past n bytes of the buffer. */
#include "grade.h"
#include <sys/socket.h>
#include <sys/types.h>

size_t recv_counted(int fd, void *buffer, size_t n, int *error);

#define CANARY 0x5a
#define SLACK 64

static struct {
    const unsigned char *data; /* the stream */
    size_t length, offset;     /* its bytes, and those served */
    unsigned seed;             /* piece sizes: 0 = all that is asked */
    size_t piece_max;          /* pieces from 1 to this many bytes */
    int eintr_every;           /* every k-th call fails with EINTR (0: never) */
    size_t end_at;             /* the stream ends (0 returned) here */
    int error_at_end;          /* ... or fails with this errno there */
    unsigned calls;
} stream;

static unsigned next_random(void)
{
    stream.seed = stream.seed * 1103515245u + 12345u;
    return (stream.seed >> 16) & 0x7fff;
}

ssize_t __wrap_recv(int fd, void *buffer, size_t length, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t length, int flags)
{
    (void)fd, (void)flags;
    stream.calls++;
    if (stream.calls > 1000000)
        grade_fail("more than a million recv() calls: does the loop ever end?");
    if (stream.eintr_every && stream.calls % (unsigned)stream.eintr_every == 0) {
        errno = EINTR;
        return -1;
    }
    if (stream.offset >= stream.end_at) {
        if (stream.error_at_end) {
            errno = stream.error_at_end;
            return -1;
        }
        return 0;
    }
    size_t piece = stream.end_at - stream.offset;
    if (stream.piece_max > 0) {
        size_t drawn = 1 + (size_t)next_random() % stream.piece_max;
        if (drawn < piece)
            piece = drawn;
    }
    if (piece > length)
        piece = length;
    memcpy(buffer, stream.data + stream.offset, piece);
    stream.offset += piece;
    return (ssize_t)piece;
}

static unsigned char source[300000];

static void serve(size_t length, size_t piece_max, unsigned seed)
{
    memset(&stream, 0, sizeof stream);
    for (size_t i = 0; i < sizeof source; i++)
        source[i] = (unsigned char)((i * 7 + i / 251) & 0xff);
    stream.data = source;
    stream.length = stream.end_at = length;
    stream.piece_max = piece_max;
    stream.seed = seed;
}

/* Calls recv_counted() for n bytes into a buffer with a guard zone after
 * it, and checks the count, the error, the bytes and the guard. */
static void expect(size_t n, size_t count, int expected_error, const char *situation)
{
    unsigned char *buffer = malloc(n + SLACK);
    assert_non_null(buffer);
    memset(buffer, CANARY, n + SLACK);
    int error = -12345;
    size_t got = recv_counted(3, buffer, n, &error);
    if (got != count)
        grade_fail("%s: returned %zu, expected %zu", situation, got, count);
    if (error != expected_error)
        grade_fail("%s: *error is %d (%s), expected %d (%s)", situation, error,
                   error == -12345 ? "never set" : strerror(error), expected_error,
                   expected_error ? strerror(expected_error) : "no error");
    for (size_t i = 0; i < count; i++)
        if (buffer[i] != source[i])
            grade_fail("%s: byte %zu of the buffer is not byte %zu of the stream", situation,
                       i, i);
    for (size_t i = n; i < n + SLACK; i++)
        if (buffer[i] != CANARY)
            grade_fail("%s: wrote past the %zu bytes of the buffer", situation, n);
    free(buffer);
}

static void all_in_one_recv(void **state)
{
    (void)state;
    serve(1000, 0, 1);
    expect(1000, 1000, 0, "1000 bytes in one recv()");
}

static void one_byte_at_a_time(void **state)
{
    (void)state;
    serve(3000, 1, 1);
    expect(3000, 3000, 0, "3000 bytes, 1 byte per recv()");
}

static void pieces_of_1_to_4096_bytes(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 20; seed++) {
        serve(100000 + seed * 1000, 4096, seed);
        char situation[96];
        snprintf(situation, sizeof situation,
                 "%u bytes in pieces of 1 to 4096 bytes (seed %u)", 100000 + seed * 1000,
                 seed);
        expect(100000 + seed * 1000, 100000 + seed * 1000, 0, situation);
    }
}

static void more_data_than_asked(void **state)
{
    (void)state;
    serve(50000, 4096, 7);
    expect(20000, 20000, 0, "20000 bytes asked of a stream of 50000");
    if (stream.offset != 20000)
        grade_fail("20000 bytes asked of a stream of 50000: took %zu bytes from the stream",
                   stream.offset);
}

static void eintr_is_no_error(void **state)
{
    (void)state;
    serve(40000, 4096, 3);
    stream.eintr_every = 3;
    expect(40000, 40000, 0, "40000 bytes, every third recv() interrupted by EINTR");
}

static void peer_closes_early(void **state)
{
    (void)state;
    serve(50000, 4096, 5);
    stream.end_at = 12345;
    expect(50000, 12345, 0, "the peer closes after 12345 of 50000 bytes");
}

static void error_after_partial_data(void **state)
{
    (void)state;
    serve(50000, 4096, 9);
    stream.end_at = 5000;
    stream.error_at_end = ECONNRESET;
    expect(50000, 5000, ECONNRESET, "ECONNRESET after 5000 of 50000 bytes");
}

static void error_before_any_data(void **state)
{
    (void)state;
    serve(50000, 4096, 9);
    stream.end_at = 0;
    stream.error_at_end = ETIMEDOUT;
    expect(100, 0, ETIMEDOUT, "ETIMEDOUT on the first recv()");
}

static void zero_bytes(void **state)
{
    (void)state;
    serve(100, 0, 1);
    expect(0, 0, 0, "0 bytes asked");
}

static const struct CMUnitTest tests[] = {
    GRADE_TEST(all_in_one_recv),
    GRADE_TEST(one_byte_at_a_time),
    GRADE_TEST(pieces_of_1_to_4096_bytes),
    GRADE_TEST(more_data_than_asked),
    GRADE_TEST(eintr_is_no_error),
    GRADE_TEST(peer_closes_early),
    GRADE_TEST(error_after_partial_data),
    GRADE_TEST(error_before_any_data),
    GRADE_TEST(zero_bytes),
};
GRADE_MAIN(tests)
