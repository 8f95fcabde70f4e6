/* Exercise 4.2: a struct point on the wire, 18 bytes: x and y as 4-byte
 * two's complement, most significant byte first, then the 10 bytes of
 * name. The tests check the bytes against values written by hand (a
 * round trip alone passes with memcpy() of the whole struct on one
 * machine), the round trip of the extremes, a name with no '\0', that
 * nothing is written past 18 bytes, and that the padding's contents do
 * not reach the wire. */
#include "grade.h"
#include <stdint.h>

struct point {
    int32_t x;
    int32_t y;
    char name[10];
};

void encode_point(const struct point *point, unsigned char out[18]);
void decode_point(const unsigned char in[18], struct point *point);

static struct point make(int32_t x, int32_t y, const char *name, unsigned char fill)
{
    struct point point;
    memset(&point, fill, sizeof point); /* the padding keeps fill */
    point.x = x;
    point.y = y;
    memset(point.name, 0, sizeof point.name);
    memcpy(point.name, name, strlen(name) < 10 ? strlen(name) : 10);
    return point;
}

static void hex(const unsigned char *bytes, size_t n, char *text)
{
    for (size_t i = 0; i < n; i++)
        sprintf(text + 3 * i, "%02x ", bytes[i]);
    text[3 * n - 1] = '\0';
}

static void expect_bytes(struct point point, const unsigned char want[18], const char *what)
{
    unsigned char out[18 + 16];
    memset(out, 0xcc, sizeof out);
    encode_point(&point, out);
    for (size_t i = 18; i < sizeof out; i++)
        if (out[i] != 0xcc)
            grade_fail("%s: encode_point() wrote past the 18 bytes", what);
    if (memcmp(out, want, 18) != 0) {
        char got_text[64], want_text[64];
        hex(out, 18, got_text);
        hex(want, 18, want_text);
        grade_fail("%s: encoded as %s, expected %s", what, got_text, want_text);
    }
}

static void bytes_on_the_wire(void **state)
{
    (void)state;
    const unsigned char want[18] = {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 'a', 'b', 'c'};
    expect_bytes(make(1, -2, "abc", 0), want, "{1, -2, \"abc\"}");
    const unsigned char want2[18] = {0x12, 0x34, 0x56, 0x78, 0x80, 0, 0, 0, 'p',
                                     'o',  'n',  't',  'o',  0,    0, 0, 0, 0};
    expect_bytes(make(0x12345678, INT32_MIN, "ponto", 0), want2,
                 "{0x12345678, INT32_MIN, \"ponto\"}");
}

static void padding_does_not_leak(void **state)
{
    (void)state;
    unsigned char one[18], other[18];
    struct point a = make(7, 8, "x", 0x00), b = make(7, 8, "x", 0xa5);
    encode_point(&a, one);
    encode_point(&b, other);
    if (memcmp(one, other, 18) != 0)
        grade_fail("two equal points with different padding bytes encode differently: "
                   "the padding reaches the wire");
}

static void decodes_hand_written_bytes(void **state)
{
    (void)state;
    const unsigned char in[18] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0x0d, 0xa2, 'h',
                                  'e',  'l',  'l',  'o',  0, 0, 0,    0,    0};
    struct point point;
    memset(&point, 0x55, sizeof point);
    decode_point(in, &point);
    if (point.x != -1 || point.y != 3490)
        grade_fail("ff ff ff ff 00 00 0d a2 decoded as x=%ld y=%ld, expected x=-1 y=3490",
                   (long)point.x, (long)point.y);
    if (memcmp(point.name, "hello\0\0\0\0\0", 10) != 0)
        grade_fail("the name did not come out as its 10 bytes on the wire");
}

static void round_trip_of_the_extremes(void **state)
{
    (void)state;
    const int32_t values[] = {0, 1, -1, INT32_MAX, INT32_MIN, 123456789, -987654321};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        for (size_t j = 0; j < sizeof values / sizeof values[0]; j++) {
            struct point in = make(values[i], values[j], "q", 0), out;
            unsigned char wire[18];
            encode_point(&in, wire);
            memset(&out, 0x33, sizeof out);
            decode_point(wire, &out);
            if (out.x != in.x || out.y != in.y)
                grade_fail("{%ld, %ld} came back as {%ld, %ld}", (long)in.x, (long)in.y,
                           (long)out.x, (long)out.y);
        }
}

static void name_of_ten_letters(void **state)
{
    (void)state;
    struct point in = make(5, 6, "abcdefghij", 0), out;
    unsigned char wire[18 + 8];
    memset(wire, 0xcc, sizeof wire);
    encode_point(&in, wire);
    if (memcmp(wire + 8, "abcdefghij", 10) != 0)
        grade_fail("a name of 10 letters (no '\\0') did not go whole into bytes 8 to 17");
    memset(&out, 0, sizeof out);
    decode_point(wire, &out);
    if (memcmp(out.name, "abcdefghij", 10) != 0)
        grade_fail("a name of 10 letters (no '\\0') did not come back whole");
}

static const struct CMUnitTest tests[] = {
    GRADE_TEST(bytes_on_the_wire),          GRADE_TEST(decodes_hand_written_bytes),
    GRADE_TEST(round_trip_of_the_extremes), GRADE_TEST(name_of_ten_letters),
    GRADE_TEST(padding_does_not_leak),
};
GRADE_MAIN(tests)
