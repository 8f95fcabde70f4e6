/*
 * The build's own tools: what a newcomer meets when something is wrong.
 * install-deps without root, a LaTeX error (the PDF is kept, the .nw line
 * is named), a compiler error (the chunk is named), the chapter list, and
 * the TSV-to-LaTeX converters on bad input. The weave's errors in the
 * Markdown (each one line "FILE:LINE: ..."), the chapters' scripts on bad
 * arguments, tests/run (its temporary files, its last lines), and an
 * experiment interrupted.
 */
#include "testlib.h"

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>

#define scratch tl_scratch

static void path_in_scratch(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/%s", scratch, name);
}

/* The directory the tests run in: the repository. */
static const char *repository(void)
{
    static char path[1024];
    if (path[0] == '\0' && getcwd(path, sizeof path) == NULL)
        fail_msg("getcwd: %s", strerror(errno));
    return path;
}

static void write_executable(const char *path, const char *content)
{
    tl_write_file(path, content);
    if (chmod(path, 0755) == -1)
        fail_msg("chmod %s: %s", path, strerror(errno));
}

/* ---------------------------------------------------- install-deps */

/* A dpkg-query that knows no package: every package is missing. */
static const char no_package_installed[] = "#!/bin/sh\nexit 1\n";
/* One that says every package asked about is installed. */
static const char every_package_installed[] =
    "#!/bin/sh\n"
    "shift 2\n" /* -W -f=FORMAT */
    "for p; do echo \"$p install ok installed\"; done\n";

static int run_install_deps_for(const char *groups, const char *fake_dpkg_query,
                                int as_nobody, struct tl_proc *run)
{
    char bin[600], fake[700], path[2000], command[3000];
    path_in_scratch(bin, sizeof bin, as_nobody ? "bin-nobody" : "bin-root");
    mkdir(bin, 0755);
    snprintf(fake, sizeof fake, "%s/dpkg-query", bin);
    write_executable(fake, fake_dpkg_query);
    snprintf(path, sizeof path, "%s:%s", bin,
             getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    snprintf(command, sizeof command, "%s env PATH='%s' tools/install-deps %s",
             as_nobody ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "", path,
             groups);
    return tl_sh(run, 30, command);
}

/* install-deps GROUP with no package installed exits with status and says
 * one line on stderr, which has text (and also, if not NULL, also). */
static void one_line_for_group(const char *group, int as_nobody, int status, const char *text,
                               const char *also)
{
    struct tl_proc run;
    int got = run_install_deps_for(group, no_package_installed, as_nobody, &run);
    print_message("  install-deps %s: exit %d: %s", group, got, run.err.data);
    assert_int_equal(got, status);
    assert_int_equal(tl_count_lines(run.err.data), 1);
    assert_non_null(strstr(run.err.data, text));
    if (also != NULL)
        assert_non_null(strstr(run.err.data, also));
    tl_proc_free(&run);
}

static int run_install_deps(const char *fake_dpkg_query, int as_nobody, struct tl_proc *run)
{
    return run_install_deps_for("", fake_dpkg_query, as_nobody, run);
}

/* As root, the tests drop to nobody with setpriv; is that possible? */
static int can_drop_to_nobody(void)
{
    struct tl_proc run;
    int found = tl_sh(&run, 5, "command -v setpriv") == 0;
    tl_proc_free(&run);
    return found;
}

static void install_deps_without_root_prints_the_apt_get_line(void **state)
{
    (void)state;
    int as_nobody = geteuid() == 0;
    if (as_nobody && !can_drop_to_nobody()) {
        print_message(
            "SKIP: running as root and setpriv is missing: cannot drop to nobody\n");
        skip();
    }
    struct tl_proc run;
    int status = run_install_deps(no_package_installed, as_nobody, &run);
    print_message("  install-deps as %s: exit %d: %s", as_nobody ? "nobody" : "this user",
                  status, run.err.data);
    assert_int_equal(status, 1);
    assert_string_equal(run.out.data, "");
    assert_int_equal(tl_count_lines(run.err.data), 1);
    assert_non_null(strstr(run.err.data, "apt-get update && apt-get install -y "));
    assert_non_null(strstr(run.err.data, " noweb "));
    assert_non_null(strstr(run.err.data, " pandoc "));
    assert_non_null(strstr(run.err.data, " libcmocka-dev "));
    tl_proc_free(&run);
}

/* A student who only wants the code needs noweb and a compiler, not TeX
 * Live; the lab's packages are never a reason to stop: without them the
 * book shows the recorded run. */
static void install_deps_asks_for_what_each_step_needs(void **state)
{
    (void)state;
    int as_nobody = geteuid() == 0;
    if (as_nobody && !can_drop_to_nobody()) {
        print_message(
            "SKIP: running as root and setpriv is missing: cannot drop to nobody\n");
        skip();
    }
    one_line_for_group("tangle", as_nobody, 1,
                       "apt-get install -y make gcc libc6-dev noweb\n", NULL);
    /* The chapters' experiments run ss: one line, for iproute2 alone. */
    one_line_for_group("experiments", as_nobody, 1, "apt-get install -y iproute2\n", NULL);
    one_line_for_group("lab", as_nobody, 0, " qemu-user ", "recorded run");

    struct tl_proc run;
    int status = run_install_deps_for("books", every_package_installed, as_nobody, &run);
    assert_int_equal(status, 2);
    assert_non_null(strstr(run.err.data, "unknown group 'books'"));
    tl_proc_free(&run);
}

static void install_deps_is_silent_when_nothing_is_missing(void **state)
{
    (void)state;
    struct tl_proc run;
    /* Also as nobody, if we can: with nothing to install, root is not needed. */
    int as_nobody = geteuid() == 0 && can_drop_to_nobody();
    int status = run_install_deps(every_package_installed, as_nobody, &run);
    assert_string_equal(run.err.data, "");
    assert_string_equal(run.out.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);
}

/* ------------------------------------------------------------ latex */

/* tools/weave/latex runs in a scratch tree shaped like the project's: book/ for
 * the master document, build/ for everything made. */
static int run_latex(const char *tree, const char *master, struct tl_proc *run)
{
    char command[2000];
    snprintf(command, sizeof command, "cd '%s' && '%s/tools/weave/latex' '%s' build/out.pdf",
             tree, getenv("PWD") ? getenv("PWD") : ".", master);
    return tl_sh(run, 120, command);
}

static void make_tree(const char *tree)
{
    char path[700];
    mkdir(tree, 0755);
    snprintf(path, sizeof path, "%s/book", tree);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/build", tree);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/build/chapters", tree);
    mkdir(path, 0755);
}

static void a_latex_error_keeps_the_old_pdf_and_names_the_nw_line(void **state)
{
    (void)state;
    char tree[600], path[800];
    path_in_scratch(tree, sizeof tree, "latex-bad");
    make_tree(tree);
    snprintf(path, sizeof path, "%s/book/master.tex", tree);
    tl_write_file(path, "\\documentclass{article}\n\\begin{document}\n"
                        "\\input{build/chapters/x.tex}\n\\end{document}\n");
    /* A woven chapter: the marker says its text starts at line 40 of x.nw
     * ("First line."), so the bad command is on line 42. */
    snprintf(path, sizeof path, "%s/build/chapters/x.tex", tree);
    tl_write_file(path, "% nw: chapters/x.nw:40\nFirst line.\n\nA \\nosuchcommand here.\n");
    snprintf(path, sizeof path, "%s/build/out.pdf", tree);
    tl_write_file(path, "the previous PDF\n");

    struct tl_proc run;
    int status = run_latex(tree, "book/master.tex", &run);
    print_message("  latex: exit %d:\n%s", status, run.err.data);
    assert_int_not_equal(status, 0);
    assert_non_null(strstr(run.err.data, "chapters/x.nw:42"));
    assert_non_null(strstr(run.err.data, "Undefined control sequence"));
    assert_non_null(strstr(run.err.data, "\\nosuchcommand"));
    tl_proc_free(&run);

    struct tl_text pdf = {0};
    assert_int_equal(tl_read_file(path, &pdf), 0);
    assert_string_equal(pdf.data, "the previous PDF\n");
    tl_text_free(&pdf);
}

static void a_good_document_replaces_the_pdf_whole(void **state)
{
    (void)state;
    char tree[600], path[800];
    path_in_scratch(tree, sizeof tree, "latex-good");
    make_tree(tree);
    snprintf(path, sizeof path, "%s/book/master.tex", tree);
    tl_write_file(path,
                  "\\documentclass{article}\n\\begin{document}\nOlá.\n\\end{document}\n");
    snprintf(path, sizeof path, "%s/build/out.pdf", tree);
    tl_write_file(path, "the previous PDF\n");

    struct tl_proc run;
    int status = run_latex(tree, "book/master.tex", &run);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);

    struct tl_text pdf = {0};
    assert_int_equal(tl_read_file(path, &pdf), 0);
    assert_true(pdf.length > 1000);
    assert_memory_equal(pdf.data, "%PDF-", 5);
    assert_non_null(strstr(pdf.data + pdf.length - 32, "%%EOF"));
    tl_text_free(&pdf);
    snprintf(path, sizeof path, "%s/build/out.pdf.tmp", tree);
    assert_int_equal(access(path, F_OK), -1); /* no temporary left */
}

/* ---------------------------------------------------------- compile */

static const char broken_chapter[] = "# Um capítulo\n"
                                     "\n"
                                     "<<broken.c>>=\n"
                                     "#include <stdio.h>\n"
                                     "<<print a greeting>>\n"
                                     "@\n"
                                     "\n"
                                     "<<print a greeting>>=\n"
                                     "int main(void)\n"
                                     "{\n"
                                     "    return puts(greeting) < 0;\n"
                                     "}\n"
                                     "@\n"
                                     "\n"
                                     "<<Makefile>>=\n"
                                     "PROGRAMS = broken\n"
                                     "@\n";

static void a_compiler_error_names_the_nw_line_and_chunk(void **state)
{
    (void)state;
    char chapter[600], outdir[600], linedir[600], binary[600];
    path_in_scratch(chapter, sizeof chapter, "broken.nw");
    path_in_scratch(outdir, sizeof outdir, "broken-tangle");
    path_in_scratch(linedir, sizeof linedir, "broken-lines");
    path_in_scratch(binary, sizeof binary, "broken");
    tl_write_file(chapter, broken_chapter);

    struct tl_proc run;
    assert_int_equal(
        tl_runl(&run, 30, "tools/tangle/tangle", chapter, outdir, linedir, (char *)NULL), 0);
    tl_proc_free(&run);

    char source[700], expected_line[800], expected_chunk[800];
    snprintf(source, sizeof source, "%s/broken.c", linedir);
    int status = tl_runl(&run, 60, "tools/tangle/compile", "cc", "-std=c11", "-Wall",
                         "-Werror", "-o", binary, source, (char *)NULL);
    print_message("  compile: exit %d:\n%s", status, run.err.data);
    assert_int_not_equal(status, 0);
    /* "greeting" is on line 11 of the .nw, in <<print a greeting>>. */
    snprintf(expected_line, sizeof expected_line, "%s:11:", chapter);
    snprintf(expected_chunk, sizeof expected_chunk, "(in chunk <<print a greeting>> of %s)",
             chapter);
    assert_non_null(strstr(run.err.data, expected_line));
    assert_non_null(strstr(run.err.data, expected_chunk));
    tl_proc_free(&run);
    assert_int_equal(access(binary, F_OK), -1);
}

/* ---------------------------------------------------------- tangle */

static void a_removed_root_leaves_no_stale_file(void **state)
{
    (void)state;
    char chapter[600], outdir[600], path[700];
    path_in_scratch(chapter, sizeof chapter, "shrinking.nw");
    path_in_scratch(outdir, sizeof outdir, "shrinking-tangle");
    tl_write_file(chapter, "<<a.c>>=\nint a;\n@\n<<b.c>>=\nint b;\n@\n"
                           "<<Makefile>>=\nPROGRAMS = a b\n@\n");
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 30, "tools/tangle/tangle", chapter, outdir, (char *)NULL),
                     0);
    tl_proc_free(&run);
    snprintf(path, sizeof path, "%s/b.c", outdir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/a", outdir); /* what a student built there */
    tl_write_file(path, "a program\n");

    tl_write_file(chapter, "<<a.c>>=\nint a;\n@\n<<Makefile>>=\nPROGRAMS = a\n@\n");
    assert_int_equal(tl_runl(&run, 30, "tools/tangle/tangle", chapter, outdir, (char *)NULL),
                     0);
    tl_proc_free(&run);
    snprintf(path, sizeof path, "%s/b.c", outdir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/a.c", outdir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/a", outdir);
    assert_int_equal(access(path, F_OK), 0);
}

/* make tangle in a scratch tree shaped like the project's (its Makefile,
 * tools/, a chapters/ of its own): a file the student changed in tangle/
 * is kept and named, whether or not the book changed, on every make
 * tangle; FORCE=1, or deleting it, gets the book's version back; a file
 * the student never touched follows the book; the build's own copy,
 * build/tangle/, is always the book's. */
static const char keeps_chapter[] = "# Um\n"
                                    "\n"
                                    "<<one.c>>=\n"
                                    "int main(void) { return 1; }\n"
                                    "@\n"
                                    "<<two.c>>=\n"
                                    "int two = 2;\n"
                                    "@\n"
                                    "<<Makefile>>=\n"
                                    "PROGRAMS = one two\n"
                                    "@\n";
/* The same, after the book changed both programs. */
static const char keeps_chapter_changed[] = "# Um\n"
                                            "\n"
                                            "<<one.c>>=\n"
                                            "int main(void) { return 3; }\n"
                                            "@\n"
                                            "<<two.c>>=\n"
                                            "int two = 4;\n"
                                            "@\n"
                                            "<<Makefile>>=\n"
                                            "PROGRAMS = one two\n"
                                            "@\n";

/* Runs make in tree with arguments (without the calling make's flags,
 * nor a FORCE or V from the environment); its stdout and stderr in run. */
static int make_in(const char *tree, const char *arguments, struct tl_proc *run)
{
    char command[1200];
    snprintf(command, sizeof command,
             "exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u FORCE -u V make -C '%s' "
             "--no-print-directory %s",
             tree, arguments);
    return tl_sh(run, 120, command);
}

/* The lines of run's stdout and stderr that contain word, as one string
 * (free it). */
static char *lines_with(struct tl_proc *run, const char *word)
{
    struct tl_text found = {0};
    const char *texts[] = {tl_text_str(&run->out), tl_text_str(&run->err)};
    char line[2000];
    for (size_t t = 0; t < 2; t++)
        for (size_t i = 0; tl_line(texts[t], i, line, sizeof line) == 0; i++)
            if (strstr(line, word) != NULL) {
                tl_text_append(&found, line, strlen(line));
                tl_text_append(&found, "\n", 1);
            }
    tl_text_str(&found);
    return found.data;
}

static void check_file_has(const char *path, const char *expected, int has)
{
    struct tl_text text = {0};
    if (tl_read_file(path, &text) != 0)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    if ((strstr(tl_text_str(&text), expected) != NULL) != has)
        fail_msg("%s %s \"%s\":\n%s", path, has ? "lacks" : "still has", expected, text.data);
    tl_text_free(&text);
}

static void make_tangle_keeps_a_file_the_student_changed(void **state)
{
    (void)state;
    char tree[600], path[800], target[1100], chapter[800], one[800], two[800], book_one[800];
    path_in_scratch(tree, sizeof tree, "keeps");
    mkdir(tree, 0755);
    const char *dirs[] = {"chapters", "build", "build/stamps"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tree, dirs[i]);
        mkdir(path, 0755);
    }
    const char *links[] = {"Makefile", "tools"};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tree, links[i]);
        snprintf(target, sizeof target, "%s/%s", repository(), links[i]);
        assert_int_equal(symlink(target, path), 0);
    }
    /* make test runs after make: no package to install (the stamps of
     * tools/install-deps). */
    const char *stamps[] = {"deps-tangle", "deps-lab"};
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        snprintf(path, sizeof path, "%s/build/stamps/%s", tree, stamps[i]);
        tl_write_file(path, "");
    }
    snprintf(chapter, sizeof chapter, "%s/chapters/01-um.nw", tree);
    snprintf(one, sizeof one, "%s/tangle/01-um/one.c", tree);
    snprintf(two, sizeof two, "%s/tangle/01-um/two.c", tree);
    snprintf(book_one, sizeof book_one, "%s/build/tangle/01-um/one.c", tree);
    tl_write_file(chapter, keeps_chapter);

    struct tl_proc run;
    int status = make_in(tree, "tangle", &run);
    print_message("  make tangle: exit %d\n%s%s", status, run.out.data, run.err.data);
    assert_int_equal(status, 0);
    char *kept = lines_with(&run, "KEPT");
    assert_string_equal(kept, "");
    free(kept);
    tl_proc_free(&run);
    check_file_has(one, "return 1;", 1);

    /* The student changes one.c; the book has not changed. */
    tl_write_file(one, "int main(void) { return 0; } /* my change */\n");
    status = make_in(tree, "tangle", &run);
    assert_int_equal(status, 0);
    kept = lines_with(&run, "KEPT");
    print_message("  after the change: %s", kept);
    assert_int_equal(tl_count_lines(kept), 1);
    assert_non_null(strstr(kept, "tangle/01-um/one.c"));
    assert_non_null(strstr(kept, "make tangle FORCE=1"));
    assert_non_null(strstr(kept, "deleting it"));
    free(kept);
    tl_proc_free(&run);
    check_file_has(one, "my change", 1);

    /* make reads its Makefile again when it has remade build/mk/ (for any
     * goal but tangle, clean, help...): still one line. */
    status = make_in(tree, "build/mk/01-um.mk", &run);
    assert_int_equal(status, 0);
    kept = lines_with(&run, "KEPT");
    print_message("  make build/mk/01-um.mk: %s", kept);
    assert_int_equal(tl_count_lines(kept), 1);
    free(kept);
    tl_proc_free(&run);
    snprintf(path, sizeof path, "%s/build/mk/01-um.mk", tree);
    assert_int_equal(access(path, R_OK), 0);

    /* The book changes both files: two.c, untouched, follows it; one.c
     * stays the student's, named again; the build's copy is the book's. */
    tl_sleep(0.05); /* newer than the stamp of the last tangle */
    tl_write_file(chapter, keeps_chapter_changed);
    for (int again = 0; again < 2; again++) { /* and it stays so */
        status = make_in(tree, "tangle", &run);
        assert_int_equal(status, 0);
        if (again == 0)
            assert_non_null(strstr(tl_text_str(&run.out), "TANGLE"));
        kept = lines_with(&run, "KEPT");
        assert_int_equal(tl_count_lines(kept), 1);
        assert_non_null(strstr(kept, "tangle/01-um/one.c"));
        free(kept);
        tl_proc_free(&run);
        check_file_has(one, "my change", 1);
        check_file_has(two, "two = 4;", 1);
        check_file_has(book_one, "return 3;", 1);
    }

    /* FORCE=1: the book's version again, said so; then nothing to say. */
    status = make_in(tree, "tangle FORCE=1", &run);
    print_message("  make tangle FORCE=1: exit %d\n%s%s", status, run.out.data, run.err.data);
    assert_int_equal(status, 0);
    char *forced = lines_with(&run, "tangle/01-um/one.c");
    assert_int_equal(tl_count_lines(forced), 1);
    assert_null(strstr(forced, "KEPT"));
    free(forced);
    tl_proc_free(&run);
    check_file_has(one, "return 3;", 1);
    check_file_has(one, "my change", 0);
    status = make_in(tree, "tangle", &run);
    assert_int_equal(status, 0);
    char *said = lines_with(&run, "tangle/");
    assert_string_equal(said, ""); /* a no-op is quiet */
    free(said);
    said = lines_with(&run, "TANGLE");
    assert_string_equal(said, "");
    free(said);
    tl_proc_free(&run);

    /* Deleting a file is the other way back. */
    tl_write_file(one, "/* changed again */\n");
    assert_int_equal(unlink(one), 0);
    status = make_in(tree, "tangle", &run);
    assert_int_equal(status, 0);
    said = lines_with(&run, "tangle/");
    assert_string_equal(said, "");
    free(said);
    tl_proc_free(&run);
    check_file_has(one, "return 3;", 1);

    /* FORCE takes 1 or 0, nothing else. */
    status = make_in(tree, "tangle FORCE=yes", &run);
    assert_int_not_equal(status, 0);
    assert_non_null(strstr(tl_text_str(&run.err), "FORCE=yes: expected FORCE=1"));
    tl_proc_free(&run);
}

/* ----------------------------------------------------- chapter-list */

static void chapters_are_numbered_by_file_and_appendices_lettered(void **state)
{
    (void)state;
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 10, "tools/weave/chapter-list", "02-a", "05-b", "90-lab",
                             "91-c", (char *)NULL),
                     0);
    assert_string_equal(run.out.data, "\\workbookresults{02-a}\n"
                                      "\\workbookresults{05-b}\n"
                                      "\\workbookresults{90-lab}\n"
                                      "\\workbookresults{91-c}\n"
                                      "\\workbookchapter[2]{02-a}\n"
                                      "\\workbookchapter[5]{05-b}\n"
                                      "\\appendix\n"
                                      "\\workbookchapter{90-lab}\n"
                                      "\\workbookchapter{91-c}\n");
    tl_proc_free(&run);
}

/* ---------------------------------------------- tsv2tex, results-tex */

static void tsv2tex_escapes_latex_and_refuses_ragged_rows(void **state)
{
    (void)state;
    char good[600], ragged[600];
    path_in_scratch(good, sizeof good, "good.tsv");
    path_in_scratch(ragged, sizeof ragged, "ragged.tsv");
    tl_write_file(good, "# a comment line\nname_1\t50%\n$x & {y}\t#1 ~ ^\n");
    tl_write_file(ragged, "a\tb\n1\t2\n3\n");

    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 10, "tools/weave/tsv2tex", good, (char *)NULL), 0);
    assert_string_equal(run.out.data, "\\begin{tabular}{@{}lc@{}}\n"
                                      "\\toprule\n"
                                      "\\textbf{name\\_1} & \\textbf{50\\%} \\\\\n"
                                      "\\midrule\n"
                                      "\\$x \\& \\{y\\} & \\#1 \\textasciitilde{} "
                                      "\\textasciicircum{} \\\\\n"
                                      "\\bottomrule\n"
                                      "\\end{tabular}\n");
    tl_proc_free(&run);

    int status = tl_runl(&run, 10, "tools/weave/tsv2tex", ragged, (char *)NULL);
    assert_int_not_equal(status, 0);
    char where[700];
    snprintf(where, sizeof where, "%s:3:", ragged);
    assert_non_null(strstr(run.err.data, where));
    tl_proc_free(&run);
}

static void results_tex_refuses_a_bad_numbers_key(void **state)
{
    (void)state;
    char dir[600], numbers[700], tex[700];
    path_in_scratch(dir, sizeof dir, "results");
    mkdir(dir, 0755);
    snprintf(numbers, sizeof numbers, "%s/numbers.tsv", dir);
    snprintf(tex, sizeof tex, "%s/numbers.tex", dir);

    struct tl_proc run;
    tl_write_file(numbers, "good-key\t42\n");
    assert_int_equal(tl_runl(&run, 10, "tools/weave/results-tex", dir, (char *)NULL), 0);
    tl_proc_free(&run);
    struct tl_text text = {0};
    assert_int_equal(tl_read_file(tex, &text), 0);
    assert_string_equal(text.data, "\\defresult{good-key}{42}\n");
    tl_text_free(&text);

    tl_write_file(numbers, "Bad_Key\t42\n");
    assert_int_not_equal(tl_runl(&run, 10, "tools/weave/results-tex", dir, (char *)NULL), 0);
    assert_non_null(strstr(run.err.data, "numbers.tsv:1"));
    tl_proc_free(&run);
}

/* ------------------------------------------------ weave: Markdown */

/* Weaves one chapter, written to DIR/NAME.nw, into DIR (DIR/NAME.tex). */
static int weave_one(const char *dir, const char *name, const char *text, char *chapter,
                     size_t size, struct tl_proc *run)
{
    char path[700];
    path_in_scratch(path, sizeof path, dir);
    mkdir(path, 0755);
    snprintf(chapter, size, "%s/%s.nw", path, name);
    tl_write_file(chapter, text);
    return tl_runl(run, 60, "tools/weave/weave", path, "build/tools/nwpandoc", "no-programs",
                   chapter, (char *)NULL);
}

/* stderr is one line, "CHAPTER:LINE: " then words (NULL-terminated). */
static void check_one_line_error(const struct tl_proc *run, const char *chapter, int line,
                                 const char *words[])
{
    const char *err = run->err.data ? run->err.data : "";
    char where[800];
    snprintf(where, sizeof where, "%s:%d: ", chapter, line);
    if (tl_count_lines(err) != 1 || strncmp(err, where, strlen(where)) != 0)
        fail_msg("expected one line starting '%s'; stderr:\n%s", where, err);
    for (size_t i = 0; words[i] != NULL; i++)
        if (strstr(err, words[i]) == NULL)
            fail_msg("the message does not say '%s': %s", words[i], err);
}

/* pandoc's Markdown reader rejects nothing but a bad YAML metadata block
 * (which the weave turns off: see below); what it warns about is an
 * error of the chapter, named with the .nw line, not pandoc's temporary
 * file. */
static void a_pandoc_warning_is_an_error_at_the_nw_line(void **state)
{
    (void)state;
    char chapter[800];
    struct tl_proc run;
    int status = weave_one("md-warning", "x",
                           "# Capítulo\n"
                           "\n"
                           "Veja [o relatório][r] e [a norma][r].\n"
                           "\n"
                           "[r]: http://example.com/a\n"
                           "[r]: http://example.com/b\n",
                           chapter, sizeof chapter, &run);
    print_message("  weave: exit %d: %s", status, run.err.data);
    assert_int_equal(status, 1);
    check_one_line_error(&run, chapter, 6,
                         TL_WORDS("pandoc: Duplicate link reference '[r]'"));
    assert_null(strstr(run.err.data, "nwpandoc-")); /* no temporary file's name */
    tl_proc_free(&run);
}

/* A block between two "---" lines is no metadata in a chapter: pandoc
 * would take it out of the text silently (or fail on its YAML). */
static void a_yaml_like_block_stays_in_the_text(void **state)
{
    (void)state;
    char chapter[800], tex[800];
    struct tl_proc run;
    int status = weave_one("md-yaml", "x",
                           "# Capítulo\n\nAntes.\n\n---\ntitle: [aberto\n---\n\nDepois.\n",
                           chapter, sizeof chapter, &run);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);
    path_in_scratch(tex, sizeof tex, "md-yaml/x.tex");
    struct tl_text text = {0};
    assert_int_equal(tl_read_file(tex, &text), 0);
    assert_non_null(strstr(text.data, "aberto"));
    assert_non_null(strstr(text.data, "Depois."));
    tl_text_free(&text);
}

/* "\textbf{" never closed: pandoc cannot read it as LaTeX and writes it
 * as text ("\textbackslash textbf\{"); the PDF would show it. Refused,
 * with the line of the command, here in a list (pandoc adds lines there,
 * so counting from the chunk's start would miss it). */
static void raw_latex_pandoc_cannot_read_is_refused_at_its_line(void **state)
{
    (void)state;
    char chapter[800];
    struct tl_proc run;
    int status = weave_one("md-raw", "x",
                           "# Capítulo\n"
                           "\n"
                           "- um item;\n"
                           "- outro, com \\emph{ênfase} fechada;\n"
                           "- e \\textbf{aberto, que nunca fecha.\n"
                           "\n"
                           "Fim.\n",
                           chapter, sizeof chapter, &run);
    print_message("  weave: exit %d: %s", status, run.err.data);
    assert_int_equal(status, 1);
    check_one_line_error(&run, chapter, 5,
                         TL_WORDS("\\textbf is not read as LaTeX", "code span"));
    tl_proc_free(&run);
    /* Nothing was written for the chapter. */
    char tex[800];
    path_in_scratch(tex, sizeof tex, "md-raw/x.tex");
    assert_int_equal(access(tex, F_OK), -1);
}

/* Backslashes in code spans are text by design, and closed commands are
 * LaTeX: both pass. */
static void backslashes_in_code_spans_pass(void **state)
{
    (void)state;
    char chapter[800], tex[800];
    struct tl_proc run;
    int status = weave_one("md-code", "x",
                           "# Capítulo\n"
                           "\n"
                           "O `\\n` de `printf`, o `\\textbf{` do LaTeX e ``a`\\b``\n"
                           "são código; \\textbf{isto} é LaTeX.\n",
                           chapter, sizeof chapter, &run);
    assert_string_equal(run.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&run);
    path_in_scratch(tex, sizeof tex, "md-code/x.tex");
    struct tl_text text = {0};
    assert_int_equal(tl_read_file(tex, &text), 0);
    assert_non_null(strstr(text.data, "\\texttt{\\textbackslash{}n}"));
    assert_non_null(strstr(text.data, "\\textbf{isto}"));
    tl_text_free(&text);
}

/* ------------------------------------- latex: from the .tex to the .nw */

/* A chapter woven and typeset in a tree shaped like the project's; a
 * list before the error adds lines to the .tex that the .nw lacks. */
static int weave_and_typeset(const char *tree, const char *chapter_text, struct tl_proc *run)
{
    char path[800], command[4000];
    make_tree(tree);
    snprintf(path, sizeof path, "%s/chapters", tree);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/chapters/x.nw", tree);
    tl_write_file(path, chapter_text);
    snprintf(path, sizeof path, "%s/book/master.tex", tree);
    tl_write_file(path, "\\documentclass{book}\n\\usepackage{noweb}\n"
                        "\\providecommand{\\tightlist}{}\n\\begin{document}\n"
                        "\\input{build/chapters/x.tex}\n\\end{document}\n");
    snprintf(path, sizeof path, "%s/build/out.pdf", tree);
    tl_write_file(path, "the previous PDF\n");
    snprintf(
        command, sizeof command,
        "cd '%s' && '%s/tools/weave/weave' build/chapters '%s/build/tools/nwpandoc' none "
        "chapters/x.nw && '%s/tools/weave/latex' book/master.tex build/out.pdf",
        tree, repository(), repository(), repository());
    return tl_sh(run, 120, command);
}

static const char chapter_with_a_list[] = "# Capítulo\n"
                                          "\n"
                                          "Uma lista:\n"
                                          "\n"
                                          "- primeiro item,\n"
                                          "  que continua;\n"
                                          "- segundo item.\n"
                                          "\n"
                                          "## Seção\n"
                                          "\n"
                                          "Aqui um %s no meio.\n";

static void a_latex_error_names_the_exact_nw_line(void **state)
{
    (void)state;
    char tree[600], text[1000];
    path_in_scratch(tree, sizeof tree, "latex-line");
    snprintf(text, sizeof text, chapter_with_a_list, "\\nosuchcommand");
    struct tl_proc run;
    int status = weave_and_typeset(tree, text, &run);
    print_message("  latex: exit %d:\n%s", status, run.err.data);
    assert_int_equal(status, 1);
    /* Line 11 of the .nw; the .tex line is 17. */
    assert_non_null(strstr(run.err.data, "  chapters/x.nw:11: Undefined control sequence."));
    assert_null(strstr(run.err.data, "estimated"));
    tl_proc_free(&run);
}

/* An undefined \ref typesets as "??" with only a warning in LaTeX's
 * log: the build refuses it, names the .nw line and keeps the old PDF. */
static void an_undefined_reference_is_an_error(void **state)
{
    (void)state;
    char tree[600], text[1000], path[800];
    path_in_scratch(tree, sizeof tree, "latex-ref");
    snprintf(text, sizeof text, chapter_with_a_list, "\\ref{cap:nenhum}");
    struct tl_proc run;
    int status = weave_and_typeset(tree, text, &run);
    print_message("  latex: exit %d:\n%s", status, run.err.data);
    assert_int_equal(status, 1);
    assert_non_null(
        strstr(run.err.data, "  chapters/x.nw:11: undefined reference 'cap:nenhum'"));
    tl_proc_free(&run);
    snprintf(path, sizeof path, "%s/build/out.pdf", tree);
    struct tl_text pdf = {0};
    assert_int_equal(tl_read_file(path, &pdf), 0);
    assert_string_equal(pdf.data, "the previous PDF\n");
    tl_text_free(&pdf);
}

/* ---------------------------------------- the chapters' scripts */

/* Every tangled script (build/tangle/NN-slug/NAME.sh) refuses bad arguments as
 * the programs do: one line "NAME: what is wrong", the usage line, exit
 * 2, nothing on stdout. No arguments at all is bad for each of them. */
static void every_script_refuses_bad_arguments(void **state)
{
    (void)state;
    glob_t scripts;
    assert_int_equal(glob("build/tangle/*/*.sh", 0, NULL, &scripts), 0);
    char outdir[700], a_file[700];
    path_in_scratch(outdir, sizeof outdir, "script-out");
    path_in_scratch(a_file, sizeof a_file, "a-file");
    tl_write_file(a_file, "not a directory\n");
    size_t experiments = 0;
    for (size_t i = 0; i < scripts.gl_pathc; i++) {
        char *path = scripts.gl_pathv[i];
        const char *name = strrchr(path, '/') + 1;
        char prefix[128], usage[256];
        snprintf(prefix, sizeof prefix, "%s: ", name);
        if (strcmp(name, "experiment.sh") == 0) {
            experiments++;
            snprintf(usage, sizeof usage, "usage: experiment.sh BINDIR OUTDIR");
            tl_check_failure(TL_ARGS(path), 2, prefix, TL_WORDS("expected 2", "got 0"),
                             usage);
            tl_check_failure(TL_ARGS(path, "build/bin", outdir, "extra"), 2, prefix,
                             TL_WORDS("expected 2", "got 3"), usage);
            tl_check_failure(TL_ARGS(path, "/no/such/bindir", outdir), 2, prefix,
                             TL_WORDS("invalid BINDIR '/no/such/bindir'"), usage);
            tl_check_failure(TL_ARGS(path, "build/bin", a_file), 2, prefix,
                             TL_WORDS("invalid OUTDIR", a_file), usage);
            assert_int_equal(access(outdir, F_OK), -1); /* nothing written */
        } else if (strcmp(name, "lab.sh") == 0) {
            snprintf(usage, sizeof usage,
                     "usage: lab.sh [OPTION...] -o OUTDIR SERVER CLIENT [ARG...] "
                     "(lab.sh -h: the options)");
            tl_check_failure(TL_ARGS(path), 2, prefix, TL_WORDS("missing -o OUTDIR"), usage);
            tl_check_failure(
                TL_ARGS(path, "-n", "many", "-o", outdir, "serv-32kb", "cli-32kb"), 2, prefix,
                TL_WORDS("invalid -n 'many'"), usage);
            tl_check_failure(TL_ARGS(path, "-o", outdir, "serv-32kb"), 2, prefix,
                             TL_WORDS("missing SERVER and CLIENT"), usage);
        } else {
            /* A new script: the same rule, at least without arguments. */
            struct tl_proc run;
            int status = tl_runl(&run, 30, path, (char *)NULL);
            print_message("  %s -> %d: %s", path, status, run.err.data);
            assert_int_equal(status, 2);
            assert_int_equal(tl_count_lines(run.err.data), 2);
            snprintf(usage, sizeof usage, "\nusage: %s ", name);
            assert_int_equal(strncmp(run.err.data, prefix, strlen(prefix)), 0);
            assert_non_null(strstr(run.err.data, usage));
            tl_proc_free(&run);
        }
    }
    globfree(&scripts);
    assert_true(experiments >= 6);
}

/* ------------------------------------------------------ tests/run */

/* Compiles a test program (cmocka, testlib) from source into the scratch
 * directory; returns its path in path. */
static void compile_test_program(const char *name, const char *source, char *path,
                                 size_t size)
{
    char c_file[700];
    snprintf(c_file, sizeof c_file, "%s/%s.c", tl_scratch, name);
    snprintf(path, size, "%s/%s", tl_scratch, name);
    tl_write_file(c_file, source);
    struct tl_proc run;
    int status =
        tl_runl(&run, 60, "/bin/sh", "-c", "cc -std=c11 -Itests -o \"$1\" \"$2\" -lcmocka",
                "cc", path, c_file, (char *)NULL);
    if (status != 0)
        fail_msg("cannot compile %s: %s", c_file, run.err.data);
    tl_proc_free(&run);
}

/* Makes its scratch directory (testlib's), says where, and sleeps. */
static const char sleeper_source[] =
    "#include \"testlib.h\"\n"
    "static void sleeps(void **state)\n"
    "{\n"
    "    (void)state;\n"
    "    char file[5000];\n"
    "    snprintf(file, sizeof file, \"%s/half-written\", tl_scratch);\n"
    "    tl_write_file(file, \"...\");\n"
    "    printf(\"scratch: %s\\n\", tl_scratch);\n"
    "    fflush(stdout);\n"
    "    tl_sleep(60);\n"
    "}\n"
    "int main(void)\n"
    "{\n"
    "    const struct CMUnitTest tests[] = {cmocka_unit_test(sleeps)};\n"
    "    return cmocka_run_group_tests(tests, tl_scratch_make, tl_scratch_remove);\n"
    "}\n";

/* Runs tests/run with TMPDIR=DIR (made empty) and the environment
 * settings in env ("NAME=VALUE ..."); returns its exit status. */
static int run_tests_run(const char *dir, const char *env, const char *tests,
                         struct tl_proc *run)
{
    char command[4000];
    mkdir(dir, 0755);
    snprintf(command, sizeof command, "TMPDIR='%s' %s tests/run %s", dir, env, tests);
    return tl_sh(run, 60, command);
}

static int directory_is_empty(const char *path)
{
    DIR *dir = opendir(path);
    assert_non_null(dir);
    struct dirent *entry;
    int empty = 1;
    while ((entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            print_message("  left behind: %s/%s\n", path, entry->d_name);
            empty = 0;
        }
    closedir(dir);
    return empty;
}

/* A test killed by its time limit cannot remove its scratch directory;
 * tests/run gives it a TMPDIR of its own and removes that. */
static void a_test_killed_by_its_timeout_leaves_no_temporary_files(void **state)
{
    (void)state;
    char sleeper[700], tmpdir[700];
    compile_test_program("sleeper", sleeper_source, sleeper, sizeof sleeper);
    path_in_scratch(tmpdir, sizeof tmpdir, "tmp-for-run");
    struct tl_proc run;
    double started = tl_now();
    int status = run_tests_run(tmpdir, "TEST_TIMEOUT=1", sleeper, &run);
    print_message("  tests/run: exit %d in %.1f s:\n%s", status, tl_now() - started,
                  run.out.data);
    assert_int_equal(status, 1);
    assert_non_null(strstr(run.out.data, "timed out"));
    const char *said = strstr(run.out.data, "scratch: ");
    assert_non_null(said);
    char scratch_dir[600];
    assert_int_equal(sscanf(said, "scratch: %599s", scratch_dir), 1);
    /* testlib's scratch directory was in the TMPDIR tests/run gave... */
    assert_int_equal(strncmp(scratch_dir, tmpdir, strlen(tmpdir)), 0);
    /* ... and it is gone, and tests/run's own with it. */
    assert_int_equal(access(scratch_dir, F_OK), -1);
    assert_true(directory_is_empty(tmpdir));
    tl_proc_free(&run);
}

/* One test that passes, one skipped with a reason, one that fails. */
static const char mixed_source[] = "#include \"testlib.h\"\n"
                                   "static void passes(void **state) { (void)state; }\n"
                                   "static void is_skipped(void **state)\n"
                                   "{\n"
                                   "    (void)state;\n"
                                   "    print_message(\"skip: no frobnicator here\\n\");\n"
                                   "    skip();\n"
                                   "}\n"
                                   "static void fails(void **state)\n"
                                   "{\n"
                                   "    (void)state;\n"
                                   "    assert_int_equal(1, 2);\n"
                                   "}\n"
                                   "int main(void)\n"
                                   "{\n"
                                   "    const struct CMUnitTest tests[] = {\n"
                                   "        cmocka_unit_test(passes),\n"
                                   "        cmocka_unit_test(is_skipped),\n"
                                   "        cmocka_unit_test(fails),\n"
                                   "    };\n"
                                   "    return cmocka_run_group_tests(tests, NULL, NULL);\n"
                                   "}\n";

/* The summary is the last line, the failed tests are named right above
 * it (however long their output was), and a skip names its test. */
static void tests_run_ends_with_the_summary_and_names_skips(void **state)
{
    (void)state;
    char mixed[700], tmpdir[700];
    compile_test_program("mixed", mixed_source, mixed, sizeof mixed);
    path_in_scratch(tmpdir, sizeof tmpdir, "tmp-for-mixed");
    struct tl_proc run;
    int status = run_tests_run(tmpdir, "", mixed, &run);
    print_message("  tests/run: exit %d:\n%s", status, run.out.data);
    assert_int_equal(status, 1);
    const char *out = run.out.data;
    size_t lines = tl_count_lines(out);
    char line[512];
    assert_int_equal(tl_line(out, lines - 1, line, sizeof line), 0);
    assert_string_equal(line, "1 passed, 1 failed, 1 skipped");
    assert_int_equal(tl_line(out, lines - 2, line, sizeof line), 0);
    assert_string_equal(line, "failed: mixed (fails)");
    assert_non_null(strstr(out, "    | skipped is_skipped: no frobnicator here\n"));
    assert_string_equal(run.err.data, "");
    tl_proc_free(&run);
}

/* A program built by clang with ASan that passes its one test after
 * asking the sanitizer for the name of an address, as libFuzzer does for
 * its NEW_FUNC lines; with -DOVERFLOW it first reads past a heap block, a
 * real finding (it goes on: -fsanitize-recover=address). */
static const char symbolizing_source[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "void __sanitizer_symbolize_pc(void *pc, const char *format, char *out, size_t size);\n"
    "int main(void)\n"
    "{\n"
    "#ifdef OVERFLOW\n"
    "    volatile char *block = malloc(8);\n"
    "    volatile char past = block[8];\n"
    "    (void)past;\n"
    "    free((void *)block);\n"
    "#endif\n"
    "    char name[256];\n"
    "    __sanitizer_symbolize_pc(__builtin_return_address(0), \"%p %F %L\", name, sizeof "
    "name);\n"
    "    printf(\"[  PASSED  ] 1 test(s).\\n\");\n"
    "    return 0;\n"
    "}\n";

/* Without a symbolizer (ASAN_SYMBOLIZER_PATH names none, as on a machine
 * without llvm), a clang program's sanitizer report may hold only
 * "WARNING: invalid path to external symbolizer!": tests/run says so and
 * does not count it; a report with a real error (and the same warning)
 * still fails its test. */
static void a_report_of_only_a_symbolizer_warning_is_not_a_finding(void **state)
{
    (void)state;
    char source[700], clean[700], overflow[700], tmpdir[700], command[3000];
    path_in_scratch(source, sizeof source, "symbolizing.c");
    path_in_scratch(clean, sizeof clean, "symbolizing");
    path_in_scratch(overflow, sizeof overflow, "overflowing");
    tl_write_file(source, symbolizing_source);
    snprintf(command, sizeof command,
             "clang -g -O0 -fsanitize=address -fsanitize-recover=address -o '%s' '%s' && "
             "clang -g -O0 -fsanitize=address -fsanitize-recover=address -DOVERFLOW -o '%s' "
             "'%s'",
             clean, source, overflow, source);
    struct tl_proc run;
    if (tl_sh(&run, 120, command) != 0) {
        print_message("SKIP: clang cannot build with -fsanitize=address here: %s\n",
                      run.err.data);
        tl_proc_free(&run);
        skip();
    }
    tl_proc_free(&run);
    path_in_scratch(tmpdir, sizeof tmpdir, "tmp-for-symbolizer");
    snprintf(command, sizeof command, "%s %s", clean, overflow);
    int status = run_tests_run(tmpdir,
                               "ASAN_SYMBOLIZER_PATH=/nonexistent/llvm-symbolizer "
                               "ASAN_OPTIONS=halt_on_error=0:detect_leaks=0",
                               command, &run);
    print_message("  tests/run: exit %d:\n%s", status, run.out.data);
    const char *out = run.out.data;
    size_t lines = tl_count_lines(out);
    char line[512];
    assert_int_equal(tl_line(out, lines - 1, line, sizeof line), 0);
    assert_string_equal(line, "2 passed, 1 failed, 0 skipped");
    assert_int_equal(tl_line(out, lines - 2, line, sizeof line), 0);
    assert_string_equal(line, "failed: overflowing");
    assert_int_equal(status, 1);
    /* The warning alone: said under its test, not counted. */
    assert_non_null(strstr(out, " symbolizing  "));
    assert_non_null(strstr(out, "1 passed, 0 failed, 0 skipped\n"
                                "    | 1 sanitizer report(s) held only a symbolizer warning, "
                                "not counted"));
    /* The real finding, with the same warning in its report, shown. */
    assert_non_null(strstr(out, "ERROR: AddressSanitizer: heap-buffer-overflow"));
    assert_non_null(strstr(out, "WARNING: invalid path to external symbolizer!"));
    tl_proc_free(&run);
}

/* ------------------------------------------ an experiment interrupted */

/* A chapter whose experiment writes a partial file, starts a child (as
 * a server would be) and then waits, quiet. */
static const char slow_experiment[] = "#!/bin/sh\n"
                                      "set -eu\n"
                                      "echo 'step 1'\n"
                                      "echo partial >\"$2/table.tsv\"\n"
                                      "sleep 30 &\n"
                                      "echo 'step 2: waiting'\n"
                                      "sleep 30\n"
                                      "echo late >\"$2/late.tsv\"\n";

/* The processes whose environment has marker (NAME=VALUE). */
static int processes_marked(const char *marker)
{
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    struct dirent *entry;
    int found = 0;
    size_t length = strlen(marker);
    while ((entry = readdir(proc)) != NULL) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/environ", entry->d_name);
        struct tl_text environ_text = {0};
        if (tl_read_file(path, &environ_text) == 0)
            for (size_t i = 0; i + length <= environ_text.length; i++)
                if (memcmp(environ_text.data + i, marker, length) == 0 &&
                    (i + length == environ_text.length ||
                     environ_text.data[i + length] == '\0')) {
                    found++;
                    break;
                }
        tl_text_free(&environ_text);
    }
    closedir(proc);
    return found;
}

/* Ctrl-C during an experiment (SIGINT to the process group, as the
 * terminal sends it to make and its children): tools/experiments/run-experiment
 * stops at once, no process it started is left, nothing it wrote stays,
 * and the previous results are as they were. */
static void an_interrupted_experiment_leaves_nothing_behind(void **state)
{
    (void)state;
    char tree[600], path[900], marker[100];
    path_in_scratch(tree, sizeof tree, "interrupted");
    mkdir(tree, 0755);
    const char *dirs[] = {"build", "build/tangle", "build/tangle/50-slow", "build/results",
                          "build/results/50-slow"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tree, dirs[i]);
        mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/build/tangle/50-slow/experiment.sh", tree);
    write_executable(path, slow_experiment);
    snprintf(path, sizeof path, "%s/build/results/50-slow/.done", tree);
    tl_write_file(path, "");
    snprintf(path, sizeof path, "%s/build/results/50-slow/table.tsv", tree);
    tl_write_file(path, "the previous results\n");
    char target[1100];
    snprintf(path, sizeof path, "%s/tools", tree);
    snprintf(target, sizeof target, "%s/tools", repository());
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/build/bin", tree);
    snprintf(target, sizeof target, "%s/build/bin", repository());
    assert_int_equal(symlink(target, path), 0);

    snprintf(marker, sizeof marker, "WORKBOOK_INTERRUPT_PROBE=%ld-%ld", (long)getpid(),
             (long)time(NULL));
    char *equals = strchr(marker, '=');
    *equals = '\0';
    setenv(marker, equals + 1, 1);
    *equals = '=';
    char command[1000];
    snprintf(command, sizeof command,
             "cd '%s' && exec tools/experiments/run-experiment 50-slow", tree);
    struct tl_proc run;
    if (tl_proc_start(&run, TL_ARGS("/bin/sh", "-c", command)) == -1)
        fail_msg("cannot start tools/experiments/run-experiment: %s", strerror(errno));
    *equals = '\0';
    unsetenv(marker);
    *equals = '=';
    double deadline = tl_now() + 20;
    while (strstr(tl_text_str(&run.out), "step 2") == NULL && tl_now() < deadline &&
           tl_proc_pump(&run, deadline))
        ;
    assert_non_null(strstr(tl_text_str(&run.out), "step 2"));
    tl_sleep(0.3);
    assert_true(processes_marked(marker) >= 3); /* run-experiment, timeout, sleep... */
    double interrupted = tl_now();
    kill(-run.pid, SIGINT);
    int status = tl_proc_finish(&run, 15);
    print_message("  run-experiment: exit %d after %.1f s: %s", status,
                  tl_now() - interrupted, run.err.data);
    assert_false(run.timed_out);
    assert_int_equal(status, 130);
    assert_non_null(strstr(run.err.data, "interrupted"));
    tl_proc_free(&run);
    /* Every process it started is gone (the TERM it passes on is final;
     * a little time for the last ones to be reaped). */
    deadline = tl_now() + 5;
    while (processes_marked(marker) > 0 && tl_now() < deadline)
        tl_sleep(0.1);
    assert_int_equal(processes_marked(marker), 0);
    snprintf(path, sizeof path, "%s/build/results/.50-slow.tmp", tree);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/build/results/50-slow/table.tsv", tree);
    struct tl_text text = {0};
    assert_int_equal(tl_read_file(path, &text), 0);
    assert_string_equal(text.data, "the previous results\n");
    tl_text_free(&text);
    snprintf(path, sizeof path, "%s/build/results/50-slow/late.tsv", tree);
    assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(install_deps_without_root_prints_the_apt_get_line),
        cmocka_unit_test(install_deps_asks_for_what_each_step_needs),
        cmocka_unit_test(install_deps_is_silent_when_nothing_is_missing),
        cmocka_unit_test(a_latex_error_keeps_the_old_pdf_and_names_the_nw_line),
        cmocka_unit_test(a_good_document_replaces_the_pdf_whole),
        cmocka_unit_test(a_compiler_error_names_the_nw_line_and_chunk),
        cmocka_unit_test(a_removed_root_leaves_no_stale_file),
        cmocka_unit_test(make_tangle_keeps_a_file_the_student_changed),
        cmocka_unit_test(chapters_are_numbered_by_file_and_appendices_lettered),
        cmocka_unit_test(tsv2tex_escapes_latex_and_refuses_ragged_rows),
        cmocka_unit_test(results_tex_refuses_a_bad_numbers_key),
        cmocka_unit_test(a_pandoc_warning_is_an_error_at_the_nw_line),
        cmocka_unit_test(a_yaml_like_block_stays_in_the_text),
        cmocka_unit_test(raw_latex_pandoc_cannot_read_is_refused_at_its_line),
        cmocka_unit_test(backslashes_in_code_spans_pass),
        cmocka_unit_test(a_latex_error_names_the_exact_nw_line),
        cmocka_unit_test(an_undefined_reference_is_an_error),
        cmocka_unit_test(every_script_refuses_bad_arguments),
        cmocka_unit_test(a_test_killed_by_its_timeout_leaves_no_temporary_files),
        cmocka_unit_test(tests_run_ends_with_the_summary_and_names_skips),
        cmocka_unit_test(a_report_of_only_a_symbolizer_warning_is_not_a_finding),
        cmocka_unit_test(an_interrupted_experiment_leaves_nothing_behind),
    };
    return cmocka_run_group_tests_name("build tools", tests, tl_scratch_make,
                                       tl_scratch_remove);
}
