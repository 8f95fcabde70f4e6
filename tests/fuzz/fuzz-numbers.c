/* fuzz-numbers: Chapter 1's <<parse a whole number>> and <<parse a port
 * number>>, as chapter 4's cli-int.c has them, against ref_number().
 *
 * Input: TEXT, and optionally NUL and 16 bytes more, MIN and MAX (two
 * longs, this machine's byte order) for one more range. TEXT is tried
 * with every range the book's programs use, LONG_MIN to LONG_MAX and that
 * one; parse_number() must accept exactly what ref_number() accepts, give
 * the same value, and leave *value alone when it refuses. */
#include "redirect.h" /* first: before the program and its headers */

#include "../../build/tangle/04-dados-binarios/cli-int.c"
#include "unredirect.h"

#include "reference.h"

static void check_range(const char *text, long min, long max)
{
    const long untouched = 0x5eed;
    long got = untouched, expected = untouched;
    int result = parse_number(text, min, max, &got);
    int expected_result = ref_number(text, min, max, &expected);
    FUZZ_CHECK(result == expected_result && got == expected,
               "parse_number(%s, %ld, %ld) gave %d, value %ld; expected %d, value %ld",
               fuzz_quote(text), min, max, result, got, expected_result, expected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';

    check_range(text, 0, 65535);             /* parse_port() */
    check_range(text, 1, 1000000);           /* -n CONNECTIONS, -c COUNT */
    check_range(text, INT32_MIN, INT32_MAX); /* the int32_t of chapter 4 */
    check_range(text, LONG_MIN, LONG_MAX);
    size_t length = strlen(text);
    if (size - length > 2 * sizeof(long)) {
        long min, max;
        memcpy(&min, data + length + 1, sizeof min);
        memcpy(&max, data + length + 1 + sizeof min, sizeof max);
        check_range(text, min, max);
    }

    /* A port: a whole decimal number from 0 to 65535, and nothing else. */
    uint16_t port = 4242;
    long expected = 4242;
    int result = parse_port(text, &port);
    int expected_result = ref_number(text, 0, 65535, &expected);
    FUZZ_CHECK(result == expected_result && port == expected,
               "parse_port(%s) gave %d, port %u; expected %d, port %ld", fuzz_quote(text),
               result, (unsigned)port, expected_result, expected);
    free(text);
    return 0;
}
