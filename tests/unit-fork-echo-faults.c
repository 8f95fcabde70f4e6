/* unit-fork-echo-faults: unit-echo-faults' cases for the echo loop of
 * chapter 5's serv-echo-fork (echo_connection, what each child runs): short
 * counts, EINTR, ECONNRESET, EPIPE, EAGAIN, with recv() and send() wrapped. */
#define main serv_echo_fork_main
/* NOLINTNEXTLINE(bugprone-suspicious-include): its static functions are tested */
#include "../build/tangle/05-servidor-concorrente/serv-echo-fork.c"
#undef main
#define ECHO_NAME "serv-echo-fork"
#define ECHO(fd, peer) echo_connection(fd, peer)

/* NOLINTNEXTLINE(bugprone-suspicious-include): the same cases, another program */
#include "unit-echo-faults.c"
