/*
 * test-lab: checks the claims of the lab appendix (chapters/90-laboratorio.nw)
 * against this build's data in build/results/90-laboratorio/ and by running
 * its harness, build/tangle/90-laboratorio/lab.sh, and its programs.
 *
 *  - across the shaped veth, recv() returns whole segments of one MSS (1448
 *    bytes with TCP timestamps, 1460 without) and needs many calls;
 *  - 12345 sent without htonl() between SPARC and x86 arrives byte-swapped,
 *    and with htonl()/ntohl() arrives as 12345;
 *  - the harness leaves no namespace, veth or process behind, after a run
 *    and after SIGTERM or SIGINT in the middle of one;
 *  - the recorded reference run builds the same tables as a regenerated one.
 *
 * Run from the top of the tree (make test does). What needs root or
 * qemu-sparc64 is skipped, with the reason, where they are missing.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define RESULTS "build/results/90-laboratorio"
#define LAB_SH "build/tangle/90-laboratorio/lab.sh"
#define EXPERIMENT_SH "build/tangle/90-laboratorio/experiment.sh"
#define BINDIR "build/bin"
#define MESSAGE_SIZE 32769 /* chapter 2's 32 KiB + 1 B */
#define SEED_NUMBER 12345  /* what the seed's client sent */

/* ------------------------------------------------------------ helpers */

/* A new directory "TEMPLATE" (NAME.XXXXXX) in $TMPDIR, or /tmp: tests/run
 * gives each test a TMPDIR of its own and removes it, also after a
 * timeout. Returns path, or NULL. */
static char *temporary_directory(char *path, size_t size, const char *template)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    if ((size_t)snprintf(path, size, "%s/%s", dir, template) >= size)
        return NULL;
    return mkdtemp(path);
}

/* The whole file, NUL-terminated, or NULL if it cannot be read. */
static char *read_file(const char *path)
{
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return NULL;
    size_t capacity = 4096, length = 0;
    char *text = malloc(capacity);
    assert_non_null(text);
    size_t got;
    while ((got = fread(text + length, 1, capacity - length - 1, file)) > 0) {
        length += got;
        if (capacity - length == 1) {
            capacity *= 2;
            char *fresh = realloc(text, capacity);
            if (fresh == NULL) {
                free(text);
                fail_msg("out of memory reading %s", path);
            }
            text = fresh;
        }
    }
    fclose(file);
    text[length] = '\0';
    return text;
}

/* Runs a shell command and returns its standard output (malloc'd); *status
 * gets its exit status as from system(). */
static char *run_capture(const char *command, int *status)
{
    FILE *pipe = popen(command, "r"); /* NOLINT(cert-env33-c): shell commands, on purpose */
    assert_non_null(pipe);
    size_t capacity = 4096, length = 0;
    char *text = malloc(capacity);
    assert_non_null(text);
    size_t got;
    while ((got = fread(text + length, 1, capacity - length - 1, pipe)) > 0) {
        length += got;
        if (capacity - length == 1) {
            capacity *= 2;
            char *fresh = realloc(text, capacity);
            if (fresh == NULL) {
                free(text);
                pclose(pipe);
                fail_msg("out of memory reading the output of %s", command);
            }
            text = fresh;
        }
    }
    text[length] = '\0';
    int raw = pclose(pipe);
    *status =
        WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + (WIFSIGNALED(raw) ? WTERMSIG(raw) : 0);
    return text;
}

static int command_succeeds(const char *command)
{
    int status;
    free(run_capture(command, &status));
    return status == 0;
}

static int have_qemu(void)
{
    return command_succeeds("command -v qemu-sparc64 >/dev/null 2>&1 && "
                            "test -x " BINDIR "/sparc64/serv-int");
}

/* Why lab.sh cannot run here, as the lab's probe says (a container may
 * let `ip netns add` work and not `ip netns exec`), or NULL if it can. */
static const char *why_no_lab(void)
{
    static char why[512];
    if (geteuid() != 0)
        return "needs root and ip netns to create network namespaces";
    int status;
    char *said =
        run_capture("build/tangle/90-laboratorio/lab-probe.sh " BINDIR " 2>&1", &status);
    snprintf(why, sizeof why, "the lab's probe says: %.*s", (int)strcspn(said, "\n"), said);
    free(said);
    return status == 0 ? NULL : why;
}

/* Each skip says why, on a line of its own with the word "skip", which
 * tests/run shows. */
#define SKIP_BECAUSE(reason)                                                                 \
    do {                                                                                     \
        print_message("skipped: %s\n", reason);                                              \
        skip();                                                                              \
    } while (0)

/* The 32-bit byte swap, by arithmetic: what a big-endian CPU reads from a
 * little-endian CPU's bytes, and the other way round. */
static uint32_t byte_swapped(uint32_t value)
{
    return (value >> 24) | ((value >> 8) & 0xff00u) | ((value << 8) & 0xff0000u) |
           (value << 24);
}

/* ---------------------------------------- the recvs of this build's data */

struct recv_row {
    char scenario[64];
    int run, call;
    long bytes;
};

struct recv_table {
    struct recv_row *rows;
    size_t count;
};

static struct recv_table read_recvs(void)
{
    struct recv_table table = {NULL, 0};
    char *text = read_file(RESULTS "/recvs.data");
    if (text == NULL)
        fail_msg("%s/recvs.data is missing: did the build run the lab experiment?", RESULTS);
    size_t capacity = 0;
    char *save = NULL;
    int header = 1;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (header) {
            assert_string_equal(line, "scenario\trun\trecv\tbytes\trequested");
            header = 0;
            continue;
        }
        if (table.count == capacity) {
            capacity = capacity ? 2 * capacity : 256;
            struct recv_row *fresh = realloc(table.rows, capacity * sizeof *table.rows);
            if (fresh == NULL) {
                free(table.rows);
                free(text);
                fail_msg("out of memory reading %s/recvs.data", RESULTS);
            }
            table.rows = fresh;
        }
        struct recv_row *row = &table.rows[table.count];
        /* scenario, run, recv, bytes, requested */
        size_t length = strcspn(line, "\t");
        const char *rest = line + length;
        long run, call, requested;
        if (length == 0 || length >= sizeof row->scenario ||
            tl_scan_long(&rest, 10, &run) != 0 || tl_scan_long(&rest, 10, &call) != 0 ||
            tl_scan_long(&rest, 10, &row->bytes) != 0 ||
            tl_scan_long(&rest, 10, &requested) != 0 || *rest != '\0' || run < 0 ||
            run > INT_MAX || call < 0 || call > INT_MAX)
            fail_msg("%s/recvs.data: unexpected line '%s'", RESULTS, line);
        snprintf(row->scenario, sizeof row->scenario, "%.*s", (int)length, line);
        row->run = (int)run;
        row->call = (int)call;
        table.count++;
    }
    free(text);
    return table;
}

/* The shaped-link claims for one scenario and its MSS: every connection got
 * all 32769 bytes; the most frequent read is exactly one MSS; every read
 * but the last of a connection is a whole number of segments. (A receiver
 * that is late, because the machine is busy, finds several segments
 * waiting: "whole segments" holds anyway.) */
static void check_segments(const char *scenario, long mss, int mode_is_claimed)
{
    struct recv_table table = read_recvs();
    long bytes[128] = {0};
    int runs = 0;
    long one_mss = 0, reads = 0;
    for (size_t i = 0; i < table.count; i++) {
        const struct recv_row *row = &table.rows[i];
        if (strcmp(row->scenario, scenario) != 0)
            continue;
        assert_in_range(row->run, 1, 127);
        if (row->run > runs)
            runs = row->run;
        bytes[row->run] += row->bytes;
        reads++;
        if (row->bytes == mss)
            one_mss++;
        int last = i + 1 == table.count || table.rows[i + 1].run != row->run ||
                   strcmp(table.rows[i + 1].scenario, scenario) != 0;
        if (!last && row->bytes % mss != 0)
            fail_msg("%s run %d recv %d returned %ld bytes: not whole segments of %ld",
                     scenario, row->run, row->call, row->bytes, mss);
    }
    if (runs == 0)
        fail_msg("no recv() of scenario %s in %s/recvs.data", scenario, RESULTS);
    for (int r = 1; r <= runs; r++)
        if (bytes[r] != MESSAGE_SIZE)
            fail_msg("%s run %d received %ld bytes, not %d", scenario, r, bytes[r],
                     MESSAGE_SIZE);
    /* The claim: the most common read is one segment of mss bytes (the
     * text quotes common-SCENARIO). How many recv()s a connection took is
     * this build's measurement, quoted from the data: a busy machine makes
     * the server fall behind and read several segments at once. */
    long mode = 0, mode_count = 0;
    for (size_t i = 0; i < table.count; i++) {
        if (strcmp(table.rows[i].scenario, scenario) != 0)
            continue;
        long same = 0;
        for (size_t j = 0; j < table.count; j++)
            same += strcmp(table.rows[j].scenario, scenario) == 0 &&
                    table.rows[j].bytes == table.rows[i].bytes;
        if (same > mode_count || (same == mode_count && table.rows[i].bytes < mode))
            mode = table.rows[i].bytes, mode_count = same;
    }
    print_message(
        "%s: %ld of %ld recv()s returned exactly %ld bytes; the most common read is "
        "%ld bytes (%ld times)\n",
        scenario, one_mss, reads, mss, mode, mode_count);
    if (mode_is_claimed)
        assert_int_equal(mode, mss);
    free(table.rows);
}

static void shaped_link_delivers_1448_byte_segments(void **state)
{
    (void)state;
    check_segments("linux-linux", 1448, 1);
}

static void sender_without_timestamps_sends_1460_byte_segments(void **state)
{
    (void)state;
    check_segments("no-timestamps", 1460, 1);
}

/* One number of recv-summary.data: the column named column of the row of
 * scenario. */
static long summary_value(const char *scenario, const char *column)
{
    char command[512];
    snprintf(
        command, sizeof command,
        "awk -F '\\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == \"%s\") c = i; next }"
        " $1 == \"%s\" && c { print $c }' " RESULTS "/recv-summary.data",
        column, scenario);
    int status;
    char *output = run_capture(command, &status);
    if (status != 0 || output[0] == '\0')
        fail_msg("no %s for %s in %s/recv-summary.data", column, scenario, RESULTS);
    long value = strtol(output, NULL, 10);
    free(output);
    return value;
}

/* What the appendix says about its loopback and qemu scenarios. */
static void book_claims_about_buffers_mtu_and_qemu_hold(void **state)
{
    (void)state;
    /* "tcp_rmem of 8192: the most common read is ... and not 8192" */
    assert_true(summary_value("loopback-rmem8k", "common") < 8192);
    /* "16384 bytes: reads of up to N bytes, not of 8192" */
    assert_int_not_equal(summary_value("loopback-rmem16k", "largest"), 8192);
    /* "MTU of 8232 on Linux loopback: the 32769 bytes arrive together" */
    assert_int_equal(summary_value("loopback-mtu8232", "common"), MESSAGE_SIZE);
    /* "MTU of 8232 on the shaped veth, no timestamps: each read brings
     * whole segments of 8232 - 20 - 20 bytes, in a few recv()s"; that the
     * most common read is one segment, the text says only when it was
     * (a busy machine makes the server read several at once). */
    check_segments("mtu8232", 8232 - 20 - 20, 0);
    assert_true(summary_value("mtu8232", "max") <= 5);
    /* "the emulated server's first connection falls behind" is said only
     * when it did: a loaded machine may delay every connection alike. */
    long first = summary_value("linux-sparc", "first");
    long median = summary_value("linux-sparc", "median");
    int status;
    char *said = run_capture(
        "sed -n 's/^first-behind-linux-sparc\t//p' " RESULTS "/numbers.tsv", &status);
    assert_int_equal(status, 0);
    assert_string_equal(said, first < median ? "yes\n" : "no\n");
    free(said);
}

/* --------------------------------------------------- byte order (binary) */

/* Runs server and client (paths under build/bin, with their wrappers) on
 * this machine's loopback with a free port, the client sending 12345, and
 * returns what the server printed as received. */
static long long int_roundtrip(const char *server, const char *client)
{
    char command[2048];
    snprintf(command, sizeof command,
             "set -e; d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT; cd " BINDIR "; "
             ": >\"$d/server\"; timeout 30 %s -p 0 -n 1 >\"$d/server\" 2>&1 & "
             "port=''; for i in $(seq 100); do "
             "  port=$(sed -n 's/^server: listening on port //p' \"$d/server\"); "
             "  [ -n \"$port\" ] && break; sleep 0.1; done; "
             "timeout 30 %s -p \"$port\" 127.0.0.1 %d >/dev/null; wait; "
             "sed -n \"s/^Received '\\(.*\\)'$/\\1/p\" \"$d/server\"",
             server, client, SEED_NUMBER);
    int status;
    char *output = run_capture(command, &status);
    if (status != 0 || output[0] == '\0')
        fail_msg("%s -> %s: exit status %d, output '%s'", client, server, status, output);
    long long value = strtoll(output, NULL, 10);
    free(output);
    return value;
}

static void sparc_and_x86_swap_bytes_without_htonl(void **state)
{
    (void)state;
    if (!have_qemu())
        SKIP_BECAUSE("qemu-sparc64 or the SPARC programs are missing");
    long long swapped = byte_swapped(SEED_NUMBER);
    assert_int_equal(swapped, 959447040); /* the seed's Listings 9 and 10 */
    assert_int_equal(int_roundtrip("./serv-int", "qemu-sparc64 ./sparc64/cli-int"), swapped);
    assert_int_equal(int_roundtrip("qemu-sparc64 ./sparc64/serv-int", "./cli-int"), swapped);
    /* The same CPU on both ends: the mistake does not show. */
    assert_int_equal(int_roundtrip("./serv-int", "./cli-int"), SEED_NUMBER);
}

static void htonl_and_ntohl_keep_the_number(void **state)
{
    (void)state;
    if (!have_qemu())
        SKIP_BECAUSE("qemu-sparc64 or the SPARC programs are missing");
    assert_int_equal(int_roundtrip("./serv-int-net", "qemu-sparc64 ./sparc64/cli-int-net"),
                     SEED_NUMBER);
    assert_int_equal(int_roundtrip("qemu-sparc64 ./sparc64/serv-int-net", "./cli-int-net"),
                     SEED_NUMBER);
}

/* The book's own numbers say the same as the programs do now. */
static void book_numbers_show_the_swap(void **state)
{
    (void)state;
    char *numbers = read_file(RESULTS "/numbers.tsv");
    assert_non_null(numbers);
    char expected[64];
    snprintf(expected, sizeof expected, "\nint-sparc-intel-host-order\t%u\n",
             (unsigned)byte_swapped(SEED_NUMBER));
    assert_non_null(strstr(numbers, expected));
    snprintf(expected, sizeof expected, "\nint-intel-sparc-host-order\t%u\n",
             (unsigned)byte_swapped(SEED_NUMBER));
    assert_non_null(strstr(numbers, expected));
    assert_non_null(strstr(numbers, "\nint-sparc-intel-net-order\t12345\n"));
    assert_non_null(strstr(numbers, "\nint-intel-sparc-net-order\t12345\n"));
    free(numbers);
}

/* ------------------------------------------- the harness cleans up */

/* What the harness might leave behind, as text to compare: the root
 * namespace's interfaces, and the network namespaces not made by some
 * other concurrent lab run. */
static char *machine_state(void)
{
    int status;
    char *state =
        run_capture("ip -o link show | awk -F': ' '{ print $2 }' | sort; echo --; "
                    "ip netns list | awk '{ print $1 }' | grep -v '^mc823lab-' | sort",
                    &status);
    assert_int_equal(status, 0);
    return state;
}

/* Fails if a namespace of harness pid, or a process with port in its
 * command line (the harness's server and clients), still exists. */
static void assert_nothing_left(pid_t harness, int port)
{
    char command[1024];
    snprintf(command, sizeof command, "ip netns list | grep '^mc823lab-%ld-'", (long)harness);
    if (command_succeeds(command))
        fail_msg("namespace mc823lab-%ld-* is still there", (long)harness);
    snprintf(
        command, sizeof command,
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' 2>/dev/null <\"$f\"; echo; done | "
        "grep -E -- '-p %d( |$)' | grep -v -e grep -e 'for f in'",
        port);
    int status;
    char *left = run_capture(command, &status);
    if (left[0] != '\0')
        fail_msg("processes of the harness are still running: %s", left);
    free(left);
}

/* A port nobody else's lab run uses, so its processes can be told apart. */
static int private_port(void)
{
    return 20000 + (int)(getpid() % 20000);
}

static void harness_run_leaves_nothing(void **state)
{
    (void)state;
    const char *why = why_no_lab();
    if (why != NULL)
        SKIP_BECAUSE(why);
    char *before = machine_state();
    char outdir[128];
    assert_non_null(temporary_directory(outdir, sizeof outdir, "test-lab.XXXXXX"));
    int port = private_port();
    char command[1024];
    snprintf(command, sizeof command,
             "exec " LAB_SH " -d " BINDIR " -n 2 -p %d -o %s/run serv-32kb cli-32kb", port,
             outdir);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    char path[512];
    snprintf(path, sizeof path, "%s/run/transcript.txt", outdir);
    char *transcript = read_file(path);
    assert_non_null(transcript);
    char prompt[128];
    snprintf(prompt, sizeof prompt, "hostA$ ./serv-32kb -p %d -n 2\n", port);
    assert_non_null(strstr(transcript, prompt));
    snprintf(prompt, sizeof prompt, "hostB$ ./cli-32kb -p %d 10.82.3.1\n", port);
    assert_non_null(strstr(transcript, prompt));
    free(transcript);

    assert_nothing_left(child, port);
    char *after = machine_state();
    assert_string_equal(before, after);
    free(before);
    free(after);
    snprintf(command, sizeof command, "rm -rf %s", outdir);
    assert_true(command_succeeds(command));
}

/* Starts the harness on a long run (a SPARC server and 100 clients), waits
 * until its namespaces exist, sends signal_number, and checks that it ends
 * promptly, says so in its status, and leaves nothing. */
static void kill_harness_midway(int signal_number)
{
    const char *why = why_no_lab();
    if (why != NULL)
        SKIP_BECAUSE(why);
    if (!have_qemu())
        SKIP_BECAUSE("qemu-sparc64 or the SPARC programs are missing");
    char *before = machine_state();
    char outdir[128];
    assert_non_null(temporary_directory(outdir, sizeof outdir, "test-lab.XXXXXX"));
    int port = private_port() + 1;
    char port_text[16], out[512];
    snprintf(port_text, sizeof port_text, "%d", port);
    snprintf(out, sizeof out, "%s/run", outdir);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* A shell started by the test must see INT and TERM as usual. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execl(LAB_SH, LAB_SH, "-d", BINDIR, "-n", "100", "-p", port_text, "-A",
              "qemu-sparc64", "-o", out, "sparc64/serv-32kb", "cli-32kb", (char *)NULL);
        _exit(127);
    }
    char command[256];
    snprintf(command, sizeof command, "ip netns list | grep -q '^mc823lab-%ld-b'",
             (long)child);
    int waited = 0;
    while (!command_succeeds(command)) {
        assert_true(waited++ < 100); /* 10 s */
        struct timespec tenth = {0, 100000000};
        nanosleep(&tenth, NULL);
    }
    struct timespec a_moment = {0, 300000000}; /* let a few clients run */
    nanosleep(&a_moment, NULL);
    assert_int_equal(kill(child, signal_number), 0);

    int status = 0;
    pid_t done = 0;
    for (waited = 0; done == 0; waited++) {
        done = waitpid(child, &status, WNOHANG);
        if (done == 0 && waited > 300) { /* 30 s */
            kill(child, SIGKILL);
            fail_msg("the harness did not end within 30 s of signal %d", signal_number);
        }
        struct timespec tenth = {0, 100000000};
        nanosleep(&tenth, NULL);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 128 + signal_number);
    assert_nothing_left(child, port);
    char *after = machine_state();
    assert_string_equal(before, after);
    /* Nothing half-written: neither the output nor its partial directory. */
    snprintf(command, sizeof command, "test -z \"$(ls -A %s)\"", outdir);
    assert_true(command_succeeds(command));
    free(before);
    free(after);
    snprintf(command, sizeof command, "rm -rf %s", outdir);
    assert_true(command_succeeds(command));
}

static void harness_killed_by_sigterm_leaves_nothing(void **state)
{
    (void)state;
    kill_harness_midway(SIGTERM);
}

static void harness_killed_by_sigint_leaves_nothing(void **state)
{
    (void)state;
    kill_harness_midway(SIGINT);
}

static void harness_rejects_bad_input(void **state)
{
    (void)state;
    int status;
    char *output = run_capture(LAB_SH " -n many -o /tmp/x serv cli 2>&1", &status);
    assert_int_equal(status, 2);
    assert_true(strncmp(output, "lab.sh: invalid -n 'many'", 25) == 0);
    free(output);
    output = run_capture(BINDIR "/cli-int 127.0.0.1 12x 2>&1", &status);
    assert_int_equal(status, 2);
    assert_true(strncmp(output, "cli-int: invalid number '12x'", 29) == 0);
    free(output);
}

/* ------------------------------------------- the recorded reference */

/* The first column of each line of a TSV (or every key of numbers.tsv),
 * sorted, as one string, after the header line. */
static char *first_column(const char *path)
{
    char command[1024];
    snprintf(command, sizeof command, "cut -f 1 '%s' | sort", path);
    int status;
    char *column = run_capture(command, &status);
    assert_int_equal(status, 0);
    return column;
}

static char *header_line(const char *path)
{
    char command[1024];
    snprintf(command, sizeof command, "head -n 1 '%s'", path);
    int status;
    char *header = run_capture(command, &status);
    assert_int_equal(status, 0);
    return header;
}

static void recorded_run_builds_the_same_tables(void **state)
{
    (void)state;
    char outdir[128];
    assert_non_null(temporary_directory(outdir, sizeof outdir, "test-lab-recorded.XXXXXX"));
    char command[1024];
    snprintf(command, sizeof command,
             "RECORDED=1 " EXPERIMENT_SH " " BINDIR " %s/out >/dev/null", outdir);
    assert_true(command_succeeds(command));

    const char *files[] = {"recv-table.tsv", "int-table.tsv", "numbers.tsv", "recvs.data"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char built[256], recorded[256];
        snprintf(built, sizeof built, RESULTS "/%s", files[i]);
        snprintf(recorded, sizeof recorded, "%s/out/%s", outdir, files[i]);
        char *built_header = header_line(built), *recorded_header = header_line(recorded);
        if (strcmp(files[i], "numbers.tsv") != 0) /* its first line is data */
            assert_string_equal(built_header, recorded_header);
        char *built_rows = first_column(built), *recorded_rows = first_column(recorded);
        if (strcmp(files[i], "recvs.data") == 0) { /* the same scenarios */
            snprintf(command, sizeof command, "cut -f 1 '%s' | sort -u", built);
            free(built_rows);
            int status;
            built_rows = run_capture(command, &status);
            snprintf(command, sizeof command, "cut -f 1 '%s' | sort -u", recorded);
            free(recorded_rows);
            recorded_rows = run_capture(command, &status);
        }
        assert_string_equal(built_rows, recorded_rows);
        free(built_header);
        free(recorded_header);
        free(built_rows);
        free(recorded_rows);
    }
    /* And the PDF will say the numbers were not regenerated. */
    snprintf(command, sizeof command,
             "grep -q '^lab-source\tNÃO regenerad' %s/out/numbers.tsv", outdir);
    assert_true(command_succeeds(command));
    snprintf(command, sizeof command, "rm -rf %s", outdir);
    assert_true(command_succeeds(command));
}

int main(void)
{
    tl_lab_recorded_dir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shaped_link_delivers_1448_byte_segments),
        cmocka_unit_test(sender_without_timestamps_sends_1460_byte_segments),
        cmocka_unit_test(sparc_and_x86_swap_bytes_without_htonl),
        cmocka_unit_test(htonl_and_ntohl_keep_the_number),
        cmocka_unit_test(book_numbers_show_the_swap),
        cmocka_unit_test(book_claims_about_buffers_mtu_and_qemu_hold),
        cmocka_unit_test(harness_rejects_bad_input),
        cmocka_unit_test(harness_run_leaves_nothing),
        cmocka_unit_test(harness_killed_by_sigterm_leaves_nothing),
        cmocka_unit_test(harness_killed_by_sigint_leaves_nothing),
        cmocka_unit_test(recorded_run_builds_the_same_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
