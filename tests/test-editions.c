/* test-editions: the two editions of the book and the exercise sheets.
 *
 * - the student PDF (build/workbook.pdf) has no solution: not the word
 *   "Solução", not a phrase of any solution's prose
 *   (tests/solution-phrases picks one per solution block of
 *   solutions/NN-slug.nw), not the name of a solution's file;
 * - the instructor PDF (build/workbook-instructor.pdf) has every one of
 *   them, each under "Solução do exercício LABEL", right after its
 *   exercise and before the next one;
 * - each sheet (build/sheets/NN-slug.pdf) has the header (Nome, RA,
 *   Data), every exercise of its chapter with its label and title
 *   (tools/grade/exercises), and no solution; the book numbers the exercises
 *   the same way.
 *
 * Text comes from pdftotext, with lines joined and words broken at a
 * line's end put together again. Runs from the repository root after
 * make, make instructor and make sheets. In a copy without solutions/
 * (the one published for students) there is no solution to look for:
 * the student PDF is checked for the word alone, the instructor edition
 * is skipped, saying so. */
#include "testlib.h"

/* A line that is a page number, or a running head ("CAPÍTULO 1. REVISÃO:
 * ...", "APÊNDICE A. ..."), never a line of the text. */
static int is_page_furniture(const char *line, size_t length)
{
    if (length > 0 && strspn(line, "0123456789") == length)
        return 1;
    /* The running head of an odd page: the section's number and its
     * title in capitals ("4.11. EXERCÍCIOS", "A.5. RODAR O LABORATÓRIO"). */
    size_t number = strspn(line, "0123456789ABCDEFGHIJ.");
    if (number >= 3 && number < length && line[number - 1] == '.' && line[number] == ' ' &&
        strchr(line, '.') < line + number - 1) {
        for (size_t i = number; i < length; i++)
            if (line[i] >= 'a' && line[i] <= 'z')
                return 0;
        return 1;
    }
    for (const char *head = "CAPÍTULO \0APÊNDICE \0"; *head; head += strlen(head) + 1)
        if (length > strlen(head) && strncmp(line, head, strlen(head)) == 0) {
            for (size_t i = 0; i < length; i++)
                if (line[i] >= 'a' && line[i] <= 'z')
                    return 0;
            return 1;
        }
    return 0;
}

/* pdftotext of a PDF, one line, single spaces, hyphenation undone. */
static char *pdf_text(const char *pdf)
{
    char command[600];
    snprintf(command, sizeof command, "pdftotext -enc UTF-8 %s - 2>/dev/null", pdf);
    FILE *pipe = popen(command, "r"); /* NOLINT(cert-env33-c): a shell pipeline, on purpose */
    assert_non_null(pipe);
    struct tl_text raw = {0};
    char buffer[8192];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        tl_text_append(&raw, buffer, got);
    if (pclose(pipe) != 0 || raw.length == 0)
        fail_msg("pdftotext %s failed: is it built?", pdf);
    const char *in = tl_text_str(&raw);
    char *out = malloc(raw.length + 1), *o = out;
    assert_non_null(out);
    for (const char *p = in; *p; p++) {
        /* A page's running head and number, which pdftotext puts in the
         * middle of a paragraph that goes on to the next page, are left out. */
        if (p == in || p[-1] == '\n' || p[-1] == '\f') {
            size_t length = strcspn(p, "\n\f");
            if (is_page_furniture(p, length)) {
                p += length - 1;
                continue;
            }
        }
        if (p[0] == '-' && p[1] == '\n') { /* a word broken at the line's end */
            p++;
            continue;
        }
        char c = (*p == '\n' || *p == '\t' || *p == '\f') ? ' ' : *p;
        if (c == ' ' && o > out && o[-1] == ' ')
            continue;
        *o++ = c;
    }
    *o = '\0';
    tl_text_free(&raw);
    return out;
}

struct phrase {
    char label[16];
    char text[240];
};
static struct phrase phrases[128];
static size_t phrase_count;

static int load_phrases(void **state)
{
    (void)state;
    if (!tl_have_solutions())
        return 0;
    /* A shell pipeline, on purpose. */
    // NOLINTNEXTLINE(cert-env33-c)
    FILE *pipe = popen("tests/solution-phrases solutions/[0-9][0-9]-*.nw", "r");
    if (pipe == NULL)
        return -1;
    char line[300];
    while (phrase_count < 128 && fgets(line, sizeof line, pipe) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        struct phrase *p = &phrases[phrase_count++];
        if (sscanf(line, "%15[^\t]\t%239[^\n]", p->label, p->text) != 2)
            p->text[0] = '\0';
    }
    return pclose(pipe) == 0 ? 0 : -1;
}

static void the_student_edition_has_no_solution(void **state)
{
    (void)state;
    char *text = pdf_text("build/workbook.pdf");
    if (strstr(text, "Solução") != NULL)
        fail_msg("the student PDF has the word \"Solução\"");
    if (!tl_have_solutions()) {
        print_message(
            "no solutions/ in this copy: only the word \"Solução\" was looked for\n");
        free(text);
        return;
    }
    assert_true(phrase_count >= 5);
    /* No solution's file: the roots <<solucoes/LABEL/FILE>> of solutions/. */
    /* A shell pipeline, on purpose. */
    // NOLINTNEXTLINE(cert-env33-c)
    FILE *roots = popen("sed -n 's/^<<\\(solucoes\\/[^>]*\\)>>=$/\\1/p' solutions/*.nw", "r");
    assert_non_null(roots);
    char root[300];
    size_t root_count = 0;
    while (fgets(root, sizeof root, roots) != NULL) {
        root[strcspn(root, "\n")] = '\0';
        root_count++;
        if (strstr(text, root) != NULL)
            fail_msg("the student PDF names %s, a solution's file", root);
    }
    pclose(roots);
    assert_true(root_count >= 5);
    for (size_t i = 0; i < phrase_count; i++) {
        if (phrases[i].text[0] == '\0')
            fail_msg("the solution of %s has no phrase of five plain words to look for",
                     phrases[i].label);
        if (strstr(text, phrases[i].text) != NULL)
            fail_msg("the student PDF has \"%s\", of the solution of exercise %s",
                     phrases[i].text, phrases[i].label);
    }
    free(text);
}

/* "Exercício 2.3 ★★✩ Title": how the PDF prints an exercise's heading. */
static void exercise_heading(char *out, size_t size, const char *label, long stars,
                             const char *title)
{
    int length = snprintf(out, size, "Exercício %s %s%s%s %s", label, stars >= 1 ? "★" : "✩",
                          stars >= 2 ? "★" : "✩", stars >= 3 ? "★" : "✩", title);
    if (length < 0 || (size_t)length >= size)
        fail_msg("the heading of exercise %s does not fit in %zu bytes", label, size);
}

static void the_instructor_edition_has_every_solution(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    char *text = pdf_text("build/workbook-instructor.pdf");
    /* Where each exercise's heading is, in the book's order. */
    // NOLINTNEXTLINE(cert-env33-c): a shell command, on purpose
    FILE *pipe = popen("tools/grade/exercises chapters/[0-9][0-9]-*.nw", "r");
    assert_non_null(pipe);
    struct {
        char label[16];
        const char *at;
    } exercise[128];
    size_t exercises = 0;
    char line[600];
    while (exercises < 128 && fgets(line, sizeof line, pipe) != NULL) {
        char difficulty[4], title[300], heading[400];
        if (sscanf(line, "%15[^\t]\t%3[^\t]\t%299[^\t]", exercise[exercises].label,
                   difficulty, title) != 3)
            fail_msg("tools/grade/exercises wrote \"%s\"", line);
        exercise_heading(heading, sizeof heading, exercise[exercises].label,
                         tl_to_long(difficulty, "the difficulty"), title);
        exercise[exercises].at = strstr(text, heading);
        if (exercise[exercises].at == NULL)
            fail_msg("the instructor PDF has no \"%s\"", heading);
        exercises++;
    }
    pclose(pipe);
    assert_int_equal(exercises, phrase_count);
    for (size_t i = 0; i < phrase_count; i++) {
        char heading[300];
        snprintf(heading, sizeof heading, "Solução do exercício %.15s ", phrases[i].label);
        char *at = strstr(text, heading);
        if (at == NULL)
            fail_msg("the instructor PDF has no \"%s\"", heading);
        char *found = strstr(at, phrases[i].text);
        char *next = strstr(at + strlen(heading), "Solução do exercício ");
        if (found == NULL || (next != NULL && next < found))
            fail_msg("the instructor PDF has no \"%s\" in its \"%s\"", phrases[i].text,
                     heading);
        /* Right after its exercise, before the next exercise. */
        for (size_t e = 0; e < exercises; e++) {
            if (strcmp(exercise[e].label, phrases[i].label) != 0)
                continue;
            if (exercise[e].at > at)
                fail_msg("the solution of %s comes before its exercise", phrases[i].label);
            if (e + 1 < exercises && exercise[e + 1].at < at)
                fail_msg("the solution of %s comes after exercise %s", phrases[i].label,
                         exercise[e + 1].label);
        }
    }
    printf("%zu solutions in the instructor edition, each after its exercise; none in the "
           "student one\n",
           phrase_count);
    free(text);
}

static void every_sheet_has_its_exercises_and_no_solution(void **state)
{
    (void)state;
    /* A shell pipeline, on purpose. */
    // NOLINTNEXTLINE(cert-env33-c)
    FILE *pipe = popen("tools/grade/exercises chapters/[0-9][0-9]-*.nw", "r");
    assert_non_null(pipe);
    char line[600], sheet_of[256] = "", *sheet = NULL, *book = pdf_text("build/workbook.pdf");
    size_t sheets = 0, exercises = 0;
    while (fgets(line, sizeof line, pipe) != NULL) {
        char label[16], difficulty[4], title[300], where[256];
        if (sscanf(line, "%15[^\t]\t%3[^\t]\t%299[^\t]\t%255[^\n]", label, difficulty, title,
                   where) != 4)
            fail_msg("tools/grade/exercises wrote \"%s\"", line);
        char chapter[256];
        snprintf(chapter, sizeof chapter, "%s", where);
        *strrchr(chapter, '.') = '\0'; /* chapters/NN-slug */
        if (strcmp(chapter, sheet_of) != 0) {
            free(sheet);
            char pdf[300];
            snprintf(pdf, sizeof pdf, "build/sheets/%s.pdf", chapter + strlen("chapters/"));
            sheet = pdf_text(pdf);
            snprintf(sheet_of, sizeof sheet_of, "%s", chapter);
            sheets++;
            if (strstr(sheet, "Nome:") == NULL || strstr(sheet, "RA:") == NULL ||
                strstr(sheet, "Data:") == NULL)
                fail_msg("%s has no header Nome, RA, Data", pdf);
            if (strstr(sheet, "Solução") != NULL)
                fail_msg("%s has the word \"Solução\"", pdf);
            for (size_t i = 0; i < phrase_count; i++)
                if (strstr(sheet, phrases[i].text) != NULL)
                    fail_msg("%s has \"%s\", of the solution of %s", pdf, phrases[i].text,
                             phrases[i].label);
        }
        /* "Exercício 2.3 ★★✩ Title": the label, the difficulty, the title. */
        char expected[400];
        exercise_heading(expected, sizeof expected, label,
                         tl_to_long(difficulty, "the difficulty"), title);
        assert_non_null(sheet);
        if (strstr(sheet, expected) == NULL)
            fail_msg("the sheet of %s has no \"%s\"", sheet_of, expected);
        if (strstr(book, expected) == NULL)
            fail_msg("the book has no \"%s\"", expected);
        exercises++;
    }
    pclose(pipe);
    free(sheet);
    free(book);
    printf("%zu sheets, %zu exercises, each in its sheet and in the book with its label\n",
           sheets, exercises);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_student_edition_has_no_solution),
        cmocka_unit_test(the_instructor_edition_has_every_solution),
        cmocka_unit_test(every_sheet_has_its_exercises_and_no_solution),
    };
    return cmocka_run_group_tests(tests, load_phrases, NULL);
}
