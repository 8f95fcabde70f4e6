/*
 * make lint, the cheap part: the tangled programs are laid out as
 * .clang-format says (a chunk that breaks the layout where noweb indents
 * it fails make test, not only make lint), and tools/lint, which make
 * lint runs, writes an empty report for a clean file and names what each
 * tool finds in a bad one. (make lint itself, some 30 s of clang-tidy,
 * is not part of make test.)
 */
#include "testlib.h"

#define scratch tl_scratch

/* The tangled programs, all in one clang-format run (a fraction of a
 * second); at least 20, so an empty glob cannot pass. */
static void the_tangled_programs_are_clang_formatted(void **state)
{
    (void)state;
    struct tl_proc run;
    int status = tl_sh(&run, 60,
                       "set -- build/tangle/*/*.c; [ -e \"$1\" ] && echo $# && "
                       "clang-format --dry-run -Werror --style=file:.clang-format \"$@\"");
    const char *count = run.out.data;
    long files = 0;
    if (status != 0 || tl_scan_long(&count, 10, &files) != 0 || files < 20)
        fail_msg("clang-format on build/tangle/*/*.c (%ld files), exit status %d:\n%s", files,
                 status, run.err.data);
    tl_proc_free(&run);
}

/* tools/lint TOOL FILE on the scratch file name holding text; returns the
 * report (free it), "" when the tool found nothing. */
static void lint(const char *tool, const char *name, const char *text, struct tl_text *report)
{
    char file[600], report_path[700];
    snprintf(file, sizeof file, "%s/%s", scratch, name);
    snprintf(report_path, sizeof report_path, "%s/%s.%s", scratch, name, tool);
    tl_write_file(file, text);
    struct tl_proc run;
    int status = tl_runl(&run, 120, "tools/lint", tool, file, report_path, (char *)NULL);
    if (status != 0)
        fail_msg("tools/lint %s %s: exit status %d: %s", tool, file, status, run.err.data);
    tl_proc_free(&run);
    assert_int_equal(tl_read_file(report_path, report), 0);
    tl_text_str(report);
}

static const char clean_program[] = "#include <stdio.h>\n"
                                    "\n"
                                    "int main(void)\n"
                                    "{\n"
                                    "    puts(\"hello\");\n"
                                    "    return 0;\n"
                                    "}\n";

static void a_clean_file_gets_three_empty_reports(void **state)
{
    (void)state;
    const char *tools[] = {"cppcheck", "clang-tidy", "clang-format"};
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        struct tl_text report = {0};
        lint(tools[i], "clean.c", clean_program, &report);
        if (report.length != 0)
            fail_msg("%s found something in a clean file:\n%s", tools[i], report.data);
        tl_text_free(&report);
    }
}

static void each_tool_names_what_it_finds(void **state)
{
    (void)state;
    struct tl_text report = {0};
    lint("cppcheck", "realloc.c",
         "#include <stdlib.h>\n\nint main(void)\n{\n    char *p = malloc(10);\n"
         "    p = realloc(p, 20);\n    free(p);\n    return 0;\n}\n",
         &report);
    if (strstr(report.data, "memleakOnRealloc") == NULL)
        fail_msg("cppcheck did not see p = realloc(p, n):\n%s", report.data);
    tl_text_free(&report);

    lint("clang-tidy", "atoi.c",
         "#include <stdlib.h>\n\nint main(int argc, char **argv)\n{\n"
         "    return argc > 1 ? atoi(argv[1]) : 0;\n}\n",
         &report);
    if (strstr(report.data, "atoi.c:5:") == NULL ||
        strstr(report.data, "cert-err34-c") == NULL)
        fail_msg("clang-tidy did not see atoi():\n%s", report.data);
    tl_text_free(&report);

    lint("clang-format", "layout.c", "int main(void){return 0;}\n", &report);
    if (strstr(report.data, "layout.c:1:") == NULL ||
        strstr(report.data, "clang-format-violations") == NULL)
        fail_msg("clang-format did not see a one-line main():\n%s", report.data);
    tl_text_free(&report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_tangled_programs_are_clang_formatted),
        cmocka_unit_test(a_clean_file_gets_three_empty_reports),
        cmocka_unit_test(each_tool_names_what_it_finds),
    };
    return cmocka_run_group_tests_name("lint", tests, tl_scratch_make, tl_scratch_remove);
}
