/* test-robustez: every server of the book, the real programs in build/bin,
 * when things go wrong around it, on 127.0.0.1 and ephemeral ports.
 *   - out of descriptors (prlimit --nofile=4: accept() fails with EMFILE
 *     while a client waits), a server neither dies nor floods stderr: one
 *     line in 1.5 s; when the limit is raised (prlimit --pid) it serves
 *     the waiting client.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(out_of_descriptors_a_server_waits_says_it_once_and_recovers),
    };
    return cmocka_run_group_tests_name("robustez", tests, NULL, NULL);
}
