/* test-book: the chapters make one book.
 *   (a) no code is written twice: no two code chunks anywhere in the book
 *       share six or more lines (not counting blank lines and braces); no
 *       code line is wider than the page, nor a solution's wider than its
 *       box; every reference solution compiles with the book's flags;
 *   (b) a chunk defined in one chapter is used by name in another: the
 *       tangled program is whole, the woven chapters point at each other;
 *       tangle refuses a chunk defined in two chapters, a chunk not
 *       closed, and a use with no definition, naming the .nw and line;
 *       the build's copy, build/tangle/, is tangled again when a file of
 *       it is deleted or edited by hand (the student's tangle/ keeps
 *       edits: test-build);
 *   (c) the cross-references are true: a word in a string, a comment or
 *       a shell script is no use, nor is an identifier of another program;
 *   (d) the book's PDF prints each index once, numbers its tables without
 *       gaps, and its LaTeX log has no undefined reference, no duplicate
 *       or empty destination and no overfull line in the chapters;
 *   (e) the identifier index has one entry per name and no "nunca usado";
 *       the subject index (Índice remissivo) has the socket API's entries,
 *       each pointing to pages whose text names them, and the HTML
 *       edition's index links to anchors that exist;
 *   (f) every chapter opens with its Objetivos (a lead and 3 to 6 items,
 *       its first section) and ends with its Resumo, right before its
 *       Exercícios, in the source and in the PDF.
 * Fixtures are written at test time into a temporary directory. */
#include "testlib.h"

#include <glob.h>

#define scratch tl_scratch
#define WINDOW 6 /* lines two chunks may not share */

static void read_or_fail(const char *path, struct tl_text *text)
{
    memset(text, 0, sizeof *text);
    if (tl_read_file(path, text) != 0)
        fail_msg("cannot read %s: %s (has `make` run?)", path, strerror(errno));
}

/* ------------------------------------------- (a) no code written twice */

struct code_line {
    const char *file;
    size_t line;  /* in the .nw */
    char *text;   /* without leading and trailing blanks */
    size_t chunk; /* which chunk of the book */
};

static struct code_line *code;
static size_t code_count, code_capacity;

static void add_code_line(const char *file, size_t line, const char *text, size_t chunk)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t length = strlen(text);
    while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == '\t'))
        length--;
    if (strspn(text, "{}();") >= length)
        return; /* blank lines and lone braces do not count */
    if (code_count == code_capacity) {
        code_capacity = code_capacity ? 2 * code_capacity : 4096;
        struct code_line *fresh = realloc(code, code_capacity * sizeof *code);
        assert_non_null(fresh); /* on failure code still holds the old block */
        code = fresh;
    }
    code[code_count].file = file;
    code[code_count].line = line;
    code[code_count].text = strndup(text, length);
    code[code_count].chunk = chunk;
    code_count++;
}

/* Reads the code chunks of one .nw: a chunk runs from "<<name>>=" to a
 * line "@" or "@ ..." (or the next chunk). Only the chapters are read:
 * the exercises' solutions (solutions/) may repeat the book's code, which
 * the student edition shows without them. */
static void read_code(const char *file, size_t *chunk)
{
    struct tl_text text;
    read_or_fail(file, &text);
    char line[2048];
    int in_code = 0;
    for (size_t i = 0; tl_line(text.data, i, line, sizeof line) == 0; i++) {
        size_t length = strlen(line);
        if (length >= 5 && strncmp(line, "<<", 2) == 0 && strstr(line, ">>=") != NULL &&
            strstr(line, ">>=")[3] == '\0') {
            in_code = 1;
            (*chunk)++;
        } else if (line[0] == '@' && (line[1] == '\0' || line[1] == ' ' || line[1] == '\t')) {
            in_code = 0;
        } else if (in_code) {
            add_code_line(file, i + 1, line, *chunk);
        }
    }
    tl_text_free(&text);
}

static int same_window(size_t a, size_t b)
{
    for (size_t k = 0; k < WINDOW; k++)
        if (code[a + k].chunk != code[a].chunk || code[b + k].chunk != code[b].chunk ||
            strcmp(code[a + k].text, code[b + k].text) != 0)
            return 0;
    return 1;
}

static void no_two_chunks_share_six_lines(void **state)
{
    (void)state;
    glob_t chapters;
    assert_int_equal(glob("chapters/*.nw", 0, NULL, &chapters), 0);
    size_t chunk = 0;
    for (size_t i = 0; i < chapters.gl_pathc; i++)
        read_code(chapters.gl_pathv[i], &chunk);
    assert_true(code_count > 100);
    int repeats = 0;
    for (size_t a = 0; a + WINDOW <= code_count; a++)
        for (size_t b = a + 1; b + WINDOW <= code_count; b++)
            if (code[b].chunk != code[a].chunk && same_window(a, b)) {
                print_error(
                    "%s:%zu and %s:%zu: the same %d lines of code, starting with '%s'\n",
                    code[a].file, code[a].line, code[b].file, code[b].line, WINDOW,
                    code[a].text);
                repeats++;
                a += WINDOW - 1; /* one report per repeated block */
                break;
            }
    globfree(&chapters);
    if (repeats > 0)
        fail_msg("%d block(s) of code written twice: define a chunk once and use it by name",
                 repeats);
}

/* The PDF prints code in a block 94 columns wide: a longer line runs into
 * the margin. (Tabs count to the next multiple of 8.) */
#define CODE_COLUMNS 94
#define SOLUTION_COLUMNS 92 /* the instructor edition's solution box is narrower */

static void code_lines_fit_the_page(void **state)
{
    (void)state;
    glob_t sources;
    assert_int_equal(glob("chapters/*.nw", 0, NULL, &sources), 0);
    /* The solutions, where this copy has them, in their narrower box. */
    int globbed = glob("solutions/*.nw", GLOB_APPEND, NULL, &sources);
    assert_true(globbed == 0 || globbed == GLOB_NOMATCH);
    int too_wide = 0;
    for (size_t f = 0; f < sources.gl_pathc; f++) {
        struct tl_text text;
        read_or_fail(sources.gl_pathv[f], &text);
        int in_solution = strncmp(sources.gl_pathv[f], "solutions/", 10) == 0;
        size_t limit = in_solution ? SOLUTION_COLUMNS : CODE_COLUMNS;
        char line[4096];
        int in_code = 0;
        for (size_t i = 0; tl_line(text.data, i, line, sizeof line) == 0; i++) {
            size_t length = strlen(line);
            if (length >= 5 && strncmp(line, "<<", 2) == 0 &&
                strcmp(line + length - 3, ">>=") == 0) {
                in_code = 1;
                continue;
            }
            if (line[0] == '@' && (line[1] == '\0' || line[1] == ' ' || line[1] == '\t'))
                in_code = 0;
            if (!in_code)
                continue;
            size_t columns = 0;
            for (const unsigned char *c = (const unsigned char *)line; *c; c++)
                if (*c == '\t')
                    columns = (columns / 8 + 1) * 8;
                else if ((*c & 0xC0) != 0x80) /* one column per UTF-8 character */
                    columns++;
            if (columns > limit) {
                print_error("%s:%zu: %zu columns, more than %zu%s\n", sources.gl_pathv[f],
                            i + 1, columns, limit, in_solution ? " in a solution" : "");
                too_wide++;
            }
        }
        tl_text_free(&text);
    }
    globfree(&sources);
    if (too_wide > 0)
        fail_msg("%d code line(s) run into the margin (%d columns, %d in a solution)",
                 too_wide, CODE_COLUMNS, SOLUTION_COLUMNS);
}

/* Every reference solution (build/solutions/LABEL/FILE.c, make solutions)
 * compiles warning-free with the book's flags, with gcc and with clang
 * where it is installed: a file without main() is compiled alone (-c). */
static void every_solution_compiles(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    glob_t solutions;
    if (glob("build/solutions/*/*.c", 0, NULL, &solutions) != 0)
        fail_msg("no build/solutions/*/*.c: run make solutions first");
    int failed = 0;
    for (size_t i = 0; i < solutions.gl_pathc; i++) {
        static const char *const compilers[] = {"gcc", "clang"};
        for (size_t c = 0; c < 2; c++) {
            char command[1200];
            snprintf(command, sizeof command,
                     "command -v %s >/dev/null || exit 0; "
                     "%s -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -c -o /dev/null '%s'",
                     compilers[c], compilers[c], solutions.gl_pathv[i]);
            struct tl_proc run;
            if (tl_sh(&run, 60, command) != 0) {
                print_error("%s: %s: %s", solutions.gl_pathv[i], compilers[c],
                            tl_text_str(&run.err));
                failed++;
            }
            tl_proc_free(&run);
        }
    }
    print_message("%zu reference solutions compiled\n", solutions.gl_pathc);
    globfree(&solutions);
    if (failed > 0)
        fail_msg("%d compilation(s) of a reference solution failed", failed);
}

/* A transcript or a seed listing is printed in a box 86 columns wide
 * (\small typewriter on this page): a longer line runs into the margin.
 * Every file a chapter prints with \transcript, and every seed listing. */
#define TRANSCRIPT_COLUMNS 86

static int too_wide_lines(const char *path)
{
    struct tl_text text;
    memset(&text, 0, sizeof text);
    if (tl_read_file(path, &text) != 0)
        return 0; /* a transcript this build did not make: another test's business */
    char line[4096];
    int wide = 0;
    for (size_t i = 0; tl_line(text.data, i, line, sizeof line) == 0; i++) {
        size_t columns = 0;
        for (const unsigned char *c = (const unsigned char *)line; *c; c++)
            if ((*c & 0xC0) != 0x80)
                columns++;
        if (columns > TRANSCRIPT_COLUMNS) {
            print_error("%s:%zu: %zu columns\n", path, i + 1, columns);
            wide++;
        }
    }
    tl_text_free(&text);
    return wide;
}

static void transcripts_fit_the_page(void **state)
{
    (void)state;
    glob_t chapters, listings;
    assert_int_equal(glob("chapters/*.nw", 0, NULL, &chapters), 0);
    int wide = 0, files = 0;
    for (size_t f = 0; f < chapters.gl_pathc; f++) {
        struct tl_text text;
        read_or_fail(chapters.gl_pathv[f], &text);
        for (const char *p = text.data; (p = strstr(p, "\\transcript{")) != NULL; p++) {
            char path[512];
            if (sscanf(p, "\\transcript{%511[^}]}", path) == 1) {
                wide += too_wide_lines(path);
                files++;
            }
        }
        tl_text_free(&text);
    }
    globfree(&chapters);
    assert_int_equal(glob("chapters/seed/listing-*.txt", 0, NULL, &listings), 0);
    for (size_t f = 0; f < listings.gl_pathc; f++, files++)
        wide += too_wide_lines(listings.gl_pathv[f]);
    globfree(&listings);
    assert_true(files >= 30);
    if (wide > 0)
        fail_msg("%d transcript line(s) wider than %d columns run into the margin", wide,
                 TRANSCRIPT_COLUMNS);
}

/* ------------------------------------- (b) chunks across the chapters */

static const char first_chapter[] = "# Primeiro\n"
                                    "\n"
                                    "<<say hello>>=\n"
                                    "static void say_hello(void) { puts(\"hello\"); }\n"
                                    "@\n"
                                    "\n"
                                    "<<one.c>>=\n"
                                    "#include <stdio.h>\n"
                                    "<<say hello>>\n"
                                    "int main(void) { say_hello(); return 0; }\n"
                                    "@\n"
                                    "\n"
                                    "<<Makefile>>=\n"
                                    "PROGRAMS = one\n"
                                    "@\n";

static const char second_chapter[] =
    "# Segundo\n"
    "\n"
    "O [[say_hello]] do primeiro capítulo.\n"
    "\n"
    "<<two.c>>=\n"
    "#include <stdio.h>\n"
    "<<say hello>>\n"
    "int main(void) { say_hello(); say_hello(); return 0; }\n"
    "@\n"
    "\n"
    "<<Makefile>>=\n"
    "PROGRAMS = two\n"
    "@\n";

/* Writes text as the fixture scratch/DIR/NAME.nw; path gets its path. */
static void write_fixture(const char *dir, const char *name, const char *text, char *path,
                          size_t size)
{
    char folder[600];
    snprintf(folder, sizeof folder, "%s/%s", scratch, dir);
    mkdir(folder, 0755);
    snprintf(path, size, "%s/%s.nw", folder, name);
    tl_write_file(path, text);
}

static void a_chunk_of_one_chapter_is_used_in_another(void **state)
{
    (void)state;
    char one[700], two[700], outdir[700], linedir[700], woven[700];
    write_fixture("across", "01-one", first_chapter, one, sizeof one);
    write_fixture("across", "02-two", second_chapter, two, sizeof two);
    snprintf(outdir, sizeof outdir, "%s/across/tangle-02", scratch);
    snprintf(linedir, sizeof linedir, "%s/across/nwline/02", scratch);
    struct tl_proc run;
    int status = tl_runl(&run, 30, "tools/tangle/tangle", "-w", one, two, outdir, linedir,
                         (char *)NULL);
    assert_string_equal(tl_text_str(&run.err), "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);

    /* The second chapter's program is whole: it compiles alone and has
     * the first chapter's function; its Makefile is its own. */
    char program[800], makefile[800], binary[800];
    snprintf(program, sizeof program, "%s/two.c", outdir);
    snprintf(makefile, sizeof makefile, "%s/Makefile", outdir);
    snprintf(binary, sizeof binary, "%s/two", outdir);
    struct tl_text text;
    read_or_fail(program, &text);
    assert_non_null(strstr(text.data, "static void say_hello(void)"));
    tl_text_free(&text);
    read_or_fail(makefile, &text);
    assert_non_null(strstr(text.data, "PROGRAMS = two"));
    assert_null(strstr(text.data, "PROGRAMS = one"));
    tl_text_free(&text);
    char command[2000];
    snprintf(command, sizeof command, "cc -o '%s' '%s'", binary, program);
    assert_int_equal(tl_sh(&run, 60, command), 0);
    tl_proc_free(&run);
    assert_int_equal(tl_runl(&run, 10, binary, (char *)NULL), 0);
    assert_string_equal(tl_text_str(&run.out), "hello\nhello\n");
    tl_proc_free(&run);

    /* Woven together: the second chapter's use names the definition in
     * the first (its label), and the definition lists both uses. */
    snprintf(woven, sizeof woven, "%s/across/woven", scratch);
    char linedirs[700];
    snprintf(linedirs, sizeof linedirs, "%s/across/nwline", scratch);
    status = tl_runl(&run, 60, "tools/weave/weave", woven, "build/tools/nwpandoc", linedirs,
                     one, two, (char *)NULL);
    assert_string_equal(tl_text_str(&run.err), "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);
    char path[800];
    snprintf(path, sizeof path, "%s/01-one.tex", woven);
    struct tl_text tex_one, tex_two;
    read_or_fail(path, &tex_one);
    snprintf(path, sizeof path, "%s/02-two.tex", woven);
    read_or_fail(path, &tex_two);
    /* The label of <<say hello>>: \sublabel{LABEL}...\moddef{say hello~ */
    const char *definition = strstr(tex_one.data, "\\moddef{say hello~");
    assert_non_null(definition);
    const char *sublabel = definition;
    while (sublabel > tex_one.data && strncmp(sublabel, "\\sublabel{", 10) != 0)
        sublabel--;
    char label[128];
    assert_int_equal(sscanf(sublabel, "\\sublabel{%127[^}]}", label), 1);
    char use[256];
    snprintf(use, sizeof use, "\\LA{}say hello~{\\nwtagstyle{}\\subpageref{%s}}\\RA{}",
             label);
    if (strstr(tex_two.data, use) == NULL)
        fail_msg("chapter two's use of <<say hello>> does not point at %s:\n%s", label,
                 tex_two.data);
    /* "Used in" of the definition: two chunks, one in each chapter. */
    const char *used = strstr(definition, "\\nwused{");
    assert_non_null(used);
    int uses = 0;
    for (const char *u = used; (u = strstr(u, "\\\\{")) != NULL && u < strstr(used, "}}") + 2;
         u++)
        uses++;
    assert_int_equal(uses, 2);
    /* Each chapter's <<Makefile>> is a chunk of its own, not one chunk
     * continued from chapter to chapter. */
    assert_null(strstr(tex_two.data, "\\plusendmoddef"));
    assert_null(strstr(tex_one.data, "\\nwalsodefined"));
    /* The index of the whole book is one. */
    snprintf(path, sizeof path, "%s/index.tex", woven);
    read_or_fail(path, &text);
    assert_non_null(strstr(text.data, "\\nwixlogsorted{i}{{\\nwixident{say{\\_}hello}}"));
    assert_null(strstr(tex_one.data, "\\nwixlogsorted"));
    tl_text_free(&text);
    tl_text_free(&tex_one);
    tl_text_free(&tex_two);
}

/* tangle refuses BAD (with the good first chapter beside it): exit 1,
 * one line naming WHERE ("file:line") and the chunk, no output. */
static void check_book_refused(const char *name, const char *bad, size_t line,
                               const char *chunk)
{
    char one[700], two[700], outdir[700];
    write_fixture(name, "01-one", first_chapter, one, sizeof one);
    write_fixture(name, "02-two", bad, two, sizeof two);
    snprintf(outdir, sizeof outdir, "%s/%s/out", scratch, name);
    struct tl_proc run;
    int status =
        tl_runl(&run, 30, "tools/tangle/tangle", "-w", one, two, outdir, (char *)NULL);
    const char *err = tl_text_str(&run.err);
    print_message("  %s: exit %d: %s", name, status, err);
    assert_int_equal(status, 1);
    assert_int_equal(tl_count_lines(err), 1);
    char where[800];
    snprintf(where, sizeof where, "%s:%zu: ", two, line);
    if (strncmp(err, where, strlen(where)) != 0)
        fail_msg("the message does not start with '%s': %s", where, err);
    if (strstr(err, chunk) == NULL)
        fail_msg("the message does not name %s: %s", chunk, err);
    tl_proc_free(&run);
    assert_int_equal(access(outdir, F_OK), -1);
}

static void a_chunk_defined_in_two_chapters_is_refused(void **state)
{
    (void)state;
    char one[700];
    snprintf(one, sizeof one, "%s/twice/01-one.nw", scratch);
    const char *bad = "# Segundo\n"
                      "\n"
                      "<<say hello>>=\n"
                      "static void say_hello(void) { puts(\"hi\"); }\n"
                      "@\n"
                      "<<two.c>>=\n"
                      "#include <stdio.h>\n"
                      "<<say hello>>\n"
                      "int main(void) { say_hello(); return 0; }\n"
                      "@\n"
                      "<<Makefile>>=\nPROGRAMS = two\n@\n";
    check_book_refused("twice", bad, 3, "<<say hello>>");
    /* ... and names the first definition too. */
    char two[700], outdir[700];
    snprintf(two, sizeof two, "%s/twice/02-two.nw", scratch);
    snprintf(outdir, sizeof outdir, "%s/twice/out", scratch);
    struct tl_proc run;
    tl_runl(&run, 30, "tools/tangle/tangle", "-w", one, two, outdir, (char *)NULL);
    char first[800];
    snprintf(first, sizeof first, "%s:3", one);
    if (strstr(tl_text_str(&run.err), first) == NULL)
        fail_msg("the message does not name the first definition %s: %s", first,
                 tl_text_str(&run.err));
    tl_proc_free(&run);
}

static void a_chunk_not_closed_is_refused_at_its_start(void **state)
{
    (void)state;
    /* The "@" after <<two.c>> is missing: the prose after it would be C. */
    check_book_refused("open-c",
                       "# Segundo\n"
                       "\n"
                       "<<two.c>>=\n"
                       "int main(void) { return 0; }\n"
                       "Um parágrafo de texto que o noweb leria como código.\n"
                       "<<Makefile>>=\nPROGRAMS = two\n@\n",
                       3, "<<two.c>>");
    /* The last chunk, <<Makefile>>, is not closed: the file ends in it. */
    check_book_refused("open-makefile",
                       "# Segundo\n"
                       "\n"
                       "<<two.c>>=\n"
                       "int main(void) { return 0; }\n"
                       "@\n"
                       "<<Makefile>>=\nPROGRAMS = two\n"
                       "E aqui o texto continua.\n",
                       6, "<<Makefile>>");
}

static void a_misspelt_use_is_named_with_its_line(void **state)
{
    (void)state;
    check_book_refused("misspelt-use",
                       "# Segundo\n"
                       "\n"
                       "<<two.c>>=\n"
                       "#include <stdio.h>\n"
                       "<<say helo>>\n"
                       "int main(void) { return 0; }\n"
                       "@\n"
                       "<<Makefile>>=\nPROGRAMS = two\n@\n",
                       5, "<<say helo>>");
}

/* make tangle runs tools/tangle/tangle again when tools/tangle/tangle-stale says so: a
 * file of the build's copy (build/tangle/NN-slug/, outdir here) deleted or
 * edited by hand, a changed chapter, a missing stamp. */
static int stale(const char *stamp, const char *outdir, const char *source)
{
    struct tl_proc run;
    int status =
        tl_runl(&run, 10, "tools/tangle/tangle-stale", stamp, outdir, source, (char *)NULL);
    assert_string_equal(tl_text_str(&run.err), "");
    tl_proc_free(&run);
    assert_true(status == 0 || status == 1);
    return status == 0;
}

static void the_builds_copy_is_tangled_again_when_deleted_or_edited(void **state)
{
    (void)state;
    char one[700], outdir[700], stamp[700], file[800];
    write_fixture("stale", "01-one", first_chapter, one, sizeof one);
    snprintf(outdir, sizeof outdir, "%s/stale/tangle", scratch);
    snprintf(stamp, sizeof stamp, "%s/stale/stamp", scratch);
    snprintf(file, sizeof file, "%s/one.c", outdir);
    assert_true(stale(stamp, outdir, one)); /* never tangled */
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 30, "tools/tangle/tangle", one, outdir, (char *)NULL), 0);
    tl_proc_free(&run);
    tl_sleep(0.02);
    tl_write_file(stamp, "");
    assert_false(stale(stamp, outdir, one));

    assert_int_equal(unlink(file), 0); /* someone deleted one.c */
    assert_true(stale(stamp, outdir, one));
    assert_int_equal(tl_runl(&run, 30, "tools/tangle/tangle", one, outdir, (char *)NULL), 0);
    tl_proc_free(&run);
    assert_int_equal(access(file, R_OK), 0);
    tl_sleep(0.02);
    tl_write_file(stamp, "");
    assert_false(stale(stamp, outdir, one));

    tl_sleep(0.02);
    tl_write_file(file, "/* edited by hand */\n"); /* ... or edited it */
    assert_true(stale(stamp, outdir, one));
    assert_int_equal(tl_runl(&run, 30, "tools/tangle/tangle", one, outdir, (char *)NULL), 0);
    tl_proc_free(&run);
    struct tl_text text;
    read_or_fail(file, &text);
    assert_non_null(strstr(text.data, "say_hello"));
    tl_text_free(&text);
    tl_sleep(0.02);
    tl_write_file(stamp, "");
    assert_false(stale(stamp, outdir, one));

    tl_sleep(0.02);
    tl_write_file(one, first_chapter); /* the chapter changed */
    assert_true(stale(stamp, outdir, one));
}

/* ------------------------------------------ (c) uses are real uses */

static const char uses_chapter[] =
    "# Usos\n"
    "\n"
    "<<a.c>>=\n"
    "#include <stdio.h>\n"
    "#define PORT 3490\n"
    "<<print the usage>>\n"
    "static int helper(void) { return PORT; }\n"
    "int main(void) { usage(); return helper(); }\n"
    "@\n"
    "\n"
    "<<print the usage>>=\n"
    "static void usage(void) { puts(\"usage: a [-p PORT] helper\"); /* not helper() */ }\n"
    "@\n"
    "\n"
    "<<b.c>>=\n"
    "#include <stdio.h>\n"
    "static void usage(void) { puts(\"b\"); }\n"
    "int main(void) { usage(); return 0; }\n"
    "@\n"
    "\n"
    "<<run.sh>>=\n"
    "#!/bin/sh\n"
    "usage() { echo helper PORT; }\n"
    "usage\n"
    "@\n"
    "\n"
    "<<Makefile>>=\n"
    "PROGRAMS = a b\n"
    "SCRIPTS = run.sh\n"
    "@\n";

/* The text of the woven code chunk NAME: from its \moddef to \nwendcode. */
static char *woven_chunk(const char *tex, const char *name)
{
    char header[256];
    snprintf(header, sizeof header, "\\moddef{%s~", name);
    const char *start = strstr(tex, header);
    if (start == NULL)
        fail_msg("no chunk <<%s>> in the woven text", name);
    const char *end = strstr(start, "\\nwendcode{}");
    assert_non_null(end);
    return strndup(start, (size_t)(end - start));
}

static int count(const char *text, const char *word)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, word)) != NULL; p += strlen(word))
        n++;
    return n;
}

static void a_use_is_a_real_use(void **state)
{
    (void)state;
    char chapter[700], outdir[700], linedir[700], woven[700];
    write_fixture("uses", "01-uses", uses_chapter, chapter, sizeof chapter);
    snprintf(outdir, sizeof outdir, "%s/uses/tangle", scratch);
    snprintf(linedir, sizeof linedir, "%s/uses/nwline/01-uses", scratch);
    struct tl_proc run;
    assert_int_equal(
        tl_runl(&run, 30, "tools/tangle/tangle", chapter, outdir, linedir, (char *)NULL), 0);
    tl_proc_free(&run);
    snprintf(woven, sizeof woven, "%s/uses/woven", scratch);
    snprintf(linedir, sizeof linedir, "%s/uses/nwline", scratch);
    int status = tl_runl(&run, 60, "tools/weave/weave", woven, "build/tools/nwpandoc",
                         linedir, chapter, (char *)NULL);
    assert_string_equal(tl_text_str(&run.err), "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);
    char path[800];
    snprintf(path, sizeof path, "%s/01-uses.tex", woven);
    struct tl_text tex;
    read_or_fail(path, &tex);

    /* "PORT" and "helper" in the string and the comment are no uses. */
    char *usage_chunk = woven_chunk(tex.data, "print the usage");
    assert_int_equal(count(usage_chunk, "\\nwindexuse{\\nwixident{PORT}}"), 0);
    assert_int_equal(count(usage_chunk, "\\nwindexuse{\\nwixident{helper}}"), 0);
    assert_int_equal(count(usage_chunk, "\\nwindexdefn{\\nwixident{usage}}"), 1);
    /* In <<a.c>>: PORT and helper() are used (and defined there); usage()
     * is used, and it is a.c's: the definition listed is in <<print the
     * usage>>, a chunk of a.c, never b.c's. */
    char *a = woven_chunk(tex.data, "a.c");
    assert_int_equal(count(a, "\\nwindexuse{\\nwixident{PORT}}"), 1);
    assert_int_equal(count(a, "\\nwindexuse{\\nwixident{helper}}"), 1);
    assert_int_equal(count(a, "\\nwindexuse{\\nwixident{usage}}"), 1);
    assert_int_equal(count(a, "\\nwindexdefn{\\nwixident{main}}"), 1);
    /* <<b.c>> uses its own usage() and no PORT, no helper. */
    char *b = woven_chunk(tex.data, "b.c");
    assert_int_equal(count(b, "\\nwindexuse{\\nwixident{usage}}"), 1);
    assert_int_equal(count(b, "{\\nwixident{PORT}}"), 0);
    assert_int_equal(count(b, "{\\nwixident{helper}}"), 0);
    /* a.c and b.c each define usage(): two identifiers, indexed apart
     * (the key after the name differs), and a.c's main uses a.c's. */
    char key_a[128], key_b[128], wanted[300];
    const char *defn = "\\nwindexdefn{\\nwixident{usage}}{";
    const char *at = strstr(usage_chunk, defn);
    assert_non_null(at);
    assert_int_equal(sscanf(at + strlen(defn), "%127[^}]", key_a), 1);
    at = strstr(b, defn);
    assert_non_null(at);
    assert_int_equal(sscanf(at + strlen(defn), "%127[^}]", key_b), 1);
    print_message("  usage() of a.c is '%s', of b.c '%s'\n", key_a, key_b);
    assert_string_not_equal(key_a, key_b);
    snprintf(wanted, sizeof wanted, "\\nwindexuse{\\nwixident{usage}}{%s}", key_a);
    assert_int_equal(count(a, wanted), 1);
    snprintf(wanted, sizeof wanted, "\\nwindexuse{\\nwixident{usage}}{%s}", key_b);
    assert_int_equal(count(a, wanted), 0);
    /* The printed name is usage, whatever the key. */
    assert_int_equal(count(tex.data, "\\nwixident{usage@@"), 0);
    /* A shell script defines and uses no C identifier. */
    char *script = woven_chunk(tex.data, "run.sh");
    assert_int_equal(count(script, "\\nwixident"), 0);
    free(usage_chunk);
    free(a);
    free(b);
    free(script);
    tl_text_free(&tex);
}

/* ------------------------------------------------- (d) the book's PDF */

static void pdf_text(struct tl_text *text)
{
    struct tl_proc run;
    assert_int_equal(tl_sh(&run, 60, "pdftotext -layout build/workbook.pdf -"), 0);
    *text = run.out;
    memset(&run.out, 0, sizeof run.out);
    tl_proc_free(&run);
}

/* The three documents from one source: the student's book prints no
 * build plumbing, the build manual prints it. Each phrase is a chunk name
 * or a harness function that only the manual explains; the manual must
 * have every one, so a phrase that no longer exists fails here too. */
static void the_book_has_no_build_manual_content(void **state)
{
    (void)state;
    static const char *const plumbing[] = {
        "experiment: check the arguments",
        "wait_for_port",
        "lab.sh: read the options",
        "lab-probe.sh: read the arguments",
        "echo-load: main",
        "grade-sandbox",
        "Makefile: build the programs with cc, run the experiment",
        "tools/html/tidycheck",
        "make lint",
    };
    struct tl_text book;
    pdf_text(&book);
    struct tl_proc run;
    assert_int_equal(tl_sh(&run, 60, "pdftotext -layout build/construcao.pdf -"), 0);
    for (size_t i = 0; i < sizeof plumbing / sizeof plumbing[0]; i++) {
        if (strstr(book.data, plumbing[i]) != NULL)
            fail_msg("build/workbook.pdf prints \"%s\", which belongs in the build manual",
                     plumbing[i]);
        if (strstr(tl_text_str(&run.out), plumbing[i]) == NULL)
            fail_msg("build/construcao.pdf does not print \"%s\"", plumbing[i]);
    }
    /* No chapter prints a root chunk of the manual: experiment.sh, Makefile. */
    if (strstr(book.data, "experiment.sh") != NULL &&
        strstr(book.data, "⟨experiment.sh") != NULL)
        fail_msg("build/workbook.pdf prints the chunk <<experiment.sh>>");
    tl_proc_free(&run);
    tl_text_free(&book);
}

/* The lines of text from the last line that is exactly heading (after
 * blanks) up to the next line that starts with stop. */
static char *section_of(const char *text, const char *heading, const char *stop)
{
    const char *start = NULL;
    for (const char *p = text; (p = strstr(p, heading)) != NULL; p++) {
        const char *line = p;
        while (line > text && line[-1] != '\n' && line[-1] != '\f')
            line--;
        const char *after = p + strlen(heading);
        if (strspn(line, " ") == (size_t)(p - line) && (*after == '\n'))
            start = after + 1;
    }
    if (start == NULL)
        fail_msg("no heading '%s' in the PDF", heading);
    const char *end = strstr(start, stop);
    return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* No page ends with a chunk's header (⟨name⟩≡) or a program's title,
 * with the code on the next page. */
/* Is line a running header, with the page number at one end ("44   CAPÍTULO
 * 3. ..." or "3.2. SEÇÃO   45")? Such a page has no number at its foot. */
static int is_running_header(const char *line)
{
    size_t blank = strspn(line, " ");
    const char *text = line + blank;
    size_t digits = strspn(text, "0123456789");
    if (digits > 0 && strncmp(text + digits, "  ", 2) == 0)
        return 1;
    size_t length = strlen(text);
    while (length > 0 && text[length - 1] == ' ')
        length--;
    size_t tail = 0;
    while (tail < length && strchr("0123456789", text[length - 1 - tail]) != NULL)
        tail++;
    return tail > 0 && tail + 2 <= length && text[length - tail - 1] == ' ' &&
           text[length - tail - 2] == ' ';
}

/* Does line start a caption: "Transcrição 5.6: ..." or "Listagem 7 do
 * relatório original (2004), ..."? (Prose may start a line with
 * "Listagem 5), e ...".) */
static int is_caption(const char *line)
{
    const char *rest = NULL;
    if (strncmp(line, "Transcrição ", strlen("Transcrição ")) == 0)
        rest = line + strlen("Transcrição ");
    else if (strncmp(line, "Listagem ", 9) == 0)
        rest = line + 9;
    if (rest == NULL)
        return 0;
    size_t label = strspn(rest, "0123456789ABCDEFGHIJ.");
    if (label == 0)
        return 0;
    return rest[label] == ':' || strncmp(rest + label, " do relatório", 13) == 0;
}

/* Does line start with a prompt, "hostA$ " or the report's "linux01$ "? */
static int is_command_line(const char *line)
{
    size_t word = strcspn(line, " ");
    return word > 1 && line[word - 1] == '$' && line[word] == ' ';
}

/* No page of PDF ends with a chunk's header or a program's title (the
 * code is on the next page), with a caption (a transcript's is above it)
 * or with a command line of a transcript (its output is on the next). */
static void no_page_of_ends_stranded(const char *pdf)
{
    struct tl_proc run;
    char command[200];
    snprintf(command, sizeof command, "pdftotext -layout %s -", pdf);
    assert_int_equal(tl_sh(&run, 60, command), 0);
    char *text = run.out.data;
    int stranded = 0, pages = 0;
    char *page = text;
    while (page != NULL && *page != '\0') {
        char *next = strchr(page, '\f');
        if (next != NULL)
            *next = '\0';
        pages++;
        /* The last line with text; a line that is only a number is the page
         * number at the foot when the page has no running header. */
        char first[1024] = "", last[1024] = "", line[1024];
        for (size_t i = 0; tl_line(page, i, line, sizeof line) == 0; i++) {
            size_t blank = strspn(line, " ");
            if (line[blank] == '\0')
                continue;
            if (first[0] == '\0')
                snprintf(first, sizeof first, "%s", line);
            snprintf(last, sizeof last, "%s", line + blank);
        }
        if (!is_running_header(first) && strspn(last, "0123456789ivxlc ") == strlen(last)) {
            /* the foot's number: the line before it is the last */
            last[0] = '\0';
            char previous[1024] = "";
            for (size_t i = 0; tl_line(page, i, line, sizeof line) == 0; i++) {
                size_t blank = strspn(line, " ");
                if (line[blank] == '\0')
                    continue;
                snprintf(previous, sizeof previous, "%s", last);
                snprintf(last, sizeof last, "%s", line + blank);
            }
            snprintf(last, sizeof last, "%s", previous);
        }
        size_t length = strlen(last);
        while (length > 0 && last[length - 1] == ' ')
            last[--length] = '\0';
        if (strstr(last, "\u27e9\u2261") != NULL || strncmp(last, "Programa ", 9) == 0 ||
            is_caption(last) || is_command_line(last)) {
            print_error("%s: page %d ends with '%s'\n", pdf, pages, last);
            stranded++;
        }
        page = next ? next + 1 : NULL;
    }
    tl_proc_free(&run);
    assert_true(pages > 50);
    if (stranded > 0)
        fail_msg("%s: %d page(s) end with a chunk header, a program title, a caption or a "
                 "command whose output is on the next page",
                 pdf, stranded);
}

static void no_page_ends_stranded(void **state)
{
    (void)state;
    no_page_of_ends_stranded("build/workbook.pdf");
    no_page_of_ends_stranded("build/construcao.pdf");
}

static void each_index_is_printed_once(void **state)
{
    (void)state;
    struct tl_text text;
    pdf_text(&text);
    /* The headings: one in the table of contents, one in the book. */
    assert_int_equal(count(text.data, "Índice de identificadores"), 2);
    assert_int_equal(count(text.data, "Índice de trechos"), 2);
    char *identifiers = section_of(text.data, "Índice de identificadores", "Referências");
    char line[512];
    int entries = 0;
    for (size_t i = 0; tl_line(identifiers, i, line, sizeof line) == 0; i++) {
        char *colon = strstr(line, ": ");
        if (colon == NULL || strchr(line, ' ') < colon)
            continue; /* a page number, a heading or prose */
        entries++;
        for (size_t j = i + 1; tl_line(identifiers, j, line + 256, 256) == 0; j++)
            if (strncmp(line, line + 256, (size_t)(colon - line) + 1) == 0)
                fail_msg("the identifier index lists '%.*s' twice", (int)(colon - line),
                         line);
    }
    assert_true(entries >= 10);
    free(identifiers);
    tl_text_free(&text);
}

/* ------------------------------------------------- (e) the indexes */

/* One entry per name: no name twice, none qualified "(em <chunk>)" as the
 * per-program duplicates were; a name several programs define lists its
 * definitions under it. No "nunca usado" anywhere. */
static void the_identifier_index_has_one_entry_per_name(void **state)
{
    (void)state;
    struct tl_text text;
    pdf_text(&text);
    if (strstr(text.data, "nunca usado") != NULL)
        fail_msg("the PDF says \"nunca usado\": %.80s", strstr(text.data, "nunca usado"));
    char *identifiers = section_of(text.data, "Índice de identificadores", "Referências");
    if (strstr(identifiers, "(em \u27e8") != NULL)
        fail_msg("a qualified entry in the identifier index: %.80s",
                 strstr(identifiers, "(em \u27e8"));
    static const char *const shared[] = {"program_name: ", "usage: ", "main: "};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        int entries = 0;
        char line[512];
        for (size_t j = 0; tl_line(identifiers, j, line, sizeof line) == 0; j++)
            if (strncmp(line + strspn(line, " "), shared[i], strlen(shared[i])) == 0)
                entries++;
        if (entries != 1)
            fail_msg("'%s' is %d entries of the identifier index, not 1", shared[i], entries);
    }
    assert_true(count(identifiers, "definido em") >= 3);
    free(identifiers);
    tl_text_free(&text);
}

/* The printed number of each page (a header's first or last word, or a
 * chapter opening's number alone at the foot); the offset from the PDF's
 * page index is the one most pages agree on. */
static int printed_number(const char *page)
{
    char line[1024], first[1024] = "", last[1024] = "";
    for (size_t i = 0; tl_line(page, i, line, sizeof line) == 0; i++) {
        if (line[strspn(line, " ")] == '\0')
            continue;
        if (first[0] == '\0')
            snprintf(first, sizeof first, "%s", line + strspn(line, " "));
        snprintf(last, sizeof last, "%s", line + strspn(line, " "));
    }
    char *end;
    long n = strtol(first, &end, 10);
    if (end != first && *end == ' ')
        return (int)n;
    const char *word = strrchr(first, ' ');
    if (word != NULL && strspn(word + 1, "0123456789") == strlen(word + 1) && word[1] != '\0')
        return (int)strtol(word + 1, NULL, 10);
    if (last[0] != '\0' && strspn(last, "0123456789 ") == strlen(last))
        return (int)strtol(last, NULL, 10);
    return -1;
}

static void the_subject_index_points_at_the_text(void **state)
{
    (void)state;
    struct tl_text text;
    pdf_text(&text);
    char *pages[1024];
    size_t npages = 0;
    for (char *p = text.data; p != NULL && *p != '\0' && npages < 1024;) {
        pages[npages++] = p;
        p = strchr(p, '\f');
        if (p != NULL)
            *p++ = '\0';
    }
    int votes[64] = {0};
    for (size_t i = 0; i < npages; i++) {
        int n = printed_number(pages[i]);
        if (n > 0 && (long)i + 1 - n >= 0 && (long)i + 1 - n < 64)
            votes[(long)i + 1 - n]++;
    }
    int offset = 0;
    for (int o = 1; o < 64; o++)
        if (votes[o] > votes[offset])
            offset = o;
    print_message("  page N of the book is page N+%d of the PDF (%d pages agree)\n", offset,
                  votes[offset]);
    assert_true(votes[offset] > 50);

    /* The index: the last page headed "Índice remissivo" on, whose first
     * line is the heading. */
    size_t start = npages;
    for (size_t i = 0; i < npages; i++) {
        const char *at = strstr(pages[i], "Índice remissivo\n");
        if (at != NULL && (at == pages[i] || at[-1] == '\n' || at[-1] == ' '))
            start = i;
    }
    if (start == npages)
        fail_msg("no \"Índice remissivo\" in the PDF");
    static const char *const names[] = {"accept()",     "getsockname()", "htonl()",
                                        "SO_REUSEADDR", "SIGCHLD",       "epoll_wait()"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char wanted[64], word[64];
        snprintf(wanted, sizeof wanted, "%s, ", names[k]);
        snprintf(word, sizeof word, "%.*s", (int)strcspn(names[k], "("), names[k]);
        int places = 0;
        for (size_t i = start; i < npages; i++)
            for (const char *at = pages[i]; (at = strstr(at, wanted)) != NULL; at++) {
                if (at > pages[i] && at[-1] != ' ' && at[-1] != '\n')
                    continue;
                const char *numbers = at + strlen(wanted);
                while (*numbers >= '0' && *numbers <= '9') {
                    char *end;
                    long printed = strtol(numbers, &end, 10);
                    long physical = printed + offset;
                    if (physical < 1 || physical > (long)npages)
                        fail_msg("'%s' points to page %ld, past the book", names[k], printed);
                    if (strstr(pages[physical - 1], word) == NULL)
                        fail_msg("the subject index points '%s' to page %ld, which does not "
                                 "name it",
                                 names[k], printed);
                    places++;
                    numbers = end;
                    if (strncmp(numbers, ", ", 2) != 0)
                        break;
                    numbers += 2;
                }
            }
        if (places == 0)
            fail_msg("the subject index has no entry '%s' with a page", names[k]);
        print_message("  %s: %d page(s), each naming it\n", names[k], places);
    }
    tl_text_free(&text);

    /* Enough entries to be an index of the socket API, not a sample. */
    struct tl_text ind;
    read_or_fail("build/latex/workbook.ind", &ind);
    int entries = count(ind.data, "\\item "), subentries = count(ind.data, "\\subitem ");
    print_message("  %d entries and %d sub-entries in the subject index\n", entries,
                  subentries);
    assert_true(entries >= 120);
    assert_true(subentries >= 20);
    tl_text_free(&ind);
}

/* The HTML edition's subject index: each entry links to an anchor that
 * exists on its page, in a paragraph that names it. */
static void the_html_subject_index_links_to_its_places(void **state)
{
    (void)state;
    struct tl_text index = {0};
    if (tl_read_file("build/html/indice-remissivo.html", &index) != 0)
        skip(); /* no HTML edition built: make html */
    static const char *const names[] = {"accept()", "htonl()", "SO_REUSEADDR",
                                        "epoll_wait()"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char wanted[80], word[64];
        snprintf(wanted, sizeof wanted, "<code>%s</code>: ", names[k]);
        snprintf(word, sizeof word, "%.*s", (int)strcspn(names[k], "("), names[k]);
        const char *at = strstr(index.data, wanted);
        if (at == NULL)
            fail_msg("indice-remissivo.html has no entry %s", names[k]);
        const char *href = strstr(at, "href=\"");
        assert_non_null(href);
        char page[256], anchor[64];
        assert_int_equal(sscanf(href + 6, "%255[^#]#%63[^\"]", page, anchor), 2);
        char path[400], id[100];
        snprintf(path, sizeof path, "build/html/%s", page);
        struct tl_text target;
        read_or_fail(path, &target);
        snprintf(id, sizeof id, "id=\"%s\"", anchor);
        const char *mark = strstr(target.data, id);
        if (mark == NULL)
            fail_msg("%s links to %s#%s, which is not there", names[k], page, anchor);
        /* The paragraph around the anchor names the entry. */
        const char *from = mark;
        while (from > target.data && strncmp(from, "<p>", 3) != 0 &&
               strncmp(from, "<li>", 4) != 0)
            from--;
        const char *to = strstr(mark, "</p>");
        char *paragraph = strndup(from, to ? (size_t)(to - from) : strlen(from));
        if (strstr(paragraph, word) == NULL)
            fail_msg("%s links to %s#%s, in a paragraph that does not name it", names[k],
                     page, anchor);
        free(paragraph);
        tl_text_free(&target);
    }
    tl_text_free(&index);
}

/* Tables are numbered N.1, N.2... in each chapter, with no number taken
 * by a table that is not in the list of tables. */
static void tables_are_numbered_without_gaps(void **state)
{
    (void)state;
    struct tl_text lot;
    read_or_fail("build/latex/workbook.lot", &lot);
    char line[2048], chapter[16] = "", previous_chapter[16] = "";
    long expected = 1, tables = 0;
    for (size_t i = 0; tl_line(lot.data, i, line, sizeof line) == 0; i++) {
        const char *number = strstr(line, "\\numberline {");
        if (number == NULL)
            continue;
        number += strlen("\\numberline {");
        size_t length = strcspn(number, ".}");
        const char *rest = number + length;
        long n;
        if (length == 0 || length >= sizeof chapter || tl_skip(&rest, ".") != 0 ||
            tl_scan_long(&rest, 10, &n) != 0 || *rest != '}')
            fail_msg("unexpected line in the list of tables: %s", line);
        snprintf(chapter, sizeof chapter, "%.*s", (int)length, number);
        if (strcmp(chapter, previous_chapter) != 0) {
            expected = 1;
            snprintf(previous_chapter, sizeof previous_chapter, "%s", chapter);
        }
        if (n != expected)
            fail_msg(
                "table %s.%ld follows %s.%ld in the list of tables: a table took a number "
                "and has no caption",
                chapter, n, chapter, expected - 1);
        expected++;
        tables++;
    }
    assert_true(tables >= 3);
    tl_text_free(&lot);
}

/* The logs of the book and of the build manual. */
static void a_latex_log_is_clean(const char *path)
{
    struct tl_text log;
    read_or_fail(path, &log);
    static const char *const never[] = {
        "There were undefined references",
        "has been referenced but does not exist",
        "destination with the same identifier",
        "LaTeX Warning: Reference",
        "LaTeX Warning: Citation",
    };
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        if (strstr(log.data, never[i]) != NULL)
            fail_msg("%s: %s", path, strstr(log.data, never[i]));
    /* No overfull line wider than 2 pt. */
    for (const char *p = log.data; (p = strstr(p, "Overfull \\hbox (")) != NULL; p++) {
        const char *width = p + strlen("Overfull \\hbox (");
        double points;
        if (tl_scan_double(&width, &points) != 0 || points > 2.0)
            fail_msg("%s: %.80s", path, p);
    }
    tl_text_free(&log);
}

static void the_latex_log_is_clean(void **state)
{
    (void)state;
    a_latex_log_is_clean("build/latex/workbook.log");
    a_latex_log_is_clean("build/latex/construcao.log");
}

/* Printed data lines up: the seed's Table 1, a TSV with "—" (three bytes,
 * one character) in its cells, is woven in aligned columns. The column is
 * counted in printed characters. */
static size_t column_of(const char *line, size_t cell)
{
    size_t column = 0;
    const unsigned char *c = (const unsigned char *)line;
    for (size_t seen = 0; *c; c++) {
        if (c[0] == ' ' && c[1] == ' ' && (c[2] != ' ' || seen == 0)) {
            while (*c == ' ')
                c++, column++;
            if (++seen == cell)
                return column;
        }
        if (c[0] == '\\' && c[1] != '\0')
            c++; /* totex writes \\ for a backslash, \{ for a brace: one column */
        if ((*c & 0xC0) != 0x80)
            column++;
    }
    return (size_t)-1;
}

static void printed_data_lines_up(void **state)
{
    (void)state;
    struct tl_text tex;
    /* The data file is chapter 2's, printed in the build manual. */
    read_or_fail("build/manual/02-fronteiras-de-mensagens.tex", &tex);
    const char *rows[] = {"Receptor \\\\ Emissor  ", "Linux 1  ", "Linux 2  ", "Solaris 1  "};
    size_t first[5] = {0};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\n%s", rows[r]);
        const char *at = strstr(tex.data, needle);
        if (at == NULL)
            fail_msg("no woven row starting '%s' in the seed's Table 1", rows[r]);
        char line[256];
        size_t length = strcspn(at + 1, "\n");
        snprintf(line, sizeof line, "%.*s", (int)length, at + 1);
        for (size_t cell = 1; cell <= 4; cell++) {
            size_t column = column_of(line, cell);
            if (r == 0)
                first[cell] = column;
            else if (column != first[cell])
                fail_msg("'%s': column %zu starts at %zu, in the header at %zu", line,
                         cell + 1, column, first[cell]);
        }
    }
    tl_text_free(&tex);
}

/* ------------------------------ (f) Objetivos first, Resumo at the end */

/* A heading line of the prose: one to six '#' and a blank. */
static int heading_level(const char *line)
{
    size_t hashes = strspn(line, "#");
    return hashes >= 1 && hashes <= 6 && line[hashes] == ' ' ? (int)hashes : 0;
}

/* An item of a Markdown list at the left margin: "- ", "* ", "+ ", "1. ". */
static int list_item(const char *line)
{
    if ((line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ')
        return 1;
    size_t digits = strspn(line, "0123456789");
    return digits > 0 && line[digits] == '.' && line[digits + 1] == ' ';
}

/* A section of a chapter: where its heading is, what it holds. */
struct part {
    int count;      /* headings with its title */
    size_t line;    /* of the first one, from 1 */
    int lead;       /* prose before the first list item */
    int items;      /* list items */
    char next[128]; /* the heading after it */
};

/* Copies the next line of *text into line (size bytes) and moves past it. */
static void next_line(const char **text, char *line, size_t size)
{
    size_t length = strcspn(*text, "\n");
    snprintf(line, size, "%.*s", (int)(length < size ? length : size - 1), *text);
    *text += length + ((*text)[length] == '\n');
}

/* Checks the prose of the chapter NAME, whose source is text: its first
 * level-2 heading is its only "## Objetivos", with a lead and 3 to 6 list
 * items; its only "## Resumo", a list, is followed by its only
 * "## Exercícios", with no heading between. A line of a code chunk, or of
 * a fenced block in the prose (a shell comment), is no heading. Returns 0,
 * or -1 with the reason in why. */
static int check_sections(const char *name, const char *text, char *why, size_t size)
{
    struct part objetivos = {0}, resumo = {0}, exercicios = {0}, *in = NULL;
    size_t first = 0;
    int in_code = 0, fenced = 0;
    char line[1024];
    for (size_t number = 1; *text != '\0'; number++) {
        next_line(&text, line, sizeof line);
        size_t length = strlen(line);
        if (length >= 5 && strncmp(line, "<<", 2) == 0 &&
            strcmp(line + length - 3, ">>=") == 0)
            in_code = 1;
        else if (line[0] == '@' && (line[1] == '\0' || line[1] == ' ' || line[1] == '\t'))
            in_code = 0;
        int fence =
            !in_code && (strncmp(line, "```", 3) == 0 || strncmp(line, "~~~", 3) == 0);
        if (fence)
            fenced = !fenced;
        if (in_code || fenced || fence || line[0] == '@')
            continue;
        int level = heading_level(line);
        if (level == 0 && in != NULL) {
            if (list_item(line))
                in->items++;
            else if (in->items == 0 && line[0] != '\0')
                in->lead = 1;
        }
        if (level == 0)
            continue;
        if (in != NULL)
            snprintf(in->next, sizeof in->next, "%.*s", (int)sizeof in->next - 1, line);
        in = NULL;
        if (level != 2)
            continue;
        if (first == 0)
            first = number;
        if (strcmp(line, "## Objetivos") == 0)
            in = &objetivos;
        else if (strcmp(line, "## Resumo") == 0)
            in = &resumo;
        else if (strcmp(line, "## Exercícios") == 0)
            in = &exercicios;
        if (in != NULL && in->count++ == 0)
            in->line = number;
    }
    if (objetivos.count != 1 || resumo.count != 1 || exercicios.count != 1)
        snprintf(why, size,
                 "%s: %d '## Objetivos', %d '## Resumo', %d '## Exercícios', not one of each",
                 name, objetivos.count, resumo.count, exercicios.count);
    else if (first != objetivos.line)
        snprintf(why, size, "%s:%zu: the first section is not '## Objetivos' (line %zu)",
                 name, first, objetivos.line);
    else if (!objetivos.lead || objetivos.items < 3 || objetivos.items > 6)
        snprintf(why, size,
                 "%s:%zu: Objetivos has %s and %d list items, not a lead and 3 to 6", name,
                 objetivos.line, objetivos.lead ? "a lead" : "no lead", objetivos.items);
    else if (strcmp(resumo.next, "## Exercícios") != 0)
        snprintf(why, size, "%s:%zu: '## Resumo' is followed by '%s', not by '## Exercícios'",
                 name, resumo.line, resumo.next[0] ? resumo.next : "nothing");
    else if (resumo.items < 3)
        snprintf(why, size, "%s:%zu: Resumo has %d list items: it is a list", name,
                 resumo.line, resumo.items);
    else
        return 0;
    return -1;
}

/* The check itself refuses what it must: a chapter in which one thing is
 * wrong, each in turn, and passes the chapter without the fault. */
static void the_sections_check_refuses_a_chapter_without_them(void **state)
{
    (void)state;
    static const char *const good[] = {
        "# Um capítulo {#cap:um}\n\nA motivação.\n\n```\n# um comentário\n## outro\n```\n\n",
        "## Objetivos\n\nDepois deste capítulo, você será capaz de:\n\n",
        "- escrever;\n- explicar;\n",
        "- medir.\n\n",
        "## O assunto\n\nTexto.\n\n<<a.c>>=\nint main(void) { return 0; }\n@\n\n",
        "### Um detalhe\n\nMais texto.\n\n",
        "## Resumo\n\nO que o capítulo ensinou:\n\n- um;\n- dois;\n- três.\n\n",
        "## Exercícios\n\n\\exercicio[1]{Um} Faça.\n",
    };
    enum { PARTS = sizeof good / sizeof good[0] };
    struct {
        int part;            /* which part of good is replaced */
        const char *instead; /* by this */
        const char *why;     /* the words the refusal must say */
    } const faults[] = {
        {1, "## Metas\n\nVocê vai:\n\n", "0 '## Objetivos'"},
        {2, "", "1 list items"},
        {3, "- medir;\n- prever;\n- distinguir;\n- escrever;\n- ler.\n\n", "7 list items"},
        {1, "## Objetivos\n\n", "no lead"},
        {0, "# Um capítulo\n\n## Motivação\n\nTexto.\n\n", "first section"},
        {6, "## Resumo\n\nO que:\n\n- um;\n- dois;\n- três.\n\n## Compilando\n\nTexto.\n\n",
         "followed by '## Compilando'"},
        {6, "## Resumo\n\n### Mais\n\n- um;\n- dois;\n- três.\n\n", "'### Mais'"},
        {6, "## Resumo\n\nTexto sem lista.\n\n", "0 list items"},
        {6, "", "0 '## Resumo'"},
        {1, "<<b.c>>=\n## Objetivos\n@\n\n", "0 '## Objetivos'"}, /* code, not prose */
    };
    char text[2048], why[512];
    for (size_t f = 0; f <= sizeof faults / sizeof faults[0]; f++) {
        size_t used = 0;
        for (int part = 0; part < PARTS; part++) {
            int replaced = f < sizeof faults / sizeof faults[0] && faults[f].part == part;
            used += (size_t)snprintf(text + used, sizeof text - used, "%s",
                                     replaced ? faults[f].instead : good[part]);
            assert_true(used < sizeof text);
        }
        int status = check_sections("fixture.nw", text, why, sizeof why);
        if (f == sizeof faults / sizeof faults[0]) {
            if (status != 0)
                fail_msg("the good fixture is refused: %s", why);
        } else if (status == 0) {
            fail_msg("fault %zu is not refused: %s", f, faults[f].instead);
        } else if (strstr(why, faults[f].why) == NULL) {
            fail_msg("fault %zu is refused with '%s', which does not say '%s'", f, why,
                     faults[f].why);
        }
    }
}

static void each_chapter_opens_with_objetivos_and_ends_with_resumo(void **state)
{
    (void)state;
    glob_t chapters;
    assert_int_equal(glob("chapters/*.nw", 0, NULL, &chapters), 0);
    assert_true(chapters.gl_pathc >= 7);
    int wrong = 0;
    for (size_t i = 0; i < chapters.gl_pathc; i++) {
        struct tl_text text;
        read_or_fail(chapters.gl_pathv[i], &text);
        char why[512];
        if (check_sections(chapters.gl_pathv[i], text.data, why, sizeof why) != 0) {
            print_error("%s\n", why);
            wrong++;
        }
        tl_text_free(&text);
    }
    globfree(&chapters);
    if (wrong > 0)
        fail_msg("%d chapter(s) without Objetivos first or Resumo before the exercises",
                 wrong);
}

/* A section heading of the PDF's text, "1.3   Título" or "A.2 Título" alone
 * on its line (the table of contents adds dots and a page): the chapter's
 * label into chapter, the section's number into *section, and the title. */
static int pdf_heading(const char *line, char *chapter, size_t size, long *section,
                       const char **title)
{
    line += strspn(line, " ");
    size_t label = strspn(line, "0123456789");
    if (label == 0 && line[0] >= 'A' && line[0] <= 'Z')
        label = 1;
    if (label == 0 || label >= size || line[label] != '.')
        return -1;
    snprintf(chapter, size, "%.*s", (int)label, line);
    const char *rest = line + label + 1;
    if (tl_scan_long(&rest, 10, section) != 0 || *rest != ' ')
        return -1;
    *title = rest + strspn(rest, " ");
    return strstr(*title, " . .") == NULL ? 0 : -1;
}

/* In the PDF, each chapter has its Objetivos as section 1 and its Resumo
 * right before its Exercícios: as many as there are chapters. */
static void the_pdf_prints_objetivos_and_resumo_in_each_chapter(void **state)
{
    (void)state;
    glob_t chapters;
    assert_int_equal(glob("chapters/*.nw", 0, NULL, &chapters), 0);
    size_t expected = chapters.gl_pathc;
    globfree(&chapters);
    struct tl_text text;
    pdf_text(&text);
    enum { MOST = 32 };
    struct {
        char label[8];
        long objetivos, resumo, exercicios; /* section numbers; 0: none */
        int objetivos_count, resumo_count;
    } seen[MOST];
    size_t labels = 0;
    const char *p = text.data;
    char line[1024];
    while (*p != '\0') {
        next_line(&p, line, sizeof line);
        for (char *end = line + strlen(line); end > line && end[-1] == ' ';)
            *--end = '\0';
        char label[8];
        long section;
        const char *title;
        if (pdf_heading(line, label, sizeof label, &section, &title) != 0)
            continue;
        int objetivos = strcmp(title, "Objetivos") == 0,
            resumo = strcmp(title, "Resumo") == 0;
        if (!objetivos && !resumo && strcmp(title, "Exercícios") != 0)
            continue;
        size_t k = 0;
        while (k < labels && strcmp(seen[k].label, label) != 0)
            k++;
        if (k == labels) {
            assert_true(labels < MOST);
            memset(&seen[labels], 0, sizeof seen[labels]);
            snprintf(seen[labels++].label, sizeof seen[0].label, "%s", label);
        }
        if (objetivos) {
            seen[k].objetivos = section;
            seen[k].objetivos_count++;
        } else if (resumo) {
            seen[k].resumo = section;
            seen[k].resumo_count++;
        } else {
            seen[k].exercicios = section;
        }
    }
    tl_text_free(&text);
    size_t whole = 0;
    for (size_t k = 0; k < labels; k++) {
        print_message("  chapter %s: Objetivos %s.%ld, Resumo %s.%ld, Exercícios %s.%ld\n",
                      seen[k].label, seen[k].label, seen[k].objetivos, seen[k].label,
                      seen[k].resumo, seen[k].label, seen[k].exercicios);
        if (seen[k].objetivos_count != 1 || seen[k].objetivos != 1)
            fail_msg("chapter %s of the PDF has %d 'Objetivos' headings, or not as %s.1",
                     seen[k].label, seen[k].objetivos_count, seen[k].label);
        if (seen[k].resumo_count != 1 || seen[k].exercicios == 0 ||
            seen[k].resumo + 1 != seen[k].exercicios)
            fail_msg("chapter %s of the PDF has %d 'Resumo' headings, or not right before "
                     "its Exercícios",
                     seen[k].label, seen[k].resumo_count);
        whole++;
    }
    if (whole != expected)
        fail_msg("the PDF has Objetivos and Resumo in %zu chapters; chapters/ has %zu", whole,
                 expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_two_chunks_share_six_lines),
        cmocka_unit_test(code_lines_fit_the_page),
        cmocka_unit_test(every_solution_compiles),
        cmocka_unit_test(printed_data_lines_up),
        cmocka_unit_test(transcripts_fit_the_page),
        cmocka_unit_test(a_chunk_of_one_chapter_is_used_in_another),
        cmocka_unit_test(a_chunk_defined_in_two_chapters_is_refused),
        cmocka_unit_test(a_chunk_not_closed_is_refused_at_its_start),
        cmocka_unit_test(a_misspelt_use_is_named_with_its_line),
        cmocka_unit_test(the_builds_copy_is_tangled_again_when_deleted_or_edited),
        cmocka_unit_test(a_use_is_a_real_use),
        cmocka_unit_test(each_index_is_printed_once),
        cmocka_unit_test(the_identifier_index_has_one_entry_per_name),
        cmocka_unit_test(the_subject_index_points_at_the_text),
        cmocka_unit_test(the_html_subject_index_links_to_its_places),
        cmocka_unit_test(no_page_ends_stranded),
        cmocka_unit_test(tables_are_numbered_without_gaps),
        cmocka_unit_test(the_latex_log_is_clean),
        cmocka_unit_test(the_book_has_no_build_manual_content),
        cmocka_unit_test(the_sections_check_refuses_a_chapter_without_them),
        cmocka_unit_test(each_chapter_opens_with_objetivos_and_ends_with_resumo),
        cmocka_unit_test(the_pdf_prints_objetivos_and_resumo_in_each_chapter),
    };
    return cmocka_run_group_tests_name("book", tests, tl_scratch_make, tl_scratch_remove);
}
