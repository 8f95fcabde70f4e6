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
 * Errors name the .nw file and line, "FILE:LINE: what is wrong", and stop
 * the weave: a warning of pandoc (a link reference defined twice, a note
 * never used), and a LaTeX command in the prose that pandoc could not read
 * as LaTeX (an unclosed brace: "\textbf{word") and would print as text.
 * pandoc's YAML metadata blocks are off: a chapter is part of one book,
 * and a block between two "---" lines would silently vanish from it.
 *
 * With -t html (the HTML edition, tools/weave/weave -t html) the chunks become
 * HTML instead, through the Lua filter given with -f (tools/html/html-macros.lua,
 * which turns the book's LaTeX macros into HTML). A marker before each
 * file's first chunk, <!-- NWXFILE FILE -->, tells the filter which
 * chapter it is in; the filter reports a LaTeX command it does not know
 * as "NWXAT K COMMAND: message" (K the documentation chunk, counted from
 * 0), which becomes "FILE:LINE: message" here.
 *
 * Usage: nwpandoc [-p PANDOC] [-t latex|html] [-f FILTER.lua]
 *        (PANDOC: default pandoc, or $NWPANDOC_PANDOC)
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

/* Where each line of the Markdown given to pandoc comes from: line n
 * (1-based) is item[n - 1]. */
struct origin {
    const char *file;
    size_t line;
};

struct origins {
    struct origin *item;
    size_t count;
    size_t capacity;
};

static const char *program_name = "nwpandoc";
static const char *source_name = "(stdin)";
/* -t html: the documentation chunks become HTML, through lua_filter. */
static int html_mode;
static const char *lua_filter;

_Noreturn static void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(EXIT_FAILURE);
}

/* An error at a .nw line: "FILE:LINE: message", the form of the
 * compiler's and tools/tangle/nwcheck's, without the program's name. */
static void die_at(const char *file, size_t line, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s:%zu: ", file, line);
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

static void origins_push(struct origins *origins, const char *file, size_t line)
{
    if (origins->count == origins->capacity) {
        origins->capacity = origins->capacity ? 2 * origins->capacity : 1024;
        origins->item =
            checked_realloc(origins->item, origins->capacity * sizeof *origins->item);
    }
    origins->item[origins->count].file = file;
    origins->item[origins->count].line = line;
    origins->count++;
}

/* Appends string to the Markdown; each line it starts comes from line of
 * file (the caller has counted the .nw line of a "@nl" already). */
static void markdown_puts(struct text *markdown, struct origins *origins, const char *string,
                          const char *file, size_t line)
{
    if (origins->count == 0)
        origins_push(origins, file, line);
    for (const char *c = string; *c != '\0'; c++)
        if (*c == '\n')
            origins_push(origins, file, line);
    text_puts(markdown, string);
}

/* The temporary files' directory: $TMPDIR, or /tmp. */
static const char *temporary_directory(void)
{
    const char *dir = getenv("TMPDIR");
    return dir != NULL && *dir != '\0' ? dir : "/tmp";
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
        char *copy = strdup(line);
        if (copy == NULL)
            die("out of memory");
        lines_push(&lines, copy);
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

/* Prints one message of pandoc's (a line of its stderr) as an error of the
 * .nw: "TEMP line N column M" (the Markdown file pandoc read) becomes the
 * FILE:LINE it came from. Returns 1 for a warning or an error, 0 for an
 * empty line. */
static int report_pandoc_message(const char *message, const char *input_name,
                                 const struct origins *origins)
{
    const char *text = message;
    if (starts_with(text, "[WARNING] "))
        text += strlen("[WARNING] ");
    if (*text == '\0')
        return 0;
    const char *at = strstr(text, input_name);
    size_t markdown_line = 0;
    const char *after = NULL;
    if (at != NULL && starts_with(at + strlen(input_name), " line ")) {
        const char *digits = at + strlen(input_name) + strlen(" line ");
        if (*digits >= '0' && *digits <= '9')
            markdown_line = strtoul(digits, NULL, 10); /* at most "line 18446...": fine */
    }
    if (markdown_line >= 1 && markdown_line <= origins->count) {
        /* Leave out " at TEMP line N column M" from the message. */
        after = at + strlen(input_name) + strlen(" line ");
        after += strspn(after, "0123456789");
        if (starts_with(after, " column "))
            after += strlen(" column ") + strspn(after + strlen(" column "), "0123456789");
        if (at - text >= 4 && strncmp(at - 4, " at ", 4) == 0)
            at -= 4;
        else if (at > text && at[-1] == ' ')
            at--;
        const struct origin *origin = &origins->item[markdown_line - 1];
        fprintf(stderr, "%s:%zu: pandoc: %.*s%s\n", origin->file, origin->line,
                (int)(at - text), text, after);
    } else {
        fprintf(stderr, "%s: pandoc: %s\n", program_name, text);
    }
    return 1;
}

/* The documentation chunks as main() collected them, for the messages of
 * the HTML mode's filter: chunk k is Markdown lines chunk_first[k] to
 * chunk_last[k], from chunk_file[k], starting at .nw line chunk_line[k]. */
static size_t chunk_total;
static const size_t *chunk_first, *chunk_last, *chunk_line;
static const char *const *chunk_file;

static int has_command_outside_code(const char *line, size_t length, const char *needle);

/* A message of the HTML filter, "... NWXAT K NEEDLE: what is wrong", as
 * "FILE:LINE: what is wrong", the line being the first of chunk K that has
 * NEEDLE (a command, "\foo", or a command and its argument) outside code.
 * Returns 0 when the message is not one of those. */
static int report_filter_message(const char *message, const struct text *markdown,
                                 const struct origins *origins)
{
    const char *at = strstr(message, "NWXAT ");
    if (at == NULL)
        return 0;
    char *end;
    unsigned long k = strtoul(at + 6, &end, 10);
    if (end == at + 6 || *end != ' ')
        return 0;
    const char *needle = end + 1;
    const char *colon = strstr(needle, ": ");
    if (colon == NULL)
        return 0;
    char command[256];
    snprintf(command, sizeof command, "%.*s",
             (int)((size_t)(colon - needle) < 200 ? colon - needle : 200), needle);
    const char *file = source_name;
    size_t line_number = 0;
    if (k < chunk_total) {
        file = chunk_file[k];
        line_number = chunk_line[k];
        const char *line = markdown->data;
        for (size_t n = 1; n <= chunk_last[k] && line != NULL && *line != '\0'; n++) {
            const char *newline = strchr(line, '\n');
            size_t length = newline != NULL ? (size_t)(newline - line) : strlen(line);
            if (n >= chunk_first[k] && n <= origins->count &&
                has_command_outside_code(line, length, command)) {
                file = origins->item[n - 1].file;
                line_number = origins->item[n - 1].line;
                break;
            }
            line = newline != NULL ? newline + 1 : NULL;
        }
    }
    fprintf(stderr, "%s:%zu: %s\n", file, line_number, colon + 2);
    return 1;
}

/* Runs pandoc on the Markdown text and returns its LaTeX. A warning of
 * pandoc's is an error here: each is printed with its .nw line. */
static char *run_pandoc(const char *pandoc, const struct text *markdown,
                        const struct origins *origins)
{
    char input_name[4096], errors_name[4096];
    snprintf(input_name, sizeof input_name, "%s/nwpandoc-XXXXXX", temporary_directory());
    snprintf(errors_name, sizeof errors_name, "%s/nwpandoc-err-XXXXXX",
             temporary_directory());
    int fd = mkstemp(input_name);
    if (fd == -1)
        die("cannot create a temporary file in %s: %s", temporary_directory(),
            strerror(errno));
    FILE *input = fdopen(fd, "w");
    if (input == NULL ||
        fwrite(markdown->data, 1, markdown->length, input) != markdown->length ||
        fclose(input) != 0) {
        unlink(input_name);
        die("cannot write a temporary file: %s", strerror(errno));
    }
    int errors_fd = mkstemp(errors_name);
    if (errors_fd == -1) {
        unlink(input_name);
        die("cannot create a temporary file in %s: %s", temporary_directory(),
            strerror(errno));
    }
    close(errors_fd);

    struct text command = {0};
    text_puts(&command, pandoc);
    if (html_mode) {
        /* Headings get identifiers (unique in the one run, so in the book):
         * the pages' tables of contents link to them. */
        text_puts(&command,
                  " --from=markdown+ascii_identifiers-yaml_metadata_block --to=html5"
                  " --wrap=preserve --lua-filter='");
        text_puts(&command, lua_filter);
        text_puts(&command, "' ");
    } else {
        text_puts(&command, " --from=markdown-auto_identifiers-yaml_metadata_block --to=latex"
                            " --top-level-division=chapter --wrap=preserve --no-highlight ");
    }
    text_puts(&command, input_name);
    text_puts(&command, " 2>");
    text_puts(&command, errors_name);
    /* The shell on purpose: -p PANDOC may carry options; the file names are mkstemp()'s. */
    FILE *output = popen(command.data, "r"); /* NOLINT(cert-env33-c) */
    if (output == NULL) {
        unlink(input_name);
        unlink(errors_name);
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

    FILE *errors = fopen(errors_name, "r");
    unlink(errors_name);
    struct lines messages = errors != NULL ? read_all_lines(errors) : (struct lines){0};
    if (errors != NULL)
        fclose(errors);
    size_t reported = 0;
    /* The HTML filter's own errors name their chunk; pandoc's lines
     * around them (the Lua stack) say nothing more. */
    for (size_t i = 0; html_mode && i < messages.count; i++)
        reported += (size_t)report_filter_message(messages.item[i], markdown, origins);
    for (size_t i = 0; i < messages.count; i++) {
        if (reported == 0 || !html_mode)
            reported += (size_t)report_pandoc_message(messages.item[i], input_name, origins);
        free(messages.item[i]);
    }
    if (html_mode && reported > 0)
        exit(EXIT_FAILURE);
    free(messages.item);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("pandoc failed (exit status %d) converting the documentation chunks",
            status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (reported > 0)
        exit(EXIT_FAILURE);
    if (latex.data == NULL)
        text_puts(&latex, "");
    return latex.data;
}

/* What turns the Markdown into LaTeX: pandoc. The fuzz harness
 * (tests/fuzz/fuzz-nwpandoc.c) puts a stand-in here that runs no process. */
static char *(*convert_markdown)(const char *pandoc, const struct text *markdown,
                                 const struct origins *origins) = run_pandoc;

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
            die_at(source_name, docs_line,
                   "a [[...]] quote in a heading would reach the table of contents and "
                   "the PDF bookmarks; use `...` there instead");
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
            die_at(source_name, docs_line, "pandoc produced an unknown quote placeholder");
        if (quote_seen[index]++)
            die_at(source_name, docs_line,
                   "a [[...]] quote ended up twice in the LaTeX (in a heading or a "
                   "caption?); use `...` there instead");
        if (mark > rest)
            printf("@text %.*s\n", (int)(mark - rest), rest);
        for (size_t i = quote_start[index];
             i < pipeline->count && strcmp(pipeline->item[i], "@endquote") != 0; i++)
            puts(pipeline->item[i]);
        puts("@endquote");
        rest = end + strlen(QUOTE_END);
    }
    if (*rest != '\0')
        printf("@text %s\n", rest);
    puts("@nl");
}

/* Whether line has needle (a LaTeX command, "\textbf") outside its code
 * spans, and not as the start of a longer name ("\textbfx"). */
static int has_command_outside_code(const char *line, size_t length, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i < length;) {
        if (line[i] == '`') {
            size_t run = strspn(line + i, "`");
            /* The span ends at the next run of as many backticks. */
            size_t j = i + run;
            while (j < length) {
                size_t other = strspn(line + j, "`");
                if (other == run)
                    break;
                j += other > 0 ? other : 1;
            }
            i = j < length ? j + run : i + run;
            continue;
        }
        if (i + n <= length && strncmp(line + i, needle, n) == 0 &&
            !(i + n < length && ((line[i + n] >= 'a' && line[i + n] <= 'z') ||
                                 (line[i + n] >= 'A' && line[i + n] <= 'Z'))))
            return 1;
        i++;
    }
    return 0;
}

/* pandoc reads "\name{...}" in the prose as raw LaTeX and passes it on;
 * when it cannot ("\textbf{" never closed, "\\name"), it writes the text
 * "\textbackslash name" instead: the PDF would show the command. In code
 * spans a backslash is "\textbackslash{}", which is fine. Stops with the
 * .nw line that has the command (the chunk's first line if none has). */
static void refuse_literal_commands(const char *latex, const struct text *markdown,
                                    const struct origins *origins, size_t first, size_t last,
                                    const char *file, size_t first_line)
{
    static const char escaped[] = "\\textbackslash ";
    const char *found = latex;
    while ((found = strstr(found, escaped)) != NULL) {
        const char *name = found + strlen(escaped);
        size_t length = 0;
        while ((name[length] >= 'a' && name[length] <= 'z') ||
               (name[length] >= 'A' && name[length] <= 'Z'))
            length++;
        if (length == 0) {
            found = name;
            continue;
        }
        char command[128];
        snprintf(command, sizeof command, "\\%.*s", (int)(length < 100 ? length : 100), name);
        /* The Markdown line it came from. */
        const char *line = markdown->data;
        for (size_t n = 1; n <= last && line != NULL && *line != '\0'; n++) {
            const char *end = strchr(line, '\n');
            size_t line_length = end != NULL ? (size_t)(end - line) : strlen(line);
            if (n >= first && has_command_outside_code(line, line_length, command)) {
                file = origins->item[n - 1].file;
                first_line = origins->item[n - 1].line;
                break;
            }
            line = end != NULL ? end + 1 : NULL;
        }
        die_at(file, first_line,
               "%s is not read as LaTeX (an unclosed brace?) and would be printed as text; "
               "close it, or put it in a code span, `%s`, to show it",
               command, command);
    }
}

int main(int argc, char **argv)
{
    const char *pandoc = getenv("NWPANDOC_PANDOC") ? getenv("NWPANDOC_PANDOC") : "pandoc";
    int option;
    while ((option = getopt(argc, argv, "p:t:f:h")) != -1) {
        switch (option) {
        case 'p':
            pandoc = optarg;
            break;
        case 't':
            if (strcmp(optarg, "html") == 0)
                html_mode = 1;
            else if (strcmp(optarg, "latex") == 0)
                html_mode = 0;
            else
                die("-t %s: the output is latex or html", optarg);
            break;
        case 'f':
            if (strchr(optarg, '\'') != NULL)
                die("-f %s: a filter's name has no quote", optarg);
            lua_filter = optarg;
            break;
        case 'h':
            printf("usage: %s [-p PANDOC] [-t latex|html] [-f FILTER.lua] < noweb-pipeline > "
                   "noweb-pipeline\n",
                   program_name);
            return EXIT_SUCCESS;
        default:
            fprintf(
                stderr,
                "usage: %s [-p PANDOC] [-t latex|html] [-f FILTER.lua] < noweb-pipeline > "
                "noweb-pipeline\n",
                program_name);
            return EXIT_FAILURE;
        }
    }
    if (html_mode && lua_filter == NULL)
        die("-t html needs the filter of the book's macros: -f FILTER.lua");
    if (optind != argc)
        die("unexpected argument '%s'; the filter reads the noweb pipeline on stdin",
            argv[optind]);

    struct lines pipeline = read_all_lines(stdin);
    size_t *quote_start = checked_realloc(NULL, (pipeline.count + 1) * sizeof *quote_start);
    size_t *docs_first_line =
        checked_realloc(NULL, (pipeline.count + 1) * sizeof *docs_first_line);
    /* The .nw file of each documentation chunk: the book has several. */
    const char **docs_file = checked_realloc(NULL, (pipeline.count + 1) * sizeof *docs_file);
    /* The Markdown lines of each documentation chunk: first to last. */
    size_t *docs_markdown_first =
        checked_realloc(NULL, (pipeline.count + 1) * sizeof *docs_markdown_first);
    size_t *docs_markdown_last =
        checked_realloc(NULL, (pipeline.count + 1) * sizeof *docs_markdown_last);
    size_t quote_count = 0, docs_count = 0, source_line = 1;
    struct text markdown = {0};
    struct origins origins = {0};

    /* Pass 1: collect the Markdown of every documentation chunk. */
    int in_docs = 0, in_quote = 0;
    for (size_t i = 0; i < pipeline.count; i++) {
        const char *token = pipeline.item[i];
        if (starts_with(token, "@file ")) {
            source_name = token + 6;
            source_line = 1;
        }
        /* A filter that moved lines (nwsolutions splices in the solutions)
         * says where the next ones come from: noweb's "@line N". */
        if (starts_with(token, "@line ")) {
            char *end;
            unsigned long long line = strtoull(token + 6, &end, 10);
            if (end == token + 6 || *end != '\0' || line == 0)
                die("%s:%zu: '%s': expected \"@line\" and a line number", source_name,
                    source_line, token);
            source_line = (size_t)line;
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
            /* The separator before ended with a new, empty line: this one. */
            markdown_puts(&markdown, &origins, "", source_name, source_line);
            origins.item[origins.count - 1].file = source_name;
            origins.item[origins.count - 1].line = source_line;
            if (html_mode && (docs_count == 0 || docs_file[docs_count - 1] != source_name)) {
                /* A block of its own, which the filter takes out. */
                markdown_puts(&markdown, &origins, "<!-- NWXFILE ", source_name, source_line);
                markdown_puts(&markdown, &origins, source_name, source_name, source_line);
                markdown_puts(&markdown, &origins, " -->\n\n", source_name, source_line);
            }
            docs_file[docs_count] = source_name;
            docs_markdown_first[docs_count] = origins.count;
        } else if (starts_with(token, "@end docs ")) {
            if (!in_docs)
                die("%s: the noweb pipeline ends a documentation chunk it never began",
                    source_name);
            if (docs_first_line[docs_count] == 0)
                docs_first_line[docs_count] = source_line;
            in_docs = 0;
            docs_markdown_last[docs_count] = origins.count;
            markdown_puts(&markdown, &origins, "\n\n" CHUNK_SEPARATOR "\n\n", source_name,
                          source_line);
            docs_count++;
        } else if (in_docs && strcmp(token, "@quote") == 0) {
            char placeholder[64];
            snprintf(placeholder, sizeof placeholder, QUOTE_MARK "%zu" QUOTE_END,
                     quote_count);
            markdown_puts(&markdown, &origins, placeholder, source_name, source_line);
            quote_start[quote_count++] = i;
            in_quote = 1;
        } else if (in_docs && strcmp(token, "@endquote") == 0) {
            in_quote = 0;
        } else if (in_docs && !in_quote && starts_with(token, "@text ")) {
            /* pandoc drops leading blank lines: mark the first line with text. */
            if (docs_first_line[docs_count] == 0 &&
                token[6 + strspn(token + 6, " \t")] != '\0')
                docs_first_line[docs_count] = source_line;
            markdown_puts(&markdown, &origins, token + 6, source_name, source_line);
        } else if (in_docs && !in_quote && strcmp(token, "@nl") == 0) {
            markdown_puts(&markdown, &origins, "\n", source_name, source_line);
        }
    }
    if (in_docs || in_quote)
        die("%s: the noweb pipeline ends inside a documentation chunk or quote", source_name);

    chunk_total = docs_count;
    chunk_first = docs_markdown_first;
    chunk_last = docs_markdown_last;
    chunk_line = docs_first_line;
    chunk_file = docs_file;
    char *latex = docs_count > 0 ? convert_markdown(pandoc, &markdown, &origins) : strdup("");
    if (latex == NULL)
        die("out of memory");

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
            if (docs_index == piece_count) /* pass 1 counted the same chunks */
                die("%s: more documentation chunks than in the first pass", source_name);
            char *text = piece[docs_index];
            while (*text == '\n')
                text++;
            size_t length = strlen(text);
            while (length > 0 && text[length - 1] == '\n')
                text[--length] = '\0';
            source_name = docs_file[docs_index]; /* for the messages of emit_latex_line() */
            if (!html_mode) {
                refuse_literal_commands(
                    text, &markdown, &origins, docs_markdown_first[docs_index],
                    docs_markdown_last[docs_index], source_name, docs_first_line[docs_index]);
                printf("@text %% nw: %s:%zu\n@nl\n", source_name,
                       docs_first_line[docs_index]);
            }
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
                while (i + 1 < pipeline.count && strcmp(pipeline.item[i], "@endquote") != 0)
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

    free(markdown.data);
    for (size_t i = 0; i < pipeline.count; i++)
        free(pipeline.item[i]);
    free(pipeline.item);
    free(quote_start);
    free(docs_first_line);
    free(docs_file);
    free(piece);
    free(latex);
    free(quote_seen);
    free(origins.item);
    free(docs_markdown_first);
    free(docs_markdown_last);
    return EXIT_SUCCESS;
}
