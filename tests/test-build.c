/*
 * The build's own tools: what a newcomer meets when something is wrong.
 * install-deps without root, a LaTeX error (the PDF is kept, the .nw line
 * is named), a compiler error (the chunk is named), the chapter list, and
 * the TSV-to-LaTeX converters on bad input.
 */
#include "testlib.h"

#include <sys/stat.h>

#define scratch tl_scratch

static void path_in_scratch(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/%s", scratch, name);
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
    struct tl_proc run;
    int status = run_install_deps_for("tangle", no_package_installed, as_nobody, &run);
    print_message("  install-deps tangle: exit %d: %s", status, run.err.data);
    assert_int_equal(status, 1);
    assert_int_equal(tl_count_lines(run.err.data), 1);
    assert_non_null(strstr(run.err.data, "apt-get install -y make gcc noweb\n"));
    tl_proc_free(&run);

    status = run_install_deps_for("lab", no_package_installed, as_nobody, &run);
    print_message("  install-deps lab: exit %d: %s", status, run.err.data);
    assert_int_equal(status, 0);
    assert_int_equal(tl_count_lines(run.err.data), 1);
    assert_non_null(strstr(run.err.data, " qemu-user "));
    assert_non_null(strstr(run.err.data, "recorded run"));
    tl_proc_free(&run);

    status = run_install_deps_for("books", every_package_installed, as_nobody, &run);
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

/* tools/latex runs in a scratch tree shaped like the project's: book/ for
 * the master document, build/ for everything made. */
static int run_latex(const char *tree, const char *master, struct tl_proc *run)
{
    char command[2000];
    snprintf(command, sizeof command, "cd '%s' && '%s/tools/latex' '%s' build/out.pdf", tree,
             getenv("PWD") ? getenv("PWD") : ".", master);
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
        tl_runl(&run, 30, "tools/tangle", chapter, outdir, linedir, (char *)NULL), 0);
    tl_proc_free(&run);

    char source[700], expected_line[800], expected_chunk[800];
    snprintf(source, sizeof source, "%s/broken.c", linedir);
    int status = tl_runl(&run, 60, "tools/compile", "cc", "-std=c11", "-Wall", "-Werror",
                         "-o", binary, source, (char *)NULL);
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
    assert_int_equal(tl_runl(&run, 30, "tools/tangle", chapter, outdir, (char *)NULL), 0);
    tl_proc_free(&run);
    snprintf(path, sizeof path, "%s/b.c", outdir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/a", outdir); /* what a student built there */
    tl_write_file(path, "a program\n");

    tl_write_file(chapter, "<<a.c>>=\nint a;\n@\n<<Makefile>>=\nPROGRAMS = a\n@\n");
    assert_int_equal(tl_runl(&run, 30, "tools/tangle", chapter, outdir, (char *)NULL), 0);
    tl_proc_free(&run);
    snprintf(path, sizeof path, "%s/b.c", outdir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/a.c", outdir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/a", outdir);
    assert_int_equal(access(path, F_OK), 0);
}

/* ----------------------------------------------------- chapter-list */

static void chapters_are_numbered_by_file_and_appendices_lettered(void **state)
{
    (void)state;
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 10, "tools/chapter-list", "02-a", "05-b", "90-lab", "91-c",
                             (char *)NULL),
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
    assert_int_equal(tl_runl(&run, 10, "tools/tsv2tex", good, (char *)NULL), 0);
    assert_string_equal(run.out.data, "\\begin{tabular}{@{}lc@{}}\n"
                                      "\\toprule\n"
                                      "\\textbf{name\\_1} & \\textbf{50\\%} \\\\\n"
                                      "\\midrule\n"
                                      "\\$x \\& \\{y\\} & \\#1 \\textasciitilde{} "
                                      "\\textasciicircum{} \\\\\n"
                                      "\\bottomrule\n"
                                      "\\end{tabular}\n");
    tl_proc_free(&run);

    int status = tl_runl(&run, 10, "tools/tsv2tex", ragged, (char *)NULL);
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
    assert_int_equal(tl_runl(&run, 10, "tools/results-tex", dir, (char *)NULL), 0);
    tl_proc_free(&run);
    struct tl_text text = {0};
    assert_int_equal(tl_read_file(tex, &text), 0);
    assert_string_equal(text.data, "\\defresult{good-key}{42}\n");
    tl_text_free(&text);

    tl_write_file(numbers, "Bad_Key\t42\n");
    assert_int_not_equal(tl_runl(&run, 10, "tools/results-tex", dir, (char *)NULL), 0);
    assert_non_null(strstr(run.err.data, "numbers.tsv:1"));
    tl_proc_free(&run);
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
        cmocka_unit_test(chapters_are_numbered_by_file_and_appendices_lettered),
        cmocka_unit_test(tsv2tex_escapes_latex_and_refuses_ragged_rows),
        cmocka_unit_test(results_tex_refuses_a_bad_numbers_key),
    };
    return cmocka_run_group_tests_name("build tools", tests, tl_scratch_make,
                                       tl_scratch_remove);
}
