/* expect: serves_two_at_once: a second client got no echo
 * Wrong on purpose: no fork(): the server echoes one client at a time. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define MYPORT 3490 /* the seed's port */
#define BACKLOG 10
#define BUFFER_SIZE 8192
#define CHILDREN_DEADLINE 20 /* seconds the server waits for its children at the end */
#define DEFAULT_CHILDREN 5

static const char *program_name = "serv-echo-fork-cap";

static void echo_connection(int connection, const char *peer);
static void usage(FILE *stream);
static int failure_said; /* a line on stderr already says why we exit */

/* A bad command line: one line naming the problem, the usage, exit 2. */
static void usage_error(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    usage(stderr);
    failure_said = 1;
    exit(2);
}

/* A failed system call: what we were doing, strerror(errno), exit 1. */
static void fail(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", program_name, what, strerror(errno));
    failure_said = 1;
    exit(1);
}

/* Run by exit(): if the standard output could not be written, one line
 * and exit status 1, unless a failure was already said and is exiting. */
static void check_standard_output(void)
{
    if (failure_said)
        return;
    if (fflush(stdout) == EOF) {
        fprintf(stderr, "%s: write to stdout: %s\n", program_name, strerror(errno));
        _exit(1);
    }
    if (ferror(stdout)) {
        fprintf(stderr, "%s: write to stdout: an earlier write failed\n", program_name);
        _exit(1);
    }
}
/* Returns 0 and stores the number in *value if text is a whole decimal
 * number from min to max: digits only, led by a '-' only when min < 0.
 * Returns -1 otherwise: for "", " 5", "+5", "5x" and overflow too. */
static int parse_number(const char *text, long min, long max, long *value)
{
    const char *digits = text[0] == '-' && min < 0 ? text + 1 : text;
    if (!isdigit((unsigned char)digits[0]))
        return -1;
    char *end;
    errno = 0;
    long number = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || number < min || number > max)
        return -1;
    *value = number;
    return 0;
}
/* Returns 0 and stores the port if text is a whole decimal number from 0
 * to 65535, and -1 otherwise. */
static int parse_port(const char *text, uint16_t *port)
{
    long value;
    if (parse_number(text, 0, 65535, &value) == -1)
        return -1;
    *port = (uint16_t)value;
    return 0;
}
/* Listens on every local IPv4 address at port (0: any free port) and
 * stores the port actually bound in *bound_port. */
static int open_listening_socket(uint16_t port, uint16_t *bound_port)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener == -1)
        fail("socket");
    int yes = 1;
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == -1)
        fail("setsockopt SO_REUSEADDR");

    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) == -1) {
        fprintf(stderr, "%s: cannot bind port %u: %s\n", program_name, (unsigned)port,
                strerror(errno));
        exit(1);
    }
    if (listen(listener, BACKLOG) == -1)
        fail("listen");

    socklen_t length = sizeof address;
    if (getsockname(listener, (struct sockaddr *)&address, &length) == -1)
        fail("getsockname");
    *bound_port = ntohs(address.sin_port);
    return listener;
}
#define ACCEPT_RETRY_MS 100 /* the pause after accept() runs out of resources */

/* Waits for the next connection and writes the client's address into
 * peer_name (size bytes, INET_ADDRSTRLEN is enough). Out of descriptors
 * or memory, says so once and tries again every ACCEPT_RETRY_MS. */
static int accept_client(int listener, char *peer_name, size_t size)
{
    int said = 0; /* this burst of failures has been reported */
    for (;;) {
        struct sockaddr_in peer;
        socklen_t peer_length = sizeof peer;
        int connection = accept(listener, (struct sockaddr *)&peer, &peer_length);
        if (connection == -1) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM)
                fail("accept");
            if (!said)
                fprintf(stderr, "%s: accept: %s; trying again every %d ms\n", program_name,
                        strerror(errno), ACCEPT_RETRY_MS);
            said = 1;
            poll(NULL, 0, ACCEPT_RETRY_MS);
            continue;
        }
        if (inet_ntop(AF_INET, &peer.sin_addr, peer_name, (socklen_t)size) == NULL)
            fail("inet_ntop");
        return connection;
    }
}
/* Calls send() until all n bytes have been handed to the kernel. Returns n,
 * or -1 with errno set; EINTR makes it try again. */
static ssize_t send_all(int fd, const void *buffer, size_t n)
{
    size_t total = 0;
    while (total < n) {
        ssize_t sent = send(fd, (const char *)buffer + total, n - total, MSG_NOSIGNAL);
        if (sent == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        total += (size_t)sent;
    }
    return (ssize_t)total;
}
/* "255.255.255.255:65535" and its '\0' fit in ADDRESS_TEXT_SIZE bytes. */
#define ADDRESS_TEXT_SIZE (INET_ADDRSTRLEN + sizeof ":65535")

/* Writes an IPv4 address and port as "IP:PORT" into text. */
static void format_address(const struct sockaddr_in *address, char *text, size_t size)
{
    char ip[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &address->sin_addr, ip, sizeof ip) == NULL)
        fail("inet_ntop");
    snprintf(text, size, "%s:%u", ip, (unsigned)ntohs(address->sin_port));
}
/* Writes "IP:PORT" of the client of connection into text; if the client
 * has already reset the connection (getpeername() fails with ENOTCONN),
 * writes ip, accept()'s answer, alone. */
static void name_client(int connection, const char *ip, char *text, size_t size)
{
    struct sockaddr_in peer;
    socklen_t length = sizeof peer;
    if (getpeername(connection, (struct sockaddr *)&peer, &length) == 0)
        format_address(&peer, text, size);
    else
        snprintf(text, size, "%s", ip);
}
/* A failed call that ends one connection, not the server. */
static void connection_failed(const char *what, const char *peer)
{
    fprintf(stderr, "%s: %s %s: %s\n", program_name, what, peer, strerror(errno));
}
/* Waits, at most CHILDREN_DEADLINE seconds, until no child is left. */
static void wait_for_children(void)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (long ticks = 0; ticks < CHILDREN_DEADLINE * 100L; ticks++) {
        pid_t done = waitpid(-1, NULL, WNOHANG);
        if (done == -1 && errno == ECHILD)
            return;
        if (done <= 0)
            nanosleep(&tick, NULL);
    }
    fprintf(stderr, "%s: children still running after %d s; exiting without them\n",
            program_name, CHILDREN_DEADLINE);
}
static void echo_connection(int connection, const char *peer)
{
    char buffer[BUFFER_SIZE];
    for (;;) {
        ssize_t received = recv(connection, buffer, sizeof buffer, 0);
        if (received == -1 && errno == EINTR)
            continue;
        if (received == -1) {
            connection_failed("recv from", peer);
            return;
        }
        if (received == 0)
            return; /* the client closed its side */
        if (send_all(connection, buffer, (size_t)received) == -1) {
            connection_failed("send to", peer);
            return;
        }
    }
}
/* The parent adds one per fork(), the handler takes one away per child
 * it collects: a volatile sig_atomic_t, since the handler writes it. */
static volatile sig_atomic_t children_alive;

static void collect_children(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        children_alive--;
    errno = saved_errno;
}

static void prepare_for_children(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = collect_children;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &action, NULL) == -1)
        fail("sigaction SIGCHLD");
}

/* Blocks SIGCHLD, storing the mask it replaced in *old. */
static void block_sigchld(sigset_t *old)
{
    sigset_t sigchld;
    sigemptyset(&sigchld);
    sigaddset(&sigchld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &sigchld, old) == -1)
        fail("sigprocmask");
}
/* serve_in_a_child(), counting: the child is counted with SIGCHLD
 * blocked, so the handler cannot run in the middle of the sum. */
static void serve_in_a_counted_child(int listener, int connection, const char *peer)
{
    sigset_t old;
    block_sigchld(&old);
    fflush(stdout);
    pid_t child = 0; /* no fork(): one client at a time */
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        (void)listener;
        echo_connection(connection, peer);
        printf("server: closing connection %s\n", peer);
        close(connection);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return;
    }
    if (child == -1)
        connection_failed("fork: closing the connection from", peer);
    else
        children_alive++;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(connection);
}
/* Returns when fewer than limit children are alive. The count is tested
 * with SIGCHLD blocked, and sigsuspend() unblocks it and sleeps in one
 * step: a child that ends between the test and the sleep is not missed. */
static void wait_for_room(long limit)
{
    sigset_t old;
    block_sigchld(&old);
    while (children_alive >= limit)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
}
static void usage(FILE *stream)
{
    fprintf(stream, "usage: %s [-p PORT] [-n CONNECTIONS] [-k CHILDREN]\n", program_name);
}

int main(int argc, char *argv[])
{
    uint16_t port = MYPORT;
    long connections = 0, limit = DEFAULT_CHILDREN;
    if (atexit(check_standard_output) != 0)
        fail("atexit");
    int option;
    opterr = 0;
    while ((option = getopt(argc, argv, ":p:n:k:h")) != -1) {
        switch (option) {
        case 'p':
            if (parse_port(optarg, &port) == -1)
                usage_error("invalid port '%s': expected a number from 0 to 65535", optarg);
            break;
        case 'n':
            if (parse_number(optarg, 1, 1000000, &connections) == -1)
                usage_error("invalid connection count '%s': expected 1 to 1000000", optarg);
            break;
        case 'k':
            if (parse_number(optarg, 1, 10000, &limit) == -1)
                usage_error("invalid child limit '%s': expected 1 to 10000", optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            usage_error("option '-%c' needs a value", optopt);
            break;
        default:
            usage_error("unknown option '-%c'", optopt);
            break;
        }
    }
    if (optind != argc)
        usage_error("unexpected argument '%s'", argv[optind]);

    setvbuf(stdout, NULL, _IOLBF, 0);
    prepare_for_children();
    uint16_t bound_port;
    int listener = open_listening_socket(port, &bound_port);
    printf("server: listening on port %u\n", (unsigned)bound_port);
    for (long accepted = 0; connections == 0 || accepted < connections; accepted++) {
        wait_for_room(limit);
        char ip[INET_ADDRSTRLEN], peer[ADDRESS_TEXT_SIZE];
        int connection = accept_client(listener, ip, sizeof ip);
        name_client(connection, ip, peer, sizeof peer);
        printf("server: got connection from %s\n", peer);
        serve_in_a_counted_child(listener, connection, peer);
    }
    close(listener);
    wait_for_children();
    return 0;
}
