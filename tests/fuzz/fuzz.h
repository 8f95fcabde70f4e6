/* fuzz.h: what the libFuzzer harnesses of tests/fuzz/ share (support.c).
 *
 * A harness runs the book's code as it is tangled: it includes the program
 * (build/tangle/NN-slug/NAME.c) between redirect.h and unredirect.h, which turn
 * its exit() into a jump back to the harness (libFuzzer would take an
 * exit for a crash), its atexit() into a note, and its stdout and stderr
 * into memory the harness reads. A property that does not hold is
 * reported by FUZZ_CHECK, which aborts: libFuzzer saves the input. */
#ifndef FUZZ_H
#define FUZZ_H

#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fuzz_run(): calls body(argument) with exit() caught. Returns
 * FUZZ_RETURNED if body returned, the status given to exit(), or
 * FUZZ_STOPPED + CODE if a wrapped call said fuzz_stop(CODE). */
enum { FUZZ_RETURNED = -1, FUZZ_STOPPED = 256 };
int fuzz_run(void (*body)(void *argument), void *argument);
_Noreturn void fuzz_exit(int status);
_Noreturn void fuzz_stop(int code);

/* What the code under test wrote since fuzz_begin(), NUL-terminated. */
void fuzz_begin(void);
const char *fuzz_stdout_text(void);
const char *fuzz_stderr_text(void);
extern FILE *fuzz_stdout, *fuzz_stderr;

/* atexit() of the code under test: remembers the function, registers
 * nothing (a registration per input would pile up). */
int fuzz_atexit(void (*function)(void));
extern void (*fuzz_atexit_function)(void);

/* printf() and friends of the code under test, into fuzz_stdout. */
int fuzz_printf(const char *format, ...);
int fuzz_puts(const char *text);
int fuzz_putchar(int c);

/* argv from fuzz bytes: the input split at NUL bytes into at most
 * FUZZ_MAX_ARGS arguments after argv[0]; the strings live until the next
 * call. Returns argc. */
enum { FUZZ_MAX_ARGS = 12 };
int fuzz_argv(const char *argv0, const uint8_t *data, size_t size, char **argv);

/* A broken property: says which, with the details, and aborts. */
#define FUZZ_CHECK(condition, ...)                                                           \
    do {                                                                                     \
        if (!(condition))                                                                    \
            fuzz_failed(__FILE__, __LINE__, #condition, __VA_ARGS__);                        \
    } while (0)
_Noreturn void fuzz_failed(const char *file, int line, const char *condition,
                           const char *format, ...);

/* "text" quoted with C escapes, for the messages (a static buffer). */
const char *fuzz_quote(const char *text);

#endif
