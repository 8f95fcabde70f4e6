/* support.c: the harnesses' side of fuzz.h. */
#include "fuzz.h"

#include <stdarg.h>

static jmp_buf exit_point;
static int running; /* inside fuzz_run(): exit() has a place to go */

int fuzz_run(void (*body)(void *argument), void *argument)
{
    int jumped = setjmp(exit_point);
    if (jumped != 0) {
        running = 0;
        return jumped - 1; /* the exit status, 0 to 255, or FUZZ_STOPPED + code */
    }
    running = 1;
    body(argument);
    running = 0;
    return FUZZ_RETURNED;
}

_Noreturn void fuzz_exit(int status)
{
    FUZZ_CHECK(running, "exit(%d) outside fuzz_run()", status);
    longjmp(exit_point, (status & 0xff) + 1);
}

_Noreturn void fuzz_stop(int code)
{
    FUZZ_CHECK(running, "fuzz_stop(%d) outside fuzz_run()", code);
    longjmp(exit_point, FUZZ_STOPPED + code + 1);
}

FILE *fuzz_stdout, *fuzz_stderr;
static char *stdout_text, *stderr_text;
static size_t stdout_length, stderr_length;

static FILE *memory_stream(char **text, size_t *length)
{
    FILE *stream = open_memstream(text, length);
    if (stream == NULL) {
        perror("fuzz: open_memstream");
        abort();
    }
    return stream;
}

void fuzz_begin(void)
{
    if (fuzz_stdout != NULL)
        fclose(fuzz_stdout);
    if (fuzz_stderr != NULL)
        fclose(fuzz_stderr);
    free(stdout_text);
    free(stderr_text);
    stdout_text = stderr_text = NULL;
    fuzz_stdout = memory_stream(&stdout_text, &stdout_length);
    fuzz_stderr = memory_stream(&stderr_text, &stderr_length);
    fuzz_atexit_function = NULL;
}

const char *fuzz_stdout_text(void)
{
    fflush(fuzz_stdout);
    return stdout_text;
}

const char *fuzz_stderr_text(void)
{
    fflush(fuzz_stderr);
    return stderr_text;
}

void (*fuzz_atexit_function)(void);

int fuzz_atexit(void (*function)(void))
{
    fuzz_atexit_function = function;
    return 0;
}

int fuzz_printf(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int written = vfprintf(fuzz_stdout, format, arguments);
    va_end(arguments);
    return written;
}

int fuzz_puts(const char *text)
{
    return fputs(text, fuzz_stdout) == EOF || fputc('\n', fuzz_stdout) == EOF ? EOF : 1;
}

int fuzz_putchar(int c)
{
    return fputc(c, fuzz_stdout);
}

int fuzz_argv(const char *argv0, const uint8_t *data, size_t size, char **argv)
{
    static char *text;
    free(text);
    text = malloc(size + 1);
    if (text == NULL)
        abort();
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    int argc = 0;
    argv[argc++] = (char *)argv0;
    if (size > 0) {
        /* Every NUL ends an argument: "a\0b" is two, "a\0" is "a" and "". */
        for (char *next = text; argc <= FUZZ_MAX_ARGS;) {
            argv[argc++] = next;
            size_t length = strlen(next);
            if (next + length == text + size)
                break;
            next += length + 1;
        }
    }
    argv[argc] = NULL;
    return argc;
}

_Noreturn void fuzz_failed(const char *file, int line, const char *condition,
                           const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "\n%s:%d: property broken: %s\n  ", file, line, condition);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    if (stderr_text != NULL)
        fprintf(stderr, "  the code's stderr: %s\n", fuzz_quote(fuzz_stderr_text()));
    abort();
}

const char *fuzz_quote(const char *text)
{
    static char quoted[1024];
    size_t at = 0;
    quoted[at++] = '"';
    for (; text != NULL && *text != '\0' && at < sizeof quoted - 8; text++) {
        unsigned char c = (unsigned char)*text;
        if (c == '"' || c == '\\')
            at += (size_t)snprintf(quoted + at, sizeof quoted - at, "\\%c", c);
        else if (c >= 32 && c < 127)
            quoted[at++] = (char)c;
        else
            at += (size_t)snprintf(quoted + at, sizeof quoted - at, "\\x%02x", c);
    }
    if (text != NULL && *text != '\0')
        at += (size_t)snprintf(quoted + at, sizeof quoted - at, "...");
    snprintf(quoted + at, sizeof quoted - at, "\"");
    return quoted;
}
