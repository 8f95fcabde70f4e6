/*
 * test-lab-fallback: the lab appendix's experiment degrades instead of
 * failing (chapters/90-laboratorio.nw, its script in manual/90-laboratorio.nw).
 *
 *  - the probe, build/tangle/90-laboratorio/lab-probe.sh, says yes exactly when
 *    lab.sh really runs here (across the shaped veth, with a SPARC server
 *    under qemu-sparc64), quickly, and leaves nothing behind;
 *  - each thing the lab needs is taken away in turn, without a broken
 *    machine: a PATH with a shim `ip` whose `ip netns exec` fails with a
 *    container's remount error, a PATH without `tc`, a `tc` whose kernel
 *    has no tbf, a qemu-sparc64 that cannot run the SPARC programs, and
 *    running as nobody. Each time the experiment, run as the Makefile runs
 *    it (tools/experiments/run-experiment: BINDIR and an output directory), exits 0,
 *    says why on the console and in numbers.tsv (the PDF's lab-source),
 *    copies exactly the recorded run, and leaves no namespace and no
 *    process behind; and it does so in a few seconds;
 *  - a scenario that fails midway (its client cannot connect) or hangs
 *    (past LAB_TIME_LIMIT) also ends in the recorded run, with lab.sh's
 *    first error line, and nothing left;
 *  - chapter 4's experiment, which also uses the lab, degrades to the
 *    loopback with the probe's reason;
 *  - nothing needs IPv6: the lab with IPv6 disabled in every namespace it
 *    makes, and the chapters' experiments and `localhost` in a network
 *    namespace without IPv6 whose /etc/hosts only has ::1 localhost.
 *
 * The shims wrap the real tools and log every namespace the run creates
 * (ip netns add), so the test knows exactly which ones must be gone; every
 * process the run starts inherits LAB_TEST_MARK, so the test finds any
 * left in /proc. Needs root (skipped with the reason otherwise). Run from
 * the top of the tree (make test does).
 */
#include "testlib.h"

#include <dirent.h>

#define EXPERIMENT_SH "build/tangle/90-laboratorio/experiment.sh"
#define BINARY_SH "build/tangle/04-dados-binarios/experiment.sh"
#define LAB_SH "build/tangle/90-laboratorio/lab.sh"
#define PROBE_SH "build/tangle/90-laboratorio/lab-probe.sh"
#define RECORDED_RUNS "chapters/recorded/90-laboratorio/runs"
#define BINDIR "build/bin"
#define SPARC_PROGRAMS "serv-32kb cli-32kb serv-int cli-int serv-int-net cli-int-net"
#define REMOUNT_ERROR "\"mount --make-rslave /\" failed: Invalid argument"
/* A fallback copies files; a real run of the lab takes minutes. 120 s
 * tells the two apart with room for a loaded 2-core machine (a fallback
 * took 30 s there under a load of 14, and 2-4 s on a quiet one). */
#define FALLBACK_SECONDS 120.0

#define SKIP_BECAUSE(reason)                                                                 \
    do {                                                                                     \
        print_message("skipped: %s\n", reason);                                              \
        skip();                                                                              \
    } while (0)

static char real_ip[512];       /* the real ip(8), which the shims wrap */
static char real_tc[512];       /* the real tc(8) */
static char real_verdict[1024]; /* what the real probe said: "" if the lab runs here */
static int real_probe_status = -1;
static char path_env[8192]; /* this test's PATH */
static int case_number;

/* ------------------------------------------------------------ helpers */

/* What a tl_text holds, "" if nothing. */
static const char *text_of(const struct tl_text *text)
{
    return text->data != NULL ? text->data : "";
}

/* The output of a shell command (stdout), its trailing newline removed;
 * fails the test if it does not exit 0 within 30 s. */
static void shell_line(const char *command, char *line, size_t size)
{
    struct tl_proc run;
    int status = tl_sh(&run, 30, command);
    if (status != 0)
        fail_msg("'%s' failed (%d): %s", command, status, text_of(&run.err));
    snprintf(line, size, "%s", text_of(&run.out));
    line[strcspn(line, "\n")] = '\0';
    tl_proc_free(&run);
}

static void write_script(const char *path, const char *text)
{
    tl_write_file(path, text);
    if (chmod(path, 0755) == -1)
        fail_msg("chmod %s: %s", path, strerror(errno));
}

/* The shims, in the group's scratch directory:
 *   shim/ip          the real ip, which logs each namespace it adds to
 *                    $LAB_SHIM_LOG and, by $LAB_SHIM_IP, fails `netns
 *                    exec` (no-exec), fails or hangs the second client
 *                    (client-fails, client-hangs) or disables IPv6 in each
 *                    namespace it adds (no-ipv6, logged to $LAB_SHIM_LOG.ipv6);
 *   no-tbf/tc        a tc whose kernel has no tbf;
 *   bad-qemu/qemu-sparc64  a qemu that cannot run the programs;
 *   no-tc/           every command of PATH but tc (symbolic links). */
static void make_shims(void)
{
    char path[1024], text[4096];
    snprintf(path, sizeof path, "mkdir -p %s/shim %s/no-tbf %s/bad-qemu %s/no-tc", tl_scratch,
             tl_scratch, tl_scratch, tl_scratch);
    shell_line(path, text, sizeof text);

    snprintf(
        text, sizeof text,
        "#!/bin/sh\n"
        "real=%s\n"
        "if [ \"$1\" = netns ] && [ \"$2\" = exec ]; then\n"
        "    case ${LAB_SHIM_IP:-} in\n"
        "    no-exec) echo '" REMOUNT_ERROR "' >&2; exit 1 ;;\n"
        "    client-fails | client-hangs)\n"
        "        case \" $* \" in *' ./cli-32kb '*)\n"
        "            n=$(($(cat \"$LAB_SHIM_LOG.clients\" 2>/dev/null || echo 0) + 1))\n"
        "            echo $n >\"$LAB_SHIM_LOG.clients\"\n"
        "            if [ $n -eq 2 ]; then\n"
        "                [ $LAB_SHIM_IP = client-fails ] || exec sleep 60\n"
        "                echo 'cli-32kb: cannot connect to 127.0.0.1 port 3490:"
        " Connection refused' >&2\n"
        "                exit 1\n"
        "            fi ;;\n"
        "        esac ;;\n"
        "    esac\n"
        "fi\n"
        "if [ \"$1\" = netns ] && [ \"$2\" = add ]; then\n"
        "    echo \"$3\" >>\"$LAB_SHIM_LOG\"\n"
        "    \"$real\" \"$@\" || exit\n"
        "    if [ \"${LAB_SHIM_IP:-}\" = no-ipv6 ]; then\n"
        "        \"$real\" netns exec \"$3\" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \\\n"
        "            net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1 "
        "&&\n"
        "            echo \"$3\" >>\"$LAB_SHIM_LOG.ipv6\"\n"
        "    fi\n"
        "    exit 0\n"
        "fi\n"
        "exec \"$real\" \"$@\"\n",
        real_ip);
    snprintf(path, sizeof path, "%s/shim/ip", tl_scratch);
    write_script(path, text);

    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "case \" $* \" in *' qdisc add '*' tbf '*)\n"
             "    echo 'Error: Specified qdisc kind is unknown.' >&2; exit 2 ;;\n"
             "esac\n"
             "exec %s \"$@\"\n",
             real_tc);
    snprintf(path, sizeof path, "%s/no-tbf/tc", tl_scratch);
    write_script(path, text);

    snprintf(path, sizeof path, "%s/bad-qemu/qemu-sparc64", tl_scratch);
    write_script(path,
                 "#!/bin/sh\n"
                 "echo \"qemu-sparc64: $1: Invalid ELF image for this architecture\" >&2\n"
                 "exit 1\n");

    /* Later PATH directories first, so the first one's command wins. */
    char command[2048], ignored[16];
    snprintf(
        command, sizeof command,
        "for d in $(printf '%%s\\n' \"$PATH\" | tr ':' '\\n' | sed '1!G;h;$!d'); do "
        "  [ -d \"$d\" ] && find \"$d\" -maxdepth 1 ! -type d -exec ln -sf -t %s/no-tc {} +; "
        "done; rm -f %s/no-tc/tc",
        tl_scratch, tl_scratch);
    shell_line(command, ignored, sizeof ignored);
}

static int group_setup(void **state)
{
    if (tl_scratch_make(state) != 0)
        return -1;
    snprintf(path_env, sizeof path_env, "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin");
    if (geteuid() != 0)
        return 0;
    struct tl_proc run;
    tl_sh(&run, 10, "command -v ip || echo; command -v tc || echo");
    const char *out = text_of(&run.out), *newline = strchr(out, '\n');
    if (newline != NULL) {
        snprintf(real_ip, sizeof real_ip, "%.*s", (int)(newline - out), out);
        snprintf(real_tc, sizeof real_tc, "%.*s", (int)strcspn(newline + 1, "\n"),
                 newline + 1);
    }
    tl_proc_free(&run);
    if (real_ip[0] != '\0' && real_tc[0] != '\0')
        make_shims();
    /* The real probe, as the experiment asks it. */
    real_probe_status = tl_sh(&run, 60, PROBE_SH " " BINDIR " " SPARC_PROGRAMS " 2>&1");
    snprintf(real_verdict, sizeof real_verdict, "%s", text_of(&run.out));
    real_verdict[strcspn(real_verdict, "\n")] = '\0';
    tl_proc_free(&run);
    return 0;
}

static int group_teardown(void **state)
{
    return tl_scratch_remove(state);
}

/* The simulated failures need root and a machine where the lab really
 * runs: otherwise the real problem, not the simulated one, comes first. */
static void need_a_working_lab(void)
{
    if (geteuid() != 0)
        SKIP_BECAUSE("needs root: the lab and its probe create network namespaces");
    if (real_ip[0] == '\0' || real_tc[0] == '\0')
        SKIP_BECAUSE("needs ip and tc (iproute2)");
    if (real_probe_status != 0) {
        char why[1200];
        snprintf(why, sizeof why, "the lab cannot run here anyway: %s", real_verdict);
        SKIP_BECAUSE(why);
    }
}

/* A run of one experiment in the environment of one case. */
struct lab_case {
    char dir[512]; /* this case's directory in the scratch directory */
    char out[600]; /* the experiment's output directory */
    char log[600]; /* the namespaces the run added, one a line */
    char mark[64]; /* LAB_TEST_MARK of every process of the run */
    struct tl_proc run;
    int status;
    double seconds;
};

/* A new case: its directory (writable by all: a case may run as nobody),
 * an empty namespace log and a mark of its own. */
static void case_init(struct lab_case *c)
{
    memset(c, 0, sizeof *c);
    case_number++;
    snprintf(c->dir, sizeof c->dir, "%s/case-%d", tl_scratch, case_number);
    snprintf(c->out, sizeof c->out, "%s/out", c->dir);
    snprintf(c->log, sizeof c->log, "%s/namespaces", c->dir);
    snprintf(c->mark, sizeof c->mark, "test-lab-fallback-%ld-%d", (long)getpid(),
             case_number);
    if (mkdir(c->dir, 0777) == -1 || chmod(c->dir, 0777) == -1)
        fail_msg("mkdir %s: %s", c->dir, strerror(errno));
    tl_write_file(c->log, "");
}

/* Runs command (at most 120 s) with the case's mark and log, RECORDED=0,
 * the extra environment (NAME=VALUE words) and PATH = path_front then
 * this test's PATH, or path_front alone if it ends in '!'. */
static void case_run(struct lab_case *c, const char *path_front, const char *environment,
                     const char *command)
{
    char path[9000];
    size_t front = strlen(path_front);
    if (front > 0 && path_front[front - 1] == '!')
        snprintf(path, sizeof path, "%.*s", (int)front - 1, path_front);
    else
        snprintf(path, sizeof path, "%s%s%s", path_front, front ? ":" : "", path_env);
    char line[12000];
    snprintf(line, sizeof line,
             "exec env LAB_TEST_MARK=%s LAB_SHIM_LOG=%s RECORDED=0 %s PATH='%s' %s", c->mark,
             c->log, environment, path, command);
    double start = tl_now();
    c->status = tl_sh(&c->run, 120, line);
    c->seconds = tl_now() - start;
}

/* A new case that runs SCRIPT BINDIR OUTDIR, as tools/experiments/run-experiment
 * runs an experiment. */
static void run_case(struct lab_case *c, const char *script, const char *path_front,
                     const char *environment)
{
    case_init(c);
    char command[2000];
    snprintf(command, sizeof command, "%s " BINDIR " %s", script, c->out);
    case_run(c, path_front, environment, command);
}

/* Fails if a namespace the case's run added still exists. */
static void assert_no_namespace_left(const struct lab_case *c)
{
    struct tl_text log = {0};
    assert_int_equal(tl_read_file(c->log, &log), 0);
    struct tl_proc list;
    char *argv[] = {real_ip, "netns", "list", NULL};
    assert_int_equal(tl_run(&list, 10, argv), 0);
    const char *names = text_of(&list.out);
    size_t added = tl_count_lines(text_of(&log));
    for (size_t i = 0; i < added; i++) {
        char name[256];
        assert_int_equal(tl_line(text_of(&log), i, name, sizeof name), 0);
        size_t length = strlen(name);
        /* ip netns list: "NAME" or "NAME (id: N)", one a line. */
        for (const char *line = names; *line != '\0'; line += strcspn(line, "\n")) {
            if (*line == '\n')
                line++;
            if (strncmp(line, name, length) == 0 && strchr(" \n", line[length]) != NULL)
                fail_msg("namespace %s, which this run added, is still there", name);
        }
    }
    tl_text_free(&log);
    tl_proc_free(&list);
}

/* The processes (other than this one) whose environment has
 * LAB_TEST_MARK=mark, as "PID COMMAND" lines; "" if none. */
static void marked_processes(const char *mark, char *found, size_t size)
{
    char needle[128];
    snprintf(needle, sizeof needle, "LAB_TEST_MARK=%s", mark);
    found[0] = '\0';
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        if (strspn(entry->d_name, "0123456789") != strlen(entry->d_name) ||
            strtol(entry->d_name, NULL, 10) == (long)getpid())
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/environ", entry->d_name);
        struct tl_text environ_text = {0};
        if (tl_read_file(path, &environ_text) == -1) {
            tl_text_free(&environ_text);
            continue;
        }
        int marked = 0;
        for (size_t at = 0; at < environ_text.length;
             at += strlen(environ_text.data + at) + 1)
            if (strcmp(environ_text.data + at, needle) == 0)
                marked = 1;
        tl_text_free(&environ_text);
        if (!marked)
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", entry->d_name);
        struct tl_text cmdline = {0};
        tl_read_file(path, &cmdline);
        for (size_t i = 0; i < cmdline.length; i++)
            if (cmdline.data[i] == '\0')
                cmdline.data[i] = ' ';
        size_t used = strlen(found);
        snprintf(found + used, size - used, "%s %s; ", entry->d_name,
                 cmdline.data ? cmdline.data : "?");
        tl_text_free(&cmdline);
    }
    closedir(proc);
}

/* Fails if a process of the case's run is still there 3 s after the run
 * ended (a process just killed may take a moment to go). */
static void assert_no_process_left(const struct lab_case *c)
{
    char found[4096];
    double deadline = tl_now() + 3;
    do {
        marked_processes(c->mark, found, sizeof found);
        if (found[0] == '\0')
            return;
        tl_sleep(0.1);
    } while (tl_now() < deadline);
    fail_msg("processes of the run are still there: %s", found);
}

/* The value of key in OUTDIR/numbers.tsv, with every "{}" removed (what
 * the experiment adds to keep LaTeX from making ligatures). */
static void number_of(const struct lab_case *c, const char *key, char *value, size_t size)
{
    char path[700];
    snprintf(path, sizeof path, "%s/numbers.tsv", c->out);
    struct tl_text numbers = {0};
    if (tl_read_file(path, &numbers) == -1)
        fail_msg("%s: %s", path, strerror(errno));
    char prefix[128];
    int length = snprintf(prefix, sizeof prefix, "%s\t", key);
    value[0] = '\0';
    for (const char *line = text_of(&numbers); line != NULL && *line != '\0';) {
        if (strncmp(line, prefix, (size_t)length) == 0) {
            size_t n = 0;
            for (const char *p = line + length; *p != '\0' && *p != '\n' && n + 1 < size;
                 p++) {
                if (p[0] == '{' && p[1] == '}') {
                    p++;
                    continue;
                }
                value[n++] = *p;
            }
            value[n] = '\0';
            break;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    tl_text_free(&numbers);
    if (value[0] == '\0')
        fail_msg("no %s in %s", key, path);
}

/* The checks every fallback passes: exit 0 quickly; the reason on the
 * console and in the PDF's lab-source; the recorded run, exactly; nothing
 * left behind. */
static void assert_fell_back(struct lab_case *c, const char *reason)
{
    const char *out = text_of(&c->run.out);
    const char *said = strstr(out, "lab not regenerated");
    print_message("%.1f s; console: %.*s\n", c->seconds, said ? (int)strcspn(said, "\n") : 0,
                  said ? said : "");
    if (c->status != 0)
        fail_msg("the experiment exited %d: %s", c->status, text_of(&c->run.err));
    assert_true(c->seconds < FALLBACK_SECONDS);
    char expected[1024];
    snprintf(expected, sizeof expected, "lab not regenerated: %s; copying the run recorded",
             reason);
    if (strstr(out, expected) == NULL)
        fail_msg("the console does not say '%s': %s", expected, out);
    char source[2048];
    number_of(c, "lab-source", source, sizeof source);
    snprintf(expected, sizeof expected,
             "NÃO regenerados nesta compilação (%s); vêm da execução gravada", reason);
    if (strncmp(source, expected, strlen(expected)) != 0)
        fail_msg("lab-source is '%s', not '%s...'", source, expected);
    char command[1400];
    snprintf(command, sizeof command, "diff -r %s/runs " RECORDED_RUNS " >&2", c->out);
    struct tl_proc diff;
    if (tl_sh(&diff, 30, command) != 0)
        fail_msg("the runs are not the recorded ones: %s", text_of(&diff.err));
    tl_proc_free(&diff);
    assert_no_namespace_left(c);
    assert_no_process_left(c);
}

static void case_free(struct lab_case *c)
{
    tl_proc_free(&c->run);
}

/* ------------------------------------------------------- the real probe */

/* The probe says yes exactly when lab.sh really runs here: one connection
 * across the shaped veth to a SPARC server under qemu-sparc64 (the
 * hardest thing the lab does). Where it says yes, this build regenerated
 * the lab. */
static void real_probe_agrees_with_lab_sh(void **state)
{
    (void)state;
    if (geteuid() != 0)
        SKIP_BECAUSE("needs root: the lab and its probe create network namespaces");
    if (real_ip[0] == '\0')
        SKIP_BECAUSE("needs ip (iproute2)");
    char shims[700], command[2048];
    snprintf(shims, sizeof shims, "%s/shim", tl_scratch);
    struct lab_case probe, lab;
    case_init(&probe);
    case_run(&probe, shims, "", PROBE_SH " " BINDIR " " SPARC_PROGRAMS);
    const char *verdict = text_of(&probe.run.out);
    case_init(&lab);
    snprintf(command, sizeof command,
             LAB_SH " -n 1 -p %d -A qemu-sparc64 -d " BINDIR " -o %s/run"
                    " sparc64/serv-32kb cli-32kb",
             20000 + (int)(getpid() % 20000), lab.dir);
    case_run(&lab, shims, "", command);
    const char *lab_error = text_of(&lab.run.err);

    print_message("probe: %s in %.2f s%s%.*s; lab.sh: %s%.*s\n",
                  probe.status == 0 ? "yes" : "no", probe.seconds, probe.status ? ": " : "",
                  (int)strcspn(verdict, "\n"), verdict, lab.status == 0 ? "ran" : "failed: ",
                  lab.status ? (int)strcspn(lab_error, "\n") : 0, lab_error);
    assert_int_equal(probe.status == 0, lab.status == 0);
    assert_no_namespace_left(&probe);
    assert_no_process_left(&probe);
    assert_no_namespace_left(&lab);
    assert_no_process_left(&lab);
    if (probe.status == 0) {
        assert_string_equal(verdict, ""); /* yes is silent */
        assert_true(probe.seconds < 10);
        /* And so this build regenerated the lab (unless RECORDED=1 asked
         * for the recorded run). */
        struct lab_case built = {0};
        snprintf(built.out, sizeof built.out, "build/results/90-laboratorio");
        char source[2048];
        number_of(&built, "lab-source", source, sizeof source);
        print_message("this build's lab-source: %s\n", source);
        if (strstr(source, "RECORDED=1") == NULL)
            assert_string_equal(source,
                                "regenerados pela compilação que produziu este caderno");
    } else {
        assert_int_equal(probe.status, 1);
        assert_true(verdict[0] != '\0' && strchr(verdict, '\n') == strrchr(verdict, '\n'));
    }
    case_free(&probe);
    case_free(&lab);
}

/* ------------------------------------------------- simulated failures */

/* A container that lets `ip netns add` work but not `ip netns exec`: the
 * lab and chapter 4's messages fall back, with ip's own error. */
static void namespace_exec_failing_falls_back(void **state)
{
    (void)state;
    need_a_working_lab();
    char shims[700];
    snprintf(shims, sizeof shims, "%s/shim", tl_scratch);
    const char *reason =
        "o ip netns exec não consegue entrar num espaço de nomes de rede: " REMOUNT_ERROR;
    struct lab_case lab;
    run_case(&lab, EXPERIMENT_SH, shims, "LAB_SHIM_IP=no-exec");
    assert_fell_back(&lab, reason);
    /* The probe got as far as making the namespaces, and removed them. */
    struct tl_text log = {0};
    assert_int_equal(tl_read_file(lab.log, &log), 0);
    assert_int_equal(tl_count_lines(text_of(&log)), 2);
    tl_text_free(&log);
    case_free(&lab);

    struct lab_case binary;
    run_case(&binary, BINARY_SH, shims, "LAB_SHIM_IP=no-exec");
    if (binary.status != 0)
        fail_msg("chapter 4's experiment exited %d: %s", binary.status,
                 text_of(&binary.run.err));
    char expected[1024], where[2048];
    snprintf(expected, sizeof expected, "frames: serv-msg and cli-msg on 127.0.0.1 (%s)",
             reason);
    assert_non_null(strstr(text_of(&binary.run.out), expected));
    number_of(&binary, "frames-where", where, sizeof where);
    print_message("chapter 4: %.1f s; frames-where: %s\n", binary.seconds, where);
    snprintf(expected, sizeof expected, "laboratório, porque %s", reason);
    assert_non_null(strstr(where, expected));
    assert_no_namespace_left(&binary);
    assert_no_process_left(&binary);
    case_free(&binary);
}

static void missing_tc_falls_back(void **state)
{
    (void)state;
    need_a_working_lab();
    char path[1500];
    snprintf(path, sizeof path, "%s/shim:%s/no-tc!", tl_scratch, tl_scratch);
    struct lab_case lab;
    run_case(&lab, EXPERIMENT_SH, path, "");
    assert_fell_back(&lab, "falta o tc (pacote iproute2)");
    case_free(&lab);
}

static void kernel_without_tbf_falls_back(void **state)
{
    (void)state;
    need_a_working_lab();
    char path[1500];
    snprintf(path, sizeof path, "%s/no-tbf:%s/shim", tl_scratch, tl_scratch);
    struct lab_case lab;
    run_case(&lab, EXPERIMENT_SH, path, "");
    assert_fell_back(&lab, "o tc não consegue limitar a veth com o filtro tbf: "
                           "Error: Specified qdisc kind is unknown.");
    case_free(&lab);
}

static void qemu_that_cannot_run_sparc_falls_back(void **state)
{
    (void)state;
    need_a_working_lab();
    char path[1500];
    snprintf(path, sizeof path, "%s/bad-qemu:%s/shim", tl_scratch, tl_scratch);
    struct lab_case lab;
    run_case(&lab, EXPERIMENT_SH, path, "");
    assert_fell_back(&lab, "o qemu-sparc64 não executa o programa SPARC sparc64/serv-32kb: "
                           "qemu-sparc64: " BINDIR "/sparc64/serv-32kb: "
                           "Invalid ELF image for this architecture");
    case_free(&lab);
}

/* The path that already existed: a build that does not run as root. */
static void not_root_falls_back(void **state)
{
    (void)state;
    need_a_working_lab();
    if (access("/usr/bin/setpriv", X_OK) != 0)
        SKIP_BECAUSE("needs setpriv to run the experiment as nobody");
    /* The experiment goes to its folder by its absolute path ($PWD), which
     * a folder on the way may close to others (a clone in mktemp -d). */
    char top[400], why[1200];
    assert_non_null(getcwd(top, sizeof top));
    if (!tl_nobody_can_enter(top, why, sizeof why))
        SKIP_BECAUSE(why);
    char shims[700];
    snprintf(shims, sizeof shims, "%s/shim", tl_scratch);
    struct lab_case lab;
    run_case(&lab, "setpriv --reuid=65534 --regid=65534 --clear-groups " EXPERIMENT_SH, shims,
             "");
    assert_fell_back(&lab, "esta compilação não roda como root");
    case_free(&lab);
}

/* The probe says yes, then the second scenario's client cannot connect:
 * the first scenario's output is dropped, the server of the second is
 * killed, its namespace removed. */
static void scenario_failing_midway_falls_back(void **state)
{
    (void)state;
    need_a_working_lab();
    char shims[700];
    snprintf(shims, sizeof shims, "%s/shim", tl_scratch);
    struct lab_case lab;
    run_case(&lab, EXPERIMENT_SH, shims, "LAB_SHIM_IP=client-fails RUNS=1");
    assert_fell_back(&lab,
                     "o lab.sh falhou no cenário loopback-rmem8k: lab.sh: ./cli-32kb -p "
                     "3490 127.0.0.1: exit status 1: cli-32kb: cannot connect to "
                     "127.0.0.1 port 3490: Connection refused");
    assert_non_null(strstr(text_of(&lab.run.out), "loopback: 1 connections"));
    case_free(&lab);
}

/* A scenario whose client never ends: the lab's time limit stops it. */
static void scenario_hanging_falls_back(void **state)
{
    (void)state;
    need_a_working_lab();
    char shims[700];
    snprintf(shims, sizeof shims, "%s/shim", tl_scratch);
    struct lab_case lab;
    run_case(&lab, EXPERIMENT_SH, shims, "LAB_SHIM_IP=client-hangs RUNS=1 LAB_TIME_LIMIT=3");
    assert_fell_back(&lab, "o lab.sh passou do prazo de 3 s no cenário loopback-rmem8k");
    case_free(&lab);
}

/* -------------------------------------------------------------- IPv6 */

/* The whole lab, one connection per scenario, with IPv6 disabled in every
 * namespace it makes: it still regenerates everything. */
static void lab_runs_without_ipv6(void **state)
{
    (void)state;
    need_a_working_lab();
    char shims[700];
    snprintf(shims, sizeof shims, "%s/shim", tl_scratch);
    struct lab_case lab;
    run_case(&lab, EXPERIMENT_SH, shims, "LAB_SHIM_IP=no-ipv6 RUNS=1");
    if (lab.status != 0)
        fail_msg("the experiment exited %d: %s", lab.status, text_of(&lab.run.err));
    char source[2048];
    number_of(&lab, "lab-source", source, sizeof source);
    assert_string_equal(source, "regenerados pela compilação que produziu este caderno");
    struct tl_text added = {0}, without = {0};
    char path[700];
    snprintf(path, sizeof path, "%s.ipv6", lab.log);
    assert_int_equal(tl_read_file(lab.log, &added), 0);
    assert_int_equal(tl_read_file(path, &without), 0);
    print_message("%.1f s; %zu namespaces added, IPv6 disabled in %zu\n", lab.seconds,
                  tl_count_lines(text_of(&added)), tl_count_lines(text_of(&without)));
    assert_true(tl_count_lines(text_of(&added)) >= 2);
    assert_string_equal(text_of(&added), text_of(&without));
    tl_text_free(&added);
    tl_text_free(&without);
    /* Every scenario got its 32769 bytes (how many recv()s one connection
     * takes varies: the first races the server's start), and the numbers
     * crossed between the CPUs as they do with IPv6. */
    const char *scenarios[] = {"loopback",         "loopback-rmem8k", "loopback-rmem16k",
                               "loopback-mtu8232", "mtu8232",         "linux-linux",
                               "no-timestamps",    "sparc-linux",     "linux-sparc"};
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        char key[64], value[64];
        snprintf(key, sizeof key, "incomplete-%s", scenarios[i]);
        number_of(&lab, key, value, sizeof value);
        assert_string_equal(value, "0");
    }
    char number[64];
    number_of(&lab, "int-sparc-intel-host-order", number, sizeof number);
    assert_string_equal(number, "959447040");
    number_of(&lab, "int-intel-sparc-net-order", number, sizeof number);
    assert_string_equal(number, "12345");
    assert_no_namespace_left(&lab);
    assert_no_process_left(&lab);
    case_free(&lab);
}

/* The chapters' experiments, and a client of the book given `localhost`,
 * in a network namespace with IPv6 disabled and an /etc/hosts that gives
 * localhost as ::1 first, then 127.0.0.1 (unshare -n -m: both vanish with
 * it): the client's connect() to ::1 fails, and it goes on to 127.0.0.1.
 * Chapter 4 with RECORDED=1, so that it does not start the lab inside. */
static void experiments_and_localhost_need_no_ipv6(void **state)
{
    (void)state;
    if (geteuid() != 0)
        SKIP_BECAUSE("needs root to make a network namespace without IPv6");
    if (access("/usr/bin/unshare", X_OK) != 0)
        SKIP_BECAUSE("needs unshare (util-linux)");
    char command[4096];
    snprintf(
        command, sizeof command,
        "exec unshare -n -m sh -c '"
        "set -e; d=%s/ipv6; mkdir -p \"$d\"; ip link set lo up; "
        "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 "
        "net.ipv6.conf.lo.disable_ipv6=1; "
        "! ip -6 addr show | grep -q inet6; "
        "printf \"::1 localhost\\n127.0.0.1 localhost\\n\" >\"$d/hosts\"; "
        "mount --bind \"$d/hosts\" /etc/hosts; "
        "for c in 01-revisao-cliente-servidor 02-fronteiras-de-mensagens "
        "03-getsockname-e-portas 04-dados-binarios 05-servidor-concorrente; do "
        "  RECORDED=1 build/tangle/$c/experiment.sh " BINDIR
        " \"$d/$c\" >/dev/null 2>\"$d/err\" || "
        "  { echo \"$c: $(head -n 1 \"$d/err\")\" >&2; exit 1; }; "
        "  echo \"$c ran\"; "
        "done; timeout 20 " BINDIR "/serv-32kb -p 0 -n 1 >\"$d/server\" 2>&1 & "
        "for i in $(seq 100); do grep -q \"listening on port\" \"$d/server\" && break; "
        "sleep 0.1; done; "
        "port=$(sed -n \"s/^server: listening on port //p\" \"$d/server\"); "
        "timeout 10 " BINDIR "/cli-32kb -p \"$port\" localhost; wait $!; "
        "grep \"closed connection to\" \"$d/server\"'",
        tl_scratch);
    struct tl_proc run;
    double start = tl_now();
    int status = tl_sh(&run, 120, command);
    print_message("%.1f s: %s", tl_now() - start, text_of(&run.out));
    if (status != 0)
        fail_msg("without IPv6: exit %d: %s", status, text_of(&run.err));
    assert_non_null(strstr(text_of(&run.out), "05-servidor-concorrente ran"));
    assert_non_null(strstr(text_of(&run.out), "sent 32769 bytes"));
    assert_non_null(strstr(text_of(&run.out), "closed connection to 127.0.0.1"));
    tl_proc_free(&run);
}

int main(void)
{
    tl_lab_recorded_dir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_probe_agrees_with_lab_sh),
        cmocka_unit_test(namespace_exec_failing_falls_back),
        cmocka_unit_test(missing_tc_falls_back),
        cmocka_unit_test(kernel_without_tbf_falls_back),
        cmocka_unit_test(qemu_that_cannot_run_sparc_falls_back),
        cmocka_unit_test(not_root_falls_back),
        cmocka_unit_test(scenario_failing_midway_falls_back),
        cmocka_unit_test(scenario_hanging_falls_back),
        cmocka_unit_test(lab_runs_without_ipv6),
        cmocka_unit_test(experiments_and_localhost_need_no_ipv6),
    };
    return cmocka_run_group_tests_name("the lab degrades instead of failing", tests,
                                       group_setup, group_teardown);
}
