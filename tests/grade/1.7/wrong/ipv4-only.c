/* expect: greets_ipv6: cannot connect to ::1
 * Wrong on purpose: the book's serv-hello as it is: IPv4 only. */
/* Generated from chapters/01-revisao-cliente-servidor.nw by notangle:
 * edit that file, not this one. */
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

#define MYPORT 3490 /* the seed's port: Beej's guide uses it too */
#define BACKLOG 10  /* connections the kernel may queue before accept() */
#define GREETING "Hello, world!\n"

static const char *program_name = "serv-hello";

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
static void usage(FILE *stream)
{
    fprintf(stream, "usage: %s [-p PORT] [-n CONNECTIONS]\n", program_name);
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
static void serve_connection(int connection, const char *peer_name)
{
    printf("server: got connection from %s\n", peer_name);
    if (send_all(connection, GREETING, strlen(GREETING)) == -1)
        fprintf(stderr, "%s: send to %s: %s\n", program_name, peer_name, strerror(errno));
    close(connection);
}
#define CONNECTION_TIMEOUT 10 /* seconds a recv() or send() may wait for the client */

/* Makes a recv() or send() on connection that waits CONNECTION_TIMEOUT
 * seconds fail with EAGAIN, so an idle client cannot hold the server. */
static void limit_waiting(int connection, const char *peer_name)
{
    struct timeval limit = {CONNECTION_TIMEOUT, 0};
    if (setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == -1 ||
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) == -1)
        fprintf(stderr, "%s: setsockopt timeout for %s: %s; serving without one\n",
                program_name, peer_name, strerror(errno));
}
int main(int argc, char *argv[])
{
    uint16_t port = MYPORT;
    long connections = 0; /* 0: serve forever */
    if (atexit(check_standard_output) != 0)
        fail("atexit");
    int option;
    opterr = 0;
    while ((option = getopt(argc, argv, ":p:n:h")) != -1) {
        switch (option) {
        case 'p':
            if (parse_port(optarg, &port) == -1)
                usage_error("invalid port '%s': expected a number from 0 to 65535", optarg);
            break;
        case 'n':
            if (parse_number(optarg, 1, 1000000, &connections) == -1)
                usage_error("invalid connection count '%s': expected a number from 1 to 1000000",
                            optarg);
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
    uint16_t bound_port;
    int listener = open_listening_socket(port, &bound_port);
    printf("server: listening on port %u\n", (unsigned)bound_port);
    for (long served = 0; connections == 0 || served < connections; served++) {
        char peer_name[INET_ADDRSTRLEN];
        int connection = accept_client(listener, peer_name, sizeof peer_name);
        limit_waiting(connection, peer_name);
        serve_connection(connection, peer_name);
    }
    close(listener);
    return 0;
}
