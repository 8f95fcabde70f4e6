/* test-robustez: every server of the book, the real programs in build/bin,
 * when things go wrong around it, on 127.0.0.1 and ephemeral ports.
 *   - out of descriptors (prlimit --nofile=4: accept() fails with EMFILE
 *     while a client waits), a server neither dies nor floods stderr: one
 *     line in 1.5 s; when the limit is raised (prlimit --pid) it serves
 *     the waiting client.
 *   - a standard output that cannot be written (/dev/full): every program
 *     exits 1 with one line "PROGRAM: write to stdout: ...", for -h and
 *     for a real run (a server with -n 1 and one client; each client
 *     against its server).
 * Every wait is bounded, with margins for a loaded 2-core machine. */
#include "testlib.h"

static const char *const servers[] = {
    "build/bin/serv-hello",     "build/bin/serv-echo",           "build/bin/serv-32kb",
    "build/bin/serv-peername",  "build/bin/serv-noreuse",        "build/bin/serv-int",
    "build/bin/serv-int-net",   "build/bin/serv-msg",            "build/bin/serv-echo-fork",
    "build/bin/serv-echo-fork-zombie", "build/bin/serv-echo-fork-signal",
    "build/bin/serv-echo-fork-bytewise",
};
#define SERVERS (sizeof servers / sizeof servers[0])

static int still_running(struct tl_proc *proc)
{
    int status;
    return proc->pid > 0 && waitpid(proc->pid, &status, WNOHANG) == 0;
}

/* ------------------------------------------ accept() out of descriptors */

static void out_of_descriptors_a_server_waits_says_it_once_and_recovers(void **state)
{
    (void)state;
    static struct tl_proc proc[SERVERS];
    int clients[SERVERS];
    /* Descriptors 0, 1, 2 and the listening socket: accept() has none left
     * (the soft limit; the hard one, 64, lets the test raise it later). */
    for (size_t i = 0; i < SERVERS; i++) {
        char *argv[] = {"/usr/bin/prlimit", "--nofile=4:64", (char *)servers[i], "-p", "0",
                        "-n", "1", NULL};
        unsigned port = tl_program_start_argv(&proc[i], argv, servers[i]);
        clients[i] = tl_connect_loopback(port); /* the kernel completes it */
    }
    double until = tl_now() + 1.5;
    while (tl_now() < until)
        for (size_t i = 0; i < SERVERS; i++)
            tl_proc_pump(&proc[i], tl_now() + 0.01);
    for (size_t i = 0; i < SERVERS; i++) {
        const char *err = tl_text_str(&proc[i].err);
        print_message("  %s: %zu stderr lines in 1.5 s: %s", servers[i], tl_count_lines(err),
                      err);
        if (!still_running(&proc[i]))
            fail_msg("%s exited when accept() failed with EMFILE", servers[i]);
        assert_int_equal(tl_count_lines(err), 1);
        assert_non_null(strstr(err, strerror(EMFILE)));
    }
    /* More descriptors: each server takes its client and, with -n 1, ends. */
    for (size_t i = 0; i < SERVERS; i++) {
        char command[128];
        snprintf(command, sizeof command, "prlimit --pid %d --nofile=64:64", (int)proc[i].pid);
        struct tl_proc raise;
        if (tl_sh(&raise, 10, command) != 0)
            fail_msg("%s: %s", command, tl_text_str(&raise.err));
        tl_proc_free(&raise);
    }
    for (size_t i = 0; i < SERVERS; i++) {
        double deadline = tl_now() + 10;
        while (strstr(tl_text_str(&proc[i].out), "got connection from") == NULL &&
               tl_now() < deadline && tl_proc_pump(&proc[i], deadline))
            ;
        close(clients[i]);
        int status = tl_proc_finish(&proc[i], 20);
        if (strstr(proc[i].out.data, "got connection from") == NULL || status != 0)
            fail_msg("%s did not serve its client after the limit was raised (status %d): %s",
                     servers[i], status, proc[i].out.data);
        /* Still one accept() line (serv-int may add one about the client). */
        const char *said = strstr(proc[i].err.data, "accept:");
        assert_non_null(said);
        assert_null(strstr(said + 1, "accept:"));
        tl_proc_free(&proc[i]);
    }
}


/* ----------------------------------------------- the standard output */

static const char *const programs[] = {
    "serv-hello", "cli-hello", "serv-echo", "cli-echo", "serv-32kb", "cli-32kb",
    "serv-peername", "cli-sockname", "serv-noreuse", "accept-vs-getpeername",
    "cli-int", "serv-int", "cli-int-net", "serv-int-net", "show-bytes", "cli-msg",
    "serv-msg", "sizes", "serv-echo-fork", "serv-echo-fork-zombie",
    "serv-echo-fork-signal", "serv-echo-fork-bytewise", "cli-many-connections",
};
#define PROGRAMS (sizeof programs / sizeof programs[0])

/* The lines of text that start with "NAME: write to stdout: ". */
static size_t stdout_complaints(const char *text, const char *name)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s: write to stdout: ", name);
    size_t n = 0;
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            n++;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return n;
}

/* Runs the shell command line; it must exit 1 with exactly one stderr
 * line, the complaint of name about the standard output. */
static void check_lost_output(const char *name, const char *command)
{
    struct tl_proc run;
    int status = tl_sh(&run, 20, command);
    const char *err = tl_text_str(&run.err);
    print_message("  %-24s exit %d: %s", name, status, err);
    if (status != 1 || tl_count_lines(err) != 1 || stdout_complaints(err, name) != 1)
        fail_msg("%s: expected exit 1 and one line '%s: write to stdout: ...', got %d: '%s'",
                 command, name, status, err);
    tl_proc_free(&run);
}

static void with_a_full_standard_output_h_exits_1(void **state)
{
    (void)state;
    for (size_t i = 0; i < PROGRAMS; i++) {
        char command[256];
        snprintf(command, sizeof command, "exec build/bin/%s -h >/dev/full", programs[i]);
        check_lost_output(programs[i], command);
    }
}

static void with_a_full_standard_output_a_client_exits_1(void **state)
{
    (void)state;
    static const struct {
        const char *client, *server, *command;
    } runs[] = {
        {"cli-hello", "serv-hello", "exec build/bin/cli-hello -p %u 127.0.0.1"},
        {"cli-echo", "serv-echo", "echo hi | exec build/bin/cli-echo -p %u 127.0.0.1"},
        {"cli-32kb", "serv-32kb", "exec build/bin/cli-32kb -p %u 127.0.0.1"},
        {"cli-sockname", "serv-peername", "exec build/bin/cli-sockname -p %u 127.0.0.1"},
        {"cli-int", "serv-int", "exec build/bin/cli-int -p %u 127.0.0.1 5"},
        {"cli-int-net", "serv-int-net", "exec build/bin/cli-int-net -p %u 127.0.0.1 5"},
        {"cli-msg", "serv-msg", "echo hi | exec build/bin/cli-msg -p %u 127.0.0.1"},
        {"cli-many-connections", "serv-echo-fork",
         "exec build/bin/cli-many-connections -c 1 -p %u 127.0.0.1"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char server_path[128], format[256], command[300];
        snprintf(server_path, sizeof server_path, "build/bin/%s", runs[i].server);
        struct tl_proc server;
        unsigned port = tl_program_start(&server, server_path, 1);
        snprintf(format, sizeof format, "%s >/dev/full", runs[i].command);
        snprintf(command, sizeof command, format, port);
        check_lost_output(runs[i].client, command);
        tl_proc_finish(&server, 20);
        tl_proc_free(&server);
    }
    check_lost_output("show-bytes", "exec build/bin/show-bytes 5 >/dev/full");
    check_lost_output("sizes", "exec build/bin/sizes >/dev/full");
    check_lost_output("accept-vs-getpeername",
                      "exec build/bin/accept-vs-getpeername >/dev/full");
}

/* A port that was free a moment ago (bound, then closed). */
static unsigned free_port(void)
{
    unsigned port;
    close(tl_loopback_socket(&port));
    return port;
}

static void with_a_full_standard_output_a_server_exits_1(void **state)
{
    (void)state;
    for (size_t i = 0; i < SERVERS; i++) {
        unsigned port = free_port();
        char command[256];
        snprintf(command, sizeof command, "exec %s -p %u -n 1 >/dev/full", servers[i], port);
        char *argv[] = {"/bin/sh", "-c", command, NULL};
        struct tl_proc server;
        if (tl_proc_start(&server, argv) == -1)
            fail_msg("cannot start %s", command);
        /* One client, once the server listens (it cannot say when). */
        int client = -1;
        double deadline = tl_now() + 10;
        while (client == -1 && tl_now() < deadline) {
            client = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in address = {.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t)port)};
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (connect(client, (struct sockaddr *)&address, sizeof address) == -1) {
                close(client);
                client = -1;
                tl_sleep(0.02);
            }
        }
        if (client == -1) {
            tl_proc_finish(&server, 1);
            fail_msg("%s: no connection in 10 s; stderr: %s", command, server.err.data);
        }
        close(client);
        int status = tl_proc_finish(&server, 20);
        const char *err = tl_text_str(&server.err);
        const char *name = strrchr(servers[i], '/') + 1;
        size_t said = stdout_complaints(err, name);
        print_message("  %-24s exit %d: %s", name, status, err);
        /* One line from the server; a concurrent server's child (it
         * inherits the stream in error) may add its own. */
        if (status != 1 || said < 1 || said > (strstr(name, "fork") ? 2u : 1u))
            fail_msg("%s: expected exit 1 and one '%s: write to stdout' line, got %d: '%s'",
                     command, name, status, err);
        tl_proc_free(&server);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(out_of_descriptors_a_server_waits_says_it_once_and_recovers),
        cmocka_unit_test(with_a_full_standard_output_h_exits_1),
        cmocka_unit_test(with_a_full_standard_output_a_client_exits_1),
        cmocka_unit_test(with_a_full_standard_output_a_server_exits_1),
    };
    return cmocka_run_group_tests_name("robustez", tests, NULL, NULL);
}
