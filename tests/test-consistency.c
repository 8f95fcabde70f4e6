/* test-consistency: the build's pieces agree with each other.
 *   (a) the results the PDF shows are the ones this build measured;
 *   (b) tools/tangle/tangle refuses malformed chapters and keeps good output;
 *   (c) every tangled C file compiles warning-free with gcc and clang; the
 *       students' Makefiles warn without stopping, the book's build stops;
 *   (d) tools/weave/weave with the nwpandoc filter typesets Markdown, keeps
 *       [[quotes]], marks root chunks and .nw lines, and refuses a quote
 *       that pandoc would duplicate.
 * Fixtures are written at test time into a temporary directory. */
#include "testlib.h"

#include <glob.h>

#define CHAPTER "02-fronteiras-de-mensagens"
#define RESULTS "build/results/" CHAPTER
#define WOVEN "build/chapters/" CHAPTER ".tex"

#define scratch tl_scratch

static void read_or_fail(const char *path, struct tl_text *text)
{
    memset(text, 0, sizeof *text);
    if (tl_read_file(path, text) != 0)
        fail_msg("cannot read %s: %s (has `make` run?)", path, strerror(errno));
}

/* The value of key in a "key<TAB>value" file; fails the test if absent. */
static void tsv_value(const char *path, const char *key, char *value, size_t size)
{
    struct tl_text text;
    read_or_fail(path, &text);
    char line[512];
    for (size_t i = 0; tl_line(text.data, i, line, sizeof line) == 0; i++) {
        char *tab = strchr(line, '\t');
        if (tab != NULL && (size_t)(tab - line) == strlen(key) &&
            strncmp(line, key, strlen(key)) == 0) {
            snprintf(value, size, "%s", tab + 1);
            tl_text_free(&text);
            return;
        }
    }
    tl_text_free(&text);
    fail_msg("%s has no key '%s'", path, key);
}

static int have(const char *program)
{
    char command[256];
    snprintf(command, sizeof command, "command -v %s >/dev/null 2>&1", program);
    struct tl_proc run;
    int status = tl_sh(&run, 10, command);
    tl_proc_free(&run);
    return status == 0;
}

/* ----------------------------------------------------- (a) results */

/* Runs tools/weave/tsv2tex on a TSV and compares with the .tex the book used. */
static void check_table(const char *tsv, const char *tex)
{
    struct tl_proc run;
    int status = tl_runl(&run, 30, "tools/weave/tsv2tex", tsv, (char *)NULL);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    struct tl_text used;
    read_or_fail(tex, &used);
    if (run.out.length != used.length || memcmp(run.out.data, used.data, used.length) != 0)
        fail_msg("%s is not tsv2tex of %s:\n--- tsv2tex says:\n%s--- the book used:\n%s", tex,
                 tsv, run.out.data, used.data);
    tl_text_free(&used);
    tl_proc_free(&run);
}

static void the_tables_come_from_this_builds_tsv(void **state)
{
    (void)state;
    check_table(RESULTS "/recv-table.tsv", RESULTS "/recv-table.tex");
    check_table("build/tangle/" CHAPTER "/seed-table1.tsv", RESULTS "/seed-table1.tex");
}

static void the_woven_chapter_includes_those_tables(void **state)
{
    (void)state;
    struct tl_text woven;
    read_or_fail(WOVEN, &woven);
    assert_non_null(strstr(woven.data, "\\resulttable{" RESULTS "/recv-table.tex}"));
    assert_non_null(strstr(woven.data, "\\resulttable{" RESULTS "/seed-table1.tex}"));
    assert_non_null(strstr(woven.data, "\\transcript{" RESULTS "/loopback.txt}"));
    tl_text_free(&woven);
}

/* The recv()s of each run, recounted from loopback-recvs.data, give the
 * range that recv-table.tsv and numbers.tsv print. */
static void the_range_is_recomputed_from_the_data(void **state)
{
    (void)state;
    struct tl_text data;
    read_or_fail(RESULTS "/loopback-recvs.data", &data);
    char line[512];
    assert_int_equal(tl_line(data.data, 0, line, sizeof line), 0);
    assert_string_equal(line, "run\trecv\tbytes\trequested");
    enum { MAX_RUNS = 1000 };
    static size_t calls[MAX_RUNS + 1], bytes[MAX_RUNS + 1];
    memset(calls, 0, sizeof calls);
    memset(bytes, 0, sizeof bytes);
    size_t runs = 0;
    for (size_t i = 1; tl_line(data.data, i, line, sizeof line) == 0; i++) {
        size_t run, call, got, requested;
        const char *rest = line;
        if (tl_scan_size(&rest, &run) != 0 || tl_skip(&rest, "\t") != 0 ||
            tl_scan_size(&rest, &call) != 0 || tl_skip(&rest, "\t") != 0 ||
            tl_scan_size(&rest, &got) != 0 || tl_skip(&rest, "\t") != 0 ||
            tl_scan_size(&rest, &requested) != 0 || *rest != '\0')
            fail_msg("loopback-recvs.data line %zu: '%s'", i + 1, line);
        assert_true(run >= 1 && run <= MAX_RUNS);
        assert_int_equal(call, calls[run] + 1); /* numbered in order */
        calls[run]++;
        bytes[run] += got;
        if (run > runs)
            runs = run;
    }
    tl_text_free(&data);
    assert_true(runs >= 1);
    size_t min = calls[1], max = calls[1], incomplete = 0;
    for (size_t r = 1; r <= runs; r++) {
        if (calls[r] < min)
            min = calls[r];
        if (calls[r] > max)
            max = calls[r];
        if (bytes[r] != DATASIZE_32KB)
            incomplete++;
    }
    char range[64], value[256];
    if (min == max)
        snprintf(range, sizeof range, "%zu", min);
    else
        snprintf(range, sizeof range, "%zu..%zu", min, max);

    struct tl_text table;
    read_or_fail(RESULTS "/recv-table.tsv", &table);
    char expected_row[256];
    snprintf(expected_row, sizeof expected_row,
             "Mesmo hospedeiro (loopback), Linux\t%s\t1..3", range);
    assert_int_equal(tl_line(table.data, 1, line, sizeof line), 0);
    assert_string_equal(line, expected_row);
    tl_text_free(&table);

    tsv_value(RESULTS "/numbers.tsv", "loopback-recvs", value, sizeof value);
    assert_string_equal(value, range);
    tsv_value(RESULTS "/numbers.tsv", "loopback-recvs-min", value, sizeof value);
    assert_int_equal(strtoul(value, NULL, 10), min);
    tsv_value(RESULTS "/numbers.tsv", "loopback-recvs-max", value, sizeof value);
    assert_int_equal(strtoul(value, NULL, 10), max);
    tsv_value(RESULTS "/numbers.tsv", "loopback-runs", value, sizeof value);
    assert_int_equal(strtoul(value, NULL, 10), runs);
    tsv_value(RESULTS "/numbers.tsv", "loopback-incomplete", value, sizeof value);
    assert_int_equal(strtoul(value, NULL, 10), incomplete);
}

/* Every number the prose quotes (numbers.tsv) is defined in numbers.tex,
 * and the transcript's server lines are server.out's. */
static void numbers_tex_and_transcript_match(void **state)
{
    (void)state;
    struct tl_text numbers, tex, transcript, server;
    read_or_fail(RESULTS "/numbers.tsv", &numbers);
    read_or_fail(RESULTS "/numbers.tex", &tex);
    char line[512], definition[600];
    size_t count = 0;
    for (size_t i = 0; tl_line(numbers.data, i, line, sizeof line) == 0; i++, count++) {
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        snprintf(definition, sizeof definition, "\\defresult{%s}{%s}\n", line, tab + 1);
        if (strstr(tex.data, definition) == NULL)
            fail_msg("numbers.tex lacks %s", definition);
    }
    assert_int_equal(tl_count_lines(tex.data), count);
    read_or_fail(RESULTS "/loopback.txt", &transcript);
    read_or_fail(RESULTS "/server.out", &server);
    assert_non_null(strstr(transcript.data, server.data));
    tl_text_free(&numbers);
    tl_text_free(&tex);
    tl_text_free(&transcript);
    tl_text_free(&server);
}

/* loopback-recvs.data is server.out's "received X bytes from Y" lines,
 * one row per line, numbered by connection and call. */
static void the_data_is_the_servers_transcript(void **state)
{
    (void)state;
    struct tl_text server, data;
    read_or_fail(RESULTS "/server.out", &server);
    read_or_fail(RESULTS "/loopback-recvs.data", &data);
    char line[512], row[512], expected[512];
    size_t run = 0, call = 0, rows = 1;
    for (size_t i = 0; tl_line(server.data, i, line, sizeof line) == 0; i++) {
        size_t received, requested;
        if (strncmp(line, "server: got connection", 22) == 0) {
            run++;
            call = 0;
        } else if (tl_received_from_requested(line, &received, &requested) == 0) {
            call++;
            snprintf(expected, sizeof expected, "%zu\t%zu\t%zu\t%zu", run, call, received,
                     requested);
            if (tl_line(data.data, rows++, row, sizeof row) != 0)
                fail_msg("loopback-recvs.data ends before '%s'", expected);
            assert_string_equal(row, expected);
        }
    }
    assert_true(run >= 1);
    assert_int_equal(tl_count_lines(data.data), rows);
    tl_text_free(&server);
    tl_text_free(&data);
}

static void the_mtu_is_this_machines(void **state)
{
    (void)state;
    struct tl_text mtu;
    read_or_fail("/sys/class/net/lo/mtu", &mtu);
    char value[64];
    tsv_value(RESULTS "/numbers.tsv", "loopback-mtu", value, sizeof value);
    assert_int_equal(strtoul(value, NULL, 10), strtoul(mtu.data, NULL, 10));
    assert_true(strtoul(value, NULL, 10) > 0);
    tl_text_free(&mtu);
}

/* The PDF's text has this build's transcript (its port is this build's)
 * and this build's row of the table. */
static void the_pdf_shows_this_builds_results(void **state)
{
    (void)state;
    if (!have("pdftotext")) {
        print_message("skip: pdftotext (poppler-utils) is not installed\n");
        skip();
    }
    struct tl_proc run;
    int status = tl_sh(&run, 60, "pdftotext -layout build/workbook.pdf -");
    assert_int_equal(status, 0);

    struct tl_text transcript;
    read_or_fail(RESULTS "/loopback.txt", &transcript);
    char first_server_line[256];
    assert_int_equal(tl_line(transcript.data, 1, first_server_line, sizeof first_server_line),
                     0);
    assert_true(strncmp(first_server_line, "server: listening on port ", 26) == 0);
    if (strstr(run.out.data, first_server_line) == NULL)
        fail_msg("the PDF does not show '%s'", first_server_line);

    /* The table row, with the columns' spaces squeezed. */
    char range[64];
    tsv_value(RESULTS "/numbers.tsv", "loopback-recvs", range, sizeof range);
    char expected[256];
    snprintf(expected, sizeof expected, "Mesmo hospedeiro (loopback), Linux %s 1..3", range);
    int found = 0;
    char line[1024];
    for (size_t i = 0; !found && tl_line(run.out.data, i, line, sizeof line) == 0; i++) {
        char squeezed[1024];
        size_t n = 0;
        for (const char *p = line; *p != '\0'; p++)
            if (!(*p == ' ' && (n == 0 || squeezed[n - 1] == ' ')))
                squeezed[n++] = *p;
        while (n > 0 && squeezed[n - 1] == ' ')
            n--;
        squeezed[n] = '\0';
        found = strcmp(squeezed, expected) == 0;
    }
    if (!found)
        fail_msg("the PDF has no table row '%s'", expected);
    tl_text_free(&transcript);
    tl_proc_free(&run);
}

/* ------------------------------------------------------ (b) tangle */

static const char good_chapter[] = "# Um capítulo bom\n"
                                   "\n"
                                   "<<hello.c>>=\n"
                                   "<<includes>>\n"
                                   "int main(void) { return puts(\"hello\") == EOF; }\n"
                                   "@\n"
                                   "\n"
                                   "<<includes>>=\n"
                                   "#include <stdio.h>\n"
                                   "@\n"
                                   "\n"
                                   "<<run.sh>>=\n"
                                   "#!/bin/sh\n"
                                   "echo run\n"
                                   "@\n"
                                   "\n"
                                   "<<Makefile>>=\n"
                                   "PROGRAMS = hello\n"
                                   "SCRIPTS = run.sh\n"
                                   "all: $(PROGRAMS)\n"
                                   "\techo built\n"
                                   "@\n";

struct stamp {
    struct timespec mtime;
    mode_t mode;
    struct tl_text content;
};

static void take_stamp(const char *dir, const char *name, struct stamp *stamp)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat status;
    if (stat(path, &status) != 0)
        fail_msg("%s: %s", path, strerror(errno));
    stamp->mtime = status.st_mtim;
    stamp->mode = status.st_mode & 07777;
    read_or_fail(path, &stamp->content);
}

static int same_stamp(const struct stamp *a, const struct stamp *b)
{
    return a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->mode == b->mode && a->content.length == b->content.length &&
           memcmp(a->content.data, b->content.data, a->content.length) == 0;
}

static const char *tangled_names[] = {"Makefile", "hello.c", "run.sh"};
enum { TANGLED = 3 };

static int tangle(const char *chapter, const char *outdir, struct tl_proc *run)
{
    return tl_runl(run, 30, "tools/tangle/tangle", chapter, outdir, (char *)NULL);
}

/* Writes text as DIR/name.nw and returns its path in path. */
static void write_chapter(const char *name, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s.nw", scratch, name);
    tl_write_file(path, text);
}

static void a_good_chapter_tangles_with_headers(void **state)
{
    (void)state;
    char chapter[512], outdir[512];
    write_chapter("good", good_chapter, chapter, sizeof chapter);
    snprintf(outdir, sizeof outdir, "%s/good-out", scratch);
    struct tl_proc run;
    int status = tangle(chapter, outdir, &run);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);

    /* Exactly the declared files. */
    char pattern[600];
    snprintf(pattern, sizeof pattern, "%s/*", outdir);
    glob_t files;
    assert_int_equal(glob(pattern, 0, NULL, &files), 0);
    assert_int_equal(files.gl_pathc, TANGLED);
    globfree(&files);

    char header[1200], line[1200];
    struct stamp stamps[TANGLED];
    for (size_t i = 0; i < TANGLED; i++) {
        take_stamp(outdir, tangled_names[i], &stamps[i]);
        const char *text = stamps[i].content.data;
        /* The note takes two lines, so it stays within 100 columns. */
        char header2[1200], line2[1200];
        snprintf(header2, sizeof header2,
                 "%s a change here stays here; the book is that file.%s",
                 strcmp(tangled_names[i], "hello.c") == 0 ? " *" : "#",
                 strcmp(tangled_names[i], "hello.c") == 0 ? " */" : "");
        size_t first = 0;
        if (strcmp(tangled_names[i], "hello.c") == 0) {
            snprintf(header, sizeof header, "/* Generated from %s by notangle:", chapter);
            assert_int_equal(stamps[i].mode, 0644);
        } else if (strcmp(tangled_names[i], "run.sh") == 0) {
            /* The #! line stays first; the note comes right after it. */
            assert_int_equal(tl_line(text, 0, line, sizeof line), 0);
            assert_string_equal(line, "#!/bin/sh");
            snprintf(header, sizeof header, "# Generated from %s by notangle:", chapter);
            first = 1;
            assert_int_equal(stamps[i].mode, 0755);
        } else {
            snprintf(header, sizeof header, "# Generated from %s by notangle:", chapter);
            assert_int_equal(stamps[i].mode, 0644);
            assert_non_null(strstr(text, "\n\techo built\n")); /* make's tab kept */
        }
        assert_int_equal(tl_line(text, first, line, sizeof line), 0);
        assert_int_equal(tl_line(text, first + 1, line2, sizeof line2), 0);
        assert_string_equal(line, header);
        assert_string_equal(line2, header2);
    }
    assert_non_null(strstr(stamps[1].content.data, "#include <stdio.h>\nint main(void)"));

    /* Tangling again changes nothing, not even an mtime (cpif). */
    tl_sleep(0.05);
    assert_int_equal(tangle(chapter, outdir, &run), 0);
    tl_proc_free(&run);
    for (size_t i = 0; i < TANGLED; i++) {
        struct stamp again;
        take_stamp(outdir, tangled_names[i], &again);
        if (!same_stamp(&stamps[i], &again))
            fail_msg("re-tangling an unchanged chapter touched %s", tangled_names[i]);
        tl_text_free(&again.content);
    }

    /* Editing one chunk rewrites that file only. */
    char edited[sizeof good_chapter + 16];
    snprintf(edited, sizeof edited, "%s", good_chapter);
    char *hello = strstr(edited, "puts(\"hello\")");
    assert_non_null(hello);
    memcpy(hello, "puts(\"HELLO\")", 13);
    tl_write_file(chapter, edited);
    tl_sleep(0.05);
    assert_int_equal(tangle(chapter, outdir, &run), 0);
    tl_proc_free(&run);
    for (size_t i = 0; i < TANGLED; i++) {
        struct stamp again;
        take_stamp(outdir, tangled_names[i], &again);
        int changed = strcmp(tangled_names[i], "hello.c") == 0;
        if (same_stamp(&stamps[i], &again) == changed)
            fail_msg("after editing <<hello.c>>, %s %s", tangled_names[i],
                     changed ? "was not rewritten" : "was rewritten too");
        if (changed)
            assert_non_null(strstr(again.content.data, "puts(\"HELLO\")"));
        tl_text_free(&again.content);
        tl_text_free(&stamps[i].content);
    }
}

/* A malformed chapter: tangle exits non-zero with one stderr line naming
 * the file and the chunk, creates no output directory and leaves an
 * existing one exactly as it was. */
static void check_refused(const char *name, const char *text, const char *chunk)
{
    char good[512], good_out[512], bad[512], fresh_out[512];
    write_chapter("reference", good_chapter, good, sizeof good);
    snprintf(good_out, sizeof good_out, "%s/%s-existing", scratch, name);
    struct tl_proc run;
    assert_int_equal(tangle(good, good_out, &run), 0);
    tl_proc_free(&run);
    struct stamp before[TANGLED];
    for (size_t i = 0; i < TANGLED; i++)
        take_stamp(good_out, tangled_names[i], &before[i]);

    write_chapter(name, text, bad, sizeof bad);
    snprintf(fresh_out, sizeof fresh_out, "%s/%s-out", scratch, name);
    int status = tangle(bad, fresh_out, &run);
    const char *err = run.err.data;
    print_message("  %s: exit %d: %s", name, status, err);
    assert_false(run.timed_out);
    assert_true(status != 0);
    assert_int_equal(tl_count_lines(err), 1);
    if (strstr(err, bad) == NULL)
        fail_msg("the message does not name the file %s: %s", bad, err);
    if (strstr(err, chunk) == NULL)
        fail_msg("the message does not name the chunk %s: %s", chunk, err);
    tl_proc_free(&run);
    struct stat status_of_dir;
    if (stat(fresh_out, &status_of_dir) == 0)
        fail_msg("a failed tangle created %s", fresh_out);

    tl_sleep(0.02);
    assert_true(tangle(bad, good_out, &run) != 0);
    tl_proc_free(&run);
    for (size_t i = 0; i < TANGLED; i++) {
        struct stamp after;
        take_stamp(good_out, tangled_names[i], &after);
        if (!same_stamp(&before[i], &after))
            fail_msg("a failed tangle changed %s/%s", good_out, tangled_names[i]);
        tl_text_free(&after.content);
        tl_text_free(&before[i].content);
    }
}

/* <<inclues>> for <<includes>>: noweb would make it a new file. */
static void a_misspelt_chunk_name_is_an_undeclared_root(void **state)
{
    (void)state;
    check_refused("misspelt",
                  "<<hello.c>>=\n<<includes>>\nint main(void) { return 0; }\n@\n"
                  "<<inclues>>=\n#include <stdio.h>\n@\n"
                  "<<Makefile>>=\nPROGRAMS = hello\n@\n",
                  "<<inclues>>");
}

static void a_used_but_undefined_chunk_is_refused(void **state)
{
    (void)state;
    check_refused("undefined",
                  "<<hello.c>>=\n<<includes>>\nint main(void) { return 0; }\n@\n"
                  "<<Makefile>>=\nPROGRAMS = hello\n@\n",
                  "<<includes>>");
}

static void a_chapter_without_makefile_is_refused(void **state)
{
    (void)state;
    check_refused("no-makefile", "<<hello.c>>=\nint main(void) { return 0; }\n@\n",
                  "<<Makefile>>");
}

static void a_declared_but_absent_root_is_refused(void **state)
{
    (void)state;
    check_refused("absent",
                  "<<hello.c>>=\nint main(void) { return 0; }\n@\n"
                  "<<Makefile>>=\nPROGRAMS = hello bye\n@\n",
                  "<<bye.c>>");
}

/* The build manual's file of a chapter (manual/NN-slug.nw, the same
 * name) writes roots of that chapter: its script and Makefile, which the
 * student's book does not print. Book: BOOK/chapters/07-x.nw and
 * BOOK/manual/07-x.nw (and MANUAL_EXTRA as BOOK/manual/08-y.nw); returns
 * tools/tangle/tangle's exit status for chapter 07-x into BOOK/out. */
static int tangle_with_manual(const char *book, const char *chapter_text,
                              const char *manual_text, const char *manual_extra,
                              struct tl_proc *run)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", scratch, book);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/%s/chapters", scratch, book);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/%s/manual", scratch, book);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/%s/manual/07-x.nw", scratch, book);
    tl_write_file(path, manual_text);
    if (manual_extra != NULL) {
        snprintf(path, sizeof path, "%s/%s/manual/08-y.nw", scratch, book);
        tl_write_file(path, manual_extra);
    }
    char chapter[600], outdir[600];
    snprintf(chapter, sizeof chapter, "%s/%s/chapters/07-x.nw", scratch, book);
    tl_write_file(chapter, chapter_text);
    snprintf(outdir, sizeof outdir, "%s/%s/out", scratch, book);
    return tl_runl(run, 30, "tools/tangle/tangle", chapter, outdir, (char *)NULL);
}

static const char chapter_without_plumbing[] =
    "# Sete\n\n"
    "<<hello.c>>=\n"
    "<<includes>>\n"
    "int main(void) { return puts(\"hi\") == EOF; }\n"
    "@\n";
static const char manual_of_chapter[] =
    "# O experimento do sete\n\n"
    "<<includes>>=\n#include <stdio.h>\n@\n"
    "<<run.sh>>=\n#!/bin/sh\n./hello\n@\n"
    "<<Makefile>>=\nPROGRAMS = hello\nSCRIPTS = run.sh\n@\n";

static void the_manual_writes_its_chapters_roots(void **state)
{
    (void)state;
    struct tl_proc run;
    int status = tangle_with_manual("manual-good", chapter_without_plumbing,
                                    manual_of_chapter, NULL, &run);
    if (status != 0)
        fail_msg("tools/tangle/tangle failed: %s", tl_text_str(&run.err));
    tl_proc_free(&run);
    static const char *const files[] = {"hello.c", "run.sh", "Makefile"};
    static const char *const from[] = {"chapters/07-x.nw", "manual/07-x.nw",
                                       "manual/07-x.nw"};
    for (size_t i = 0; i < 3; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/manual-good/out/%s", scratch, files[i]);
        struct tl_text text;
        read_or_fail(path, &text);
        /* The note atop the file names the .nw it comes from. */
        char note[300];
        snprintf(note, sizeof note, "Generated from %s/manual-good/%s", scratch, from[i]);
        if (strstr(text.data, note) == NULL)
            fail_msg("%s does not say it comes from %s:\n%.200s", path, from[i], text.data);
        tl_text_free(&text);
    }
}

static void a_root_in_the_chapter_and_its_manual_is_refused(void **state)
{
    (void)state;
    char chapter[600];
    snprintf(chapter, sizeof chapter, "%s<<Makefile>>=\nPROGRAMS = hello\n@\n",
             chapter_without_plumbing);
    struct tl_proc run;
    int status = tangle_with_manual("manual-twice", chapter, manual_of_chapter, NULL, &run);
    const char *err = tl_text_str(&run.err);
    print_message("  manual-twice: exit %d: %s", status, err);
    assert_true(status != 0);
    assert_int_equal(tl_count_lines(err), 1);
    if (strstr(err, "<<Makefile>>") == NULL || strstr(err, "manual/07-x.nw") == NULL ||
        strstr(err, "chapters/07-x.nw") == NULL)
        fail_msg("the message does not name the root and both files: %s", err);
    tl_proc_free(&run);
}

static void a_manual_root_of_no_chapter_is_refused(void **state)
{
    (void)state;
    struct tl_proc run;
    int status =
        tangle_with_manual("manual-orphan", chapter_without_plumbing, manual_of_chapter,
                           "# Oito\n\n<<lost.sh>>=\n#!/bin/sh\n@\n", &run);
    const char *err = tl_text_str(&run.err);
    print_message("  manual-orphan: exit %d: %s", status, err);
    assert_true(status != 0);
    assert_int_equal(tl_count_lines(err), 1);
    if (strstr(err, "<<lost.sh>>") == NULL || strstr(err, "manual/08-y.nw") == NULL)
        fail_msg("the message does not name the root and its file: %s", err);
    tl_proc_free(&run);
}

/* --------------------------------------------------- (c) compilers */

static void compile_every_tangled_c_file(const char *compiler)
{
    if (!have(compiler)) {
        print_message("skip: %s is not installed\n", compiler);
        skip();
    }
    glob_t sources;
    assert_int_equal(glob("build/tangle/*/*.c", 0, NULL, &sources), 0);
    assert_true(sources.gl_pathc >= 2); /* chapter 2 alone has two */
    char object[512];
    snprintf(object, sizeof object, "%s/%s.o", scratch, compiler);
    for (size_t i = 0; i < sources.gl_pathc; i++) {
        for (int optimise = 0; optimise < 2; optimise++) {
            char command[1024];
            snprintf(command, sizeof command,
                     "%s -std=c11 -Wall -Wextra -Wpedantic -Werror %s -c '%s' -o '%s'",
                     compiler, optimise ? "-O2" : "-O0", sources.gl_pathv[i], object);
            struct tl_proc run;
            int status = tl_sh(&run, 120, command);
            if (status != 0 || run.err.length != 0)
                fail_msg("%s: exit %d\n%s", command, status, run.err.data);
            tl_proc_free(&run);
        }
    }
    globfree(&sources);
}

static void tangled_c_compiles_with_gcc(void **state)
{
    (void)state;
    compile_every_tangled_c_file("gcc");
}

static void tangled_c_compiles_with_clang(void **state)
{
    (void)state;
    compile_every_tangled_c_file("clang");
}

/* The students' Makefiles (tangle/NN-slug/Makefile; the book's copy is in
 * build/tangle/) keep the warnings on, without -Werror: a newer
 * compiler's new warning must not stop a student's build of correct code.
 * The book's own build (the top-level Makefile's CFLAGS) stops on any. */
static void a_warning_stops_the_books_build_not_the_students(void **state)
{
    (void)state;
    char here[512], source[600], command[2048];
    assert_non_null(getcwd(here, sizeof here));
    snprintf(source, sizeof source, "%s/warns.c", scratch);
    tl_write_file(source, "int main(void)\n{\n    int unused;\n    return 0;\n}\n");
    const char *make = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u FORCE make -s "
                       "--no-print-directory";

    glob_t makefiles;
    assert_int_equal(glob("build/tangle/*/Makefile", 0, NULL, &makefiles), 0);
    size_t with_flags = 0;
    struct tl_proc run;
    for (size_t i = 0; i < makefiles.gl_pathc; i++) {
        const char *makefile = makefiles.gl_pathv[i];
        snprintf(command, sizeof command,
                 "%s -f '%s' --eval 'print-cflags: ; @echo $(CFLAGS)' print-cflags", make,
                 makefile);
        assert_int_equal(tl_sh(&run, 30, command), 0);
        const char *flags = tl_text_str(&run.out);
        print_message("  %s: CFLAGS = %s", makefile, flags);
        if (strcmp(flags, "\n") != 0) { /* the build appendix has no programs */
            with_flags++;
            if (strstr(flags, "-Wall") == NULL || strstr(flags, "-Wextra") == NULL ||
                strstr(flags, "-Wpedantic") == NULL || strstr(flags, "-Werror") != NULL)
                fail_msg("%s: CFLAGS %s: expected the warnings on, without -Werror", makefile,
                         flags);
        }
        tl_proc_free(&run);
    }
    assert_true(with_flags >= 7); /* chapters 1 to 6 and the lab */

    /* Chapter 1's rule, which every chapter's Makefile uses: the program
     * is built, and the warning shown. */
    snprintf(command, sizeof command,
             "cd '%s' && %s -f '%s/build/tangle/01-revisao-cliente-servidor/Makefile' warns",
             scratch, make, here);
    int status = tl_sh(&run, 60, command);
    print_message("  the students' make: exit %d\n%s", status, run.err.data);
    assert_int_equal(status, 0);
    assert_non_null(strstr(tl_text_str(&run.err), "warning:"));
    assert_non_null(strstr(tl_text_str(&run.err), "unused"));
    tl_proc_free(&run);
    char binary[600];
    snprintf(binary, sizeof binary, "%s/warns", scratch);
    assert_int_equal(access(binary, X_OK), 0);
    globfree(&makefiles);

    /* The book's build, with its own flags (make -p prints them; clean is
     * a goal that reads no chapter, and -q runs nothing). */
    snprintf(command, sizeof command, "%s -pq clean | sed -n 's/^CFLAGS = //p'", make);
    tl_sh(&run, 60, command); /* -q: exit 1, clean is never up to date */
    char flags[512];
    snprintf(flags, sizeof flags, "%.*s", (int)strcspn(tl_text_str(&run.out), "\n"),
             tl_text_str(&run.out));
    tl_proc_free(&run);
    if (strstr(flags, "-Wall") == NULL || strstr(flags, "-Werror") == NULL)
        fail_msg("the top-level Makefile's CFLAGS are '%s': expected -Wall, -Werror", flags);
    snprintf(command, sizeof command, "cc %s -o '%s.book' '%s'", flags, binary, source);
    status = tl_sh(&run, 60, command);
    print_message("  the book's flags: exit %d\n%s", status, run.err.data);
    assert_int_not_equal(status, 0);
    assert_non_null(strstr(tl_text_str(&run.err), "error:"));
    assert_non_null(strstr(tl_text_str(&run.err), "unused"));
    tl_proc_free(&run);
}

/* ----------------------------------------------------- (d) weaving */

static const char weave_chapter[] = "# Capítulo de teste\n"
                                    "\n"
                                    "Texto com *ênfase* e [[quoted_code]] aqui.\n"
                                    "\n"
                                    "<<file.c>>=\n"
                                    "<<body>>\n"
                                    "@\n"
                                    "Depois do código, **negrito**.\n"
                                    "\n"
                                    "<<body>>=\n"
                                    "int x;\n"
                                    "@\n"
                                    "\n"
                                    "<<file.c>>=\n"
                                    "int y; /* a continuation: not a second root mark */\n"
                                    "@\n"
                                    "\n"
                                    "<<Makefile>>=\n"
                                    "PROGRAMS = file\n"
                                    "@\n";

/* The 1-based line of text where line (without '\n') first appears. */
static size_t line_number_of(const char *text, const char *line, size_t after)
{
    char current[512];
    for (size_t i = after; tl_line(text, i, current, sizeof current) == 0; i++)
        if (strcmp(current, line) == 0)
            return i + 1;
    fail_msg("no line '%s'", line);
    return 0;
}

/* Weaves one chapter, NAME.nw, as a book of its own: tools/weave/weave writes
 * NAME.tex beside it (output names that file) and index.tex. */
static int weave(const char *chapter, const char *output, struct tl_proc *run)
{
    (void)output;
    char programs[600];
    snprintf(programs, sizeof programs, "%s/no-programs", scratch);
    return tl_runl(run, 60, "tools/weave/weave", scratch, "build/tools/nwpandoc", programs,
                   chapter, (char *)NULL);
}

static void weave_typesets_markdown_and_keeps_noweb(void **state)
{
    (void)state;
    char chapter[512], output[512];
    write_chapter("weave", weave_chapter, chapter, sizeof chapter);
    snprintf(output, sizeof output, "%s/weave.tex", scratch);
    struct tl_proc run;
    int status = weave(chapter, output, &run);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);
    struct tl_text tex;
    read_or_fail(output, &tex);
    const char *t = tex.data;

    assert_non_null(strstr(t, "\\chapter{Capítulo de teste}"));
    assert_non_null(strstr(t, "\\emph{ênfase}"));
    assert_non_null(strstr(t, "\\textbf{negrito}"));
    /* The quote is noweb's, not pandoc's: totex typesets and indexes it. */
    assert_non_null(strstr(t, "{\\Tt{}quoted{\\_}code\\nwendquote}"));
    assert_null(strstr(t, "NWXQ"));

    /* \nwrootchunk marks each root once, before its first code chunk;
     * <<body>> is used, so it is not a root. */
    const char *root = strstr(t, "\\nwrootchunk{file.c}");
    const char *code = strstr(t, "\\moddef{file.c");
    assert_non_null(root);
    assert_non_null(code);
    assert_true(root < code);
    assert_null(strstr(root + 1, "\\nwrootchunk{file.c}"));
    /* Right before it: the first code chunk after the mark is <<file.c>>. */
    assert_true(strstr(root, "\\moddef{") == code);
    assert_null(strstr(t, "\\nwrootchunk{body}"));
    assert_non_null(strstr(t, "\\nwrootchunk{Makefile}"));

    /* "% nw: FILE:LINE" starts each documentation chunk, with the .nw line
     * of its first text (pandoc drops leading blank lines): 1 for the
     * first, the "Depois do código" line for the one after <<file.c>>. */
    char marker[600];
    snprintf(marker, sizeof marker, "%% nw: %s:1", chapter);
    assert_non_null(strstr(t, marker));
    size_t at = line_number_of(weave_chapter, "Depois do código, **negrito**.", 0);
    snprintf(marker, sizeof marker, "%% nw: %s:%zu\n", chapter, at);
    const char *second = strstr(t, marker);
    if (second == NULL)
        fail_msg("no '%% nw: %s:%zu' marker in:\n%s", chapter, at, t);
    /* ... and it is the marker just before "Depois do código". */
    const char *after = strstr(t, "Depois do código");
    assert_non_null(after);
    assert_true(second < after);
    snprintf(marker, sizeof marker, "%% nw: %s:", chapter);
    const char *next = strstr(second + 1, marker);
    assert_true(next == NULL || next > after);
    tl_text_free(&tex);
}

/* A [[quote]] in a heading that pandoc writes twice (text and PDF
 * bookmark, \texorpdfstring) cannot be a single noweb quote: weave must
 * stop with a message naming the .nw and write no output. */
static void refuse_heading(const char *markdown)
{
    char chapter[512], output[512];
    write_chapter("heading", markdown, chapter, sizeof chapter);
    snprintf(output, sizeof output, "%s/heading.tex", scratch);
    struct tl_proc run;
    int status = weave(chapter, output, &run);
    print_message("  weave: exit %d: %s", status, run.err.data);
    assert_true(status != 0);
    /* One line, "CHAPTER:LINE: ...", as every error at a .nw line. */
    assert_int_equal(tl_count_lines(run.err.data), 1);
    assert_int_equal(strncmp(run.err.data, chapter, strlen(chapter)), 0);
    assert_int_equal(run.err.data[strlen(chapter)], ':');
    assert_non_null(strstr(run.err.data, "[[...]] quote"));
    assert_non_null(strstr(run.err.data, "heading"));
    tl_proc_free(&run);
    assert_int_equal(access(output, F_OK), -1);
}

/* A quote in a heading would land in the table of contents and the PDF
 * bookmarks, where noweb's quote macros do not work: refused, whether
 * pandoc writes the heading once or twice. */
static void a_quote_in_a_heading_is_refused(void **state)
{
    (void)state;
    refuse_heading("# Capítulo\n\n## Seção `x` com [[quoted_code]]\n\nTexto.\n");
    refuse_heading("# Capítulo\n\n## Seção com [[quoted_code]]\n\nTexto.\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_tables_come_from_this_builds_tsv),
        cmocka_unit_test(the_woven_chapter_includes_those_tables),
        cmocka_unit_test(the_range_is_recomputed_from_the_data),
        cmocka_unit_test(numbers_tex_and_transcript_match),
        cmocka_unit_test(the_data_is_the_servers_transcript),
        cmocka_unit_test(the_mtu_is_this_machines),
        cmocka_unit_test(the_pdf_shows_this_builds_results),
        cmocka_unit_test(a_good_chapter_tangles_with_headers),
        cmocka_unit_test(a_misspelt_chunk_name_is_an_undeclared_root),
        cmocka_unit_test(a_used_but_undefined_chunk_is_refused),
        cmocka_unit_test(a_chapter_without_makefile_is_refused),
        cmocka_unit_test(a_declared_but_absent_root_is_refused),
        cmocka_unit_test(the_manual_writes_its_chapters_roots),
        cmocka_unit_test(a_root_in_the_chapter_and_its_manual_is_refused),
        cmocka_unit_test(a_manual_root_of_no_chapter_is_refused),
        cmocka_unit_test(tangled_c_compiles_with_gcc),
        cmocka_unit_test(tangled_c_compiles_with_clang),
        cmocka_unit_test(a_warning_stops_the_books_build_not_the_students),
        cmocka_unit_test(weave_typesets_markdown_and_keeps_noweb),
        cmocka_unit_test(a_quote_in_a_heading_is_refused),
    };
    return cmocka_run_group_tests_name("consistency", tests, tl_scratch_make,
                                       tl_scratch_remove);
}
