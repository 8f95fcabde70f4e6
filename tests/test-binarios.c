/*
 * test-binarios: checks chapter 4 (chapters/04-dados-binarios.nw) by running
 * its programs on 127.0.0.1 (and under qemu-sparc64 where it is installed)
 * and against this build's data in build/results/04-dados-binarios/.
 *
 *  - serv-int reads the 4 bytes in this CPU's order, cli-int writes them in
 *    this CPU's order; the -net programs round-trip any int32_t, natively
 *    and between x86 and SPARC;
 *  - serv-msg gets every message whole however the frames are cut into
 *    send()s, serves a frame of 65536 bytes and refuses a larger one;
 *  - stopped and continued in the middle of a number or a frame (EINTR),
 *    a server reads on and gets all of it;
 *  - cli-msg stops at a line too long for a frame, at an input it cannot
 *    read and at a reset;
 *  - show-bytes prints the memory's bytes, htonl()'s and the misread
 *    number, for the report's 12345 and the extremes;
 *  - sizes prints the sizes, offsets and bytes of this ABI;
 *  - the figure's bytes and the misread number are this build's;
 *  - bad NUMBERs are refused with one line and the usage.
 *
 * Run from the top of the tree (make test does).
 */
#include "testlib.h"

#include <stddef.h>

#define RESULTS "build/results/04-dados-binarios"
#define LAB_RESULTS "build/results/90-laboratorio"
#define MAX_MESSAGE 65536

#define SKIP_BECAUSE(reason)                                                                 \
    do {                                                                                     \
        print_message("skipped: %s\n", reason);                                              \
        skip();                                                                              \
    } while (0)

/* ------------------------------------------------------------ helpers */

static int connect_to_port(unsigned port)
{
    return tl_connect_loopback(port);
}

static void send_bytes(int fd, const void *bytes, size_t n)
{
    const char *p = bytes;
    while (n > 0) {
        ssize_t sent = send(fd, p, n, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent == -1)
            fail_msg("send: %s", strerror(errno));
        p += sent;
        n -= (size_t)sent;
    }
}

/* The number a server of the book printed as "Received 'N'". */
static long long received_number(const char *out)
{
    const char *at = strstr(out, "Received '");
    if (at == NULL)
        fail_msg("no \"Received '\" in the server's output: '%s'", out);
    return strtoll(at + strlen("Received '"), NULL, 10);
}

/* Starts program (serv-int or serv-int-net), sends the 4 bytes, returns
 * what it printed. */
static long long serve_bytes(const char *program, const unsigned char bytes[4])
{
    struct tl_proc server;
    unsigned port = tl_program_start(&server, program, 1);
    int fd = connect_to_port(port);
    send_bytes(fd, bytes, 4);
    close(fd);
    assert_int_equal(tl_proc_finish(&server, 10), 0);
    long long value = received_number(server.out.data);
    tl_proc_free(&server);
    return value;
}

static uint32_t swapped(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static int32_t as_int32(uint32_t value)
{
    return value <= INT32_MAX ? (int32_t)value
                              : (int32_t)(value - (uint32_t)INT32_MAX - 1u) + INT32_MIN;
}

/* -------------------------------------------------------- byte order */

static void serv_int_reads_the_bytes_in_this_cpus_order(void **state)
{
    (void)state;
    const unsigned char big[4] = {0x00, 0x00, 0x30, 0x39},
                        little[4] = {0x39, 0x30, 0x00, 0x00};
    int32_t host;
    memcpy(&host, big, 4); /* what this CPU makes of the big-endian bytes */
    assert_int_equal(serve_bytes(tl_bin("serv-int"), big), host);
    memcpy(&host, little, 4);
    assert_int_equal(serve_bytes(tl_bin("serv-int"), little), host);
    if (htonl(1) != 1) { /* a little-endian CPU: the seed's Listing 10 */
        assert_int_equal(serve_bytes(tl_bin("serv-int"), big), 959447040);
        assert_int_equal(serve_bytes(tl_bin("serv-int"), little), 12345);
    }
    /* serv-int-net reads network byte order on any CPU. */
    assert_int_equal(serve_bytes(tl_bin("serv-int-net"), big), 12345);
}

/* Runs client -p PORT 127.0.0.1 number against a plain listening socket
 * and returns the 4 bytes it sent. */
static void bytes_sent_by(const char *client, const char *number, unsigned char bytes[4])
{
    unsigned port;
    int listener = tl_loopback_socket(&port);
    assert_int_equal(listen(listener, 1), 0);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    struct tl_proc run;
    char *argv[] = {(char *)client, "-p", port_text, "127.0.0.1", (char *)number, NULL};
    assert_int_equal(tl_proc_start(&run, argv), 0);
    struct pollfd ready = {listener, POLLIN, 0};
    assert_int_equal(poll(&ready, 1, 10000), 1);
    int fd = accept(listener, NULL, NULL);
    assert_true(fd >= 0);
    size_t got = 0;
    while (got < 4) {
        struct pollfd in = {fd, POLLIN, 0};
        assert_int_equal(poll(&in, 1, 10000), 1);
        ssize_t n = recv(fd, bytes + got, 4 - got, 0);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(fd);
    close(listener);
    assert_int_equal(tl_proc_finish(&run, 10), 0);
    char expected[64];
    snprintf(expected, sizeof expected, "Sent '%s'.\n", number);
    assert_string_equal(run.out.data, expected);
    tl_proc_free(&run);
}

static void cli_int_sends_this_cpus_bytes(void **state)
{
    (void)state;
    unsigned char bytes[4], expected[4];
    int32_t number = 12345;
    memcpy(expected, &number, 4);
    bytes_sent_by(tl_bin("cli-int"), "12345", bytes);
    assert_memory_equal(bytes, expected, 4);
    const unsigned char network[4] = {0x00, 0x00, 0x30, 0x39};
    bytes_sent_by(tl_bin("cli-int-net"), "12345", bytes);
    assert_memory_equal(bytes, network, 4);
}

/* The shell words that run PROGRAM: the native build in tl_bin_dir(), or
 * for "sparc64/NAME" the SPARC build under qemu-sparc64. */
static void program_words(char *words, size_t size, const char *program)
{
    if (strncmp(program, "sparc64/", 8) == 0)
        snprintf(words, size, "qemu-sparc64 build/bin/%s", program);
    else
        snprintf(words, size, "%s", tl_bin(program));
}

/* Runs server and client (program names, as program_words takes them) on
 * a free port; returns what the server printed. */
static long long roundtrip(const char *server, const char *client, const char *number)
{
    char server_words[512], client_words[512];
    program_words(server_words, sizeof server_words, server);
    program_words(client_words, sizeof client_words, client);
    char command[2048];
    snprintf(command, sizeof command,
             "set -e; d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT; "
             ": >\"$d/server\"; timeout 30 %s -p 0 -n 1 >\"$d/server\" 2>&1 & "
             "port=''; for i in $(seq 100); do "
             "  port=$(sed -n 's/^server: listening on port //p' \"$d/server\"); "
             "  [ -n \"$port\" ] && break; sleep 0.1; done; "
             "timeout 30 %s -p \"$port\" -- 127.0.0.1 %s >/dev/null; wait; cat \"$d/server\"",
             server_words, client_words, number);
    struct tl_proc run;
    int status = tl_sh(&run, 60, command);
    if (status != 0)
        fail_msg("%s -> %s with %s: exit %d: %s%s", client, server, number, status,
                 run.out.data, run.err.data);
    long long value = received_number(run.out.data);
    tl_proc_free(&run);
    return value;
}

static const char *const numbers[] = {"12345", "0", "-1", "-2147483648", "2147483647"};

static void net_programs_round_trip_natively(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        assert_int_equal(roundtrip("serv-int-net", "cli-int-net", numbers[i]),
                         strtoll(numbers[i], NULL, 10));
}

static int have_qemu(void)
{
    struct tl_proc run;
    int status =
        tl_sh(&run, 10, "command -v qemu-sparc64 && test -x build/bin/sparc64/serv-int-net");
    tl_proc_free(&run);
    return status == 0;
}

static void net_programs_round_trip_between_x86_and_sparc(void **state)
{
    (void)state;
    if (!have_qemu())
        SKIP_BECAUSE("qemu-sparc64 or the SPARC programs (build/bin/sparc64/) are missing");
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        long long n = strtoll(numbers[i], NULL, 10);
        assert_int_equal(roundtrip("serv-int-net", "sparc64/cli-int-net", numbers[i]), n);
        assert_int_equal(roundtrip("sparc64/serv-int-net", "cli-int-net", numbers[i]), n);
    }
    /* Without the conversion, the bytes arrive swapped (the seed's 9, 10). */
    assert_int_equal(roundtrip("serv-int", "sparc64/cli-int", "12345"),
                     as_int32(swapped(12345)));
    assert_int_equal(roundtrip("sparc64/serv-int", "cli-int", "1"), as_int32(swapped(1)));
}

/* ------------------------------------------------------------ framing */

static void send_frame_header(int fd, uint32_t length)
{
    uint32_t header = htonl(length);
    send_bytes(fd, &header, 4);
}

/* Each message's line in serv-msg's output, in order. */
static void assert_received(const char *out, const char *const lines[])
{
    const char *at = out;
    for (size_t i = 0; lines[i] != NULL; i++) {
        const char *found = strstr(at, lines[i]);
        if (found == NULL)
            fail_msg("serv-msg did not print '%s' (in order); its output: '%s'", lines[i],
                     out);
        at = found + strlen(lines[i]);
    }
}

static void serv_msg_gets_frames_split_at_every_byte(void **state)
{
    (void)state;
    struct tl_proc server;
    unsigned port = tl_program_start(&server, tl_bin("serv-msg"), 1);
    int fd = connect_to_port(port);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    const char *messages[] = {"Hello, world!", "", "a\nline with a newline inside"};
    for (size_t m = 0; m < 3; m++) {
        unsigned char frame[64];
        uint32_t length = (uint32_t)strlen(messages[m]), header = htonl(length);
        memcpy(frame, &header, 4);
        memcpy(frame + 4, messages[m], length);
        for (size_t i = 0; i < 4 + length; i++) { /* one byte per send() */
            send_bytes(fd, frame + i, 1);
            tl_sleep(0.001);
        }
    }
    close(fd);
    assert_int_equal(tl_proc_finish(&server, 10), 0);
    const char *lines[] = {"Received 13 bytes: 'Hello, world!'\n", "Received 0 bytes: ''\n",
                           "Received 28 bytes: 'a\nline with a newline inside'\n",
                           "server: 3 messages in ", NULL};
    assert_received(server.out.data, lines);
    assert_string_equal(server.err.data, "");
    tl_proc_free(&server);
}

static void serv_msg_gets_several_frames_in_one_send(void **state)
{
    (void)state;
    struct tl_proc server;
    unsigned port = tl_program_start(&server, tl_bin("serv-msg"), 1);
    int fd = connect_to_port(port);
    unsigned char frames[64];
    size_t n = 0;
    const char *messages[] = {"one", "", "three"};
    for (size_t m = 0; m < 3; m++) {
        uint32_t length = (uint32_t)strlen(messages[m]), header = htonl(length);
        memcpy(frames + n, &header, 4);
        memcpy(frames + n + 4, messages[m], length);
        n += 4 + length;
    }
    send_bytes(fd, frames, n);
    close(fd);
    assert_int_equal(tl_proc_finish(&server, 10), 0);
    const char *lines[] = {"Received 3 bytes: 'one'\n", "Received 0 bytes: ''\n",
                           "Received 5 bytes: 'three'\n", "server: 3 messages in ", NULL};
    assert_received(server.out.data, lines);
    tl_proc_free(&server);
}

/* A frame of exactly MAX_MESSAGE bytes is served; then one announcing
 * announced bytes is refused, that connection closed, and the next
 * connection is served as usual. */
static void check_largest_and_refused(uint32_t announced)
{
    struct tl_proc server;
    unsigned port = tl_program_start(&server, tl_bin("serv-msg"), 2);
    int fd = connect_to_port(port);
    static unsigned char payload[MAX_MESSAGE];
    memset(payload, 'x', sizeof payload);
    send_frame_header(fd, MAX_MESSAGE);
    send_bytes(fd, payload, MAX_MESSAGE);
    send_frame_header(fd, announced);
    send_bytes(fd, "abc", 3);
    /* The server closes this connection: recv() sees the end (or a reset). */
    struct pollfd in = {fd, POLLIN, 0};
    assert_int_equal(poll(&in, 1, 10000), 1);
    char byte;
    assert_true(recv(fd, &byte, 1, 0) <= 0);
    close(fd);

    fd = connect_to_port(port); /* the server goes on */
    send_frame_header(fd, 2);
    send_bytes(fd, "ok", 2);
    close(fd);
    assert_int_equal(tl_proc_finish(&server, 10), 0);
    const char *lines[] = {"Received 65536 bytes: 'xxxx", "server: 1 messages in ",
                           ", then an error\n", "Received 2 bytes: 'ok'\n", NULL};
    assert_received(server.out.data, lines);
    char expected[160];
    snprintf(expected, sizeof expected,
             "serv-msg: 127.0.0.1 announced a message of %lu bytes, more than 65536: "
             "closing the connection\n",
             (unsigned long)announced);
    assert_string_equal(server.err.data, expected);
    tl_proc_free(&server);
}

static void serv_msg_serves_65536_bytes_and_refuses_65537(void **state)
{
    (void)state;
    check_largest_and_refused(MAX_MESSAGE + 1);
}

static void serv_msg_refuses_a_gigabyte(void **state)
{
    (void)state;
    check_largest_and_refused(1u << 30);
}

static void cli_msg_sends_each_line_as_a_frame(void **state)
{
    (void)state;
    struct tl_proc server;
    unsigned port = tl_program_start(&server, tl_bin("serv-msg"), 1);
    char command[512];
    snprintf(command, sizeof command,
             "printf 'first\\n\\nlast' | timeout 10 %s -p %u 127.0.0.1", tl_bin("cli-msg"),
             port);
    struct tl_proc client;
    assert_int_equal(tl_sh(&client, 20, command), 0);
    assert_string_equal(client.out.data, "Sent 5 bytes.\nSent 0 bytes.\nSent 4 bytes.\n");
    assert_int_equal(tl_proc_finish(&server, 10), 0);
    const char *lines[] = {"Received 5 bytes: 'first'\n", "Received 0 bytes: ''\n",
                           "Received 4 bytes: 'last'\n", "server: 3 messages in ", NULL};
    assert_received(server.out.data, lines);
    tl_proc_free(&client);
    tl_proc_free(&server);
}

/* The text (chapter 2): a signal that interrupts recv() (EINTR) is not an
 * error, the call is made again. Stopped and continued (Ctrl-Z, fg) in
 * the middle of a number or a frame, a server's recv() with its time limit
 * fails with EINTR; the server reads on, and gets the whole of it. */
static void a_stop_and_continue_in_the_middle_loses_nothing(void **state)
{
    (void)state;
    const unsigned char number[4] = {0x00, 0x00, 0x30, 0x39};
    unsigned char frame[4 + 5] = {0x00, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
    const struct {
        const char *server;
        const unsigned char *bytes;
        size_t size;
        const char *line;
    } runs[] = {
        {"serv-int-net", number, 4, "Received '12345'\n"},
        {"serv-int", number, 4, "Received '"},
        {"serv-msg", frame, sizeof frame, "Received 5 bytes: 'hello'\n"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct tl_proc server;
        unsigned port = tl_program_start(&server, tl_bin(runs[i].server), 1);
        int fd = connect_to_port(port);
        send_bytes(fd, runs[i].bytes, 2); /* a part: the server waits in recv() */
        tl_stop_and_continue(server.pid);
        send_bytes(fd, runs[i].bytes + 2, runs[i].size - 2);
        close(fd);
        assert_int_equal(tl_proc_finish(&server, 10), 0);
        assert_non_null(strstr(server.out.data, runs[i].line));
        assert_string_equal(server.err.data, "");
        tl_proc_free(&server);
    }
}

/* A line longer than MAX_MESSAGE does not fit a frame: cli-msg stops with
 * one line before sending it; the lines before it were sent. */
static void cli_msg_stops_at_a_line_too_long_for_a_frame(void **state)
{
    (void)state;
    struct tl_proc server;
    unsigned port = tl_program_start(&server, tl_bin("serv-msg"), 1);
    char command[512];
    snprintf(command, sizeof command,
             "{ echo short; head -c %d /dev/zero | tr '\\0' y; echo; echo never; } | "
             "timeout 10 %s -p %u 127.0.0.1",
             MAX_MESSAGE + 1, tl_bin("cli-msg"), port);
    struct tl_proc client;
    assert_int_equal(tl_sh(&client, 20, command), 1);
    assert_string_equal(client.out.data, "Sent 5 bytes.\n");
    assert_string_equal(client.err.data,
                        "cli-msg: line 2 has 65537 bytes, more than 65536: not sent\n");
    assert_int_equal(tl_proc_finish(&server, 10), 0);
    const char *lines[] = {"Received 5 bytes: 'short'\n", "server: 1 messages in ", NULL};
    assert_received(server.out.data, lines);
    assert_null(strstr(server.out.data, "never"));
    tl_proc_free(&client);
    tl_proc_free(&server);
}

/* An input that cannot be read (a directory: read() fails with EISDIR)
 * is a failure with one line, exit 1. */
static void cli_msg_reports_an_unreadable_input(void **state)
{
    (void)state;
    struct tl_proc server;
    unsigned port = tl_program_start(&server, tl_bin("serv-msg"), 1);
    char command[512];
    snprintf(command, sizeof command, "exec %s -p %u 127.0.0.1 </", tl_bin("cli-msg"), port);
    struct tl_proc client;
    assert_int_equal(tl_sh(&client, 20, command), 1);
    char expected[128];
    snprintf(expected, sizeof expected, "cli-msg: reading the standard input: %s\n",
             strerror(EISDIR));
    assert_string_equal(client.err.data, expected);
    assert_string_equal(client.out.data, "");
    assert_int_equal(tl_proc_finish(&server, 10), 0);
    tl_proc_free(&client);
    tl_proc_free(&server);
}

/* A server that resets the connection: cli-msg's next send() fails; one
 * line, exit 1, and no "Sent" line for that frame. */
static void cli_msg_reports_a_reset(void **state)
{
    (void)state;
    unsigned port;
    int listener = tl_loopback_socket(&port);
    assert_int_equal(listen(listener, 1), 0);
    char command[512];
    snprintf(command, sizeof command, "exec %s -p %u 127.0.0.1", tl_bin("cli-msg"), port);
    struct tl_proc client;
    int writer = tl_start_on_a_fifo(&client, tl_scratch, command);
    struct pollfd ready = {listener, POLLIN, 0};
    if (poll(&ready, 1, 10000) != 1)
        fail_msg("cli-msg did not connect within 10 s");
    int fd = accept(listener, NULL, NULL);
    assert_true(fd >= 0);
    struct linger reset = {1, 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    close(fd);
    close(listener);
    const char *line = "after the reset\n";
    assert_int_equal(write(writer, line, strlen(line)), (ssize_t)strlen(line));
    int status = tl_proc_finish(&client, 10);
    close(writer);
    print_message("  cli-msg -> %d: %s", status, client.err.data);
    assert_int_equal(status, 1);
    assert_string_equal(client.out.data, "");
    assert_true(strncmp(client.err.data, "cli-msg: send: ", 15) == 0);
    assert_int_equal(tl_count_lines(client.err.data), 1);
    tl_proc_free(&client);
}

/* ------------------------------------------------------ show-bytes */

/* Runs show-bytes NUMBER and checks its four lines against the bytes this
 * test computes: the memory's order, htonl()'s, and the number read the
 * other way round. On a little-endian CPU (the caller checks). */
static void check_show_bytes(const char *number)
{
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 10, tl_bin("show-bytes"), "--", number, (char *)NULL), 0);
    assert_string_equal(run.err.data, "");
    int32_t value = (int32_t)strtol(number, NULL, 10);
    uint32_t bits = (uint32_t)value;
    unsigned char memory[4], network[4];
    memcpy(memory, &value, 4);
    uint32_t wire = htonl(bits);
    memcpy(network, &wire, 4);
    char expected[512];
    snprintf(expected, sizeof expected,
             "%s = 0x%08lx\n"
             "in this CPU's memory (little-endian):  %02x %02x %02x %02x\n"
             "in network byte order (htonl()):       %02x %02x %02x %02x\n"
             "the memory's bytes in the other order: %ld = 0x%08lx\n",
             number, (unsigned long)bits, memory[0], memory[1], memory[2], memory[3],
             network[0], network[1], network[2], network[3], (long)as_int32(swapped(bits)),
             (unsigned long)swapped(bits));
    assert_string_equal(run.out.data, expected);
    tl_proc_free(&run);
}

static void show_bytes_shows_the_memory_the_wire_and_the_misread(void **state)
{
    (void)state;
    if (htonl(1) == 1)
        SKIP_BECAUSE("a big-endian CPU: the expected lines are a little-endian one's");
    /* The report's number: the misread is the seed's 959447040. */
    check_show_bytes("12345");
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 10, tl_bin("show-bytes"), "12345", (char *)NULL), 0);
    assert_non_null(strstr(run.out.data, "in the other order: 959447040 = 0x39300000\n"));
    tl_proc_free(&run);
    /* A misread with the sign bit set, the extremes, zero, negatives. */
    const char *const others[] = {"128", "0", "-1", "1", "-2147483648", "2147483647", "-5"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        check_show_bytes(others[i]);
}

static void show_bytes_refuses_bad_command_lines(void **state)
{
    (void)state;
    const char *usage = "usage: show-bytes NUMBER";
    char *path = tl_bin("show-bytes");
    tl_check_failure(TL_ARGS(path), 2, "show-bytes: ", TL_WORDS("missing NUMBER"), usage);
    tl_check_failure(TL_ARGS(path, "1", "2"), 2,
                     "show-bytes: ", TL_WORDS("unexpected argument", "'2'"), usage);
    tl_check_failure(TL_ARGS(path, "2147483648"), 2,
                     "show-bytes: ", TL_WORDS("invalid number", "'2147483648'"), usage);
    tl_check_failure(TL_ARGS(path, "--", "-"), 2,
                     "show-bytes: ", TL_WORDS("invalid number", "'-'"), usage);
    tl_check_failure(TL_ARGS(path, "-x"), 2,
                     "show-bytes: ", TL_WORDS("unknown option", "'-x'"), usage);
    struct tl_proc help;
    assert_int_equal(tl_runl(&help, 10, path, "-h", (char *)NULL), 0);
    assert_true(strncmp(help.out.data, "usage: show-bytes NUMBER\n", 25) == 0);
    assert_int_equal(tl_count_lines(help.out.data), 2);
    assert_string_equal(help.err.data, "");
    tl_proc_free(&help);
}

/* ----------------------------------------------------------- sizes */

/* The chapter's record, as sizes.c declares it: this test is built by the
 * same compiler for the same ABI, so its sizes and offsets are sizes'. */
struct record {
    char tag;
    int32_t value;
    char flag;
    double amount;
};

/* The text: the sizes of int, long and pointers; the record's fields add
 * up to 14 bytes and the rest of its sizeof is padding; 1.0f is IEEE 754
 * (0x3f800000) in this CPU's order; "12345\n" is the same six bytes on
 * any machine. */
static void sizes_prints_this_abis_sizes_and_bytes(void **state)
{
    (void)state;
    struct tl_proc run;
    assert_int_equal(tl_runl(&run, 10, tl_bin("sizes"), (char *)NULL), 0);
    assert_string_equal(run.err.data, "");
    unsigned char one[4];
    uint32_t bits = 0x3f800000u;
    memcpy(one, &bits, 4); /* this CPU's order, as float's */
    char expected[1024];
    snprintf(expected, sizeof expected,
             "sizeof(int):         %zu\n"
             "sizeof(long):        %zu\n"
             "sizeof(void *):      %zu\n"
             "struct record:       sizeof %zu, offsetof tag %zu, value %zu, flag %zu, "
             "amount %zu\n"
             "1.0f in memory:      %02x %02x %02x %02x\n"
             "\"12345\\n\" as text:   31 32 33 34 35 0a\n",
             sizeof(int), sizeof(long), sizeof(void *), sizeof(struct record),
             offsetof(struct record, tag), offsetof(struct record, value),
             offsetof(struct record, flag), offsetof(struct record, amount), one[0], one[1],
             one[2], one[3]);
    assert_string_equal(run.out.data, expected);
    assert_true(sizeof(struct record) > 1 + 4 + 1 + 8); /* padding */
    float f = 1.0f;
    assert_memory_equal(&f, one, 4);
    tl_proc_free(&run);
}

/* The 32-bit x86 ABI (System V i386) aligns a double in a struct on 4
 * bytes: the record is 20 bytes there, amount at offset 12, and long is 4
 * bytes, where x86-64 says 24, 16 and 8. The padding lesson needs an ABI
 * that lays the same struct out differently, and this is one. */
static void the_32_bit_x86_abi_lays_the_record_out_differently(void **state)
{
    (void)state;
    struct tl_proc run;
    int have = tl_sh(&run, 10, "command -v qemu-i386 && test -x build/bin/i386/sizes");
    tl_proc_free(&run);
    if (have != 0)
        SKIP_BECAUSE("qemu-i386 or the 32-bit x86 build (build/bin/i386/sizes) is missing");
    assert_int_equal(tl_sh(&run, 30, "exec qemu-i386 build/bin/i386/sizes"), 0);
    assert_string_equal(run.err.data, "");
    assert_non_null(strstr(run.out.data, "sizeof(long):        4\n"));
    assert_non_null(strstr(run.out.data, "sizeof(void *):      4\n"));
    assert_non_null(strstr(run.out.data, "struct record:       sizeof 20, offsetof tag 0, "
                                         "value 4, flag 8, amount 12\n"));
    tl_proc_free(&run);
    assert_int_equal(sizeof(struct record), 24); /* this test's own ABI: x86-64 */
    assert_int_equal(offsetof(struct record, amount), 16);
}

/* ------------------------------------------------- this build's data */

static void numbers_value(const char *path, const char *key, char *value, size_t size)
{
    struct tl_text text = {0};
    if (tl_read_file(path, &text) == -1)
        fail_msg("%s: %s", path, strerror(errno));
    char pattern[128];
    snprintf(pattern, sizeof pattern, "%s\t", key);
    const char *at = text.data;
    while (at != NULL && strncmp(at, pattern, strlen(pattern)) != 0) {
        at = strchr(at, '\n');
        at = at ? at + 1 : NULL;
    }
    if (at == NULL)
        fail_msg("%s has no key %s", path, key);
    at += strlen(pattern);
    size_t n = strcspn(at, "\n");
    snprintf(value, size, "%.*s", (int)n, at);
    tl_text_free(&text);
}

/* The figure quotes bytes-le-N, bytes-be-N, bytes-misread: they must be
 * the bytes of bytes-number, and the misread number what the lab's
 * servers printed without ntohl(). */
static void figure_shows_this_builds_bytes(void **state)
{
    (void)state;
    char value[128], key[32];
    numbers_value(RESULTS "/numbers.tsv", "bytes-number", value, sizeof value);
    long number = strtol(value, NULL, 10);
    uint32_t bits = (uint32_t)number;
    for (int i = 1; i <= 4; i++) {
        char expected[8];
        snprintf(key, sizeof key, "bytes-be-%d", i);
        numbers_value(RESULTS "/numbers.tsv", key, value, sizeof value);
        snprintf(expected, sizeof expected, "%02x",
                 (unsigned)(bits >> (8 * (4 - i))) & 0xffu);
        assert_string_equal(value, expected);
        snprintf(key, sizeof key, "bytes-le-%d", i);
        numbers_value(RESULTS "/numbers.tsv", key, value, sizeof value);
        snprintf(expected, sizeof expected, "%02x",
                 (unsigned)(bits >> (8 * (i - 1))) & 0xffu);
        assert_string_equal(value, expected);
    }
    char misread[64];
    numbers_value(RESULTS "/numbers.tsv", "bytes-misread", misread, sizeof misread);
    assert_int_equal(strtoll(misread, NULL, 10), as_int32(swapped(bits)));
    /* The figure's file quotes the keys, not numbers. */
    struct tl_text figure = {0};
    assert_int_equal(tl_read_file("figures/ordem-dos-bytes.tex", &figure), 0);
    assert_non_null(strstr(figure.data, "\\result{bytes-misread}"));
    assert_null(strstr(figure.data, misread));
    tl_text_free(&figure);
    /* The lab sent the same number, and its mixed pairs printed misread. */
    char lab[64];
    numbers_value(LAB_RESULTS "/numbers.tsv", "int-sparc-intel-host-order", lab, sizeof lab);
    assert_string_equal(lab, misread);
    numbers_value(LAB_RESULTS "/numbers.tsv", "int-intel-sparc-host-order", lab, sizeof lab);
    assert_string_equal(lab, misread);
    struct tl_text transcript = {0};
    assert_int_equal(tl_read_file(LAB_RESULTS "/transcript-int-intel-sparc.txt", &transcript),
                     0);
    char received[96];
    snprintf(received, sizeof received, "Received '%s'\n", misread);
    assert_non_null(strstr(transcript.data, received));
    tl_text_free(&transcript);
}

/* The transcript of frames and the numbers the text quotes agree. */
static void frames_numbers_are_the_transcripts(void **state)
{
    (void)state;
    char messages[32], recvs[32], lines[32], line[128];
    numbers_value(RESULTS "/numbers.tsv", "frames-messages", messages, sizeof messages);
    numbers_value(RESULTS "/numbers.tsv", "frames-recvs", recvs, sizeof recvs);
    numbers_value(RESULTS "/numbers.tsv", "frames-lines", lines, sizeof lines);
    assert_string_equal(messages, lines); /* every line arrived as one message */
    assert_true(strtol(recvs, NULL, 10) >= strtol(messages, NULL, 10));
    struct tl_text transcript = {0};
    assert_int_equal(tl_read_file(RESULTS "/frames.txt", &transcript), 0);
    snprintf(line, sizeof line, "server: %s messages in %s recv()s from ", messages, recvs);
    assert_non_null(strstr(transcript.data, line));
    assert_non_null(strstr(transcript.data, "Received 60000 bytes: 'xxx"));
    tl_text_free(&transcript);
}

/* ------------------------------------------------------- bad input */

static void cli_int_refuses_bad_numbers(void **state)
{
    (void)state;
    static const char *const clients[] = {"cli-int", "cli-int-net"};
    for (size_t i = 0; i < 2; i++) {
        char path[64], usage[96], prefix[32];
        snprintf(path, sizeof path, "%s", tl_bin(clients[i]));
        snprintf(usage, sizeof usage, "usage: %s [-p PORT] HOST NUMBER", clients[i]);
        snprintf(prefix, sizeof prefix, "%s: ", clients[i]);
        tl_check_failure(TL_ARGS(path, "-p", "3490", "127.0.0.1", "12x"), 2, prefix,
                         TL_WORDS("invalid number", "'12x'"), usage);
        tl_check_failure(TL_ARGS(path, "-p", "3490", "127.0.0.1", "99999999999"), 2, prefix,
                         TL_WORDS("invalid number", "'99999999999'"), usage);
        tl_check_failure(TL_ARGS(path, "-p", "3490", "127.0.0.1"), 2, prefix,
                         TL_WORDS("missing NUMBER"), usage);
    }
    tl_check_failure(TL_ARGS(tl_bin("show-bytes"), "12x"), 2,
                     "show-bytes: ", TL_WORDS("invalid number", "'12x'"),
                     "usage: show-bytes NUMBER");
    tl_check_failure(TL_ARGS(tl_bin("cli-msg")), 2, "cli-msg: ", TL_WORDS("missing HOST"),
                     "usage: cli-msg [-p PORT] HOST");
    tl_check_failure(TL_ARGS(tl_bin("serv-msg"), "-n", "0"), 2,
                     "serv-msg: ", TL_WORDS("invalid connection count", "'0'"),
                     "usage: serv-msg [-p PORT] [-n CONNECTIONS] [-t SECONDS]");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serv_int_reads_the_bytes_in_this_cpus_order),
        cmocka_unit_test(cli_int_sends_this_cpus_bytes),
        cmocka_unit_test(net_programs_round_trip_natively),
        cmocka_unit_test(net_programs_round_trip_between_x86_and_sparc),
        cmocka_unit_test(serv_msg_gets_frames_split_at_every_byte),
        cmocka_unit_test(serv_msg_gets_several_frames_in_one_send),
        cmocka_unit_test(serv_msg_serves_65536_bytes_and_refuses_65537),
        cmocka_unit_test(serv_msg_refuses_a_gigabyte),
        cmocka_unit_test(cli_msg_sends_each_line_as_a_frame),
        cmocka_unit_test(a_stop_and_continue_in_the_middle_loses_nothing),
        cmocka_unit_test(cli_msg_stops_at_a_line_too_long_for_a_frame),
        cmocka_unit_test(cli_msg_reports_an_unreadable_input),
        cmocka_unit_test(cli_msg_reports_a_reset),
        cmocka_unit_test(show_bytes_shows_the_memory_the_wire_and_the_misread),
        cmocka_unit_test(show_bytes_refuses_bad_command_lines),
        cmocka_unit_test(sizes_prints_this_abis_sizes_and_bytes),
        cmocka_unit_test(the_32_bit_x86_abi_lays_the_record_out_differently),
        cmocka_unit_test(figure_shows_this_builds_bytes),
        cmocka_unit_test(frames_numbers_are_the_transcripts),
        cmocka_unit_test(cli_int_refuses_bad_numbers),
    };
    return cmocka_run_group_tests_name("binarios", tests, tl_scratch_make, tl_scratch_remove);
}
