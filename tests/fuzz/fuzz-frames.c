/* fuzz-frames: chapter 4's length-prefixed frame reader (<<frames:
 * receive one length-prefixed frame>>, over chapter 2's <<recv exactly n
 * bytes>>) and serv-msg's serve_connection(), as tangled in serv-msg.c,
 * fed fuzzed bytes by a replaced recv() (ld --wrap=recv) in fuzzed pieces.
 *
 * Input: a byte F, then (F & 7) + 1 bytes P..., then the bytes the peer
 * sends. recv() hands them out P bytes at a time, cycling through P...; a
 * P of 0 is a recv() interrupted by a signal (EINTR). When the bytes run
 * out, recv() says the peer closed (0), or, if F & 0x80, fails with
 * ECONNRESET. Checked against a reading of the same bytes done here: each
 * frame's length and bytes, how the connection ends and the one line said
 * on stderr, serv-msg's count of recv() calls, and what serve_connection()
 * prints. */
#include "redirect.h" /* first: before the program and its headers */

#include "../../build/tangle/04-dados-binarios/serv-msg.c"
#include "unredirect.h"

enum { FD = -7 };               /* not a descriptor: serve_connection() closes it */
enum { LONGEST_INPUT = 70000 }; /* make fuzz's -max_len: a whole frame of MAX_MESSAGE fits */

static struct {
    const uint8_t *plan, *bytes;
    size_t plan_length, plan_next, length, offset;
    int reset;           /* end with ECONNRESET instead of 0 */
    int interrupted;     /* the last call was an EINTR: the next one brings data */
    unsigned long calls; /* calls that returned data */
} peer;

ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t n, int flags)
{
    FUZZ_CHECK(fd == FD && flags == 0, "recv(%d, ..., %d)", fd, flags);
    FUZZ_CHECK(n > 0, "recv() of 0 bytes: its 0 would look like the end of the connection");
    if (peer.offset == peer.length) {
        if (!peer.reset)
            return 0;
        errno = ECONNRESET;
        return -1;
    }
    uint8_t piece = peer.plan[peer.plan_next++ % peer.plan_length];
    if (piece == 0 && !peer.interrupted) {
        peer.interrupted = 1;
        errno = EINTR;
        return -1;
    }
    peer.interrupted = 0;
    size_t give = piece == 0 ? 1 : piece;
    if (give > n)
        give = n;
    if (give > peer.length - peer.offset)
        give = peer.length - peer.offset;
    memcpy(buffer, peer.bytes + peer.offset, give); /* ASan: n must fit the buffer */
    peer.offset += give;
    peer.calls++;
    return (ssize_t)give;
}

static void peer_start(const uint8_t *data, size_t size)
{
    static const uint8_t whole = 255; /* no P: recv() gives up to 255 bytes */
    memset(&peer, 0, sizeof peer);
    peer.reset = (data[0] & 0x80) != 0;
    peer.plan_length = (size_t)(data[0] & 7) + 1;
    if (peer.plan_length > size - 1)
        peer.plan_length = size - 1;
    peer.plan = peer.plan_length > 0 ? data + 1 : &whole;
    peer.bytes = data + 1 + peer.plan_length;
    peer.length = size - 1 - peer.plan_length;
    if (peer.plan_length == 0)
        peer.plan_length = 1;
}

/* The reading the frame reader should do: frames of 4 bytes of length
 * (network byte order, at most MAX_MESSAGE) and then that many bytes. */
struct reading {
    size_t frames;
    size_t start[LONGEST_INPUT / 4 + 2]; /* where each frame's bytes begin */
    uint32_t length[LONGEST_INPUT / 4 + 2];
    enum frame_status end;
    char *said; /* the line on stderr, without "serv-msg: " */
};

static void read_frames(const uint8_t *bytes, size_t size, int reset, struct reading *r)
{
    static char said[256];
    r->frames = 0;
    r->said = said;
    size_t at = 0;
    for (;;) {
        size_t left = size - at;
        if (left == 0 && !reset) {
            r->end = FRAME_END;
            said[0] = '\0';
            return;
        }
        r->end = FRAME_ERROR;
        if (left < 4) {
            snprintf(said, sizeof said, "%s",
                     reset ? "recv from peer: Connection reset by peer"
                           : "peer closed the connection in the middle of a frame");
            return;
        }
        uint32_t length = (uint32_t)bytes[at] << 24 | (uint32_t)bytes[at + 1] << 16 |
                          (uint32_t)bytes[at + 2] << 8 | bytes[at + 3];
        if (length > MAX_MESSAGE) {
            snprintf(said, sizeof said,
                     "peer announced a message of %" PRIu32 " bytes, more than %d: closing "
                     "the connection",
                     length, MAX_MESSAGE);
            return;
        }
        if (left - 4 < length) {
            snprintf(said, sizeof said, "%s",
                     reset ? "recv from peer: Connection reset by peer"
                           : "peer closed the connection in the middle of a frame");
            return;
        }
        r->start[r->frames] = at + 4;
        r->length[r->frames++] = length;
        at += 4 + length;
    }
}

static struct reading expected;
static unsigned char *message; /* MAX_MESSAGE bytes: ASan sees a byte past it */
static enum frame_status got[LONGEST_INPUT / 4 + 2];
static size_t frames;

static void read_with_recv_frame(void *argument)
{
    (void)argument;
    enum frame_status status;
    do {
        FUZZ_CHECK(frames <= expected.frames, "more frames than the %zu sent",
                   expected.frames);
        uint32_t length = 0xdeadbeef;
        status = recv_frame(FD, "peer", message, &length);
        got[frames] = status;
        if (status == FRAME_OK) {
            FUZZ_CHECK(length == expected.length[frames] &&
                           memcmp(message, peer.bytes + expected.start[frames], length) == 0,
                       "frame %zu: %" PRIu32 " bytes, expected %" PRIu32 " bytes at %zu",
                       frames, length, expected.length[frames], expected.start[frames]);
        }
        frames++;
    } while (status == FRAME_OK);
}

static void serve(void *argument)
{
    (void)argument;
    serve_connection(FD, "peer");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    message = malloc(MAX_MESSAGE);
    return message == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > LONGEST_INPUT)
        return 0;
    peer_start(data, size);
    read_frames(peer.bytes, peer.length, peer.reset, &expected);

    /* recv_frame() until the end, frame by frame. */
    fuzz_begin();
    recvs = 0;
    frames = 0;
    int status = fuzz_run(read_with_recv_frame, NULL);
    FUZZ_CHECK(status == FUZZ_RETURNED, "exit(%d)", status);
    FUZZ_CHECK(frames == expected.frames + 1 && got[frames - 1] == expected.end,
               "%zu frames, then status %d; expected %zu, then %d", frames - 1,
               (int)got[frames - 1], expected.frames, (int)expected.end);
    const char *err = fuzz_stderr_text();
    if (expected.end == FRAME_END)
        FUZZ_CHECK(*err == '\0', "stderr at the end of the frames");
    else
        FUZZ_CHECK(strncmp(err, "serv-msg: ", 10) == 0 &&
                       strncmp(err + 10, expected.said, strlen(expected.said)) == 0 &&
                       strcmp(err + 10 + strlen(expected.said), "\n") == 0,
                   "expected the line %s", fuzz_quote(expected.said));
    FUZZ_CHECK(recvs == peer.calls, "serv-msg counted %lu recv()s with data, there were %lu",
               recvs, peer.calls);
    FUZZ_CHECK(peer.offset == peer.length || expected.end == FRAME_ERROR,
               "the frames ended with %zu bytes not read", peer.length - peer.offset);

    /* serve_connection() on the same bytes: one line per message. */
    peer_start(data, size);
    fuzz_begin();
    status = fuzz_run(serve, NULL);
    FUZZ_CHECK(status == FUZZ_RETURNED, "serve_connection(): exit(%d)", status);
    char *text = NULL;
    size_t text_length;
    FILE *lines = open_memstream(&text, &text_length);
    if (lines == NULL)
        abort();
    fprintf(lines, "server: got connection from peer\n");
    for (size_t f = 0; f < expected.frames; f++) {
        uint32_t length = expected.length[f];
        fprintf(lines, "Received %" PRIu32 " bytes: '%.*s%s'\n", length,
                length > 50 ? 50 : (int)length, (const char *)peer.bytes + expected.start[f],
                length > 50 ? "..." : "");
    }
    fprintf(lines, "server: %zu messages in %lu recv()s from peer%s\n", expected.frames,
            peer.calls, expected.end == FRAME_ERROR ? ", then an error" : "");
    fclose(lines);
    FUZZ_CHECK(strcmp(fuzz_stdout_text(), text) == 0, "serve_connection() printed %s",
               fuzz_quote(fuzz_stdout_text()));
    free(text);
    return 0;
}
