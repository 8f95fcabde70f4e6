/* Exercise 4.7: frames with a 2-byte length prefix in network byte order.
 * send() and recv() are the test's (-Wl,--wrap=send,--wrap=recv): send()
 * takes a random part of what it is given (1 to 4096 bytes) into a
 * "wire", sometimes fails with EINTR; recv() serves the wire in random
 * pieces of 1 to 4096 bytes, with EINTR now and then, and can end the
 * stream or fail at a chosen byte. */
#include "grade.h"
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

int send_frame(int fd, const void *message, uint16_t length);
int recv_frame(int fd, void *message, size_t capacity, uint16_t *length);

static struct {
    unsigned char data[400000];
    size_t length, offset, end_at;
    int error_at_end;
    unsigned seed, calls;
} wire;

static unsigned next_random(void)
{
    wire.seed = wire.seed * 1103515245u + 12345u;
    return (wire.seed >> 16) & 0x7fff;
}

static void reset(unsigned seed)
{
    memset(&wire, 0, sizeof wire);
    wire.seed = seed;
    wire.end_at = SIZE_MAX;
}

ssize_t __wrap_send(int fd, const void *buffer, size_t length, int flags);
ssize_t __wrap_send(int fd, const void *buffer, size_t length, int flags)
{
    (void)fd, (void)flags;
    if (++wire.calls > 1000000)
        grade_fail("more than a million send() calls");
    if (next_random() % 5 == 0) {
        errno = EINTR;
        return -1;
    }
    size_t piece = 1 + next_random() % 4096;
    if (piece > length)
        piece = length;
    if (wire.length + piece > sizeof wire.data)
        grade_fail("sent more than %zu bytes in all", sizeof wire.data);
    memcpy(wire.data + wire.length, buffer, piece);
    wire.length += piece;
    return (ssize_t)piece;
}

ssize_t __wrap_recv(int fd, void *buffer, size_t length, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t length, int flags)
{
    (void)fd, (void)flags;
    if (++wire.calls > 1000000)
        grade_fail("more than a million recv() calls: does the loop ever end?");
    if (next_random() % 7 == 0) {
        errno = EINTR;
        return -1;
    }
    size_t end = wire.end_at < wire.length ? wire.end_at : wire.length;
    if (wire.offset >= end) {
        if (wire.error_at_end) {
            errno = wire.error_at_end;
            return -1;
        }
        return 0;
    }
    size_t piece = 1 + next_random() % 4096;
    if (piece > end - wire.offset)
        piece = end - wire.offset;
    if (piece > length)
        piece = length;
    memcpy(buffer, wire.data + wire.offset, piece);
    wire.offset += piece;
    return (ssize_t)piece;
}

static unsigned char message[70000];

static void fill(size_t n, unsigned salt)
{
    for (size_t i = 0; i < n; i++)
        message[i] = (unsigned char)((i * 31 + salt + i / 256) & 0xff);
}

static void sends_the_prefix_then_the_bytes(void **state)
{
    (void)state;
    reset(1);
    fill(300, 0);
    if (send_frame(3, message, 300) != 0)
        grade_fail("send_frame() of 300 bytes returned non-zero");
    if (wire.length != 302)
        grade_fail("send_frame() of 300 bytes put %zu bytes on the wire, expected 302",
                   wire.length);
    if (wire.data[0] != 0x01 || wire.data[1] != 0x2c)
        grade_fail("the prefix of 300 bytes is %02x %02x, expected 01 2c (network order)",
                   wire.data[0], wire.data[1]);
    if (memcmp(wire.data + 2, message, 300) != 0)
        grade_fail("the 300 bytes after the prefix are not the message");
}

static void sends_an_empty_and_a_full_frame(void **state)
{
    (void)state;
    reset(2);
    fill(65535, 1);
    if (send_frame(3, message, 0) != 0 || send_frame(3, message, 65535) != 0)
        grade_fail("send_frame() of 0 or of 65535 bytes returned non-zero");
    if (wire.length != 2 + 2 + 65535 || wire.data[0] != 0 || wire.data[1] != 0 ||
        wire.data[2] != 0xff || wire.data[3] != 0xff ||
        memcmp(wire.data + 4, message, 65535) != 0)
        grade_fail(
            "an empty frame and one of 65535 bytes are not 00 00, ff ff and the bytes");
}

static void round_trip_of_many_frames(void **state)
{
    (void)state;
    reset(3);
    static const uint16_t sizes[] = {0, 1, 2, 100, 1448, 4096, 4097, 30000, 65535, 7};
    enum { COUNT = sizeof sizes / sizeof sizes[0] };
    for (int i = 0; i < COUNT; i++) {
        fill(sizes[i], (unsigned)i);
        if (send_frame(3, message, sizes[i]) != 0)
            grade_fail("send_frame() of %u bytes returned non-zero", sizes[i]);
    }
    static unsigned char got[65535 + 64];
    for (int i = 0; i < COUNT; i++) {
        uint16_t length = 12345;
        memset(got, 0xcc, sizeof got);
        int status = recv_frame(3, got, 65535, &length);
        if (status != 1)
            grade_fail("frame %d of %d (%u bytes): recv_frame() returned %d, expected 1",
                       i + 1, COUNT, sizes[i], status);
        fill(sizes[i], (unsigned)i);
        if (length != sizes[i] || memcmp(got, message, sizes[i]) != 0)
            grade_fail("frame %d of %d: got %u bytes, expected the %u sent", i + 1, COUNT,
                       length, sizes[i]);
    }
    uint16_t length;
    int status = recv_frame(3, got, 65535, &length);
    if (status != 0)
        grade_fail("the peer closed between two frames: recv_frame() returned %d, expected 0",
                   status);
}

static void refuses_a_frame_larger_than_capacity(void **state)
{
    (void)state;
    reset(4);
    fill(1000, 4);
    send_frame(3, message, 1000);
    unsigned char got[100 + 64];
    memset(got, 0xcc, sizeof got);
    uint16_t length;
    errno = 0;
    int status = recv_frame(3, got, 100, &length);
    if (status != -1 || errno != EMSGSIZE)
        grade_fail("a frame of 1000 bytes, capacity 100: returned %d with errno %d (%s), "
                   "expected -1 and EMSGSIZE",
                   status, errno, strerror(errno));
    for (size_t i = 100; i < sizeof got; i++)
        if (got[i] != 0xcc)
            grade_fail("a frame of 1000 bytes, capacity 100: wrote past the capacity");
}

static void a_frame_cut_short_is_an_error(void **state)
{
    (void)state;
    reset(5);
    fill(5000, 5);
    send_frame(3, message, 5000);
    wire.end_at = 2 + 3000; /* the peer closes in the middle */
    unsigned char got[5000];
    uint16_t length;
    errno = 0;
    int status = recv_frame(3, got, sizeof got, &length);
    if (status != -1 || errno != EPROTO)
        grade_fail(
            "the peer closed after 3000 of 5000 bytes: returned %d with errno %d (%s), "
            "expected -1 and EPROTO",
            status, errno, strerror(errno));
    reset(6);
    send_frame(3, message, 5000);
    wire.end_at = 1; /* in the middle of the prefix */
    errno = 0;
    status = recv_frame(3, got, sizeof got, &length);
    if (status != -1 || errno != EPROTO)
        grade_fail("the peer closed after 1 byte of the prefix: returned %d with errno %d, "
                   "expected -1 and EPROTO",
                   status, errno);
}

static void a_recv_error_is_reported(void **state)
{
    (void)state;
    reset(7);
    fill(5000, 7);
    send_frame(3, message, 5000);
    wire.end_at = 2 + 100;
    wire.error_at_end = ECONNRESET;
    unsigned char got[5000];
    uint16_t length;
    errno = 0;
    int status = recv_frame(3, got, sizeof got, &length);
    if (status != -1 || errno != ECONNRESET)
        grade_fail("ECONNRESET in the middle of a frame: returned %d with errno %d (%s), "
                   "expected -1 and ECONNRESET",
                   status, errno, strerror(errno));
}

static const struct CMUnitTest tests[] = {
    GRADE_TEST(sends_the_prefix_then_the_bytes),
    GRADE_TEST(sends_an_empty_and_a_full_frame),
    GRADE_TEST(round_trip_of_many_frames),
    GRADE_TEST(refuses_a_frame_larger_than_capacity),
    GRADE_TEST(a_frame_cut_short_is_an_error),
    GRADE_TEST(a_recv_error_is_reported),
};
GRADE_MAIN(tests)
