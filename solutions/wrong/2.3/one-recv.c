/* expect: one_byte_at_a_time: returned 1,
 * Wrong on purpose: one recv() is taken to be enough, as on loopback. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

size_t recv_counted(int fd, void *buffer, size_t n, int *error)
{
    *error = 0;
    ssize_t got = recv(fd, buffer, n, 0);
    if (got == -1) {
        *error = errno;
        return 0;
    }
    return (size_t)got;
}
