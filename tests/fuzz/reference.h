/* reference.h: what the book's parsers should do, written again from the
 * book's prose and POSIX, without strtol() and without getopt(): the
 * harnesses compare the tangled code with these on every input. */
#ifndef REFERENCE_H
#define REFERENCE_H

#include <limits.h>
#include <stdarg.h>

/* Chapter 1, "Ler um número inteiro": digits only, led by a '-' only when
 * min < 0; no blanks, no '+', nothing after the digits; a long without
 * overflow, from min to max. Returns 0 and sets *value, or -1. */
static inline int ref_number(const char *text, long min, long max, long *value)
{
    int negative = text[0] == '-' && min < 0;
    const char *digit = text + negative;
    if (*digit == '\0')
        return -1;
    unsigned long long magnitude = 0;
    int too_big = 0;
    for (; *digit != '\0'; digit++) {
        if (*digit < '0' || *digit > '9')
            return -1;
        unsigned d = (unsigned)(*digit - '0');
        if (magnitude > (ULLONG_MAX - d) / 10)
            too_big = 1;
        else
            magnitude = magnitude * 10 + d;
    }
    unsigned long long limit = (unsigned long long)LONG_MAX + (negative ? 1 : 0);
    if (too_big || magnitude > limit)
        return -1;
    long number;
    if (!negative)
        number = (long)magnitude;
    else if (magnitude == limit)
        number = LONG_MIN;
    else
        number = -(long)magnitude;
    if (number < min || number > max)
        return -1;
    *value = number;
    return 0;
}

/* A command line as POSIX getopt() with ":LETTERS" reads it (the programs
 * define _POSIX_C_SOURCE, so glibc's getopt() does not permute: the first
 * operand ends the options, and so does "--"; "-" is an operand), with
 * the book's checks and messages. */
struct ref_option {
    char letter;      /* takes a value */
    const char *what; /* "port": "invalid port '...': expected ..." */
    long min, max;
};

enum ref_kind { REF_OPERANDS, REF_HELP, REF_USAGE };
enum { REF_MAX_OPTIONS = 4 };

struct ref_outcome {
    enum ref_kind kind;
    char *message; /* REF_USAGE: the line after "PROGRAM: " (malloc) */
    long value[REF_MAX_OPTIONS];
    int given[REF_MAX_OPTIONS];
    int operands;
    char *operand[64];
};

static inline void ref_usage(struct ref_outcome *outcome, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(NULL, 0, format, arguments);
    va_end(arguments);
    outcome->message = malloc((size_t)length + 1);
    if (outcome->message == NULL)
        abort();
    va_start(arguments, format);
    vsnprintf(outcome->message, (size_t)length + 1, format, arguments);
    va_end(arguments);
    outcome->kind = REF_USAGE;
}

static inline void ref_free(struct ref_outcome *outcome)
{
    free(outcome->message);
    outcome->message = NULL;
}

/* Reads argv[1...] with the options -h and options[0...count-1]. Stops
 * at the first error (REF_USAGE) or -h (REF_HELP). */
static inline void ref_options(int argc, char **argv, const struct ref_option *options,
                               int count, struct ref_outcome *outcome)
{
    memset(outcome, 0, sizeof *outcome);
    outcome->kind = REF_OPERANDS;
    int i = 1;
    for (; i < argc; i++) {
        char *argument = argv[i];
        if (strcmp(argument, "--") == 0) {
            i++;
            break;
        }
        if (argument[0] != '-' || argument[1] == '\0')
            break;
        /* A cluster: -hp80, -p 80, -p80. */
        for (const char *letter = argument + 1; *letter != '\0'; letter++) {
            if (*letter == 'h') {
                outcome->kind = REF_HELP;
                return;
            }
            int o = 0;
            while (o < count && options[o].letter != *letter)
                o++;
            if (o == count) {
                ref_usage(outcome, "unknown option '-%c'", *letter);
                return;
            }
            const char *value;
            if (letter[1] != '\0')
                value = letter + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                ref_usage(outcome, "option '-%c' needs a value", *letter);
                return;
            }
            if (ref_number(value, options[o].min, options[o].max, &outcome->value[o]) == -1) {
                ref_usage(outcome, "invalid %s '%s': expected a number from %ld to %ld",
                          options[o].what, value, options[o].min, options[o].max);
                return;
            }
            outcome->given[o] = 1;
            break;
        }
    }
    for (; i < argc; i++)
        outcome->operand[outcome->operands++] = argv[i];
}

#endif
