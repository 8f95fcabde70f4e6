/* test-fronteiras: chapter 2's serv-32kb and cli-32kb, the real programs in
 * build/bin (or $WORKBOOK_BIN), on 127.0.0.1. The server's transcript must add up: every
 * "received X bytes from Y requested (P%)" asks for what was still
 * missing, the X add up to what the peer sent, P is X/Y, and the last line
 * counts the recv()s and says whether the peer closed early. */
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#define LINE_MAX_LENGTH 512

/* ------------------------------------------------ the transcript */

/* What check_connection() saw in the last connection: the receive buffer
 * it reported (0: no -r line) and its largest recv(). */
static size_t last_buffer, last_largest;

/* Checks the lines of one connection, from "server: got connection" to
 * "server: closed connection", starting at line *index of out, for a peer
 * that sent `sent` bytes and closed. Advances *index past them and returns
 * the number of recv()s reported. */
static size_t check_connection(const char *out, size_t *index, size_t sent)
{
    char line[LINE_MAX_LENGTH];
    if (tl_line(out, (*index)++, line, sizeof line) != 0)
        fail_msg("the transcript ends before a connection:\n%s", out);
    assert_string_equal(line, "server: got connection from 127.0.0.1");

    size_t recvs = 0, total = 0, requested_next = DATASIZE_32KB;
    last_buffer = 0;
    last_largest = 0;
    for (;;) {
        if (tl_line(out, (*index)++, line, sizeof line) != 0)
            fail_msg("the transcript ends inside a connection:\n%s", out);
        /* With -r, first the size the connection got. */
        const char *rest = line;
        if (recvs == 0 && last_buffer == 0 &&
            tl_skip(&rest, "server: receive buffer of ") == 0) {
            if (tl_scan_size(&rest, &last_buffer) != 0 ||
                tl_skip(&rest, " bytes (asked for ") != 0)
                fail_msg("a bad receive buffer line: '%s'", line);
            continue;
        }
        size_t received, requested;
        if (tl_received_from_requested(line, &received, &requested) != 0)
            break;
        if (received > last_largest)
            last_largest = received;
        /* The whole line, percentage included, as it should read. */
        char expected[LINE_MAX_LENGTH];
        snprintf(expected, sizeof expected,
                 "\t | received %zu bytes from %zu requested (%.2f%%).", received, requested,
                 100.0 * (double)received / (double)requested);
        assert_string_equal(line, expected);
        /* Each recv() asks for what is still missing: 32769 first. */
        assert_int_equal(requested, requested_next);
        assert_true(received >= 1);
        assert_true(received <= requested);
        requested_next = requested - received;
        total += received;
        recvs++;
    }
    assert_int_equal(total, sent);

    char expected[LINE_MAX_LENGTH];
    if (sent == DATASIZE_32KB)
        snprintf(expected, sizeof expected, "\t '-> got %d bytes with %zu recv()s",
                 DATASIZE_32KB, recvs);
    else
        snprintf(expected, sizeof expected,
                 "\t '-> got %zu bytes with %zu recv()s: peer closed before %d", sent, recvs,
                 DATASIZE_32KB);
    assert_string_equal(line, expected);

    if (tl_line(out, (*index)++, line, sizeof line) != 0)
        fail_msg("no 'closed connection' line:\n%s", out);
    assert_string_equal(line, "server: closed connection to 127.0.0.1");
    return recvs;
}

/* Waits for serv-32kb -n K to exit by itself (10 s at most) and checks
 * its whole transcript: the listening line, then one connection per
 * entry of sent[], then nothing else; stderr empty, exit 0. Stores the
 * recv()s of each connection in recvs[]. */
static void finish_server(struct tl_proc *server, unsigned port, const size_t *sent,
                          size_t count, size_t *recvs)
{
    int status = tl_proc_finish(server, 30);
    const char *out = server->out.data;
    if (server->timed_out)
        fail_msg("serv-32kb -n %zu did not exit within 30 s; stdout:\n%s", count, out);
    assert_string_equal(server->err.data, "");
    assert_int_equal(status, 0);

    char line[LINE_MAX_LENGTH], expected[LINE_MAX_LENGTH];
    assert_int_equal(tl_line(out, 0, line, sizeof line), 0);
    snprintf(expected, sizeof expected, "server: listening on port %u", port);
    assert_string_equal(line, expected);
    size_t index = 1;
    for (size_t i = 0; i < count; i++)
        recvs[i] = check_connection(out, &index, sent[i]);
    if (tl_line(out, index, line, sizeof line) == 0)
        fail_msg("unexpected line after the last connection: '%s'", line);
    assert_int_equal(out[strlen(out) - 1], '\n');
}

/* ------------------------------------------------- a test client */

static int connect_loopback(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd != -1);
    int yes = 1; /* each piece leaves at once, not held back by Nagle */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    tl_connect_fd(fd, port, 5);
    return fd;
}

static void send_everything(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0)
            fail_msg("send: %s", strerror(errno));
        data += sent;
        length -= (size_t)sent;
    }
}

static char message[DATASIZE_32KB];

static int setup(void **state)
{
    for (size_t i = 0; i < sizeof message; i++)
        message[i] = (char)('a' + i % 26);
    return tl_server_setup(state);
}

/* ------------------------------------------------------------ tests */

static void client_and_server_agree(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_server_start(server, 1);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);

    struct tl_proc client;
    int status = tl_runl(&client, 10, CLI_32KB, "-p", port_text, "127.0.0.1", (char *)NULL);
    assert_false(client.timed_out);
    assert_string_equal(client.out.data, "sent 32769 bytes from 32769.\n");
    assert_string_equal(client.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&client);

    size_t sent = DATASIZE_32KB, recvs;
    finish_server(server, port, &sent, 1, &recvs);
    assert_true(recvs >= 1);
}

static void several_connections_then_exit(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_server_start(server, 3);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    for (int i = 0; i < 3; i++) {
        struct tl_proc client;
        assert_int_equal(
            tl_runl(&client, 10, CLI_32KB, "-p", port_text, "localhost", (char *)NULL), 0);
        assert_string_equal(client.out.data, "sent 32769 bytes from 32769.\n");
        tl_proc_free(&client);
    }
    size_t sent[3] = {DATASIZE_32KB, DATASIZE_32KB, DATASIZE_32KB}, recvs[3];
    finish_server(server, port, sent, 3, recvs);
}

/* Four pieces 100 ms apart: the server's recv() returns what has arrived,
 * so it cannot get everything in one call. */
static void pieces_with_pauses_need_several_recvs(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_server_start(server, 1);
    int fd = connect_loopback(port);
    size_t piece = DATASIZE_32KB / 4, offset = 0;
    for (int i = 0; i < 4; i++) {
        size_t length = i < 3 ? piece : DATASIZE_32KB - offset;
        send_everything(fd, message + offset, length);
        offset += length;
        if (i < 3)
            tl_sleep(0.1);
    }
    assert_int_equal(offset, DATASIZE_32KB);
    close(fd);

    size_t sent = DATASIZE_32KB, recvs;
    finish_server(server, port, &sent, 1, &recvs);
    if (recvs < 2)
        fail_msg("4 pieces 100 ms apart arrived in %zu recv()", recvs);
}

/* A peer that closes after 1000 bytes: the last line must say so, not
 * "got 32769 bytes" (defect 3 of the report's server). */
static void early_close_is_reported(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_server_start(server, 1);
    int fd = connect_loopback(port);
    send_everything(fd, message, 1000);
    close(fd);

    size_t sent = 1000, recvs;
    finish_server(server, port, &sent, 1, &recvs);
    assert_true(recvs >= 1);
    /* Spelt out once more, for whoever reads this test. */
    char expected[128];
    snprintf(expected, sizeof expected,
             "\t '-> got 1000 bytes with %zu recv()s: peer closed before 32769\n", recvs);
    assert_non_null(strstr(server->out.data, expected));
}

/* A peer that closes at once: zero bytes, zero recv()s with data. */
static void immediate_close_is_reported(void **state)
{
    struct tl_proc *server = *state;
    unsigned port = tl_server_start(server, 1);
    close(connect_loopback(port));
    size_t sent = 0, recvs;
    finish_server(server, port, &sent, 1, &recvs);
    assert_int_equal(recvs, 0);
}

/* cli-32kb's bytes, seen by a server written here: 32769 of them,
 * 'a'..'z' repeated, then the client closes. */
static void the_client_sends_the_alphabet(void **state)
{
    (void)state;
    unsigned port;
    int listener = tl_loopback_socket(&port);
    assert_int_equal(listen(listener, 1), 0);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);

    struct tl_proc client;
    char *argv[] = {CLI_32KB, "-p", port_text, "127.0.0.1", NULL};
    assert_int_equal(tl_proc_start(&client, argv), 0);

    double deadline = tl_now() + TL_START_SECONDS;
    struct pollfd wait_for = {listener, POLLIN, 0};
    if (poll(&wait_for, 1, tl_ms_left(deadline)) != 1) {
        tl_proc_free(&client);
        fail_msg("cli-32kb did not connect within %d s", TL_START_SECONDS);
    }
    int connection = accept(listener, NULL, NULL);
    close(listener);
    assert_true(connection != -1);
    static char got[2 * DATASIZE_32KB];
    size_t total = 0;
    for (;;) {
        struct pollfd readable = {connection, POLLIN, 0};
        if (poll(&readable, 1, tl_ms_left(deadline)) != 1)
            break; /* out of time */
        ssize_t n = recv(connection, got + total, sizeof got - total, 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    close(connection);
    int status = tl_proc_finish(&client, 10);
    assert_string_equal(client.out.data, "sent 32769 bytes from 32769.\n");
    assert_string_equal(client.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&client);
    assert_int_equal(total, DATASIZE_32KB);
    assert_memory_equal(got, message, DATASIZE_32KB);
}

/* ------------------------------------------- the reader decides */

/* serv-32kb -p 0 -n 1 OPTIONS... (at most 3), then one cli-32kb with
 * CLIENT_OPTION (NULL: none); checks the client's line and the server's
 * whole transcript, and returns the recv()s it reported. */
static size_t one_connection(struct tl_proc *server, const char *options[3],
                             const char *client_option, const char *client_line)
{
    char *argv[10] = {SERV_32KB, "-p", "0", "-n", "1"};
    int argc = 5;
    for (int i = 0; i < 3 && options[i] != NULL; i++)
        argv[argc++] = (char *)options[i];
    argv[argc] = NULL;
    unsigned port = tl_program_start_argv(server, argv, "serv-32kb");
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);

    struct tl_proc client;
    int status = client_option == NULL ? tl_runl(&client, 10, CLI_32KB, "-p", port_text,
                                                 "127.0.0.1", (char *)NULL)
                                       : tl_runl(&client, 10, CLI_32KB, "-p", port_text, "-s",
                                                 client_option, "127.0.0.1", (char *)NULL);
    assert_false(client.timed_out);
    assert_string_equal(client.out.data, client_line);
    assert_string_equal(client.err.data, "");
    assert_int_equal(status, 0);
    tl_proc_free(&client);

    size_t sent = DATASIZE_32KB, recvs;
    finish_server(server, port, &sent, 1, &recvs);
    return recvs;
}

/* -r 4096: Linux doubles the size asked (man 7 socket), and one send()
 * of 32769 bytes cannot come in one recv(): the sender may only send
 * what the small window allows. */
static void a_small_receive_buffer_splits_one_send(void **state)
{
    const char *options[3] = {"-r", "4096", NULL};
    size_t recvs = one_connection(*state, options, NULL, "sent 32769 bytes from 32769.\n");
    assert_int_equal(last_buffer, (size_t)2 * 4096);
    if (recvs < 2)
        fail_msg("one send() through an %zu-byte receive buffer came in %zu recv()",
                 last_buffer, recvs);
    assert_true(last_largest <= last_buffer);
}

/* -r 4096 -w: the same buffer, but MSG_WAITALL waits for the whole
 * message inside one recv(). */
static void msg_waitall_gets_the_message_in_one_recv(void **state)
{
    const char *options[3] = {"-r", "4096", "-w"};
    size_t recvs = one_connection(*state, options, NULL, "sent 32769 bytes from 32769.\n");
    assert_int_equal(last_buffer, (size_t)2 * 4096);
    assert_int_equal(recvs, 1);
    assert_int_equal(last_largest, DATASIZE_32KB);
}

/* -d 200 against cli-32kb -s 1000: while the reader sleeps, the 33
 * pieces pile up, and it gets them in fewer recv()s than there were
 * pieces. */
static void a_slow_reader_gets_the_pieces_together(void **state)
{
    const char *options[3] = {"-d", "200", NULL};
    size_t recvs =
        one_connection(*state, options, "1000",
                       "sent 32769 bytes from 32769, in 33 pieces of at most 1000 bytes.\n");
    if (recvs >= 33)
        fail_msg("33 pieces to a reader that sleeps 200 ms came in %zu recv()s", recvs);
    assert_int_equal(last_buffer, 0);
}

/* The numbers the chapter prints, from this build's run, say what its
 * sentences say: the small buffer split the send(), MSG_WAITALL read it
 * in one recv(), the slow reader got the pieces together, every
 * connection got all 32769 bytes, and Linux doubled the buffer asked. */
#define READERS_NUMBERS "build/results/02-fronteiras-de-mensagens/numbers.tsv"
static void the_books_readers_show_what_the_text_says(void **state)
{
    (void)state;
    long asked = tl_result_long(READERS_NUMBERS, "leitor-asked");
    assert_int_equal(tl_result_long(READERS_NUMBERS, "leitor-pequeno-buffer"), 2 * asked);
    assert_int_equal(tl_result_long(READERS_NUMBERS, "leitor-paciente-buffer"), 2 * asked);
    assert_int_equal(tl_result_long(READERS_NUMBERS, "leitor-pequeno-pieces"), 1);
    assert_true(tl_result_long(READERS_NUMBERS, "leitor-pequeno-recvs") >= 2);
    assert_true(tl_result_long(READERS_NUMBERS, "leitor-pequeno-largest") < DATASIZE_32KB);
    assert_int_equal(tl_result_long(READERS_NUMBERS, "leitor-paciente-recvs"), 1);
    assert_true(tl_result_long(READERS_NUMBERS, "leitor-lento-recvs") <
                tl_result_long(READERS_NUMBERS, "leitor-lento-pieces"));
    const char *readers[] = {"pequeno", "paciente", "lento"};
    for (size_t i = 0; i < 3; i++) {
        char key[64];
        snprintf(key, sizeof key, "leitor-%s-total", readers[i]);
        assert_int_equal(tl_result_long(READERS_NUMBERS, key), DATASIZE_32KB);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(client_and_server_agree, setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(several_connections_then_exit, setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(pieces_with_pauses_need_several_recvs, setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(early_close_is_reported, setup, tl_server_teardown),
        cmocka_unit_test_setup_teardown(immediate_close_is_reported, setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(the_client_sends_the_alphabet, setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_small_receive_buffer_splits_one_send, setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(msg_waitall_gets_the_message_in_one_recv, setup,
                                        tl_server_teardown),
        cmocka_unit_test_setup_teardown(a_slow_reader_gets_the_pieces_together, setup,
                                        tl_server_teardown),
        cmocka_unit_test(the_books_readers_show_what_the_text_says),
    };
    return cmocka_run_group_tests_name("serv-32kb and cli-32kb on loopback", tests, NULL,
                                       NULL);
}
