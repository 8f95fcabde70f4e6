/* expect: refuses_a_frame_larger_than_capacity
 * Wrong on purpose: whatever the prefix announces is read into the message. */
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
/* Calls recv() until n bytes have arrived, the peer has closed or an error
 * happens. Returns the bytes received, fewer than n only if the peer
 * closed first, or -1 with errno set. A signal (EINTR) is not an error:
 * the call is simply made again. report, when not NULL, is told about
 * every recv() that returned data, which is how serv-32kb prints them. */
static ssize_t recv_exactly(int fd, void *buffer, size_t n,
                            void (*report)(size_t received, size_t requested))
{
    size_t total = 0;
    while (total < n) {
        ssize_t got = recv(fd, (char *)buffer + total, n - total, 0);
        if (got == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0)
            break; /* the peer closed: return what we have */
        if (report != NULL)
            report((size_t)got, n - total);
        total += (size_t)got;
    }
    return (ssize_t)total;
}

int send_frame(int fd, const void *message, uint16_t length)
{
    unsigned char frame[2 + 65535];
    frame[0] = (unsigned char)(length >> 8);
    frame[1] = (unsigned char)(length & 0xff);
    memcpy(frame + 2, message, length);
    return send_all(fd, frame, 2 + (size_t)length) == -1 ? -1 : 0;
}

int recv_frame(int fd, void *message, size_t capacity, uint16_t *length)
{
    unsigned char header[2];
    ssize_t got = recv_exactly(fd, header, 2, NULL);
    if (got == 0)
        return 0; /* closed between two frames: the normal end */
    if (got == -1)
        return -1;
    if (got < 2) {
        errno = EPROTO;
        return -1;
    }
    uint16_t announced = (uint16_t)(header[0] << 8 | header[1]);
    (void)capacity;
    got = recv_exactly(fd, message, announced, NULL);
    if (got == -1)
        return -1;
    if (got < announced) {
        errno = EPROTO;
        return -1;
    }
    *length = announced;
    return 1;
}
