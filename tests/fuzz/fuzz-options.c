/* fuzz-options: the option readers of chapters 1 and 3, run on fuzzed
 * command lines and compared with ref_options() (reference.h):
 *   <<read a server's options: -p PORT, -n CONNECTIONS, -h>>
 *   <<read a client's options: -p PORT, -h>> then <<check that one HOST is left>>
 *   <<read a program's options: -h only>>
 * Each chunk is taken from the .nw files as it is (tests/fuzz/chunks
 * writes build/fuzz/chunks/) into a function of its own here, among the
 * functions of chapter 1's serv-echo.c (usage_error(), parse_port()...).
 *
 * Input: one byte that picks the reader, then the arguments separated by
 * NUL bytes. Checked: -h writes the usage to stdout and exits 0; a bad
 * command line exits 2 with the line "serv-echo: WHAT" and the usage on
 * stderr, WHAT as the reference says; a good one ends the chunk with the
 * port and connection count of the reference and the operands in order;
 * check_standard_output() is registered before anything is read. */
#include "redirect.h" /* first: before the program and its headers */

#include "../../build/tangle/01-revisao-cliente-servidor/serv-echo.c"

struct command_line {
    int argc;
    char **argv;
    uint16_t port;
    long connections;
};

static void server_options(void *argument)
{
    struct command_line *line = argument;
    int argc = line->argc;
    char **argv = line->argv;
    uint16_t port = MYPORT;
    long connections = 0;
#include "server-options.c"
    line->port = port;
    line->connections = connections;
}

static void client_options(void *argument)
{
    struct command_line *line = argument;
    int argc = line->argc;
    char **argv = line->argv;
    uint16_t port = MYPORT;
#include "client-options.c"
#include "one-host.c"
    line->port = port;
}

static void help_only_options(void *argument)
{
    struct command_line *line = argument;
    int argc = line->argc;
    char **argv = line->argv;
#include "help-only.c"
}

#include "unredirect.h"

#include "reference.h"

static const struct ref_option server_table[] = {
    {'p', "port", 0, 65535},
    {'n', "connection count", 1, 1000000},
};
static const struct ref_option client_table[] = {{'p', "port", 1, 65535}};

static char *usage_text; /* what usage(stderr) writes */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_begin();
    usage(fuzz_stderr);
    usage_text = strdup(fuzz_stderr_text());
    return 0;
}

/* Says what went wrong, with the command line. */
static const char *shown(int argc, char **argv)
{
    static char text[2048];
    size_t at = 0;
    for (int i = 1; i < argc && at < sizeof text - 1; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, " %s", fuzz_quote(argv[i]));
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static char *argv[FUZZ_MAX_ARGS + 2], *original[FUZZ_MAX_ARGS + 2];
    int which = data[0] % 3;
    int argc = fuzz_argv("serv-echo", data + 1, size - 1, argv);
    memcpy(original, argv, sizeof argv);

    struct ref_outcome expected;
    void (*reader)(void *) = which == 0   ? server_options
                             : which == 1 ? client_options
                                          : help_only_options;
    if (which == 0)
        ref_options(argc, original, server_table, 2, &expected);
    else if (which == 1)
        ref_options(argc, original, client_table, 1, &expected);
    else
        ref_options(argc, original, NULL, 0, &expected);
    /* What the chunks' callers add after the options. */
    if (expected.kind == REF_OPERANDS && which == 0 && expected.operands > 0)
        ref_usage(&expected, "unexpected argument '%s'", expected.operand[0]);
    if (expected.kind == REF_OPERANDS && which == 1 && expected.operands == 0)
        ref_usage(&expected, "missing HOST: expected the server's name or address");
    if (expected.kind == REF_OPERANDS && which == 1 && expected.operands > 1)
        ref_usage(&expected, "unexpected argument '%s'", expected.operand[1]);

    fuzz_begin();
    optind = 0; /* glibc: start afresh */
    struct command_line line = {argc, argv, 0, -1};
    int status = fuzz_run(reader, &line);
    const char *out = fuzz_stdout_text(), *err = fuzz_stderr_text();
    const char *command = shown(argc, original);

    FUZZ_CHECK(fuzz_atexit_function == check_standard_output,
               "check_standard_output() not registered, reader %d:%s", which, command);
    switch (expected.kind) {
    case REF_HELP:
        FUZZ_CHECK(status == 0 && strncmp(out, "usage: serv-echo ", 17) == 0 && *err == '\0',
                   "-h: exit %d, stdout %s, reader %d:%s", status, fuzz_quote(out), which,
                   command);
        break;
    case REF_USAGE: {
        size_t length = strlen(expected.message);
        FUZZ_CHECK(status == 2 && *out == '\0' && strncmp(err, "serv-echo: ", 11) == 0 &&
                       strncmp(err + 11, expected.message, length) == 0 &&
                       err[11 + length] == '\n' &&
                       strcmp(err + 11 + length + 1, usage_text) == 0,
                   "expected exit 2 and %s, got exit %d; reader %d:%s",
                   fuzz_quote(expected.message), status, which, command);
        break;
    }
    case REF_OPERANDS:
        FUZZ_CHECK(status == FUZZ_RETURNED && *out == '\0' && *err == '\0',
                   "expected the options to be read, got exit %d; reader %d:%s", status,
                   which, command);
        long port = expected.given[0] ? expected.value[0] : MYPORT;
        FUZZ_CHECK(which == 2 || line.port == port, "port %u, expected %ld; reader %d:%s",
                   (unsigned)line.port, port, which, command);
        long connections = expected.given[1] ? expected.value[1] : 0;
        FUZZ_CHECK(which != 0 || line.connections == connections,
                   "connections %ld, expected %ld; reader %d:%s", line.connections,
                   connections, which, command);
        /* The operands, in their order, after optind. */
        FUZZ_CHECK(argc - optind == expected.operands,
                   "%d operands, expected %d; reader %d:%s", argc - optind, expected.operands,
                   which, command);
        for (int i = 0; i < expected.operands; i++)
            FUZZ_CHECK(argv[optind + i] == expected.operand[i],
                       "operand %d is %s, expected %s; reader %d:%s", i,
                       fuzz_quote(argv[optind + i]), expected.operand[i], which, command);
        break;
    }
    ref_free(&expected);
    return 0;
}
