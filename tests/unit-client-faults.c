/* unit-client-faults: chapter 1's connect_to() and cli-hello's
 * receive_until_closed() with getaddrinfo(), connect() and recv() replaced
 * (ld --wrap) by fakes. The text says: a name that cannot be resolved, or
 * an address where no one answers, ends the client with one line naming
 * the host (and the port) and exit status 1; the reading loop puts short
 * pieces together, tries EINTR again and ends with one line on an error. */

/* The program comes first: it defines _POSIX_C_SOURCE before any header,
 * and its fail() must be seen before cmocka's fail() macro exists. */
#define main cli_hello_main
/* NOLINTNEXTLINE(bugprone-suspicious-include): its static functions are tested */
#include "../build/tangle/01-revisao-cliente-servidor/cli-hello.c"
#undef main

#include "testlib.h"

/* ------------------------------------------------------------ fakes */

static int resolve_error; /* getaddrinfo() fails with this EAI_ code; 0: the real one */
static int connect_error; /* connect() fails with this errno; 0: never called here */
static size_t connects;

int __real_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
                       struct addrinfo **result);
int __wrap_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
                       struct addrinfo **result);
int __wrap_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
                       struct addrinfo **result)
{
    if (resolve_error != 0)
        return resolve_error;
    return __real_getaddrinfo(host, service, hints, result);
}

int __wrap_connect(int fd, const struct sockaddr *address, socklen_t length);
int __wrap_connect(int fd, const struct sockaddr *address, socklen_t length)
{
    (void)fd, (void)address, (void)length;
    connects++;
    errno = connect_error;
    return -1;
}

/* recv(): answer i delivers up to got[i] bytes of source, 0 (closed) or,
 * when negative, fails with errno -got[i]. */
static long got[16];
static size_t recvs_scripted, recvs_made;
static const char *source;
static size_t source_offset;

ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags)
{
    (void)fd, (void)flags;
    if (recvs_made >= recvs_scripted)
        fail_msg("recv() called %zu times; the script has %zu", recvs_made + 1,
                 recvs_scripted);
    long answer = got[recvs_made++];
    if (answer < 0) {
        errno = (int)-answer;
        return -1;
    }
    size_t length = n < (size_t)answer ? n : (size_t)answer;
    memcpy(buffer, source + source_offset, length);
    source_offset += length;
    return (ssize_t)length;
}

static void script(const long *answers, size_t count, const char *data)
{
    memcpy(got, answers, count * sizeof *answers);
    recvs_scripted = count, recvs_made = 0;
    source = data, source_offset = 0;
}

/* Runs what(argument) in a child, which must exit; returns its exit status
 * and writes its stderr into text. */
static int in_a_child(void (*what)(const char *), const char *argument, char *text,
                      size_t size)
{
    int ends[2];
    assert_int_equal(pipe(ends), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    assert_true(child != -1);
    if (child == 0) {
        dup2(ends[1], STDERR_FILENO);
        what(argument);
        _exit(99); /* it should have exited */
    }
    close(ends[1]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    ssize_t n = read(ends[0], text, size - 1);
    text[n > 0 ? n : 0] = '\0';
    close(ends[0]);
    print_message("  exit %d: %s", WIFEXITED(status) ? WEXITSTATUS(status) : -1, text);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* ------------------------------------------------------------ tests */

static void connect_host(const char *host)
{
    connect_to(host, 3490);
}

static void a_name_that_cannot_be_resolved_is_one_line_and_exit_1(void **state)
{
    (void)state;
    const int errors[] = {EAI_NONAME, EAI_AGAIN, EAI_FAIL};
    for (size_t i = 0; i < 3; i++) {
        resolve_error = errors[i];
        char text[512], expected[512];
        assert_int_equal(in_a_child(connect_host, "nowhere.invalid", text, sizeof text), 1);
        snprintf(expected, sizeof expected,
                 "cli-hello: cannot resolve host 'nowhere.invalid': %s\n",
                 gai_strerror(errors[i]));
        assert_string_equal(text, expected);
    }
    resolve_error = 0;
}

static void an_address_that_refuses_is_one_line_and_exit_1(void **state)
{
    (void)state;
    const int errors[] = {ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EINTR};
    for (size_t i = 0; i < 4; i++) {
        connect_error = errors[i];
        char text[512], expected[512];
        assert_int_equal(in_a_child(connect_host, "127.0.0.1", text, sizeof text), 1);
        snprintf(expected, sizeof expected,
                 "cli-hello: cannot connect to 127.0.0.1 port 3490: %s\n",
                 strerror(errors[i]));
        assert_string_equal(text, expected);
    }
}

static void short_pieces_and_eintr_make_the_whole_greeting(void **state)
{
    (void)state;
    long answers[] = {1, -EINTR, 4, 2, -EINTR, 7, 0};
    script(answers, 7, "Hello, world!\n");
    char buffer[MAXDATASIZE];
    assert_int_equal(receive_until_closed(7, buffer, sizeof buffer), 14);
    assert_memory_equal(buffer, "Hello, world!\n", 14);
    assert_int_equal(recvs_made, 7);
}

static void receive_with_a_reset(const char *unused)
{
    (void)unused;
    long answers[] = {5, -ECONNRESET};
    script(answers, 2, "Hello");
    char buffer[MAXDATASIZE];
    receive_until_closed(7, buffer, sizeof buffer);
}

static void a_reset_while_reading_is_one_line_and_exit_1(void **state)
{
    (void)state;
    char text[512], expected[512];
    assert_int_equal(in_a_child(receive_with_a_reset, NULL, text, sizeof text), 1);
    snprintf(expected, sizeof expected, "cli-hello: recv: %s\n", strerror(ECONNRESET));
    assert_string_equal(text, expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_name_that_cannot_be_resolved_is_one_line_and_exit_1),
        cmocka_unit_test(an_address_that_refuses_is_one_line_and_exit_1),
        cmocka_unit_test(short_pieces_and_eintr_make_the_whole_greeting),
        cmocka_unit_test(a_reset_while_reading_is_one_line_and_exit_1),
    };
    return cmocka_run_group_tests_name("client faults", tests, NULL, NULL);
}
