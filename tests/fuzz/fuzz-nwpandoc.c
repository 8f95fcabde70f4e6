/* fuzz-nwpandoc: the weave's documentation filter, tools/weave/nwpandoc.c, on a
 * fuzzed noweb pipeline, with pandoc replaced by a stand-in that runs no
 * process (the filter's convert_markdown pointer):
 *   - input without a NUL byte: the pipeline; the stand-in gives the
 *     Markdown back as it came, as if it were already LaTeX, so [[...]]
 *     placeholders and chunk separators make the whole round trip;
 *   - PIPELINE NUL LATEX: the stand-in answers LATEX, whatever the
 *     Markdown was: the second pass reads what a pandoc might write.
 * Checked: the filter either succeeds, with nothing on stderr and every
 * line outside the documentation chunks written back in its order, or
 * fails with exit status 1 and one line "nwpandoc: WHAT" on stderr.
 *
 * The filter runs once per process and leaves its memory to exit(): here
 * its allocations are counted and freed after each input. */
#include "redirect.h"

static void **allocation;
static size_t allocations, allocation_room;

static void remember(void *block)
{
    if (allocations == allocation_room) {
        allocation_room = allocation_room ? 2 * allocation_room : 1024;
        allocation = realloc(allocation, allocation_room * sizeof *allocation);
        if (allocation == NULL)
            abort();
    }
    allocation[allocations++] = block;
}

static void forget(void *block)
{
    for (size_t i = allocations; i-- > 0;)
        if (allocation[i] == block) {
            allocation[i] = allocation[--allocations];
            return;
        }
}

static void *counted_realloc(void *old, size_t size)
{
    void *fresh = realloc(old, size);
    if (fresh != NULL) {
        if (old != NULL)
            forget(old);
        remember(fresh);
    }
    return fresh;
}

static void *counted_calloc(size_t count, size_t size)
{
    void *fresh = calloc(count, size);
    if (fresh != NULL)
        remember(fresh);
    return fresh;
}

static char *counted_strdup(const char *text)
{
    char *fresh = strdup(text);
    if (fresh != NULL)
        remember(fresh);
    return fresh;
}

static void counted_free(void *block)
{
    if (block != NULL)
        forget(block);
    free(block);
}

static void free_all(void)
{
    for (size_t i = 0; i < allocations; i++)
        free(allocation[i]);
    allocations = 0;
}

static FILE *fuzz_stdin;

#define realloc counted_realloc
#define calloc counted_calloc
#define strdup counted_strdup
#define free counted_free
#undef stdin
#define stdin fuzz_stdin
#include "../../tools/weave/nwpandoc.c"
#undef realloc
#undef calloc
#undef strdup
#undef free
#undef stdin
#include "unredirect.h"

static const uint8_t *latex_answer; /* NULL: give the Markdown back */
static size_t latex_length;

static char *stand_in(const char *pandoc, const struct text *markdown,
                      const struct origins *origins)
{
    (void)pandoc, (void)origins;
    if (latex_answer == NULL)
        return counted_strdup(markdown->data);
    char *latex = counted_realloc(NULL, latex_length + 1);
    memcpy(latex, latex_answer, latex_length);
    latex[latex_length] = '\0';
    return latex;
}

static int status;

/* An error line starts "nwpandoc: " or, when it has a place in the
 * book, "FILE:LINE: " as the compiler's do. */
static int names_where(const char *err)
{
    if (strncmp(err, "nwpandoc: ", 10) == 0)
        return 1;
    /* FILE is the @file line's: it may hold colons, or be empty. */
    for (const char *colon = strchr(err, ':'); colon != NULL;
         colon = strchr(colon + 1, ':')) {
        size_t digits = strspn(colon + 1, "0123456789");
        if (digits > 0 && strncmp(colon + 1 + digits, ": ", 2) == 0)
            return 1;
    }
    return 0;
}

static void run_filter(void *argument)
{
    (void)argument;
    char *argv[] = {"nwpandoc", NULL};
    status = program_main(1, argv);
}

/* The lines outside the documentation chunks, "@begin docs" and "@end
 * docs" included, without the \nwrootchunk lines the filter adds: a
 * pointer and a length each, into text, which has length bytes. */
struct outline {
    size_t count;
    const char **line;
    size_t *length;
};

static void outline(const char *text, size_t length, struct outline *o)
{
    o->count = 0;
    o->line = malloc((length + 1) * sizeof *o->line);
    o->length = malloc((length + 1) * sizeof *o->length);
    if (o->line == NULL || o->length == NULL)
        abort();
    int in_docs = 0;
    for (const char *line = text; line < text + length;) {
        const char *end = memchr(line, '\n', (size_t)(text + length - line));
        size_t n = end != NULL ? (size_t)(end - line) : (size_t)(text + length - line);
        int begin = n >= 12 && strncmp(line, "@begin docs ", 12) == 0;
        int finish = n >= 10 && strncmp(line, "@end docs ", 10) == 0;
        int root = n >= 22 && strncmp(line, "@literal \\nwrootchunk{", 22) == 0;
        if (begin || finish || (!in_docs && !root)) {
            o->line[o->count] = line;
            o->length[o->count++] = n;
        }
        if (begin)
            in_docs = 1;
        if (finish)
            in_docs = 0;
        line += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t pipeline_length = nul != NULL ? (size_t)(nul - data) : size;
    latex_answer = nul != NULL ? nul + 1 : NULL;
    latex_length = nul != NULL ? size - pipeline_length - 1 : 0;

    fuzz_begin();
    static char nothing[1];
    fuzz_stdin = pipeline_length > 0 ? fmemopen((void *)data, pipeline_length, "r")
                                     : fmemopen(nothing, 1, "r");
    if (fuzz_stdin == NULL)
        abort();
    if (pipeline_length == 0)
        fgetc(fuzz_stdin);   /* fmemopen() wants a size of 1 or more: read it past */
    source_name = "(stdin)"; /* the last input's pointed into freed lines */
    convert_markdown = stand_in;
    optind = 0;
    status = -1;
    int ended = fuzz_run(run_filter, NULL);
    fclose(fuzz_stdin);
    free_all();

    const char *out = fuzz_stdout_text(), *err = fuzz_stderr_text();
    if (ended == FUZZ_RETURNED) {
        FUZZ_CHECK(status == 0 && *err == '\0', "returned %d, stderr %s", status,
                   fuzz_quote(err));
        struct outline in, written;
        outline((const char *)data, pipeline_length, &in);
        outline(out, strlen(out), &written);
        size_t i = 0;
        while (i < in.count && i < written.count && in.length[i] == written.length[i] &&
               memcmp(in.line[i], written.line[i], in.length[i]) == 0)
            i++;
        FUZZ_CHECK(i == in.count && i == written.count,
                   "the lines outside the documentation differ at the %zu-th of %zu read, "
                   "%zu written",
                   i + 1, in.count, written.count);
        free(in.line), free(in.length), free(written.line), free(written.length);
    } else {
        size_t length = strlen(err);
        FUZZ_CHECK(ended == 1 && names_where(err) && length > 11 && err[length - 1] == '\n' &&
                       memchr(err, '\n', length - 1) == NULL,
                   "exit %d, expected 1 and one line on stderr", ended);
    }
    return 0;
}
