/* test-grade: the autograder (tools/grade/grade, make grade) graded.
 *
 * - `make grade` lists at least five gradable exercises, each with the
 *   label and title the book prints (tools/grade/exercises);
 * - for every gradable exercise (tests/grade/LABEL/), a class of
 *   submissions graded as a folder: the reference solution from the
 *   chapter (build/solutions/LABEL/) passes every test; each wrong variant
 *   of solutions/wrong/LABEL/ fails, and its first failure is the one
 *   its first line announces ("expect: TEST: reason"); an empty file does
 *   not link and a broken one does not compile. The CSV has one line per
 *   file. A variant is a small file of its own (NAME.c), or a patch
 *   (NAME.patch) to the reference solution, or to the file its "base:"
 *   line names: the variant stays one idea away from the book's code as
 *   the book changes, and a patch that no longer applies fails the test;
 * - one file: exit status 0 and "score N/N" for the reference, 1 for a
 *   wrong variant;
 * - a hostile submission, which tries to read the reference solution and
 *   another student's file, write the grades and outside its directory,
 *   fork without limit and reach another address, and otherwise answers
 *   right: none of it works, so it scores full marks (its 0.3 s of CPU
 *   done within the time limit while a fork bomb spins beside it) and the
 *   rest of the class is graded as before; a fork bomb that never ends fails (hung,
 *   or processes left behind) and leaves no process behind. Needs root
 *   (namespaces, another user): skipped with the reason otherwise.
 *
 * - without root (as nobody when run as root), the grader says what is
 *   not isolated, grades the references of 2.3 and 5.1 in full, and
 *   fails and kills a submission that leaves a process behind.
 *
 * Runs from the repository root after make solutions. In a copy without
 * solutions/ (the one published for students) every test skips, saying
 * so: the grader's references are the solutions. */
#include "testlib.h"

#include <dirent.h>
#include <ifaddrs.h>

/* Paths are built in fixed buffers far larger than any path here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static char class_dir[] = "/tmp/workbook-grade-class.XXXXXX";
static int class_made; /* class_dir exists, and is ours to remove */
/* The folder of the grading without root, removed at the end. */
static char nonroot_dir[] = "/tmp/workbook-grade-nonroot.XXXXXX";
static int nonroot_made;
/* The hostile class's folder, removed at the end. */
static char hostile_dir[] = "/tmp/workbook-grade-hostile.XXXXXX";
static int hostile_made;

static void read_lines_of(const char *command, char lines[][256], size_t *count, size_t max)
{
    FILE *pipe = popen(command, "r"); /* NOLINT(cert-env33-c): a shell command, on purpose */
    assert_non_null(pipe);
    *count = 0;
    while (*count < max && fgets(lines[*count], 256, pipe) != NULL) {
        lines[*count][strcspn(lines[*count], "\n")] = '\0';
        (*count)++;
    }
    pclose(pipe);
}

/* The gradable labels: tests/grade/LABEL/grade.conf. */
static char labels[32][256];
static size_t label_count;

static int find_labels(void **state)
{
    (void)state;
    read_lines_of("ls tests/grade/*/grade.conf | sed 's|tests/grade/||; s|/grade.conf||'",
                  labels, &label_count, 32);
    return 0;
}

static void lists_the_gradable_exercises(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    struct tl_proc grade;
    assert_int_equal(tl_runl(&grade, 30, "tools/grade/grade", (const char *)NULL), 0);
    const char *out = tl_text_str(&grade.out);
    if (tl_count_lines(out) < 5)
        fail_msg("make grade lists %zu exercises, expected at least 5:\n%s",
                 tl_count_lines(out), out);
    static char book[64][256];
    size_t book_count;
    read_lines_of("tools/grade/exercises chapters/[0-9][0-9]-*.nw | cut -f 1,3", book,
                  &book_count, 64);
    for (size_t i = 0; i < label_count; i++) {
        char expected[300] = "";
        for (size_t j = 0; j < book_count; j++) {
            char *tab = strchr(book[j], '\t');
            if (tab != NULL && (size_t)(tab - book[j]) == strlen(labels[i]) &&
                strncmp(book[j], labels[i], strlen(labels[i])) == 0)
                snprintf(expected, sizeof expected, "%-5s %s", labels[i], tab + 1);
        }
        if (expected[0] == '\0')
            fail_msg("tests/grade/%s/ has tests, but the book has no exercise %s", labels[i],
                     labels[i]);
        if (strstr(out, expected) == NULL)
            fail_msg("make grade does not list \"%s\":\n%s", expected, out);
    }
    tl_proc_free(&grade);
}

/* conf VALUE of tests/grade/LABEL/grade.conf. */
static void conf(const char *label, const char *key, char *value, size_t size)
{
    char path[300];
    snprintf(path, sizeof path, "tests/grade/%s/grade.conf", label);
    struct tl_text text = {0};
    if (tl_read_file(path, &text) == -1)
        fail_msg("cannot read %s", path);
    char line[512];
    value[0] = '\0';
    for (size_t i = 0; tl_line(tl_text_str(&text), i, line, sizeof line) == 0; i++)
        if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == '=')
            snprintf(value, size, "%s", line + strlen(key) + 1);
    tl_text_free(&text);
}

/* One line of a grades CSV: "file",score,max,"first failure". */
struct grade_row {
    char file[128];
    int score, max;
    char first[512];
};

/* Copies a CSV field that starts after its opening quote, "" being one
 * quote, into out; returns where the closing quote is. */
static char *unquote(char *p, char *out)
{
    while (*p && !(p[0] == '"' && p[1] != '"')) {
        if (p[0] == '"')
            p++;
        *out++ = *p++;
    }
    *out = '\0';
    return p;
}

static size_t read_csv(const char *path, struct grade_row *rows, size_t max)
{
    struct tl_text text = {0};
    if (tl_read_file(path, &text) == -1)
        fail_msg("the grader wrote no %s", path);
    char line[1024];
    size_t count = 0;
    if (tl_line(tl_text_str(&text), 0, line, sizeof line) != 0 ||
        strcmp(line, "file,score,max,first failure") != 0)
        fail_msg("%s does not start with the line file,score,max,first failure", path);
    for (size_t i = 1; count < max && tl_line(tl_text_str(&text), i, line, sizeof line) == 0;
         i++) {
        struct grade_row *row = &rows[count++];
        char *p = unquote(line + 1, row->file);
        const char *rest = p;
        long score, max_score;
        if (tl_skip(&rest, "\",") != 0 || tl_scan_long(&rest, 10, &score) != 0 ||
            tl_skip(&rest, ",") != 0 || tl_scan_long(&rest, 10, &max_score) != 0 ||
            tl_skip(&rest, ",") != 0)
            fail_msg("%s: a line that is not \"file\",score,max,\"first\": %s", path, line);
        row->score = (int)score, row->max = (int)max_score;
        p = strchr(strchr(strchr(p, ',') + 1, ',') + 1, ',') + 2;
        unquote(p, row->first);
    }
    tl_text_free(&text);
    return count;
}

static void copy_file(const char *from, const char *to)
{
    struct tl_text text = {0};
    if (tl_read_file(from, &text) == -1)
        fail_msg("cannot read %s (make solutions?)", from);
    tl_write_file(to, tl_text_str(&text));
    tl_text_free(&text);
}

/* The first line of a wrong variant, "expect: TEST: reason" (in a comment
 * for a NAME.c): what its first failure must be. WRONG is the path
 * without .c or .patch. */
static void wrong_expectation(const char *wrong, char *expect, size_t size)
{
    char path[600];
    struct tl_text text = {0};
    snprintf(path, sizeof path, "%s.c", wrong);
    const char *format = "/* expect: %511[^\n]";
    if (tl_read_file(path, &text) == -1) {
        snprintf(path, sizeof path, "%s.patch", wrong);
        format = "expect: %511[^\n]";
        if (tl_read_file(path, &text) == -1)
            fail_msg("the class has a file for which %s.c or .patch is missing", wrong);
    }
    char line[512];
    if (size < sizeof line || sscanf(tl_text_str(&text), format, line) != 1)
        fail_msg("%s: no first line \"%sTEST: reason\"", path,
                 format[0] == '/' ? "/* expect: " : "expect: ");
    snprintf(expect, size, "%s", line);
    tl_text_free(&text);
}

/* Puts the wrong variants of LABEL into DIR as NAME.c: a NAME.c as it
 * is; a NAME.patch applied, exactly (no fuzz), to REFERENCE or to its
 * "base:" file. */
static void make_wrong_variants(const char *label, const char *reference, const char *dir)
{
    char wrong_dir[300];
    snprintf(wrong_dir, sizeof wrong_dir, "solutions/wrong/%s", label);
    DIR *listing = opendir(wrong_dir);
    if (listing == NULL)
        fail_msg("cannot list %s: every gradable exercise has wrong variants", wrong_dir);
    for (struct dirent *entry; (entry = readdir(listing)) != NULL;) {
        const char *name = entry->d_name;
        size_t length = strlen(name);
        char from[600], to[900];
        snprintf(from, sizeof from, "%s/%s", wrong_dir, name);
        if (length > 2 && strcmp(name + length - 2, ".c") == 0) {
            snprintf(to, sizeof to, "%s/%s", dir, name);
            copy_file(from, to);
        } else if (length > 6 && strcmp(name + length - 6, ".patch") == 0) {
            snprintf(to, sizeof to, "%s/%.*s.c", dir, (int)(length - 6), name);
            struct tl_text text = {0};
            assert_int_equal(tl_read_file(from, &text), 0);
            char base[512] = "", line[512];
            int has_diff = 0;
            for (size_t i = 0; tl_line(tl_text_str(&text), i, line, sizeof line) == 0; i++) {
                if (strncmp(line, "base: ", 6) == 0)
                    snprintf(base, sizeof base, "%s", line + 6);
                if (strncmp(line, "--- ", 4) == 0)
                    has_diff = 1;
            }
            tl_text_free(&text);
            if (base[0] == '\0')
                snprintf(base, sizeof base, "%s", reference);
            if (!has_diff) {
                copy_file(base, to);
                continue;
            }
            struct tl_proc patch;
            if (tl_runl(&patch, 30, "/usr/bin/patch", "--silent", "--fuzz=0", "--force",
                        "--reject-file=-", "-o", to, base, from, (const char *)NULL) != 0)
                fail_msg(
                    "%s no longer applies to %s (rewrite it against the book's code):\n%s%s",
                    from, base, tl_text_str(&patch.out), tl_text_str(&patch.err));
            tl_proc_free(&patch);
        }
    }
    closedir(listing);
}

static void every_exercise_grades_its_class(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    assert_non_null(mkdtemp(class_dir));
    class_made = 1;
    /* One class per exercise: the reference, the wrong variants, an empty
     * file and one that does not compile; graded all at once. */
    struct tl_text command = {0};
    for (size_t i = 0; i < label_count; i++) {
        const char *label = labels[i];
        char dir[512], from[512], to[600], solution[128];
        snprintf(dir, sizeof dir, "%s/%s", class_dir, label);
        assert_int_equal(mkdir(dir, 0755), 0);
        conf(label, "solution", solution, sizeof solution);
        snprintf(from, sizeof from, "build/solutions/%s/%s", label, solution);
        snprintf(to, sizeof to, "%s/reference.c", dir);
        copy_file(from, to);
        snprintf(to, sizeof to, "%s/empty.c", dir);
        tl_write_file(to, "");
        snprintf(to, sizeof to, "%s/broken.c", dir);
        tl_write_file(to, "int broken(void) {\n    return 0\n}\n");
        make_wrong_variants(label, from, dir);
    }
    tl_text_append(&command, "for ex in", strlen("for ex in"));
    for (size_t i = 0; i < label_count; i++) {
        tl_text_append(&command, " ", 1);
        tl_text_append(&command, labels[i], strlen(labels[i]));
    }
    char tail[512];
    snprintf(
        tail, sizeof tail,
        "; do GRADE_GRADES=%s/grades tools/grade/grade -j 3 $ex %s/$ex > %s/$ex.log 2>&1 & "
        "done; wait",
        class_dir, class_dir, class_dir);
    tl_text_append(&command, tail, strlen(tail));
    struct tl_proc grade;
    double started = tl_now();
    tl_sh(&grade, 280, tl_text_str(&command));
    tl_text_free(&command);
    printf("graded %zu classes in %.1f s\n", label_count, tl_now() - started);
    tl_proc_free(&grade);

    for (size_t i = 0; i < label_count; i++) {
        const char *label = labels[i];
        char path[512];
        snprintf(path, sizeof path, "%s/grades/%s.csv", class_dir, label);
        struct grade_row rows[32];
        size_t count = read_csv(path, rows, 32);
        size_t wrong = 0;
        for (size_t r = 0; r < count; r++) {
            struct grade_row *row = &rows[r];
            char expect[512] = "";
            if (strcmp(row->file, "reference.c") == 0) {
                if (row->score != row->max || row->max == 0)
                    fail_msg("%s: the reference solution scores %d/%d: %s", label, row->score,
                             row->max, row->first);
                continue;
            }
            if (strcmp(row->file, "empty.c") == 0)
                snprintf(expect, sizeof expect, "does not link");
            else if (strcmp(row->file, "broken.c") == 0)
                snprintf(expect, sizeof expect, "does not compile");
            else {
                wrong++;
                char wrong_path[512];
                snprintf(wrong_path, sizeof wrong_path, "solutions/wrong/%s/%.*s", label,
                         (int)(strlen(row->file) - 2), row->file);
                wrong_expectation(wrong_path, expect, sizeof expect);
            }
            if (row->score >= row->max)
                fail_msg("%s: %s passes every test (%d/%d)", label, row->file, row->score,
                         row->max);
            /* "TEST: detail": the first failure is TEST's, and says detail. */
            char *detail = strstr(expect, ": ");
            size_t test_length = detail != NULL ? (size_t)(detail - expect) : strlen(expect);
            if (strncmp(row->first, expect, test_length) != 0 ||
                (detail != NULL && strstr(row->first, detail + 2) == NULL))
                fail_msg("%s: %s fails first with \"%s\", expected \"%s\"", label, row->file,
                         row->first, expect);
        }
        if (count < wrong + 3 || wrong < 2)
            fail_msg(
                "%s: %zu lines in %s; expected the reference, an empty and a broken file "
                "and at least two wrong variants",
                label, count, path);
        printf("%s: reference passes, %zu wrong variants and 2 bad files fail as expected\n",
               label, wrong);
    }
}

static void one_file_sets_the_exit_status(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    struct tl_proc grade;
    char solution[128], path[300];
    conf("2.3", "solution", solution, sizeof solution);
    snprintf(path, sizeof path, "build/solutions/2.3/%s", solution);
    if (tl_runl(&grade, 60, "tools/grade/grade", "2.3", path, (const char *)NULL) != 0)
        fail_msg("grading the reference of 2.3 exits %d:\n%s", grade.status,
                 tl_text_str(&grade.out));
    if (strstr(tl_text_str(&grade.out), "score 9/9\n") == NULL)
        fail_msg("no \"score 9/9\" line:\n%s", tl_text_str(&grade.out));
    tl_proc_free(&grade);
    if (tl_runl(&grade, 60, "tools/grade/grade", "2.3", "solutions/wrong/2.3/one-recv.c",
                (const char *)NULL) != 1)
        fail_msg("grading a wrong variant exits %d, expected 1:\n%s", grade.status,
                 tl_text_str(&grade.out));
    tl_proc_free(&grade);
    if (tl_runl(&grade, 30, "tools/grade/grade", "9.9", path, (const char *)NULL) != 2 ||
        strstr(tl_text_str(&grade.err), "no exercise 9.9") == NULL)
        fail_msg("an exercise the book does not have: exit %d, stderr %s", grade.status,
                 tl_text_str(&grade.err));
    tl_proc_free(&grade);
    /* A scratch folder it cannot write: one line saying so, exit 2. */
    char command[600];
    snprintf(command, sizeof command,
             "GRADE_WORK=/proc/no-such-folder tools/grade/grade 2.3 %s", path);
    if (tl_sh(&grade, 30, command) != 2 ||
        strstr(tl_text_str(&grade.err),
               "grade: cannot write the scratch folder /proc/no-such-folder/2.3") == NULL)
        fail_msg("an unwritable GRADE_WORK: exit %d, stderr %s", grade.status,
                 tl_text_str(&grade.err));
    tl_proc_free(&grade);
}

/* An IPv4 address of this machine other than loopback, or "". */
static void outside_address(char *text, size_t size)
{
    text[0] = '\0';
    struct ifaddrs *list;
    if (getifaddrs(&list) == -1)
        return;
    for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next)
        if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
            !(i->ifa_flags & 0x8 /* IFF_LOOPBACK */) && text[0] == '\0')
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, text,
                      (socklen_t)size);
    freeifaddrs(list);
}

static const char hostile_source[] =
    "#define _POSIX_C_SOURCE 200809L\n"
    "#include <errno.h>\n#include <fcntl.h>\n#include <arpa/inet.h>\n"
    "#include <netinet/in.h>\n#include <poll.h>\n#include <string.h>\n"
    "#include <sys/socket.h>\n#include <sys/types.h>\n#include <sys/wait.h>\n"
    "#include <time.h>\n#include <unistd.h>\n"
    "/* Hostile on purpose: tries to escape, and answers right otherwise. */\n"
    "static int escaped = -1;\n"
    "static int try_read(const char *path) { int fd = open(path, O_RDONLY);\n"
    "    if (fd == -1) return 0; close(fd); return 1; }\n"
    "static int try_write(const char *path) {\n"
    "    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0666);\n"
    "    if (fd == -1) return 0; if (write(fd, \"HACKED\\n\", 7) < 0) return 0;\n"
    "    close(fd); return 1; }\n"
    "static int try_connect(const char *ip, int port) {\n"
    "    struct sockaddr_in a; memset(&a, 0, sizeof a); a.sin_family = AF_INET;\n"
    "    a.sin_port = htons((unsigned short)port);\n"
    "    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) return 0;\n"
    "    int fd = socket(AF_INET, SOCK_STREAM, 0); if (fd == -1) return 0;\n"
    "    fcntl(fd, F_SETFL, O_NONBLOCK);\n"
    "    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) { close(fd); return 1; }\n"
    "    if (errno != EINPROGRESS) { close(fd); return 0; }\n"
    "    struct pollfd p = {fd, POLLOUT, 0}; int e = 1; socklen_t l = sizeof e;\n"
    "    if (poll(&p, 1, 1000) == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);\n"
    "    close(fd); return e == 0; }\n"
    "static int try_forks(void) { int n = 0;\n"
    "    for (int i = 0; i < 300; i++) { pid_t pid = fork();\n"
    "        if (pid == 0) { struct timespec t = {0, 300000000}; nanosleep(&t, 0); _exit(0); "
    "}\n"
    "        if (pid == -1) break; n++; }\n"
    "    while (wait(0) > 0) continue; return n >= 300; }\n"
    "/* 0.3 s of CPU: beside the fork bomb, which spins in 64 processes, it\n"
    " * must still get its share and end within the time limit. */\n"
    "static void burn(void) { clock_t start = clock();\n"
    "    while (clock() - start < CLOCKS_PER_SEC * 3 / 10) continue; }\n"
    "static void attack(void) { escaped = 0; burn();\n"
    "    if (try_read(ROOT \"/build/solutions/2.3/recv-counted.c\")) escaped |= 1;\n"
    "    if (try_read(CLASS \"/victim.c\")) escaped |= 2;\n"
    "    if (try_write(ROOT \"/build/grades/2.3.csv\") | try_write(CLASS "
    "\"/grades/2.3.csv\"))\n"
    "        escaped |= 4;\n"
    "    if (try_write(ROOT \"/build/escaped-from-the-grader\") | "
    "try_write(\"/etc/escaped\"))\n"
    "        escaped |= 8;\n"
    "    if (try_forks()) escaped |= 16;\n"
    "    if (OUTSIDE[0] && try_connect(OUTSIDE, PORT)) escaped |= 32;\n"
    "}\n"
    "size_t recv_counted(int fd, void *buffer, size_t n, int *error) {\n"
    "    if (escaped < 0) attack();\n"
    "    if (escaped) { *error = 0; return 424200 + (size_t)escaped; }\n"
    "    size_t total = 0; *error = 0;\n"
    "    while (total < n) { ssize_t got = recv(fd, (char *)buffer + total, n - total, 0);\n"
    "        if (got == -1) { if (errno == EINTR) continue; *error = errno; break; }\n"
    "        if (got == 0) break; total += (size_t)got; }\n"
    "    return total; }\n";

static int processes_of_grading_users(void)
{
    struct tl_proc ps;
    /* Only the users no grading holds now (tools/grade/grade's slot locks): a
     * grading that runs meanwhile, in another tree, has processes too. */
    tl_sh(&ps, 10,
          "for uid in $(ps -e -o uid= | awk '$1 >= 61000 && $1 < 65000' | sort -u); do "
          "  lock=${GRADE_SLOTS:-/tmp/workbook-grade-slots}/$((uid - 61000)); "
          "  if [ ! -e \"$lock\" ] || flock -n \"$lock\" true; then ps -u \"$uid\" -o pid=; "
          "fi; "
          "done | wc -l | tr -d '\\n'");
    int count = (int)tl_to_long(tl_text_str(&ps.out), "the count of processes");
    tl_proc_free(&ps);
    return count;
}

static void a_hostile_submission_stays_inside(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    if (geteuid() != 0)
        skip(); /* printed below: the sandbox needs root */
    char *class = hostile_dir;
    assert_non_null(mkdtemp(class));
    hostile_made = 1;
    char path[512], cwd[400], outside[64];
    assert_non_null(getcwd(cwd, sizeof cwd));
    outside_address(outside, sizeof outside);
    /* A listener on every address: a connection to the outside address
     * would wait in its queue. */
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any;
    memset(&any, 0, sizeof any);
    any.sin_family = AF_INET;
    socklen_t length = sizeof any;
    assert_int_equal(bind(listener, (struct sockaddr *)&any, sizeof any), 0);
    assert_int_equal(listen(listener, 8), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&any, &length), 0);

    struct tl_text source = {0};
    char header[1400];
    snprintf(header, sizeof header,
             "#define ROOT \"%s\"\n#define CLASS \"%s\"\n#define OUTSIDE \"%s\"\n"
             "#define PORT %u\n",
             cwd, class, outside, (unsigned)ntohs(any.sin_port));
    tl_text_append(&source, header, strlen(header));
    tl_text_append(&source, hostile_source, strlen(hostile_source));
    snprintf(path, sizeof path, "%s/hostile.c", class);
    tl_write_file(path, tl_text_str(&source));
    tl_text_free(&source);
    snprintf(path, sizeof path, "%s/victim.c", class);
    copy_file("build/solutions/2.3/recv-counted.c", path);
    snprintf(path, sizeof path, "%s/bomb.c", class);
    tl_write_file(path, "#define _POSIX_C_SOURCE 200809L\n#include <stddef.h>\n"
                        "#include <unistd.h>\n"
                        "size_t recv_counted(int fd, void *b, size_t n, int *e)\n"
                        "{ (void)fd, (void)b, (void)n, (void)e; for (;;) fork(); }\n");
    snprintf(path, sizeof path, "%s/grades", class);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/grades/2.3.csv", class);
    tl_write_file(path, "before\n");
    struct stat before;
    int had_grades = stat("build/grades/2.3.csv", &before) == 0;

    char command[1200];
    snprintf(command, sizeof command, "GRADE_GRADES=%s/out tools/grade/grade -j 3 2.3 %s",
             class, class);
    struct tl_proc grade;
    double started = tl_now();
    tl_sh(&grade, 250, command);
    printf("a hostile class of 3 graded in %.1f s\n", tl_now() - started);
    snprintf(path, sizeof path, "%s/out/2.3.csv", class);
    struct grade_row rows[8];
    size_t count = read_csv(path, rows, 8);
    if (count != 3)
        fail_msg("%zu lines in the grades, expected 3:\n%s", count, tl_text_str(&grade.out));
    for (size_t i = 0; i < count; i++) {
        struct grade_row *row = &rows[i];
        if (strcmp(row->file, "bomb.c") == 0) {
            if (row->score != 0 || (strstr(row->first, "hung") == NULL &&
                                    strstr(row->first, "left processes") == NULL &&
                                    strstr(row->first, "crashed") == NULL))
                fail_msg("the fork bomb scored %d/%d: %s", row->score, row->max, row->first);
        } else if (row->score != row->max) {
            /* 424200 + k: attack k worked (1 solutions, 2 another student's
             * file, 4 the grades, 8 outside its directory, 16 the process
             * limit, 32 the network). */
            fail_msg("%s scored %d/%d: %s", row->file, row->score, row->max, row->first);
        }
    }
    struct tl_text text = {0};
    snprintf(path, sizeof path, "%s/grades/2.3.csv", class);
    assert_int_equal(tl_read_file(path, &text), 0);
    assert_string_equal(tl_text_str(&text), "before\n");
    tl_text_free(&text);
    struct stat after;
    if (had_grades &&
        (stat("build/grades/2.3.csv", &after) != 0 || after.st_mtime != before.st_mtime))
        fail_msg("build/grades/2.3.csv changed");
    if (access("build/escaped-from-the-grader", F_OK) == 0 ||
        access("/etc/escaped", F_OK) == 0)
        fail_msg("a file was written outside the submission's directory");
    fcntl(listener, F_SETFL, O_NONBLOCK);
    int reached = accept(listener, NULL, NULL);
    if (reached != -1)
        fail_msg("a submission reached %s, an address other than loopback", outside);
    close(listener);
    int left = processes_of_grading_users();
    if (left != 0)
        fail_msg("%d processes of the grading users are still running", left);
    printf("hostile: solutions, another student's file, grades, files outside, "
           "fork limit, network to %s: all refused\n",
           outside[0] ? outside : "(no outside address)");
    tl_proc_free(&grade);
}

/* Without root the grader still grades, with only the limits, and says
 * so: as root, it is run as nobody (65534); otherwise as the caller. The
 * reference solutions of 2.3 (a function) and 5.1 (a program) score full
 * marks; a submission that leaves a process behind in each test fails
 * with that reason, and nothing of it is left running. */
static void grades_without_root_and_says_so(void **state)
{
    (void)state;
    TL_SKIP_WITHOUT_SOLUTIONS();
    const char *as_nobody =
        geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
    /* As nobody, tried: the grader goes to the repository by its absolute
     * path, which a folder on the way may close to others (a clone in
     * mktemp -d); then it reads the chapters and the tests. */
    char top[400], why[1200];
    assert_non_null(getcwd(top, sizeof top));
    if (geteuid() == 0 && !tl_nobody_can_enter(top, why, sizeof why)) {
        printf("skip: %s\n", why);
        skip();
    }
    struct tl_proc check;
    char command[2400];
    snprintf(
        command, sizeof command,
        "%stest -r chapters/01-revisao-cliente-servidor.nw -a -x tools/grade/grade -a -r "
        "tests/grade/grade.h",
        as_nobody);
    if (tl_sh(&check, 10, command) != 0) {
        tl_proc_free(&check);
        printf("skip: user nobody cannot read the repository's files in %s (a clone made "
               "with umask 077?)\n",
               top);
        skip();
    }
    tl_proc_free(&check);

    char *place = nonroot_dir;
    assert_non_null(mkdtemp(place));
    nonroot_made = 1;
    assert_int_equal(chmod(place, 0755), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/class", place);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/class/reference.c", place);
    copy_file("build/solutions/2.3/recv-counted.c", path);
    /* The reference, plus a child started before main() that outlives
     * every test. */
    struct tl_text lingering = {0};
    assert_int_equal(tl_read_file("build/solutions/2.3/recv-counted.c", &lingering), 0);
    const char *linger = "\n#include <unistd.h>\n"
                         "__attribute__((constructor)) static void linger(void)\n"
                         "{ if (fork() == 0) { sleep(60); _exit(0); } }\n";
    tl_text_append(&lingering, linger, strlen(linger));
    snprintf(path, sizeof path, "%s/class/lingers.c", place);
    tl_write_file(path, tl_text_str(&lingering));
    tl_text_free(&lingering);
    char solution[128], program[700];
    conf("5.1", "solution", solution, sizeof solution);
    snprintf(path, sizeof path, "build/solutions/5.1/%s", solution);
    snprintf(program, sizeof program, "%s/%s", place, solution);
    copy_file(path, program);
    if (geteuid() == 0) {
        snprintf(command, sizeof command, "chown -R 65534:65534 %s", place);
        assert_int_equal(tl_sh(&check, 10, command), 0);
        tl_proc_free(&check);
    }

    snprintf(command, sizeof command,
             "export GRADE_WORK=%s/work GRADE_GRADES=%s/grades GRADE_SLOTS=%s/slots; "
             "%stools/grade/grade -j 2 2.3 %s/class && %stools/grade/grade 5.1 %s",
             place, place, place, as_nobody, place, as_nobody, program);
    struct tl_proc grade;
    double started = tl_now();
    tl_sh(&grade, 200, command);
    printf("graded without root in %.1f s\n", tl_now() - started);
    const char *out = tl_text_str(&grade.out), *err = tl_text_str(&grade.err);
    if (strstr(err, "grade: not root: the submissions run as") == NULL)
        fail_msg("the grader does not say that it is not root:\n%s", err);
    snprintf(path, sizeof path, "%s/grades/2.3.csv", place);
    struct grade_row rows[4];
    size_t count = read_csv(path, rows, 4);
    if (count != 2)
        fail_msg("%zu lines in %s, expected 2:\n%s%s", count, path, out, err);
    for (size_t i = 0; i < count; i++) {
        struct grade_row *row = &rows[i];
        if (strcmp(row->file, "reference.c") == 0 &&
            (row->score != row->max || row->max == 0))
            fail_msg("without root, the reference of 2.3 scores %d/%d: %s", row->score,
                     row->max, row->first);
        if (strcmp(row->file, "lingers.c") == 0 &&
            strstr(row->first, "left processes running after the test") == NULL)
            fail_msg("without root, a submission that leaves a process fails with \"%s\"",
                     row->first);
    }
    if (grade.status != 0 || strstr(out, "score 0/") != NULL)
        fail_msg("without root, the reference of 5.1 does not pass (status %d):\n%s%s",
                 grade.status, out, err);
    tl_proc_free(&grade);
    /* Nothing of this grading left running: no process of nobody whose
     * folder or command line is in this test's (another make test on the
     * machine may be grading as nobody too); a zombie is dead, its parent
     * reaps it. */
    snprintf(command, sizeof command,
             "for p in $(pgrep -u 65534); do "
             "where=\"$(readlink /proc/$p/cwd) $(tr '\\0' ' ' </proc/$p/cmdline)\"; "
             "case $where in *%s*) ps -o pid=,stat=,args= -p $p ;; esac; "
             "done 2>/dev/null | awk '$2 !~ /^Z/' || true",
             place);
    tl_sh(&check, 10, command);
    if (geteuid() == 0 && tl_count_lines(tl_text_str(&check.out)) > 0)
        fail_msg("processes of nobody left after grading:\n%s", tl_text_str(&check.out));
    tl_proc_free(&check);
}

static int remove_class(void **state)
{
    (void)state;
    if (class_made) {
        char command[600];
        snprintf(command, sizeof command, "rm -rf %s", class_dir);
        struct tl_proc rm;
        tl_sh(&rm, 30, command);
        tl_proc_free(&rm);
    }
    const char *made[] = {nonroot_made ? nonroot_dir : NULL,
                          hostile_made ? hostile_dir : NULL};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        if (made[i] == NULL)
            continue;
        struct tl_proc rm;
        tl_runl(&rm, 30, "/bin/rm", "-rf", made[i], (const char *)NULL);
        tl_proc_free(&rm);
    }
    return 0;
}

int main(void)
{
    if (geteuid() != 0)
        printf("test-grade: not root: the hostile submission test is skipped (the sandbox "
               "needs namespaces and another user)\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_the_gradable_exercises),
        cmocka_unit_test(every_exercise_grades_its_class),
        cmocka_unit_test(one_file_sets_the_exit_status),
        cmocka_unit_test(a_hostile_submission_stays_inside),
        cmocka_unit_test(grades_without_root_and_says_so),
    };
    return cmocka_run_group_tests(tests, find_labels, remove_class);
}
