/* expect: name_of_ten_letters: a name of 10 letters
 * Wrong on purpose: the name is copied as a C string of at most 9 letters. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct point {
    int32_t x;
    int32_t y;
    char name[10];
};

void encode_point(const struct point *point, unsigned char out[18])
{
    uint32_t x = htonl((uint32_t)point->x), y = htonl((uint32_t)point->y);
    memcpy(out, &x, 4);
    memcpy(out + 4, &y, 4);
    memset(out + 8, 0, 10);
    snprintf((char *)out + 8, 10, "%s", point->name);
}

void decode_point(const unsigned char in[18], struct point *point)
{
    uint32_t x, y;
    memcpy(&x, in, 4);
    memcpy(&y, in + 4, 4);
    point->x = (int32_t)ntohl(x);
    point->y = (int32_t)ntohl(y);
    memcpy(point->name, in + 8, 10);
}
