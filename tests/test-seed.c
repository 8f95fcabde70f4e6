/* test-seed: the seed report's Listings 2-16, kept as historical data in
 * chapters/seed/ (listing-NN.txt, listings.tsv, README), are the report's
 * text and the book prints them.
 *   (a) every line of listing-NN.txt occurs, in order, in Listing NN of the
 *       seed report's text, and no line of the report's listing is left out:
 *       nothing retyped, invented or dropped. Leading and trailing
 *       whitespace is ignored (the PDF extraction lost some indentation),
 *       and so is the difference between tabs and spaces. The only other
 *       difference allowed is the repair README documents for Listings 11
 *       and 12: "X   STATE", where X is a line of the listing and STATE a
 *       TCP state the extraction printed after the code block. The captions
 *       in listings.tsv are the report's. Skipped, with the reason, when
 *       the report is not there;
 *   (b) every listing 02-16 has a file and a caption row;
 *   (c) the listing files have no tab characters;
 *   (d) tools/weave/seed-captions made build/tex/seed-listings.tex, and refuses
 *       bad input with one line naming FILE:LINE, writing nothing;
 *   (e) the PDF shows each placed listing (02-16) with its caption, its
 *       first and last lines just below the caption.
 * Run from the top of the tree after `make` (make test does). */
#include "testlib.h"

#include <ctype.h>

#define SEED_DIR "chapters/seed"
#define LISTINGS_TSV SEED_DIR "/listings.tsv"
#define FIRST_LISTING 2
#define LAST_LISTING 16
#define LAST_PLACED 16

static const char *const report_paths[] = {
    "/work/shared/seed/mc823-atividade2-report.txt",
    "../shared/seed/mc823-atividade2-report.txt", /* relative to the repository */
};

/* The listings whose README repair puts the TCP state back at line end. */
static int state_joined(int listing)
{
    return listing == 11 || listing == 12;
}

#define scratch tl_scratch

static void read_or_fail(const char *path, struct tl_text *text)
{
    memset(text, 0, sizeof *text);
    if (tl_read_file(path, text) != 0)
        fail_msg("cannot read %s: %s (has `make` run?)", path, strerror(errno));
}

static void listing_path(int listing, char *path, size_t size)
{
    snprintf(path, size, SEED_DIR "/listing-%02d.txt", listing);
}

/* Tabs expanded to 8 columns, then leading and trailing whitespace
 * removed, into out. */
static void normalize_line(const char *line, size_t length, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < length && n + 1 < size; i++) {
        if (line[i] == '\t') {
            do
                out[n++] = ' ';
            while (n % 8 != 0 && n + 1 < size);
        } else {
            out[n++] = line[i];
        }
    }
    while (n > 0 && isspace((unsigned char)out[n - 1]))
        n--;
    out[n] = '\0';
    size_t start = strspn(out, " \t\r\n");
    memmove(out, out + start, n - start + 1);
}

/* ------------------------------------------------- listings.tsv */

/* captions[N] is the caption of Listing N (malloc'ed), or NULL. */
static char *captions[100];

static void read_captions(void)
{
    for (size_t i = 0; i < 100; i++) {
        free(captions[i]);
        captions[i] = NULL;
    }
    struct tl_text tsv;
    read_or_fail(LISTINGS_TSV, &tsv);
    char line[1024];
    int header = 0;
    for (size_t i = 0; tl_line(tsv.data, i, line, sizeof line) == 0; i++) {
        if (line[0] == '#')
            continue;
        if (!header) {
            if (strcmp(line, "listing\tcaption") != 0)
                fail_msg(LISTINGS_TSV
                         ":%zu: expected the header 'listing<TAB>caption', got '%s'",
                         i + 1, line);
            header = 1;
            continue;
        }
        char *tab = strchr(line, '\t');
        if (tab == NULL || strchr(tab + 1, '\t') != NULL || tab[1] == '\0')
            fail_msg(LISTINGS_TSV ":%zu: expected 'NN<TAB>caption', got '%s'", i + 1, line);
        if (tab - line != 2 || !isdigit((unsigned char)line[0]) ||
            !isdigit((unsigned char)line[1]))
            fail_msg(LISTINGS_TSV ":%zu: the listing number is not 2 digits: '%s'", i + 1,
                     line);
        int listing = (line[0] - '0') * 10 + (line[1] - '0');
        if (captions[listing] != NULL)
            fail_msg(LISTINGS_TSV ":%zu: Listing %02d twice", i + 1, listing);
        captions[listing] = strdup(tab + 1);
        assert_non_null(captions[listing]);
    }
    tl_text_free(&tsv);
}

/* --------------------------------------------------- (b) and (c) */

static void every_listing_has_a_file_and_a_caption(void **state)
{
    (void)state;
    read_captions();
    for (int n = 0; n < 100; n++) {
        char path[64];
        listing_path(n, path, sizeof path);
        int wanted = n >= FIRST_LISTING && n <= LAST_LISTING;
        if (wanted && captions[n] == NULL)
            fail_msg(LISTINGS_TSV " has no caption for Listing %02d", n);
        if (!wanted && captions[n] != NULL)
            fail_msg(LISTINGS_TSV " has Listing %02d; the report's transcripts are 02-16", n);
        if (wanted && access(path, R_OK) != 0)
            fail_msg("%s: %s", path, strerror(errno));
        if (!wanted && access(path, F_OK) == 0)
            fail_msg("%s: the report's transcripts are 02-16", path);
    }
    struct tl_text readme;
    read_or_fail(SEED_DIR "/README", &readme);
    assert_non_null(
        strstr(readme.data, "G. S. Barbieri, \"MC823 Atividade 2\", Unicamp, 2004"));
    assert_non_null(strstr(readme.data, "6.1 \"Registro dos resultados\""));
    tl_text_free(&readme);
}

static void the_listing_files_have_no_tabs(void **state)
{
    (void)state;
    for (int n = FIRST_LISTING; n <= LAST_LISTING; n++) {
        char path[64];
        listing_path(n, path, sizeof path);
        struct tl_text text;
        read_or_fail(path, &text);
        const char *tab = strchr(text.data, '\t');
        if (tab != NULL)
            fail_msg("%s:%zu: a tab (expand -t 8 it)", path,
                     tl_count_lines(text.data) - tl_count_lines(tab) + 1);
        if (text.length == 0 || text.data[text.length - 1] != '\n')
            fail_msg("%s: empty, or no newline at its end", path);
        tl_text_free(&text);
    }
}

/* ------------------------------------------------------------ (a) */

struct report_line {
    char text[512]; /* normalized */
    int in_code;    /* between ``` fences */
    int used;
};

/* The lines of Listing N in the report: after its "Listing N: " caption,
 * up to the next caption. Returns how many, or -1 if it is not there; the
 * caption goes to caption. */
static int report_listing(const char *report, int listing, struct report_line *lines, int max,
                          char *caption, size_t size)
{
    char head[32];
    int head_length = snprintf(head, sizeof head, "Listing %d: ", listing);
    const char *p = report;
    while (p != NULL && strncmp(p, head, (size_t)head_length) != 0) {
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return -1;
    size_t length = strcspn(p, "\n");
    normalize_line(p + head_length, length - (size_t)head_length, caption, size);
    p += length;
    int count = 0, in_code = 0;
    while (*p == '\n') {
        p++;
        length = strcspn(p, "\n");
        if (length == 0 && *p == '\0')
            break;
        if (strncmp(p, "Listing ", 8) == 0 && isdigit((unsigned char)p[8]))
            break;
        if (strncmp(p, "```", 3) == 0) {
            in_code = !in_code;
        } else {
            assert_true(count < max);
            normalize_line(p, length, lines[count].text, sizeof lines[count].text);
            lines[count].in_code = in_code;
            lines[count].used = 0;
            count++;
        }
        p += length;
    }
    return count;
}

/* The index of the first line at or after *from whose text is text, and
 * *from moves past it; -1 if there is none. */
static int find_from(struct report_line *lines, int count, int *from, const char *text,
                     int in_code)
{
    for (int i = *from; i < count; i++)
        if (lines[i].in_code == in_code && strcmp(lines[i].text, text) == 0) {
            *from = i + 1;
            return i;
        }
    return -1;
}

/* "X   STATE" split at its last run of 2 or more spaces, STATE in A-Z_. */
static int split_state(const char *line, char *head, size_t head_size, char *tcp_state,
                       size_t state_size)
{
    const char *gap = strrchr(line, ' ');
    if (gap == NULL || gap == line || gap[-1] != ' ' || gap[1] == '\0')
        return -1;
    for (const char *c = gap + 1; *c != '\0'; c++)
        if (!isupper((unsigned char)*c) && *c != '_')
            return -1;
    snprintf(tcp_state, state_size, "%s", gap + 1);
    const char *end = gap;
    while (end > line && end[-1] == ' ')
        end--;
    snprintf(head, head_size, "%.*s", (int)(end - line), line);
    return 0;
}

static const char *find_report(void)
{
    for (size_t i = 0; i < sizeof report_paths / sizeof *report_paths; i++)
        if (access(report_paths[i], R_OK) == 0)
            return report_paths[i];
    return NULL;
}

static void the_listings_are_the_reports_text(void **state)
{
    (void)state;
    const char *report_path = find_report();
    if (report_path == NULL) {
        print_message("skip: the seed report is not at %s nor at %s\n", report_paths[0],
                      report_paths[1]);
        skip();
    }
    read_captions();
    struct tl_text report;
    read_or_fail(report_path, &report);
    static struct report_line lines[400];
    for (int n = FIRST_LISTING; n <= LAST_LISTING; n++) {
        char caption[512];
        int count = report_listing(report.data, n, lines, 400, caption, sizeof caption);
        if (count < 0)
            fail_msg("%s has no \"Listing %d: \" line", report_path, n);
        if (captions[n] == NULL || strcmp(captions[n], caption) != 0)
            fail_msg(LISTINGS_TSV
                     ": the caption of Listing %02d is '%s'; the report's is '%s'",
                     n, captions[n] ? captions[n] : "(none)", caption);

        char path[64];
        listing_path(n, path, sizeof path);
        struct tl_text text;
        read_or_fail(path, &text);
        int next = 0, next_state = 0;
        char raw[1024], line[1024];
        for (size_t i = 0; tl_line(text.data, i, raw, sizeof raw) == 0; i++) {
            normalize_line(raw, strlen(raw), line, sizeof line);
            if (line[0] == '\0')
                continue;
            int at = find_from(lines, count, &next, line, 1);
            if (at < 0 && state_joined(n)) {
                char head[1024], tcp_state[64];
                int saved = next;
                if (split_state(line, head, sizeof head, tcp_state, sizeof tcp_state) == 0 &&
                    (at = find_from(lines, count, &next, head, 1)) >= 0) {
                    int state_at = find_from(lines, count, &next_state, tcp_state, 0);
                    if (state_at < 0) {
                        at = -1;
                        next = saved;
                    } else {
                        lines[state_at].used = 1;
                    }
                }
            }
            if (at < 0)
                fail_msg(
                    "%s:%zu: '%s' is not in Listing %d of %s (after the lines before it)",
                    path, i + 1, line, n, report_path);
            lines[at].used = 1;
        }
        for (int i = 0; i < count; i++)
            if (lines[i].in_code && lines[i].text[0] != '\0' && !lines[i].used)
                fail_msg("%s leaves out the report's line '%s' of Listing %d", path,
                         lines[i].text, n);
        tl_text_free(&text);
    }
    tl_text_free(&report);

    /* The repairs that made the differences allowed above are documented. */
    struct tl_text readme;
    read_or_fail(SEED_DIR "/README", &readme);
    const char *repairs[] = {"\n03: ", "\n11: ", "\n12: "};
    for (size_t i = 0; i < sizeof repairs / sizeof *repairs; i++)
        if (strstr(readme.data, repairs[i]) == NULL)
            fail_msg(SEED_DIR "/README has no repair line '%s'", repairs[i] + 1);
    tl_text_free(&readme);
}

/* ------------------------------------------------------------ (d) */

static void the_captions_tex_is_the_tools_output(void **state)
{
    (void)state;
    struct tl_proc run;
    int status = tl_runl(&run, 30, "tools/weave/seed-captions", LISTINGS_TSV, (char *)NULL);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    struct tl_text used;
    read_or_fail("build/tex/seed-listings.tex", &used);
    assert_string_equal(run.out.data, used.data);
    assert_non_null(strstr(used.data,
                           "\\defseedcaption{02}{Diferença entre \\texttt{send()} e "
                           "\\texttt{recv()} em um mesmo hospedeiro linux}\n"));
    assert_int_equal(tl_count_lines(used.data), LAST_LISTING - FIRST_LISTING + 1);
    tl_text_free(&used);
    tl_proc_free(&run);
}

/* Runs tools/weave/seed-captions on content; it must fail with one line on
 * stderr that names FILE:LINE and says why, and print nothing. */
static void refused(const char *content, int line, const char *why)
{
    char path[256], where[300];
    snprintf(path, sizeof path, "%s/listings.tsv", scratch);
    tl_write_file(path, content);
    snprintf(where, sizeof where, "seed-captions: %s:%d: ", path, line);
    struct tl_proc run;
    int status = tl_runl(&run, 30, "tools/weave/seed-captions", path, (char *)NULL);
    assert_int_not_equal(status, 0);
    assert_string_equal(run.out.data, "");
    assert_int_equal(tl_count_lines(run.err.data), 1);
    if (strncmp(run.err.data, where, strlen(where)) != 0 || strstr(run.err.data, why) == NULL)
        fail_msg("expected '%s...%s', got '%s'", where, why, run.err.data);
    tl_proc_free(&run);
}

static void seed_captions_refuses_bad_input(void **state)
{
    (void)state;
    refused("# c\nlisting\tcaption\n02\tok\n03\n", 4, "1 cells, expected 2");
    refused("listing\tcaption\n02\tok\n03\tone\ttwo\n", 3, "3 cells, expected 2");
    refused("listing\tcaption\n3\tshort number\n", 2, "not a 2-digit number");
    refused("listing\tcaption\n002\tlong number\n", 2, "not a 2-digit number");
    refused("listing\tcaption\nab\tletters\n", 2, "not a 2-digit number");
    refused("listing\tcaption\n02\tok\n02\tagain\n", 3, "again");
    refused("listing\tcaption\n02\tan `unbalanced quote\n", 2, "unbalanced");
    refused("02\tno header\n", 1, "header");

    /* And a good one: specials escaped, `code` in \texttt. */
    char path[256];
    snprintf(path, sizeof path, "%s/listings.tsv", scratch);
    tl_write_file(path, "# comment\nlisting\tcaption\n07\t50% de `a_b{}` & $x#~^\\\n");
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 30, "tools/weave/seed-captions", path, (char *)NULL), 0);
    assert_string_equal(run.out.data,
                        "\\defseedcaption{07}{50\\% de \\texttt{a\\_b\\{\\}} \\& "
                        "\\$x\\#\\textasciitilde{}\\textasciicircum{}"
                        "\\textbackslash{}}\n");
    tl_proc_free(&run);
}

/* ------------------------------------------------------------ (e) */

static int have(const char *program)
{
    char command[256];
    snprintf(command, sizeof command, "command -v %s >/dev/null 2>&1", program);
    struct tl_proc run;
    int status = tl_sh(&run, 10, command);
    tl_proc_free(&run);
    return status == 0;
}

/* text with every run of whitespace made one space, curly quotes (what
 * the typewriter font's ' becomes) straight, and "-" at a line's end that
 * joins two letters dropped (hyphenation); in place. */
static void squeeze(char *text)
{
    size_t n = 0;
    for (char *p = text; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == 0xe2 && (unsigned char)p[1] == 0x80 &&
            ((unsigned char)p[2] == 0x98 || (unsigned char)p[2] == 0x99)) {
            text[n++] = '\'';
            p += 2;
        } else if (c == '-' && p[1] == '\n' && n > 0 && isalpha((unsigned char)text[n - 1]) &&
                   isalpha((unsigned char)p[2])) {
            p++;
        } else if (isspace(c)) {
            if (n > 0 && text[n - 1] != ' ')
                text[n++] = ' ';
        } else {
            text[n++] = (char)c;
        }
    }
    text[n] = '\0';
}

static void the_pdf_shows_the_placed_listings(void **state)
{
    (void)state;
    if (!have("pdftotext")) {
        print_message("skip: pdftotext (poppler-utils) is not installed\n");
        skip();
    }
    read_captions();
    struct tl_proc run;
    /* -layout: without it pdftotext reads a page in blocks, and a listing
     * line whose far-right columns line up with a heading below it (16's
     * "S 17:26 0:00 ./serv" beside "5.9.3", when the page breaks so) comes
     * out cut in pieces, after the heading. */
    assert_int_equal(tl_sh(&run, 60, "pdftotext -layout build/workbook.pdf -"), 0);
    squeeze(run.out.data);
    for (int n = FIRST_LISTING; n <= LAST_PLACED; n++) {
        char expected[1024];
        int length =
            snprintf(expected, sizeof expected,
                     "Listagem %d do relatório original (2004), dado histórico: ", n);
        for (const char *c = captions[n]; *c != '\0' && length + 2 < (int)sizeof expected;
             c++)
            if (*c != '`')
                expected[length++] = *c;
        expected[length++] = '.';
        expected[length] = '\0';
        squeeze(expected);
        const char *caption = strstr(run.out.data, expected);
        if (caption == NULL)
            fail_msg("the PDF has no caption '%s'", expected);

        /* Its first and last lines, in that order, just below it. */
        char path[64];
        listing_path(n, path, sizeof path);
        struct tl_text text;
        read_or_fail(path, &text);
        char first[512] = "", last[512] = "", line[512];
        for (size_t i = 0; tl_line(text.data, i, line, sizeof line) == 0; i++) {
            squeeze(line);
            const char *start = line + (line[0] == ' ');
            size_t end = strlen(start);
            if (end > 0 && start[end - 1] == ' ')
                end--;
            if (end == 0)
                continue;
            if (first[0] == '\0')
                snprintf(first, sizeof first, "%.*s", (int)end, start);
            snprintf(last, sizeof last, "%.*s", (int)end, start);
        }
        tl_text_free(&text);
        /* pdftotext without -layout printed the far-right State column of 11
         * and 12 after the other lines, as the seed's own extraction did
         * (README): the last line is looked for without it, which -layout's
         * whole line still contains. */
        if (state_joined(n) && strrchr(last, ' ') != NULL)
            *strrchr(last, ' ') = '\0';
        /* The caption is above the listing (book/caderno.sty): its first and
         * last lines come just after it, in that order. */
        size_t window = 8000;
        const char *after_caption = caption + strlen(expected);
        size_t left = strlen(after_caption);
        char *below = strndup(after_caption, left < window ? left : window);
        assert_non_null(below);
        const char *at_first = strstr(below, first);
        if (at_first == NULL)
            fail_msg("the PDF has no '%s' (Listing %d's first line) below its caption", first,
                     n);
        const char *at_last = strstr(at_first, last);
        if (at_last == NULL)
            fail_msg("the PDF has no '%s' (Listing %d's last line) below its caption", last,
                     n);
        free(below);
    }
    tl_proc_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_listing_has_a_file_and_a_caption),
        cmocka_unit_test(the_listing_files_have_no_tabs),
        cmocka_unit_test(the_listings_are_the_reports_text),
        cmocka_unit_test(the_captions_tex_is_the_tools_output),
        cmocka_unit_test(seed_captions_refuses_bad_input),
        cmocka_unit_test(the_pdf_shows_the_placed_listings),
    };
    int failed =
        cmocka_run_group_tests_name("seed", tests, tl_scratch_make, tl_scratch_remove);
    for (size_t i = 0; i < 100; i++)
        free(captions[i]);
    return failed;
}
