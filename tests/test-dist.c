/* test-dist: the student's package (make dist, tools/dist).
 *
 * - build/dist/ holds one caderno-sockets-VERSION.tar.gz, which unpacks
 *   to one folder of that name with caderno.pdf (the student PDF), html/
 *   (build/html/, file for file, but without the build manual's pages,
 *   construcao/, and without the index's line that links to them),
 *   folhas/ (every sheet), LEIAME.md and
 *   codigo/NN-slug/ for every chapter with code; no file of the package
 *   names the folder it was built in;
 * - `make` in each codigo/NN-slug/ builds every program of the chapter,
 *   runs only cc, and never with -Werror (a newer compiler's new warning
 *   must not stop a student's build); the first program runs as
 *   LEIAME.md says;
 * - no solution: no file of the package is byte for byte a reference
 *   solution (build/solutions/) or a wrong variant (solutions/wrong/); no
 *   solution's file name (<<solucoes/LABEL/FILE>>) and no phrase of a
 *   solution's prose (tests/solution-phrases) is in the PDF, a sheet, a
 *   page of the HTML or any text file. In a copy without solutions/ there
 *   is nothing to compare against, and that part says so and skips;
 * - the package is reproducible: tools/dist run again writes the same
 *   bytes.
 * Runs from the repository root after make dist (make test does it). */
#include "testlib.h"

#include <glob.h>

#define scratch tl_scratch

static char archive[512]; /* build/dist/caderno-sockets-VERSION.tar.gz */
static char package[700]; /* its folder, unpacked in the scratch folder */

static int unpack(void **state)
{
    if (tl_scratch_make(state) != 0)
        return -1;
    glob_t found;
    if (glob("build/dist/caderno-sockets-*.tar.gz", 0, NULL, &found) != 0) {
        fprintf(stderr, "test-dist: no build/dist/caderno-sockets-*.tar.gz (make dist?)\n");
        return -1;
    }
    if (found.gl_pathc != 1) {
        fprintf(stderr, "test-dist: %zu packages in build/dist/, expected one\n",
                found.gl_pathc);
        globfree(&found);
        return -1;
    }
    snprintf(archive, sizeof archive, "%s", found.gl_pathv[0]);
    globfree(&found);
    struct tl_proc run;
    char command[1200];
    snprintf(command, sizeof command, "tar -xzf '%s' -C '%s'", archive, scratch);
    int status = tl_sh(&run, 60, command);
    if (status != 0)
        fprintf(stderr, "test-dist: %s: %s", command, tl_text_str(&run.err));
    tl_proc_free(&run);
    if (status != 0)
        return -1;
    char name[300];
    snprintf(name, sizeof name, "%s", strrchr(archive, '/') + 1);
    name[strlen(name) - strlen(".tar.gz")] = '\0';
    snprintf(package, sizeof package, "%s/%s", scratch, name);
    return 0;
}

/* Runs a shell command in the package's folder; returns its exit status. */
static int in_package(struct tl_proc *run, double seconds, const char *command)
{
    char line[4096];
    snprintf(line, sizeof line, "cd '%s' && %s", package, command);
    return tl_sh(run, seconds, line);
}

static void one_folder_with_the_book_the_site_the_sheets_and_the_code(void **state)
{
    (void)state;
    struct tl_proc run;
    /* One folder at the top, named as the archive. */
    char command[1200];
    snprintf(command, sizeof command, "tar -tzf '%s' | cut -d/ -f1 | sort -u", archive);
    assert_int_equal(tl_sh(&run, 60, command), 0);
    char expected[300];
    snprintf(expected, sizeof expected, "%s\n", strrchr(package, '/') + 1);
    if (strcmp(tl_text_str(&run.out), expected) != 0)
        fail_msg("the archive's top level is \"%s\", expected \"%s\"", tl_text_str(&run.out),
                 expected);
    tl_proc_free(&run);

    char check[3000];
    snprintf(
        check, sizeof check,
        "top=$OLDPWD; set -e; test -s LEIAME.md; "
        "cmp caderno.pdf \"$top/build/workbook.pdf\"; "
        "test -s \"$top/build/html/construcao/index.html\"; "
        "test ! -e html/construcao || { echo 'html/construcao/ is there'; exit 1; }; "
        "! grep -n construcao/ html/index.html || { echo 'a link to the manual'; exit 1; }; "
        "diff -r -x construcao -x index.html html \"$top/build/html\"; "
        "grep -v '^<p class=\"manual-link\">' \"$top/build/html/index.html\" | "
        "  diff html/index.html -; "
        "for s in \"$top\"/build/sheets/*.pdf; do cmp \"$s\" folhas/${s##*/}; done; "
        "test \"$(ls folhas | wc -l)\" = \"$(ls \"$top\"/build/sheets/*.pdf | wc -l)\"; "
        "for m in \"$top\"/build/tangle/*/Makefile; do d=${m%%/Makefile}; d=${d##*/}; "
        "  if [ \"$(ls \"$top/build/tangle/$d\" | wc -l)\" -gt 1 ]; then "
        "    test -s codigo/$d/Makefile || { echo \"no codigo/$d/\"; exit 1; }; fi; done; "
        "! grep -rlF \"$top\" . || { echo 'the files above name the build folder'; exit 1; "
        "}");
    if (in_package(&run, 60, check) != 0)
        fail_msg("the package is not the book's:\n%s%s", tl_text_str(&run.out),
                 tl_text_str(&run.err));
    tl_proc_free(&run);
    assert_int_equal(in_package(&run, 30, "find . -type f | wc -l; du -sk . | cut -f1"), 0);
    long files = 0, kib = 0;
    const char *out = tl_text_str(&run.out);
    if (tl_scan_long(&out, 10, &files) != 0 || tl_scan_long(&out, 10, &kib) != 0)
        fail_msg("cannot count the package's files");
    struct stat about;
    assert_int_equal(stat(archive, &about), 0);
    printf("%s: %ld files, %ld KiB unpacked, %lld KiB packed\n", strrchr(archive, '/') + 1,
           files, kib, (long long)about.st_size / 1024);
    tl_proc_free(&run);
}

static void each_chapter_builds_with_cc_alone(void **state)
{
    (void)state;
    struct tl_proc run;
    /* make -n -B shows what make would run: every command is cc's. */
    const char *commands =
        "for d in codigo/*/; do make -s -n -B -C \"$d\" all; done | grep -v '^make'";
    assert_int_equal(in_package(&run, 60, commands), 0);
    const char *out = tl_text_str(&run.out);
    size_t lines = tl_count_lines(out);
    for (size_t i = 0; i < lines; i++) {
        char line[1024];
        assert_int_equal(tl_line(out, i, line, sizeof line), 0);
        if (strncmp(line, "cc ", 3) != 0)
            fail_msg("a student's make runs \"%s\", not cc", line);
        if (strstr(line, "-Werror") != NULL)
            fail_msg("a student's make compiles with -Werror: \"%s\"", line);
        if (strstr(line, "-Wall") == NULL)
            fail_msg("a student's make compiles without warnings: \"%s\"", line);
    }
    assert_true(lines >= 20);
    tl_proc_free(&run);
    /* Then it builds them, with the PATH of a plain shell. */
    const char *build =
        "export PATH=/usr/bin:/bin; set -e; for d in codigo/*/; do make -s -C \"$d\"; done; "
        "for c in codigo/*/*.c; do test -x \"${c%.c}\" || { echo \"${c%.c} not built\"; exit "
        "1; }; "
        "done";
    if (in_package(&run, 300, build) != 0)
        fail_msg("make in codigo/: %s%s", tl_text_str(&run.out), tl_text_str(&run.err));
    tl_proc_free(&run);
    /* The first program, as LEIAME.md says (on a port of its own here). */
    const char *hello =
        "cd codigo/01-revisao-cliente-servidor || exit 1; ./serv-hello -p 0 -n 1 > said & "
        "for i in $(seq 100); do grep -q 'listening on port' said 2>/dev/null && break; "
        "sleep 0.1; done; "
        "port=$(sed -n 's/.*listening on port \\([0-9]*\\).*/\\1/p' said); "
        "./cli-hello -p \"$port\" 127.0.0.1; wait";
    if (in_package(&run, 30, hello) != 0 || strstr(tl_text_str(&run.out), "Hello") == NULL)
        fail_msg("serv-hello and cli-hello of the package: %s%s", tl_text_str(&run.out),
                 tl_text_str(&run.err));
    printf("%zu compilations, all cc with warnings and without -Werror; cli-hello said: %s",
           lines, tl_text_str(&run.out));
    tl_proc_free(&run);
}

/* Runs a search in the package's folder that prints what it finds on
 * stdout and how many things it looked for on stderr: fails, saying
 * problem, if it found anything; returns the count. */
static long nothing_found(const char *search, const char *problem)
{
    struct tl_proc run;
    assert_int_equal(in_package(&run, 120, search), 0);
    if (tl_text_str(&run.out)[0] != '\0')
        fail_msg("%s:\n%s", problem, tl_text_str(&run.out));
    const char *said = tl_text_str(&run.err);
    long count = 0;
    if (tl_scan_long(&said, 10, &count) != 0)
        fail_msg("the search said no count: %s", tl_text_str(&run.err));
    tl_proc_free(&run);
    return count;
}

static void no_solution_is_in_the_package(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    /* No file equal to a reference solution or a wrong variant. */
    const char *same = "top=$OLDPWD; n=0; for s in \"$top\"/build/solutions/*/* "
                       "\"$top\"/solutions/wrong/*/*; do "
                       "  n=$((n + 1)); find . -type f -size \"$(stat -c %s \"$s\")c\" -exec "
                       "cmp -s \"$s\" {} \\; "
                       "  -print | sed \"s|^|$s: |\"; done; echo \"$n\" >&2";
    long compared = nothing_found(same, "files of the package are solutions");
    assert_true(compared >= 20);

    /* The package's text: every text file, the PDFs through pdftotext,
     * the HTML pages without their tags; lines joined. */
    const char *text =
        "{ find . -type f ! -name '*.pdf' ! -name '*.html' ! -name '*.svg' -exec cat {} +; "
        "  for p in caderno.pdf folhas/*.pdf; do pdftotext -q \"$p\" -; done; "
        "  find html -name '*.html' -exec sed -e 's/<[^>]*>//g' {} +; } | tr -s ' \\n\\t' '  "
        " ' "
        "> \"$TMPDIR/package.txt\"; "
        "top=$OLDPWD; \"$top\"/tests/solution-phrases \"$top\"/solutions/[0-9][0-9]-*.nw "
        "| cut -f2 > \"$TMPDIR/phrases\"; "
        "sed -n 's/^<<\\(solucoes\\/[^>]*\\)>>=$/\\1/p' \"$top\"/solutions/*.nw >> "
        "\"$TMPDIR/phrases\"; "
        "wc -l < \"$TMPDIR/phrases\" >&2; grep -oFf \"$TMPDIR/phrases\" "
        "\"$TMPDIR/package.txt\" || true";
    long phrases = nothing_found(text, "the package has solution text");
    assert_true(phrases >= 60);
    printf("no file of the package is one of %ld solutions' files or wrong variants, and its "
           "text has none of %ld solution phrases and file names\n",
           compared, phrases);
}

static void the_package_is_reproducible(void **state)
{
    (void)state;
    char again[600], command[3000];
    snprintf(again, sizeof again, "%s/again", scratch);
    snprintf(command, sizeof command,
             "tools/dist '%s' chapters/*.nw >/dev/null && cmp '%s' '%s'/%s", again, archive,
             again, strrchr(archive, '/') + 1);
    struct tl_proc run;
    if (tl_sh(&run, 300, command) != 0)
        fail_msg("tools/dist again wrote other bytes: %s%s", tl_text_str(&run.out),
                 tl_text_str(&run.err));
    tl_proc_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_folder_with_the_book_the_site_the_sheets_and_the_code),
        cmocka_unit_test(each_chapter_builds_with_cc_alone),
        cmocka_unit_test(no_solution_is_in_the_package),
        cmocka_unit_test(the_package_is_reproducible),
    };
    return cmocka_run_group_tests(tests, unpack, tl_scratch_remove);
}
