/* test-html: the HTML edition, build/html/ (make html; tools/weave/weave -t html).
 *
 * - every chapter and appendix of chapters/ has its page NN-slug.html,
 *   in pt-BR, utf-8, with the viewport, its heading, and the contents
 *   (index.html) link to it;
 * - every chunk-use link points to a chunk (class "chunk") whose id exists
 *   on the target page, and a chunk chapter 1 defines and chapter 5 uses
 *   links from chapter 5's page to chapter 1's;
 * - no LaTeX command (a backslash and letters) and no placeholder of the
 *   pipeline (NWX...) is left in any page's text outside code;
 * - each result table's cells are its TSV's (data-source), and every
 *   \resulttable of the .nw has its table; each transcript is its file;
 *   each \input figure has its <img> with an alt text;
 * - the contents (index.html) number tables, figures, transcripts, the
 *   seed's listings and the programs as the PDF's lists do;
 * - every exercise (tools/grade/exercises) has its label, stars and title;
 * - the lab's page says where its results come from, as the PDF does;
 * - the student site has no solution (tests/solution-phrases);
 * - every C file the build tangles (build/tangle/NN-slug/FILE.c) has its
 *   page programas/NN-slug/FILE.c.html showing the file as it is, linked
 *   from the list of programs (programas.html, linked from index.html)
 *   and, if the chapter defines it (not the build manual), from the
 *   program's line above its root chunk <<FILE.c>>;
 * - an unknown LaTeX command fails the HTML weave with FILE:LINE, and
 *   leaves no site;
 * - the build manual (manual/NN-slug.nw) has its pages in build/html/construcao/:
 *   one per file, styled as the book's (its CSS one folder up), its
 *   contents (construcao/index.html) linking to each, with the links
 *   back to the book; the book's index links to the manual in its line
 *   <p class="manual-link"> (which the student's package leaves out);
 * - every use in manual/NN-slug.nw of a chunk that only the chapters define
 *   links from the manual's page to the chunk in the book's page
 *   (../NN-slug.html#chunk-...), marked as the book's ("caderno, cap.
 *   N"), and every other chunk use of the manual reaches its chunk in the
 *   manual; the book's list of programs has none of the manual's roots;
 * - an unknown LaTeX command in the manual fails the HTML weave with
 *   FILE:LINE too, and leaves no site, not even the book's pages.
 *
 * Runs from the repository root after make (the PDF and the site). */
#include "testlib.h"

#define PAGES 64

struct page {
    char name[128];
    char *html;
};
static struct page pages[PAGES];
static size_t page_count;

static char *read_or_fail(const char *path)
{
    struct tl_text text = {0};
    if (tl_read_file(path, &text) == -1)
        fail_msg("cannot read %s: %s (make html)", path, strerror(errno));
    return text.data;
}

static int load_pages(void **state)
{
    (void)state;
    DIR *dir = opendir("build/html");
    if (dir == NULL)
        return -1;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && page_count < PAGES) {
        size_t length = strlen(entry->d_name);
        if (length < 6 || strcmp(entry->d_name + length - 5, ".html") != 0)
            continue;
        struct page *page = &pages[page_count++];
        snprintf(page->name, sizeof page->name, "%s", entry->d_name);
        char path[300];
        snprintf(path, sizeof path, "build/html/%s", entry->d_name);
        struct tl_text text = {0};
        if (tl_read_file(path, &text) == -1)
            return -1;
        page->html = text.data;
    }
    closedir(dir);
    return page_count > 0 ? 0 : -1;
}

static const char *page_html(const char *name)
{
    for (size_t i = 0; i < page_count; i++)
        if (strcmp(pages[i].name, name) == 0)
            return pages[i].html;
    return NULL;
}

/* The build manual's pages, build/html/construcao/NAME.html, read by the
 * tests that need them. */
static struct page manual_pages[PAGES];
static size_t manual_page_count;

static void load_manual_pages(void)
{
    if (manual_page_count > 0)
        return;
    DIR *dir = opendir("build/html/construcao");
    if (dir == NULL)
        fail_msg("no build/html/construcao/, the build manual's pages: %s (make html)",
                 strerror(errno));
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && manual_page_count < PAGES) {
        size_t length = strlen(entry->d_name);
        if (length < 6 || strcmp(entry->d_name + length - 5, ".html") != 0)
            continue;
        struct page *page = &manual_pages[manual_page_count++];
        snprintf(page->name, sizeof page->name, "%s", entry->d_name);
        char path[300];
        snprintf(path, sizeof path, "build/html/construcao/%s", entry->d_name);
        page->html = read_or_fail(path);
    }
    closedir(dir);
}

static const char *manual_html(const char *name)
{
    load_manual_pages();
    for (size_t i = 0; i < manual_page_count; i++)
        if (strcmp(manual_pages[i].name, name) == 0)
            return manual_pages[i].html;
    return NULL;
}

/* HTML text to plain text: &amp; &lt; &gt; &quot; &#39; &#160; undone. */
static void unescape(char *text)
{
    static const char *const entities[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},         {"&quot;", "\""},
        {"&#39;", "'"}, {"&#x27;", "'"}, {"&#160;", "\xc2\xa0"}};
    char *out = text;
    for (const char *in = text; *in != '\0';) {
        size_t e = 0;
        for (; e < sizeof entities / sizeof entities[0]; e++)
            if (strncmp(in, entities[e][0], strlen(entities[e][0])) == 0)
                break;
        if (e < sizeof entities / sizeof entities[0]) {
            size_t n = strlen(entities[e][1]);
            memmove(out, entities[e][1], n);
            out += n;
            in += strlen(entities[e][0]);
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
}

/* text as HTML escapes it (tools/html/nwhtml: Python's html.escape). */
static void escape(const char *text, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = text; *p != '\0' && n + 7 < size; p++) {
        const char *entity = *p == '&'    ? "&amp;"
                             : *p == '<'  ? "&lt;"
                             : *p == '>'  ? "&gt;"
                             : *p == '"'  ? "&quot;"
                             : *p == '\'' ? "&#x27;"
                                          : NULL;
        if (entity != NULL) {
            memcpy(out + n, entity, strlen(entity));
            n += strlen(entity);
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

/* The value of attribute name in the tag that starts at tag, or "". */
static void attribute(const char *tag, const char *name, char *value, size_t size)
{
    const char *end = strchr(tag, '>');
    char pattern[64];
    snprintf(pattern, sizeof pattern, " %s=\"", name);
    const char *at = strstr(tag, pattern);
    value[0] = '\0';
    if (at == NULL || (end != NULL && at > end))
        return;
    at += strlen(pattern);
    size_t length = strcspn(at, "\"");
    if (length >= size)
        length = size - 1;
    memcpy(value, at, length);
    value[length] = '\0';
}

/* Whether page has an element with id="id" whose tag has class "cls"
 * (cls NULL: any element). */
static int has_id(const char *html, const char *id, const char *cls)
{
    char pattern[400];
    snprintf(pattern, sizeof pattern, " id=\"%s\"", id);
    const char *at = strstr(html, pattern);
    if (at == NULL)
        return 0;
    if (cls == NULL)
        return 1;
    const char *tag = at;
    while (tag > html && *tag != '<')
        tag--;
    char classes[200];
    attribute(tag, "class", classes, sizeof classes);
    return strstr(classes, cls) != NULL;
}

/* The names NN-slug of DIR/NN-*.nw (chapters/, manual/). */
static size_t nw_names(const char *folder, char names[][128], size_t size)
{
    DIR *dir = opendir(folder);
    assert_non_null(dir);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < size) {
        size_t length = strlen(entry->d_name);
        if (length > 6 && entry->d_name[0] >= '0' && entry->d_name[0] <= '9' &&
            strcmp(entry->d_name + length - 3, ".nw") == 0)
            snprintf(names[count++], 128, "%.*s", (int)(length - 3), entry->d_name);
    }
    closedir(dir);
    return count;
}

/* The chapters' names, NN-slug, from chapters/NN-*.nw. */
static size_t chapter_names(char names[][128], size_t size)
{
    return nw_names("chapters", names, size);
}

static void every_chapter_has_its_page(void **state)
{
    (void)state;
    char names[32][128];
    size_t count = chapter_names(names, 32);
    assert_true(count >= 7); /* six chapters and the lab appendix */
    const char *index = page_html("index.html");
    if (index == NULL)
        fail_msg("build/html/index.html is missing");
    for (size_t i = 0; i < count; i++) {
        char file[160];
        snprintf(file, sizeof file, "%.127s.html", names[i]);
        const char *html = page_html(file);
        if (html == NULL)
            fail_msg("chapters/%s.nw has no page build/html/%s", names[i], file);
        if (strstr(html, "<html lang=\"pt-BR\">") == NULL ||
            strstr(html, "<meta charset=\"utf-8\">") == NULL ||
            strstr(html, "name=\"viewport\"") == NULL)
            fail_msg("%s: no lang=\"pt-BR\", charset or viewport", file);
        /* Its heading: "Capítulo N" for NN < 90, "Apêndice X" after. */
        const char *word = strncmp(names[i], "9", 1) == 0 ? "Apêndice" : "Capítulo";
        if (strstr(html, "<h1") == NULL || strstr(html, word) == NULL)
            fail_msg("%s: no <h1> with \"%s\"", file, word);
        char link[200];
        snprintf(link, sizeof link, "href=\"%s\"", file);
        if (strstr(index, link) == NULL)
            fail_msg("index.html does not link to %s", file);
        if (strstr(html, "rel=\"prev\"") == NULL)
            fail_msg("%s has no link to the previous page", file);
    }
    printf("%zu chapter pages\n", count);
}

static void every_chunk_use_reaches_its_chunk(void **state)
{
    (void)state;
    size_t links = 0, across = 0;
    for (size_t i = 0; i < page_count; i++) {
        const char *html = pages[i].html;
        for (const char *at = strstr(html, "<a class=\"chunk-use\""); at != NULL;
             at = strstr(at + 1, "<a class=\"chunk-use\"")) {
            char href[400];
            attribute(at, "href", href, sizeof href);
            char *hash = strchr(href, '#');
            if (hash == NULL)
                fail_msg("%s: a chunk use without #id: %s", pages[i].name, href);
            *hash = '\0';
            const char *target = href[0] == '\0' ? html : page_html(href);
            if (target == NULL)
                fail_msg("%s: a chunk use points to %s, no such page", pages[i].name, href);
            if (strncmp(hash + 1, "chunk-", 6) != 0 || !has_id(target, hash + 1, "chunk"))
                fail_msg("%s: a chunk use points to %s#%s, no chunk there", pages[i].name,
                         href[0] ? href : pages[i].name, hash + 1);
            links++;
            across += href[0] != '\0';
        }
    }
    printf("%zu chunk uses, %zu of them to another page\n", links, across);
    assert_true(links >= 100);
    assert_true(across >= 20);
}

/* A chunk chapter 1 defines and chapter 5 uses, found in the .nw. */
static void a_chunk_of_chapter_1_used_in_chapter_5_links_back(void **state)
{
    (void)state;
    char *one = read_or_fail("chapters/01-revisao-cliente-servidor.nw");
    char *five = read_or_fail("chapters/05-servidor-concorrente.nw");
    size_t checked = 0;
    for (char *line = one; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        size_t length = next ? (size_t)(next - line) : strlen(line);
        if (length > 5 && strncmp(line, "<<", 2) == 0 &&
            strncmp(line + length - 3, ">>=", 3) == 0) {
            char use[300];
            snprintf(use, sizeof use, "%.*s", (int)(length - 1), line); /* "<<name>>" */
            const char *at = strstr(five, use);
            if (at != NULL && at[strlen(use)] != '=') {
                char raw[300], name[600], link[700];
                snprintf(raw, sizeof raw, "%.*s", (int)(length - 5), line + 2);
                escape(raw, name, sizeof name);
                snprintf(link, sizeof link, "href=\"01-revisao-cliente-servidor.html#");
                const char *page5 = page_html("05-servidor-concorrente.html");
                assert_non_null(page5);
                int found = 0;
                for (const char *a = strstr(page5, link); a != NULL;
                     a = strstr(a + 1, link)) {
                    const char *text = strchr(a, '>');
                    if (text != NULL && strncmp(text + 1, name, strlen(name)) == 0 &&
                        strncmp(text + 1 + strlen(name), "</a>", 4) == 0) {
                        char id[300];
                        snprintf(id, sizeof id, "%.*s", (int)strcspn(a + strlen(link), "\""),
                                 a + strlen(link));
                        if (!has_id(page_html("01-revisao-cliente-servidor.html"), id,
                                    "chunk"))
                            fail_msg("<<%s>> in chapter 5 links to #%s, not in chapter 1",
                                     name, id);
                        found = 1;
                        break;
                    }
                }
                if (!found)
                    fail_msg("chapter 5's page has no link to chapter 1's <<%s>>", name);
                checked++;
            }
        }
        line = next ? next + 1 : NULL;
    }
    printf("%zu chunks of chapter 1 used in chapter 5 link back\n", checked);
    assert_true(checked >= 1);
    free(one);
    free(five);
}

/* The page without its <pre> and <code> elements (code may show a
 * backslash), its tags kept. */
static char *outside_code(const char *html)
{
    char *out = malloc(strlen(html) + 1), *o = out;
    assert_non_null(out);
    for (const char *p = html; *p != '\0';) {
        const char *close = NULL;
        if (strncmp(p, "<pre", 4) == 0 && (p[4] == '>' || p[4] == ' '))
            close = "</pre>";
        else if (strncmp(p, "<code", 5) == 0 && (p[5] == '>' || p[5] == ' '))
            close = "</code>";
        if (close != NULL) {
            const char *end = strstr(p, close);
            assert_non_null(end);
            p = end + strlen(close);
            continue;
        }
        *o++ = *p++;
    }
    *o = '\0';
    return out;
}

static void no_latex_command_or_placeholder_is_left(void **state)
{
    (void)state;
    for (size_t i = 0; i < page_count; i++) {
        char *text = outside_code(pages[i].html);
        for (const char *p = strchr(text, '\\'); p != NULL; p = strchr(p + 1, '\\'))
            if ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z'))
                fail_msg("%s has a LaTeX command in its text: \"%.40s\"", pages[i].name, p);
        if (strstr(pages[i].html, "NWX") != NULL)
            fail_msg("%s has a placeholder of the pipeline: \"%.40s\"", pages[i].name,
                     strstr(pages[i].html, "NWX"));
        free(text);
    }
}

/* The text of the next cell (<th> or <td>) from *at, before limit;
 * 0 when there is none. */
static int next_cell(const char **at, const char *limit, char *cell, size_t size)
{
    const char *start = NULL;
    for (const char *const *tag = (const char *const[]){"<th>", "<th ", "<td>", "<td ", NULL};
         *tag != NULL; tag++) {
        const char *found = strstr(*at, *tag);
        if (found != NULL && (start == NULL || found < start))
            start = found;
    }
    if (start == NULL || start > limit)
        return 0;
    const char *text = strchr(start, '>') + 1;
    const char *end = strstr(text, "</t");
    assert_non_null(end);
    snprintf(cell, size, "%.*s", (int)(end - text), text);
    unescape(cell);
    *at = end;
    return 1;
}

static void result_tables_are_their_tsv(void **state)
{
    (void)state;
    size_t tables = 0;
    for (size_t i = 0; i < page_count; i++) {
        for (const char *at = strstr(pages[i].html, "<table class=\"result\""); at != NULL;
             at = strstr(at + 1, "<table class=\"result\"")) {
            char source[300];
            attribute(at, "data-source", source, sizeof source);
            if (source[0] == '\0')
                fail_msg("%s: a result table without data-source", pages[i].name);
            char *tsv = read_or_fail(source);
            const char *end = strstr(at, "</table>");
            const char *cursor = strchr(at, '>'); /* the rows follow the opening tag */
            assert_non_null(end);
            assert_non_null(cursor);
            size_t rows = 0;
            for (char *line = tsv; line != NULL && *line != '\0';) {
                char *newline = strchr(line, '\n');
                if (newline != NULL)
                    *newline = '\0';
                if (*line != '#' && *line != '\0') {
                    rows++;
                    for (char *cell = line;;) {
                        char *tab = strchr(cell, '\t');
                        if (tab != NULL)
                            *tab = '\0';
                        char shown[400];
                        if (!next_cell(&cursor, end, shown, sizeof shown))
                            fail_msg("%s: the table of %s ends before \"%s\"", pages[i].name,
                                     source, cell);
                        if (strcmp(shown, cell) != 0)
                            fail_msg(
                                "%s: the table of %s shows \"%s\" where the TSV has \"%s\"",
                                pages[i].name, source, shown, cell);
                        if (tab == NULL)
                            break;
                        cell = tab + 1;
                    }
                }
                line = newline ? newline + 1 : NULL;
            }
            char extra[400];
            if (next_cell(&cursor, end, extra, sizeof extra))
                fail_msg("%s: the table of %s has a cell \"%s\" the TSV has not",
                         pages[i].name, source, extra);
            assert_true(rows >= 2);
            free(tsv);
            tables++;
        }
    }
    /* Every \resulttable of the prose has its table. */
    struct tl_proc run;
    int status = tl_sh(&run, 30,
                       "awk '/^<<.*>>=[ \\t]*$/ {c=1; next} /^@([ \\t]|$)/ {c=0; next} !c' "
                       "chapters/*.nw | grep -c '\\\\resulttable{build/'");
    assert_int_equal(status, 0);
    char count[32];
    snprintf(count, sizeof count, "%.*s", (int)strcspn(tl_text_str(&run.out), "\n"),
             tl_text_str(&run.out));
    long expected = tl_to_long(count, "the count of \\resulttable");
    printf("%zu result tables, each equal to its TSV (%ld in the .nw)\n", tables, expected);
    assert_int_equal((long)tables, expected);
    tl_proc_free(&run);
}

static void transcripts_and_figures_are_their_files(void **state)
{
    (void)state;
    size_t transcripts = 0, figures = 0;
    for (size_t i = 0; i < page_count; i++) {
        for (const char *at = strstr(pages[i].html, "<pre class=\"transcript"); at != NULL;
             at = strstr(at + 1, "<pre class=\"transcript")) {
            char source[300];
            attribute(at, "data-source", source, sizeof source);
            const char *start = strchr(at, '>') + 1, *end = strstr(start, "</pre>");
            assert_non_null(end);
            char *shown = malloc((size_t)(end - start) + 1);
            assert_non_null(shown);
            memcpy(shown, start, (size_t)(end - start));
            shown[end - start] = '\0';
            unescape(shown);
            char *file = read_or_fail(source);
            if (strcmp(shown, file) != 0)
                fail_msg("%s: the transcript of %s is not the file", pages[i].name, source);
            free(shown);
            free(file);
            transcripts++;
        }
        for (const char *at = strstr(pages[i].html, "<img class=\"figure\""); at != NULL;
             at = strstr(at + 1, "<img class=\"figure\"")) {
            char src[300], alt[2000];
            attribute(at, "src", src, sizeof src);
            attribute(at, "alt", alt, sizeof alt);
            if (strncmp(src, "figuras/", 8) != 0 || strlen(alt) < 20)
                fail_msg("%s: a figure %s without an alt text saying what it shows",
                         pages[i].name, src);
            figures++;
        }
    }
    printf("%zu transcripts equal to their files, %zu figures\n", transcripts, figures);
    assert_true(transcripts >= 20);
    assert_true(figures >= 5);
}

/* The pages as text: tags out, entities undone, white space single. */
static char *page_text(const char *html)
{
    char *out = malloc(strlen(html) + 1), *o = out;
    assert_non_null(out);
    int in_tag = 0;
    for (const char *p = html; *p != '\0'; p++) {
        if (*p == '<')
            in_tag = 1;
        else if (*p == '>')
            in_tag = 0;
        else if (!in_tag) {
            char c = (*p == '\n' || *p == '\t') ? ' ' : *p;
            if (!(c == ' ' && o > out && o[-1] == ' '))
                *o++ = c;
        }
    }
    *o = '\0';
    unescape(out);
    return out;
}

static void the_student_site_has_no_solution(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    struct tl_proc run;
    int status = tl_sh(&run, 30, "tests/solution-phrases solutions/[0-9][0-9]-*.nw");
    assert_int_equal(status, 0);
    const char *phrases = tl_text_str(&run.out);
    struct tl_proc roots_run;
    status = tl_sh(&roots_run, 30,
                   "sed -n 's/^<<\\(solucoes\\/[^>]*\\)>>=$/\\1/p' solutions/*.nw");
    assert_int_equal(status, 0);
    const char *roots = tl_text_str(&roots_run.out);
    assert_true(tl_count_lines(roots) >= 5);
    size_t count = 0;
    for (size_t i = 0; i < page_count; i++) {
        char *text = page_text(pages[i].html);
        if (strstr(text, "Solução do exercício") != NULL)
            fail_msg("%s has a solution's heading", pages[i].name);
        /* No solution's file: the roots <<solucoes/LABEL/FILE>> of solutions/. */
        for (const char *root = roots; *root != '\0';) {
            size_t length = strcspn(root, "\n");
            char name[300];
            snprintf(name, sizeof name, "%.*s", (int)length, root);
            if (strstr(text, name) != NULL)
                fail_msg("%s names %s, a solution's file", pages[i].name, name);
            root += length + (root[length] == '\n');
        }
        count = 0;
        for (const char *line = phrases; *line != '\0'; count++) {
            const char *tab = strchr(line, '\t'), *newline = strchr(line, '\n');
            if (tab == NULL || newline == NULL)
                break;
            char phrase[300];
            snprintf(phrase, sizeof phrase, "%.*s", (int)(newline - tab - 1), tab + 1);
            if (phrase[0] != '\0' && strstr(text, phrase) != NULL)
                fail_msg("%s has \"%s\", of the solution of %.*s", pages[i].name, phrase,
                         (int)(tab - line), line);
            line = newline + 1;
        }
        free(text);
    }
    printf("no page has any of the %zu solutions, or any of their %zu files\n", count,
           tl_count_lines(roots));
    assert_true(count >= 5);
    tl_proc_free(&run);
    tl_proc_free(&roots_run);
}

/* The numbers of one kind in the order a text lists them: after each
 * lead ("numberline {" in a LaTeX list, "\">Tabela " in index.html), up to
 * the first character of end. Space-separated, into out. */
static void numbers_after(const char *text, const char *lead, const char *end, char *out,
                          size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *at = strstr(text, lead); at != NULL; at = strstr(at + 1, lead)) {
        const char *number = at + strlen(lead);
        int length = (int)strcspn(number, end);
        int wrote = snprintf(out + n, size - n, "%s%.*s", n ? " " : "", length, number);
        if (wrote < 0 || (size_t)wrote >= size - n)
            fail_msg("too many numbers after \"%s\"", lead);
        n += (size_t)wrote;
    }
}

/* Tables, figures, transcripts, the seed's listings and the programs have
 * the PDF's numbers, in the PDF's order (its lists: build/latex/). */
static void the_contents_number_things_as_the_pdf(void **state)
{
    (void)state;
    static const char *const kinds[][2] = {{"lot", "Tabela"},
                                           {"lof", "Figura"},
                                           {"lotr", "Transcrição"},
                                           {"lolr", "Listagem"},
                                           {"lop", "Programa"}};
    const char *index = page_html("index.html");
    assert_non_null(index);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char path[64], lead[64], pdf[4000], html[4000];
        snprintf(path, sizeof path, "build/latex/workbook.%s", kinds[k][0]);
        char *list = read_or_fail(path);
        numbers_after(list, "numberline {", "}", pdf, sizeof pdf);
        snprintf(lead, sizeof lead, "\">%s ", kinds[k][1]);
        numbers_after(index, lead, "<", html, sizeof html);
        if (strcmp(pdf, html) != 0)
            fail_msg("the PDF numbers its %s list \"%s\", index.html \"%s\"", kinds[k][0],
                     pdf, html);
        if (pdf[0] == '\0')
            fail_msg("%s lists nothing", path);
        printf("%s: %s\n", kinds[k][1], html);
        free(list);
    }
}

/* Every exercise of tools/grade/exercises, with its label, stars and title,
 * on its chapter's page: "Exercício 2.3 ★★☆ Title.". */
static void every_exercise_has_its_label_and_title(void **state)
{
    (void)state;
    struct tl_proc run;
    int status = tl_sh(&run, 30, "tools/grade/exercises chapters/[0-9][0-9]-*.nw");
    assert_int_equal(status, 0);
    size_t count = 0;
    for (const char *line = tl_text_str(&run.out); *line != '\0'; count++) {
        char label[16], difficulty[4], title[300], where[256];
        if (sscanf(line, "%15[^\t]\t%3[^\t]\t%299[^\t]\t%255[^\n]", label, difficulty, title,
                   where) != 4)
            fail_msg("tools/grade/exercises wrote \"%s\"", line);
        char page[300];
        snprintf(page, sizeof page, "%.*s.html", (int)(strrchr(where, '.') - where - 9),
                 where + strlen("chapters/"));
        const char *html = page_html(page);
        if (html == NULL)
            fail_msg("exercise %s: no page %s", label, page);
        char *text = page_text(html);
        long stars = tl_to_long(difficulty, "the difficulty");
        char expected[400];
        snprintf(expected, sizeof expected, "Exercício\xc2\xa0%s %s%s%s %s.", label,
                 stars >= 1 ? "★" : "☆", stars >= 2 ? "★" : "☆", stars >= 3 ? "★" : "☆",
                 title);
        if (strstr(text, expected) == NULL)
            fail_msg("%s has no \"%s\"", page, expected);
        free(text);
        line = strchr(line, '\n');
        if (line == NULL)
            break;
        line++;
    }
    printf("%zu exercises, each with its label, stars and title\n", count);
    assert_true(count >= 20);
    tl_proc_free(&run);
}

/* Where the lab's results come from (this build, or a recorded run and
 * why): the PDF prints it from the lab's numbers.tsv, and so must the page. */
static void the_lab_says_where_its_results_come_from(void **state)
{
    (void)state;
    char *numbers = read_or_fail("build/results/90-laboratorio/numbers.tsv");
    const char *at = strstr(numbers, "lab-source\t");
    if (at == NULL || (at != numbers && at[-1] != '\n'))
        fail_msg("build/results/90-laboratorio/numbers.tsv has no lab-source");
    at += strlen("lab-source\t");
    char source[600];
    snprintf(source, sizeof source, "%.*s", (int)strcspn(at, "\n"), at);
    const char *html = page_html("90-laboratorio.html");
    assert_non_null(html);
    char *text = page_text(html);
    if (strstr(text, source) == NULL)
        fail_msg("90-laboratorio.html does not say \"%s\"", source);
    printf("the lab's page says its results are \"%s\"\n", source);
    free(text);
    free(numbers);
}

/* The text of a program's page: what its <pre class="program-code"> shows,
 * tags out, entities undone (the line numbers are CSS, not text). */
static char *program_page_code(const char *html, const char *path)
{
    const char *pre = strstr(html, "<pre class=\"program-code");
    const char *code = pre != NULL ? strstr(pre, "<code") : NULL;
    code = code != NULL ? strchr(code, '>') : NULL;
    const char *end = code != NULL ? strstr(code, "</code></pre>") : NULL;
    if (end == NULL)
        fail_msg("%s: no <pre class=\"program-code\"><code>...</code></pre>", path);
    char *out = malloc((size_t)(end - code) + 1), *o = out;
    assert_non_null(out);
    int in_tag = 0;
    for (const char *p = code + 1; p < end; p++) {
        if (*p == '<')
            in_tag = 1;
        else if (*p == '>')
            in_tag = 0;
        else if (!in_tag)
            *o++ = *p;
    }
    *o = '\0';
    unescape(out);
    return out;
}

/* One tangled C file: its page shows it whole, the list of programs links
 * to that page, and so does its root chunk (the chapter's
 * <p class="program"> before <<FILE>>) if the chapter defines it; 1 if it
 * does, 0 if its root is elsewhere (the build manual). */
static int program_has_its_page(const char *chapter, const char *file, const char *list)
{
    char path[700], href[600];
    snprintf(path, sizeof path, "build/tangle/%s/%s", chapter, file);
    char *tangled = read_or_fail(path);
    size_t length = strlen(tangled);
    if (length > 0 && tangled[length - 1] == '\n')
        tangled[length - 1] = '\0';
    snprintf(href, sizeof href, "programas/%s/%s.html", chapter, file);
    snprintf(path, sizeof path, "build/html/%s", href);
    char *html = read_or_fail(path);
    char *code = program_page_code(html, path);
    if (strcmp(code, tangled) != 0) {
        size_t at = 0;
        while (code[at] != '\0' && code[at] == tangled[at])
            at++;
        fail_msg("%s does not show build/tangle/%s/%s as it is: they differ at byte %zu",
                 path, chapter, file, at);
    }
    char link[620];
    snprintf(link, sizeof link, "href=\"%s\"", href);
    if (strstr(list, link) == NULL)
        fail_msg("programas.html does not link to %s", href);
    char page[300], root_line[300];
    snprintf(path, sizeof path, "chapters/%s.nw", chapter);
    char *source = read_or_fail(path);
    snprintf(root_line, sizeof root_line, "\n<<%s>>=\n", file);
    int in_book = strstr(source, root_line) != NULL;
    free(source);
    if (!in_book) {
        free(code);
        free(html);
        free(tangled);
        return 0;
    }
    snprintf(page, sizeof page, "%s.html", chapter);
    const char *chapter_html = page_html(page);
    if (chapter_html == NULL)
        fail_msg("build/tangle/%s has no chapter page %s", chapter, page);
    const char *at = strstr(chapter_html, link);
    if (at == NULL)
        fail_msg("%s: the root chunk of %s does not link to %s", page, file, href);
    /* The link is in the program's line, just before its root chunk. */
    static const char program_line[] = "<p class=\"program\">";
    const char *line = at;
    while (line > chapter_html && strncmp(line, program_line, sizeof program_line - 1) != 0)
        line--;
    char named[300], root[300];
    snprintf(named, sizeof named, "<code>%s</code>", file);
    snprintf(root, sizeof root, "\xe2\x9f\xa8%s\xe2\x9f\xa9", file); /* ⟨FILE⟩ */
    const char *line_end = strstr(line, "</p>");
    const char *heading = strstr(at, "<h4 class=\"chunk-name\">");
    const char *heading_end = heading != NULL ? strstr(heading, "</h4>") : NULL;
    const char *in_root = heading != NULL ? strstr(heading, root) : NULL;
    const char *in_line = strstr(line, named);
    if (line == chapter_html || line_end == NULL || line_end < at || in_line == NULL ||
        in_line > line_end || in_root == NULL || in_root > heading_end)
        fail_msg("%s: the link to %s is not in the program line of the root chunk <<%s>>",
                 page, href, file);
    free(code);
    free(html);
    free(tangled);
    return 1;
}

/* Every C file the build tangles has its page, programas/NN-slug/FILE.html. */
static void every_program_has_its_whole_page(void **state)
{
    (void)state;
    const char *list = page_html("programas.html");
    if (list == NULL)
        fail_msg("build/html/programas.html, the list of programs, is missing");
    const char *index = page_html("index.html");
    assert_non_null(index);
    if (strstr(index, "href=\"programas.html\"") == NULL)
        fail_msg("index.html does not link to programas.html");
    DIR *tangle = opendir("build/tangle");
    if (tangle == NULL)
        fail_msg("no build/tangle: %s (make tangle)", strerror(errno));
    size_t count = 0, rooted = 0;
    struct dirent *chapter;
    while ((chapter = readdir(tangle)) != NULL) {
        if (chapter->d_name[0] < '0' || chapter->d_name[0] > '9')
            continue;
        char path[400];
        snprintf(path, sizeof path, "build/tangle/%s", chapter->d_name);
        DIR *dir = opendir(path);
        if (dir == NULL)
            continue;
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            size_t length = strlen(entry->d_name);
            if (length < 3 || strcmp(entry->d_name + length - 2, ".c") != 0)
                continue;
            rooted += (size_t)program_has_its_page(chapter->d_name, entry->d_name, list);
            count++;
        }
        closedir(dir);
    }
    closedir(tangle);
    printf(
        "%zu tangled C files, each shown whole on its page; %zu of them rooted in a chapter, "
        "which links to the page from its root chunk\n",
        count, rooted);
    assert_true(count >= 20);
}

/* Runs command, an HTML weave of a copy in dir with "\foo{bar}" on line 5
 * of file (relative to dir): it must fail with one line naming that line,
 * and leave no site; then dir goes. */
static void weave_fails_at_foo(const char *dir, const char *command, int seconds,
                               const char *file)
{
    struct tl_proc run;
    int status = tl_sh(&run, seconds, command);
    const char *err = tl_text_str(&run.err);
    if (status == 0)
        fail_msg("an unknown \\foo in %s did not fail the HTML weave", file);
    char expected[300];
    snprintf(expected, sizeof expected, "%s/%s:5: \\foo ", dir, file);
    if (strncmp(err, expected, strlen(expected)) != 0 || tl_count_lines(err) != 1)
        fail_msg("expected one line \"%s...\", got: %s", expected, err);
    char site[300];
    snprintf(site, sizeof site, "%s/site", dir);
    struct stat info;
    if (stat(site, &info) == 0)
        fail_msg("the failed weave left %s", site);
    tl_proc_free(&run);
    char remove[300];
    snprintf(remove, sizeof remove, "rm -rf '%s'", dir);
    tl_sh(&run, 30, remove);
    tl_proc_free(&run);
}

static void an_unknown_command_fails_with_its_line(void **state)
{
    (void)state;
    char dir[200], command[1200];
    assert_non_null(tl_mkdtemp(dir, sizeof dir, "test-html.XXXXXX"));
    /* Chapter 2 with "\foo{bar}" on its line 5, the others as they are. */
    snprintf(
        command, sizeof command,
        "cp chapters/*.nw '%s'/ && sed -i '5s/$/ \\\\foo{bar}/' '%s'/02-*.nw && "
        "tools/weave/weave -t html '%s/site' build/tools/nwpandoc build/nwline '%s'/*.nw",
        dir, dir, dir, dir);
    weave_fails_at_foo(dir, command, 60, "02-fronteiras-de-mensagens.nw");
}

static void an_unknown_command_in_the_manual_leaves_no_site(void **state)
{
    (void)state;
    char dir[200], command[2400];
    assert_non_null(tl_mkdtemp(dir, sizeof dir, "test-html.XXXXXX"));
    /* The manual's chapter 2 with "\foo{bar}" on its line 5. */
    snprintf(
        command, sizeof command,
        "mkdir '%s/chapters' '%s/manual' && cp chapters/*.nw '%s/chapters/' && "
        "cp manual/*.nw '%s/manual/' && sed -i '5s/$/ \\\\foo{bar}/' '%s'/manual/02-*.nw && "
        "tools/weave/weave -t html -e manual '%s/site' build/tools/nwpandoc build/nwline "
        "'%s'/chapters/*.nw",
        dir, dir, dir, dir, dir, dir, dir);
    weave_fails_at_foo(dir, command, 120, "manual/02-fronteiras-de-mensagens.nw");
}

/* Each file of the build manual has its page in construcao/, as a
 * chapter's: the book's CSS, a heading, the way back to the book; the
 * manual's contents link to it, and the book's index to the manual. */
static void every_manual_file_has_its_page(void **state)
{
    (void)state;
    char names[32][128];
    size_t count = nw_names("manual", names, 32);
    assert_true(count >= 7); /* the introduction, six chapters' experiments */
    const char *index = manual_html("index.html");
    if (index == NULL)
        fail_msg("build/html/construcao/index.html, the build manual's contents, is missing");
    for (size_t i = 0; i < count; i++) {
        char file[160];
        snprintf(file, sizeof file, "%.127s.html", names[i]);
        const char *html = manual_html(file);
        if (html == NULL)
            fail_msg("manual/%s.nw has no page build/html/construcao/%s", names[i], file);
        if (strstr(html, "<html lang=\"pt-BR\">") == NULL ||
            strstr(html, "<meta charset=\"utf-8\">") == NULL ||
            strstr(html, "name=\"viewport\"") == NULL)
            fail_msg("construcao/%s: no lang=\"pt-BR\", charset or viewport", file);
        if (strstr(html, "<link rel=\"stylesheet\" href=\"../assets/caderno.css\">") == NULL)
            fail_msg("construcao/%s: not styled by the book's ../assets/caderno.css", file);
        if (strstr(html, "<h1") == NULL || strstr(html, "Capítulo") == NULL)
            fail_msg("construcao/%s: no <h1> with \"Capítulo\"", file);
        if (strstr(html, "· Como o caderno é construído</title>") == NULL)
            fail_msg("construcao/%s: its title does not say it is the build manual's", file);
        if (strstr(html, "<a href=\"../index.html\">") == NULL)
            fail_msg("construcao/%s: no link back to the book (../index.html)", file);
        if (strstr(html, "rel=\"prev\"") == NULL)
            fail_msg("construcao/%s has no link to the previous page", file);
        char link[200];
        snprintf(link, sizeof link, "href=\"%s\"", file);
        if (strstr(index, link) == NULL)
            fail_msg("construcao/index.html does not link to %s", file);
    }
    static const char *const others[] = {"programas.html", "indice-trechos.html",
                                         "indice-identificadores.html"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (manual_html(others[i]) == NULL)
            fail_msg("build/html/construcao/%s is missing", others[i]);
    /* The book's index links to the manual, in its line of its own. */
    const char *book = page_html("index.html");
    assert_non_null(book);
    const char *line = strstr(book, "\n<p class=\"manual-link\">");
    if (line == NULL)
        fail_msg("index.html has no line <p class=\"manual-link\"> (the link to the build "
                 "manual)");
    const char *end = strchr(line + 1, '\n');
    const char *target = strstr(line, "<a href=\"construcao/index.html\">");
    if (target == NULL || (end != NULL && target > end))
        fail_msg("index.html's line <p class=\"manual-link\"> does not link to "
                 "construcao/index.html");
    printf("%zu files of manual/, each with its page in construcao/ (%zu pages there)\n",
           count, manual_page_count);
}

/* Whether the page NAME (in construcao/ if manual) has a chunk whose id is
 * ID. */
static int chunk_there(const char *name, const char *id, int manual)
{
    const char *html = manual ? manual_html(name) : page_html(name);
    return html != NULL && strncmp(id, "chunk-", 6) == 0 && has_id(html, id, "chunk");
}

/* A chunk the chapters define and the manual does not, used in
 * manual/NN-slug.nw, is the book's: the manual's page links to the book's. */
static void the_manual_links_to_the_book_s_chunks(void **state)
{
    (void)state;
    load_manual_pages();
    struct tl_proc run;
    /* "FILE<TAB>NAME": each use on a line of its own in manual/NN-slug.nw of a
     * chunk whose definitions are all in chapters/. */
    int status = tl_sh(
        &run, 30,
        "d=$(mktemp -d); sed -n 's/^<<\\(.*\\)>>=$/\\1/p' chapters/*.nw | sort -u > $d/book; "
        "sed -n 's/^<<\\(.*\\)>>=$/\\1/p' manual/*.nw | sort -u > $d/manual; "
        "for f in manual/*.nw; do sed -n 's/^[[:space:]]*<<\\(.*\\)>>[[:space:]]*$/\\1/p' $f "
        "| sort -u | "
        "  while IFS= read -r n; do "
        "    if grep -qxF -- \"$n\" $d/book && ! grep -qxF -- \"$n\" $d/manual; then "
        "      printf '%s\\t%s\\n' \"$(basename $f .nw)\" \"$n\"; fi; done; done; rm -rf $d");
    assert_int_equal(status, 0);
    const char *uses = tl_text_str(&run.out);
    size_t checked = 0;
    for (const char *line = uses; *line != '\0';) {
        size_t length = strcspn(line, "\n");
        const char *tab = memchr(line, '\t', length);
        assert_non_null(tab);
        char file[160], raw[300], name[600], needle[800];
        snprintf(file, sizeof file, "%.*s.html", (int)(tab - line), line);
        snprintf(raw, sizeof raw, "%.*s", (int)(length - (size_t)(tab + 1 - line)), tab + 1);
        escape(raw, name, sizeof name);
        const char *html = manual_html(file);
        if (html == NULL)
            fail_msg("no page construcao/%s", file);
        snprintf(needle, sizeof needle, "\">%s</a>⟩<span class=\"book-mark\">caderno, ",
                 name);
        const char *at = strstr(html, needle);
        if (at == NULL)
            fail_msg(
                "construcao/%s: the use of the book's <<%s>> is not marked as the book's",
                file, raw);
        const char *lead = "<a class=\"chunk-use book-chunk\" href=\"../";
        const char *a = at;
        while (a > html && strncmp(a, lead, strlen(lead)) != 0)
            a--;
        char href[400];
        snprintf(href, sizeof href, "%.*s", (int)(at - (a + strlen(lead))), a + strlen(lead));
        char *hash = strchr(href, '#');
        if (a == html || hash == NULL)
            fail_msg("construcao/%s: the book's <<%s>> has no link ../PAGE#chunk-...", file,
                     raw);
        *hash = '\0';
        if (!chunk_there(href, hash + 1, 0))
            fail_msg("construcao/%s: the book's <<%s>> links to ../%s#%s, no chunk there",
                     file, raw, href, hash + 1);
        checked++;
        line += length + (line[length] == '\n');
    }
    tl_proc_free(&run);
    /* Every chunk-use link of the manual reaches its chunk: the book's in
     * the book's pages, the manual's in the manual's. */
    size_t links = 0, to_book = 0;
    for (size_t i = 0; i < manual_page_count; i++) {
        const char *html = manual_pages[i].html;
        for (const char *at = strstr(html, "<a class=\"chunk-use"); at != NULL;
             at = strstr(at + 1, "<a class=\"chunk-use")) {
            char href[400], classes[200];
            attribute(at, "href", href, sizeof href);
            attribute(at, "class", classes, sizeof classes);
            int book = strstr(classes, "book-chunk") != NULL;
            char *hash = strchr(href, '#');
            if (hash == NULL)
                fail_msg("construcao/%s: a chunk use without #id: %s", manual_pages[i].name,
                         href);
            *hash = '\0';
            if (book != (strncmp(href, "../", 3) == 0))
                fail_msg("construcao/%s: a chunk use to %s, class \"%s\"",
                         manual_pages[i].name, href, classes);
            const char *page = book ? href + 3 : href[0] ? href : manual_pages[i].name;
            if (!chunk_there(page, hash + 1, !book))
                fail_msg("construcao/%s: a chunk use points to %s#%s, no chunk there",
                         manual_pages[i].name, href, hash + 1);
            links++;
            to_book += (size_t)book;
        }
    }
    /* The book's list of programs is the student's: no experiment script. */
    const char *list = page_html("programas.html");
    assert_non_null(list);
    if (strstr(list, "<code>experiment.sh</code>") != NULL)
        fail_msg(
            "programas.html, the book's list of programs, lists the manual's experiment.sh");
    const char *manual_list = manual_html("programas.html");
    assert_non_null(manual_list);
    if (strstr(manual_list, "<code>experiment.sh</code>") == NULL)
        fail_msg("construcao/programas.html does not list the experiment scripts");
    printf(
        "%zu uses of the book's chunks in manual/ link to the book, marked; %zu chunk uses "
        "in the manual's pages, %zu of them to the book's\n",
        checked, links, to_book);
    assert_true(checked >= 5);
    assert_true(links >= 50);
    assert_true(to_book >= checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_chapter_has_its_page),
        cmocka_unit_test(every_chunk_use_reaches_its_chunk),
        cmocka_unit_test(a_chunk_of_chapter_1_used_in_chapter_5_links_back),
        cmocka_unit_test(no_latex_command_or_placeholder_is_left),
        cmocka_unit_test(result_tables_are_their_tsv),
        cmocka_unit_test(transcripts_and_figures_are_their_files),
        cmocka_unit_test(the_student_site_has_no_solution),
        cmocka_unit_test(the_contents_number_things_as_the_pdf),
        cmocka_unit_test(every_exercise_has_its_label_and_title),
        cmocka_unit_test(the_lab_says_where_its_results_come_from),
        cmocka_unit_test(every_program_has_its_whole_page),
        cmocka_unit_test(an_unknown_command_fails_with_its_line),
        cmocka_unit_test(every_manual_file_has_its_page),
        cmocka_unit_test(the_manual_links_to_the_book_s_chunks),
        cmocka_unit_test(an_unknown_command_in_the_manual_leaves_no_site),
    };
    return cmocka_run_group_tests(tests, load_pages, NULL);
}
