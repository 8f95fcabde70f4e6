/* expect: bytes_on_the_wire: {1, -2, "abc"}: encoded as 01 00 00 00
 * Wrong on purpose: the struct's memory as it is (host byte order; the
 * first 18 of its 20 bytes). Its round trip works on one machine. */
#include <stdint.h>
#include <string.h>

struct point {
    int32_t x;
    int32_t y;
    char name[10];
};

void encode_point(const struct point *point, unsigned char out[18])
{
    memcpy(out, point, 18);
}

void decode_point(const unsigned char in[18], struct point *point)
{
    memcpy(point, in, 18);
}
