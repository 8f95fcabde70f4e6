/* fuzz-command-lines: the main() of the book's programs, chapters 1 to 5,
 * on fuzzed command lines, up to their first step on the network.
 *
 * Each program is compiled on its own from build/tangle/ (the Makefile's
 * FUZZ_PROGRAMS), with redirect.h and its main() renamed main_NAME. The
 * network calls are replaced (ld --wrap) and end the run at the first
 * one that shows what the command line was taken to mean: bind() (a
 * server's port, asked of getaddrinfo(NULL, PORT, AI_PASSIVE) first; a
 * client's local port), connect() (after getaddrinfo()
 * was asked for HOST and PORT), or send() (chapter 4's four bytes of
 * NUMBER). ref_options() and the rules of each program's chapter say
 * what should have happened: -h, a usage error with its message, or
 * that step with those values; show-bytes and sizes run to the end.
 *
 * Input: one byte that picks the program, then the arguments separated
 * by NUL bytes. */
#include "fuzz.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference.h"

int main_serv_echo(int argc, char *argv[]);
int main_cli_echo(int argc, char *argv[]);
int main_cli_sockname(int argc, char *argv[]);
int main_accept_vs_getpeername(int argc, char *argv[]);
int main_show_bytes(int argc, char *argv[]);
int main_sizes(int argc, char *argv[]);
int main_cli_int(int argc, char *argv[]);
int main_cli_int_net(int argc, char *argv[]);
int main_cli_many_connections(int argc, char *argv[]);

/* How a program reads its command line, and what it does next. */
enum shape {
    SERVER,           /* [-p PORT] [-n CONNECTIONS] [-t SECONDS], then bind(PORT) */
    CLIENT,           /* [-p PORT] HOST, then connect */
    CLIENT_LOCALPORT, /* [-p PORT] HOST [LOCALPORT]: bind(LOCALPORT) or connect */
    NO_ARGUMENTS,     /* -h only, then bind() to port 0 */
    NO_ARGUMENTS_RUN, /* -h only, then prints and returns 0 */
    NUMBER_ONLY,      /* NUMBER: prints its bytes and returns 0 */
    CLIENT_NUMBER,    /* [-p PORT] HOST NUMBER, then sends NUMBER */
    CLIENT_COUNT,     /* [-p PORT] [-c COUNT] HOST, then connect */
};

static const struct program {
    const char *name;
    int (*main)(int argc, char *argv[]);
    enum shape shape;
    int network_order; /* CLIENT_NUMBER: htonl() */
} programs[] = {
    {"serv-echo", main_serv_echo, SERVER, 0},
    {"cli-echo", main_cli_echo, CLIENT, 0},
    {"cli-sockname", main_cli_sockname, CLIENT_LOCALPORT, 0},
    {"accept-vs-getpeername", main_accept_vs_getpeername, NO_ARGUMENTS, 0},
    {"show-bytes", main_show_bytes, NUMBER_ONLY, 0},
    {"sizes", main_sizes, NO_ARGUMENTS_RUN, 0},
    {"cli-int", main_cli_int, CLIENT_NUMBER, 0},
    {"cli-int-net", main_cli_int_net, CLIENT_NUMBER, 1},
    {"cli-many-connections", main_cli_many_connections, CLIENT_COUNT, 0},
};
enum { PROGRAMS = sizeof programs / sizeof programs[0], DEFAULT_PORT = 3490 };

/* ----------------------------------------------- the network, replaced */

enum stop { STOP_BIND, STOP_CONNECT, STOP_SEND };

static struct {
    int stop_at_send;     /* connect() succeeds: the program goes on to send() */
    char *host, *service; /* what getaddrinfo() was asked for a peer */
    char *passive;        /* the service of getaddrinfo(NULL, ..., AI_PASSIVE) */
    int bound;            /* the port bind() was given */
    unsigned char sent[4];
    size_t sent_length;
    int fds[8];
    int fd_count;
} net;

static struct sockaddr_in loopback;
static struct addrinfo answer;
static struct sockaddr_in6 wildcard; /* a server's ::, its port from the service */
static struct addrinfo passive_answer;

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **result);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **result)
{
    if (node == NULL && hints != NULL && (hints->ai_flags & AI_PASSIVE)) {
        FUZZ_CHECK(net.passive == NULL, "getaddrinfo(NULL, AI_PASSIVE) called twice");
        net.passive = strdup(service != NULL ? service : "(null)");
        memset(&wildcard, 0, sizeof wildcard);
        wildcard.sin6_family = AF_INET6;
        wildcard.sin6_port = htons((uint16_t)strtoul(net.passive, NULL, 10));
        passive_answer.ai_family = AF_INET6;
        passive_answer.ai_socktype = SOCK_STREAM;
        passive_answer.ai_addr = (struct sockaddr *)&wildcard;
        passive_answer.ai_addrlen = sizeof wildcard;
        passive_answer.ai_next = NULL;
        *result = &passive_answer;
        return 0;
    }
    FUZZ_CHECK(net.host == NULL, "getaddrinfo() called twice");
    net.host = strdup(node != NULL ? node : "(null)");
    net.service = strdup(service != NULL ? service : "(null)");
    loopback.sin_family = AF_INET;
    loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    answer.ai_family = AF_INET;
    answer.ai_socktype = SOCK_STREAM;
    answer.ai_addr = (struct sockaddr *)&loopback;
    answer.ai_addrlen = sizeof loopback;
    answer.ai_next = NULL;
    *result = &answer;
    return 0;
}

void __real_freeaddrinfo(struct addrinfo *list);
void __wrap_freeaddrinfo(struct addrinfo *list);
void __wrap_freeaddrinfo(struct addrinfo *list)
{
    if (list != &answer && list != &passive_answer)
        __real_freeaddrinfo(list);
}

/* A socket is /dev/null: a real descriptor that close() accepts. */
int __wrap_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol)
{
    (void)domain, (void)type, (void)protocol;
    FUZZ_CHECK(net.fd_count < 8, "more than 8 sockets");
    int fd = open("/dev/null", O_RDWR);
    FUZZ_CHECK(fd != -1, "open /dev/null");
    net.fds[net.fd_count++] = fd;
    return fd;
}

int __wrap_setsockopt(int fd, int level, int name, const void *value, socklen_t length);
int __wrap_setsockopt(int fd, int level, int name, const void *value, socklen_t length)
{
    (void)fd, (void)level, (void)name, (void)value, (void)length;
    return 0;
}

int __wrap_bind(int fd, const struct sockaddr *address, socklen_t length);
int __wrap_bind(int fd, const struct sockaddr *address, socklen_t length)
{
    (void)fd;
    if (address->sa_family == AF_INET6) {
        FUZZ_CHECK(length == sizeof(struct sockaddr_in6), "bind() with a short IPv6 address");
        net.bound = ntohs(((const struct sockaddr_in6 *)(const void *)address)->sin6_port);
    } else {
        FUZZ_CHECK(length == sizeof(struct sockaddr_in) && address->sa_family == AF_INET,
                   "bind() to something else than an IPv4 or IPv6 address");
        net.bound = ntohs(((const struct sockaddr_in *)(const void *)address)->sin_port);
    }
    fuzz_stop(STOP_BIND);
}

int __wrap_connect(int fd, const struct sockaddr *address, socklen_t length);
int __wrap_connect(int fd, const struct sockaddr *address, socklen_t length)
{
    (void)fd, (void)address, (void)length;
    if (!net.stop_at_send)
        fuzz_stop(STOP_CONNECT);
    return 0;
}

ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags);
ssize_t __wrap_send(int fd, const void *buffer, size_t n, int flags)
{
    (void)fd, (void)flags;
    net.sent_length = n;
    memcpy(net.sent, buffer, n < sizeof net.sent ? n : sizeof net.sent);
    fuzz_stop(STOP_SEND);
}

static void net_reset(int stop_at_send)
{
    for (int i = 0; i < net.fd_count; i++)
        close(net.fds[i]);
    free(net.host);
    free(net.service);
    free(net.passive);
    memset(&net, 0, sizeof net);
    net.bound = -1;
    net.stop_at_send = stop_at_send;
}

/* ------------------------------------------------------ the reference */

struct expected {
    int status;             /* what fuzz_run() should return */
    struct ref_outcome how; /* REF_USAGE: the message */
    const char *host;       /* getaddrinfo(host, port), if not NULL */
    long port;
    long bound;           /* STOP_BIND */
    int32_t number;       /* STOP_SEND */
    char first_line[128]; /* FUZZ_RETURNED: stdout starts with it */
};

static const struct ref_option server_table[] = {{'p', "port", 0, 65535},
                                                 {'n', "connection count", 1, 1000000},
                                                 {'t', "timeout", 1, 86400}};
static const struct ref_option client_table[] = {{'p', "port", 1, 65535}};
static const struct ref_option count_table[] = {{'p', "port", 1, 65535},
                                                {'c', "count", 1, 1000000}};

static void expect(const struct program *program, int argc, char **argv, struct expected *e)
{
    const struct ref_option *table = NULL;
    int options = 0;
    if (program->shape == SERVER)
        table = server_table, options = 3;
    else if (program->shape == CLIENT_COUNT)
        table = count_table, options = 2;
    else if (program->shape != NO_ARGUMENTS && program->shape != NO_ARGUMENTS_RUN &&
             program->shape != NUMBER_ONLY)
        table = client_table, options = 1;
    struct ref_outcome *how = &e->how;
    ref_options(argc, argv, table, options, how);
    e->port = how->given[0] ? how->value[0] : DEFAULT_PORT;
    if (how->kind == REF_HELP) {
        e->status = 0;
        return;
    }
    if (how->kind == REF_USAGE) {
        e->status = 2;
        return;
    }
    int n = how->operands;
    char **operand = how->operand;
    const char *range = "expected an integer from -2147483648 to 2147483647";
    long number;
    e->status = FUZZ_STOPPED + STOP_CONNECT;
    switch (program->shape) {
    case SERVER:
    case NO_ARGUMENTS:
    case NO_ARGUMENTS_RUN:
        if (n > 0)
            ref_usage(how, "unexpected argument '%s'", operand[0]);
        else if (program->shape == NO_ARGUMENTS_RUN)
            e->status = FUZZ_RETURNED, strcpy(e->first_line, "sizeof(int):");
        else
            e->status = FUZZ_STOPPED + STOP_BIND,
            e->bound = program->shape == SERVER ? e->port : 0;
        break;
    case CLIENT:
    case CLIENT_COUNT:
        if (n == 0)
            ref_usage(how, "missing HOST: expected the server's name or address");
        else if (n > 1)
            ref_usage(how, "unexpected argument '%s'", operand[1]);
        else
            e->host = operand[0];
        break;
    case CLIENT_LOCALPORT:
        if (n == 0)
            ref_usage(how, "missing HOST: expected the server's name or address");
        else if (n > 2)
            ref_usage(how, "unexpected argument '%s'", operand[2]);
        else if (n == 2 && ref_number(operand[1], 0, 65535, &e->bound) == -1)
            ref_usage(how, "invalid local port '%s': expected a number from 0 to 65535",
                      operand[1]);
        else {
            e->host = operand[0];
            if (n == 2)
                e->status = FUZZ_STOPPED + STOP_BIND;
        }
        break;
    case NUMBER_ONLY:
        if (n == 0)
            ref_usage(how, "missing NUMBER: expected an integer");
        else if (n > 1)
            ref_usage(how, "unexpected argument '%s'", operand[1]);
        else if (ref_number(operand[0], INT32_MIN, INT32_MAX, &number) == -1)
            ref_usage(how, "invalid number '%s': %s", operand[0], range);
        else {
            e->status = FUZZ_RETURNED;
            snprintf(e->first_line, sizeof e->first_line, "%ld = 0x%08" PRIx32 "\n", number,
                     (uint32_t)number);
        }
        break;
    case CLIENT_NUMBER:
        if (n == 0)
            ref_usage(how, "missing HOST and NUMBER: expected the server's address and the "
                           "integer to send");
        else if (n == 1)
            ref_usage(how, "missing NUMBER: expected the integer to send");
        else if (n > 2)
            ref_usage(how, "unexpected argument '%s'", operand[2]);
        else if (ref_number(operand[1], INT32_MIN, INT32_MAX, &number) == -1)
            ref_usage(how, "invalid number '%s': %s", operand[1], range);
        else {
            e->host = operand[0];
            e->number = (int32_t)number;
            e->status = FUZZ_STOPPED + STOP_SEND;
        }
        break;
    }
    if (how->kind == REF_USAGE)
        e->status = 2;
}

/* ------------------------------------------------------------ the run */

struct run {
    const struct program *program;
    int argc;
    char **argv;
};

static void run_program(void *argument)
{
    struct run *run = argument;
    run->program->main(run->argc, run->argv);
}

static const char *shown(const char *name, int argc, char **argv)
{
    static char text[2048];
    size_t at = (size_t)snprintf(text, sizeof text, "%s", name);
    for (int i = 1; i < argc && at < sizeof text - 1; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, " %s", fuzz_quote(argv[i]));
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const struct program *program = &programs[data[0] % PROGRAMS];
    static char *argv[FUZZ_MAX_ARGS + 2], *original[FUZZ_MAX_ARGS + 2];
    int argc = fuzz_argv(program->name, data + 1, size - 1, argv);
    memcpy(original, argv, sizeof argv);
    struct expected e;
    memset(&e, 0, sizeof e);
    expect(program, argc, original, &e);

    fuzz_begin();
    net_reset(program->shape == CLIENT_NUMBER);
    optind = 0;
    struct run run = {program, argc, argv};
    int status = fuzz_run(run_program, &run);
    const char *out = fuzz_stdout_text(), *err = fuzz_stderr_text();
    const char *command = shown(program->name, argc, original);
    char usage[64];
    int usage_length = snprintf(usage, sizeof usage, "usage: %s ", program->name);

    FUZZ_CHECK(fuzz_atexit_function != NULL, "%s: no atexit() before reading the options",
               command);
    FUZZ_CHECK(status == e.status, "%s: run ended with %d, expected %d%s%s", command, status,
               e.status, e.how.message ? ": " : "", e.how.message ? e.how.message : "");
    if (e.status == 2) {
        /* "NAME: WHAT", then the usage, on stderr; nothing on stdout. */
        size_t name = strlen(program->name), length = strlen(e.how.message);
        FUZZ_CHECK(*out == '\0' && strncmp(err, program->name, name) == 0 &&
                       strncmp(err + name, ": ", 2) == 0 &&
                       strncmp(err + name + 2, e.how.message, length) == 0 &&
                       strncmp(err + name + 2 + length, "\n", 1) == 0 &&
                       strncmp(err + name + 3 + length, usage, (size_t)usage_length - 1) == 0,
                   "%s: expected the line %s and the usage", command,
                   fuzz_quote(e.how.message));
    } else {
        FUZZ_CHECK(*err == '\0', "%s: unexpected stderr", command);
    }
    if (e.status == 0)
        FUZZ_CHECK(strncmp(out, usage, (size_t)usage_length - 1) == 0, "%s: -h wrote %s",
                   command, fuzz_quote(out));
    if (e.status == FUZZ_RETURNED)
        FUZZ_CHECK(strncmp(out, e.first_line, strlen(e.first_line)) == 0,
                   "%s: stdout %s, expected it to start with %s", command, fuzz_quote(out),
                   e.first_line);
    if (e.status >= FUZZ_STOPPED) {
        FUZZ_CHECK((e.host == NULL) == (net.host == NULL), "%s: getaddrinfo() %s", command,
                   e.host ? "not called" : "called");
        if (e.host != NULL) {
            char port[16];
            snprintf(port, sizeof port, "%ld", e.port);
            FUZZ_CHECK(strcmp(net.host, e.host) == 0 && strcmp(net.service, port) == 0,
                       "%s: getaddrinfo(%s, %s), expected port %s", command,
                       fuzz_quote(net.host), net.service, port);
        }
    }
    if (e.status == FUZZ_STOPPED + STOP_BIND) {
        FUZZ_CHECK(net.bound == e.bound, "%s: bind() to port %d, expected %ld", command,
                   net.bound, e.bound);
        if (program->shape == SERVER) { /* the wildcard asked of getaddrinfo(), by number */
            char port[16];
            snprintf(port, sizeof port, "%ld", e.bound);
            FUZZ_CHECK(net.passive != NULL && strcmp(net.passive, port) == 0,
                       "%s: getaddrinfo(NULL, %s, AI_PASSIVE), expected port %s", command,
                       net.passive ? net.passive : "(not called)", port);
        }
    }
    if (e.status == FUZZ_STOPPED + STOP_SEND) {
        uint32_t bits = (uint32_t)e.number;
        if (program->network_order)
            bits = htonl(bits);
        FUZZ_CHECK(net.sent_length == 4 && memcmp(net.sent, &bits, 4) == 0,
                   "%s: sent %zu bytes %02x %02x %02x %02x, expected %" PRId32, command,
                   net.sent_length, net.sent[0], net.sent[1], net.sent[2], net.sent[3],
                   e.number);
    }
    ref_free(&e.how);
    return 0;
}
