/*
 * nwpandoc: a noweb filter that typesets documentation chunks written in
 * pandoc Markdown.
 *
 * It sits in the noweave pipeline (markup | ... | noidx | nwpandoc | totex)
 * and rewrites every documentation chunk from Markdown to LaTeX with ONE
 * pandoc run per file: starting pandoc once per chunk costs ~0.2 s each.
 * [[code]] quotes are cut out before pandoc sees them and put back as noweb
 * quote tokens afterwards, so totex still typesets and indexes them.
 *
 * It also marks the first definition of every root chunk (a chunk that is
 * defined and never used: a tangled file) with \nwrootchunk{name}, which
 * the book's style turns into an entry of the list of programs, and starts
 * each documentation chunk with a "% nw: FILE:LINE" comment so a LaTeX
 * error can be traced back to the .nw line.
 *
 * Usage: nwpandoc [-p PANDOC]    (default: pandoc, or $NWPANDOC_PANDOC)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Placeholders are plain letters and digits so pandoc copies them as they
 * are; the odd spelling keeps them from matching prose. */
#define QUOTE_MARK "NWXQ"
#define QUOTE_END "QXN"
#define CHUNK_SEPARATOR "NWXCHUNKSEPARATORXN"

struct lines {
    char **item;
    size_t count;
    size_t capacity;
};

struct text {
    char *data;
    size_t length;
    size_t capacity;
};

static const char *program_name = "nwpandoc";
static const char *source_name = "(stdin)";

static void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(EXIT_FAILURE);
}

static void *checked_realloc(void *old, size_t size)
{
    void *fresh = realloc(old, size);
    if (fresh == NULL)
        die("out of memory");
    return fresh;
}

static void lines_push(struct lines *lines, char *line)
{
    if (lines->count == lines->capacity) {
        lines->capacity = lines->capacity ? 2 * lines->capacity : 256;
        lines->item = checked_realloc(lines->item, lines->capacity * sizeof *lines->item);
    }
    lines->item[lines->count++] = line;
}

static void text_append(struct text *text, const char *data, size_t length)
{
    if (text->length + length + 1 > text->capacity) {
        size_t wanted = text->capacity ? 2 * text->capacity : 4096;
        while (wanted < text->length + length + 1)
            wanted *= 2;
        text->data = checked_realloc(text->data, wanted);
        text->capacity = wanted;
    }
    memcpy(text->data + text->length, data, length);
    text->length += length;
    text->data[text->length] = '\0';
}

static void text_puts(struct text *text, const char *string)
{
    text_append(text, string, strlen(string));
}

static int starts_with(const char *string, const char *prefix)
{
    return strncmp(string, prefix, strlen(prefix)) == 0;
}

static struct lines read_all_lines(FILE *stream)
{
    struct lines lines = {0};
    char *line = NULL;
    size_t size = 0;
    ssize_t length;
    while ((length = getline(&line, &size, stream)) != -1) {
        if (length > 0 && line[length - 1] == '\n')
            line[length - 1] = '\0';
        lines_push(&lines, strdup(line));
    }
    free(line);
    if (ferror(stream))
        die("cannot read the noweb pipeline: %s", strerror(errno));
    return lines;
}

/* A chunk name is a root when it is defined and never used. */
static int is_root(const struct lines *pipeline, const char *name)
{
    for (size_t i = 0; i < pipeline->count; i++)
        if (starts_with(pipeline->item[i], "@use ") &&
            strcmp(pipeline->item[i] + 5, name) == 0)
            return 0;
    return 1;
}

/* A root that is data, not a program: "seed-table1.tsv", or with the
 * weave's suffix, "seed-table1.tsv NWROOTOF2". */
static int is_data_file(const char *name)
{
    const char *dot = strstr(name, ".tsv");
    return dot != NULL && (dot[4] == '\0' || dot[4] == ' ');
}

static int defined_before(const struct lines *pipeline, size_t limit, const char *name)
{
    for (size_t i = 0; i < limit; i++)
        if (starts_with(pipeline->item[i], "@defn ") &&
            strcmp(pipeline->item[i] + 6, name) == 0)
            return 1;
    return 0;
}

/* Runs pandoc on the Markdown text and returns its LaTeX. */
static char *run_pandoc(const char *pandoc, const struct text *markdown)
{
    char input_name[] = "/tmp/nwpandoc-XXXXXX";
    int fd = mkstemp(input_name);
    if (fd == -1)
        die("cannot create a temporary file: %s", strerror(errno));
    FILE *input = fdopen(fd, "w");
    if (input == NULL ||
        fwrite(markdown->data, 1, markdown->length, input) != markdown->length ||
        fclose(input) != 0) {
        unlink(input_name);
        die("cannot write a temporary file: %s", strerror(errno));
    }

    struct text command = {0};
    text_puts(&command, pandoc);
    text_puts(&command, " --from=markdown-auto_identifiers --to=latex"
                        " --top-level-division=chapter --wrap=preserve --no-highlight ");
    text_puts(&command, input_name);
    FILE *output = popen(command.data, "r");
    if (output == NULL) {
        unlink(input_name);
        die("cannot run '%s': %s", pandoc, strerror(errno));
    }
    struct text latex = {0};
    char buffer[8192];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, output)) > 0)
        text_append(&latex, buffer, got);
    int status = pclose(output);
    unlink(input_name);
    free(command.data);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("%s: pandoc failed (exit status %d) converting the documentation chunks",
            source_name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (latex.data == NULL)
        text_puts(&latex, "");
    return latex.data;
}

/* What turns the Markdown into LaTeX: pandoc. The fuzz harness
 * (tests/fuzz/fuzz-nwpandoc.c) puts a stand-in here that runs no process. */
static char *(*convert_markdown)(const char *pandoc,
                                 const struct text *markdown) = run_pandoc;

/* Emits one LaTeX line of a documentation chunk, turning each placeholder
 * back into the quote tokens it stood for. */
static void emit_latex_line(const char *line, const struct lines *pipeline,
                            const size_t *quote_start, size_t quote_count, int *quote_seen,
                            size_t docs_line)
{
    const char *rest = line;
    const char *mark;
    static const char *const headings[] = {"\\chapter",       "\\section",   "\\subsection",
                                           "\\subsubsection", "\\paragraph", "\\caption"};
    for (size_t h = 0; h < sizeof headings / sizeof headings[0]; h++)
        if (starts_with(line, headings[h]) && strstr(line, QUOTE_MARK) != NULL)
            die("%s:%zu: a [[...]] quote in a heading would reach the table of contents and "
                "the PDF bookmarks; use `...` there instead",
                source_name, docs_line);
    while ((mark = strstr(rest, QUOTE_MARK)) != NULL) {
        char *end;
        unsigned long index = strtoul(mark + strlen(QUOTE_MARK), &end, 10);
        if (end == mark + strlen(QUOTE_MARK) || !starts_with(end, QUOTE_END)) {
            if (mark > rest)
                printf("@text %.*s\n", (int)(mark - rest), rest);
            printf("@text %s\n", QUOTE_MARK);
            rest = mark + strlen(QUOTE_MARK);
            continue;
        }
        if (index >= quote_count)
            die("%s:%zu: pandoc produced an unknown quote placeholder", source_name,
                docs_line);
        if (quote_seen[index]++)
            die("%s:%zu: a [[...]] quote ended up twice in the LaTeX (in a heading or a "
                "caption?); use `...` there instead",
                source_name, docs_line);
        if (mark > rest)
            printf("@text %.*s\n", (int)(mark - rest), rest);
        for (size_t i = quote_start[index]; strcmp(pipeline->item[i], "@endquote") != 0; i++)
            puts(pipeline->item[i]);
        puts("@endquote");
        rest = end + strlen(QUOTE_END);
    }
    if (*rest != '\0')
        printf("@text %s\n", rest);
    puts("@nl");
}

int main(int argc, char **argv)
{
    const char *pandoc = getenv("NWPANDOC_PANDOC") ? getenv("NWPANDOC_PANDOC") : "pandoc";
    int option;
    while ((option = getopt(argc, argv, "p:h")) != -1) {
        switch (option) {
        case 'p':
            pandoc = optarg;
            break;
        case 'h':
            printf("usage: %s [-p PANDOC] < noweb-pipeline > noweb-pipeline\n", program_name);
            return EXIT_SUCCESS;
        default:
            fprintf(stderr, "usage: %s [-p PANDOC] < noweb-pipeline > noweb-pipeline\n",
                    program_name);
            return EXIT_FAILURE;
        }
    }
    if (optind != argc)
        die("unexpected argument '%s'; the filter reads the noweb pipeline on stdin",
            argv[optind]);

    struct lines pipeline = read_all_lines(stdin);
    size_t *quote_start = checked_realloc(NULL, (pipeline.count + 1) * sizeof *quote_start);
    size_t *docs_first_line =
        checked_realloc(NULL, (pipeline.count + 1) * sizeof *docs_first_line);
    /* The .nw file of each documentation chunk: the book has several. */
    const char **docs_file = checked_realloc(NULL, (pipeline.count + 1) * sizeof *docs_file);
    size_t quote_count = 0, docs_count = 0, source_line = 1;
    struct text markdown = {0};

    /* Pass 1: collect the Markdown of every documentation chunk. */
    int in_docs = 0, in_quote = 0;
    for (size_t i = 0; i < pipeline.count; i++) {
        const char *token = pipeline.item[i];
        if (starts_with(token, "@file ")) {
            source_name = token + 6;
            source_line = 1;
        }
        if (strcmp(token, "@nl") == 0)
            source_line++;
        /* The chunks and quotes nest as markup writes them, or the
         * second pass would read what the first did not fill in. */
        if ((starts_with(token, "@begin docs ") && in_docs) ||
            (starts_with(token, "@end docs ") && (!in_docs || in_quote)))
            die("%s:%zu: '%s' out of place in the noweb pipeline", source_name, source_line,
                token);
        if (starts_with(token, "@begin docs ")) {
            in_docs = 1;
            docs_first_line[docs_count] = 0;
            docs_file[docs_count] = source_name;
        } else if (starts_with(token, "@end docs ")) {
            if (docs_first_line[docs_count] == 0)
                docs_first_line[docs_count] = source_line;
            in_docs = 0;
            text_puts(&markdown, "\n\n" CHUNK_SEPARATOR "\n\n");
            docs_count++;
        } else if (in_docs && strcmp(token, "@quote") == 0) {
            char placeholder[64];
            snprintf(placeholder, sizeof placeholder, QUOTE_MARK "%zu" QUOTE_END,
                     quote_count);
            text_puts(&markdown, placeholder);
            quote_start[quote_count++] = i;
            in_quote = 1;
        } else if (in_docs && strcmp(token, "@endquote") == 0) {
            in_quote = 0;
        } else if (in_docs && !in_quote && starts_with(token, "@text ")) {
            /* pandoc drops leading blank lines: mark the first line with text. */
            if (docs_first_line[docs_count] == 0 &&
                token[6 + strspn(token + 6, " \t")] != '\0')
                docs_first_line[docs_count] = source_line;
            text_puts(&markdown, token + 6);
        } else if (in_docs && !in_quote && strcmp(token, "@nl") == 0) {
            text_puts(&markdown, "\n");
        }
    }
    if (in_docs || in_quote)
        die("%s: the noweb pipeline ends inside a documentation chunk or quote", source_name);

    char *latex = docs_count > 0 ? convert_markdown(pandoc, &markdown) : strdup("");

    /* Split pandoc's answer back into one piece per chunk. */
    char **piece = checked_realloc(NULL, (docs_count + 1) * sizeof *piece);
    size_t piece_count = 0;
    char *cursor = latex;
    while (piece_count < docs_count) {
        char *separator = strstr(cursor, CHUNK_SEPARATOR);
        if (separator == NULL)
            break;
        *separator = '\0';
        piece[piece_count++] = cursor;
        cursor = separator + strlen(CHUNK_SEPARATOR);
    }
    if (piece_count != docs_count)
        die("%s: pandoc's output has %zu chunk separators, expected %zu", source_name,
            piece_count, docs_count);

    /* Pass 2: write the pipeline back with the documentation replaced. */
    int *quote_seen = calloc(quote_count + 1, sizeof *quote_seen);
    if (quote_seen == NULL)
        die("out of memory");
    size_t docs_index = 0;
    in_docs = 0;
    for (size_t i = 0; i < pipeline.count; i++) {
        const char *token = pipeline.item[i];
        if (starts_with(token, "@begin docs ")) {
            puts(token);
            in_docs = 1;
            continue;
        }
        if (starts_with(token, "@end docs ")) {
            char *text = piece[docs_index];
            while (*text == '\n')
                text++;
            size_t length = strlen(text);
            while (length > 0 && text[length - 1] == '\n')
                text[--length] = '\0';
            source_name = docs_file[docs_index]; /* for the messages of emit_latex_line() */
            printf("@text %% nw: %s:%zu\n@nl\n", source_name, docs_first_line[docs_index]);
            for (char *line = text; length > 0 && line != NULL;) {
                char *newline = strchr(line, '\n');
                if (newline != NULL)
                    *newline = '\0';
                emit_latex_line(line, &pipeline, quote_start, quote_count, quote_seen,
                                docs_first_line[docs_index]);
                line = newline ? newline + 1 : NULL;
            }
            puts("@nl");
            puts(token);
            docs_index++;
            in_docs = 0;
            continue;
        }
        if (in_docs) {
            /* Text, line breaks and quotes were converted above; other
             * tokens (index and cross-reference bookkeeping) stay. */
            if (strcmp(token, "@quote") == 0) {
                while (strcmp(pipeline.item[i], "@endquote") != 0)
                    i++;
            } else if (!starts_with(token, "@text ") && strcmp(token, "@nl") != 0) {
                puts(token);
            }
            continue;
        }
        if (starts_with(token, "@begin code ")) {
            for (size_t j = i + 1;
                 j < pipeline.count && !starts_with(pipeline.item[j], "@end code"); j++) {
                if (starts_with(pipeline.item[j], "@defn ")) {
                    const char *name = pipeline.item[j] + 6;
                    /* Data files (*.tsv) are roots too, but no programs. */
                    if (is_root(&pipeline, name) && !defined_before(&pipeline, i, name) &&
                        !is_data_file(name))
                        printf("@literal \\nwrootchunk{%s}\n", name);
                    break;
                }
            }
        }
        puts(token);
    }
    for (size_t q = 0; q < quote_count; q++)
        if (!quote_seen[q])
            die("%s: a [[...]] quote was lost by pandoc (inside raw LaTeX or a code span?)",
                source_name);
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write the noweb pipeline: %s", strerror(errno));
    return EXIT_SUCCESS;
}
