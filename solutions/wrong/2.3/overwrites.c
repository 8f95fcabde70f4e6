/* expect: one_byte_at_a_time: byte 0 of the buffer
 * Wrong on purpose: every recv() writes at the start of the buffer, as
 * the seed's Listing 17 does. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

size_t recv_counted(int fd, void *buffer, size_t n, int *error)
{
    size_t total = 0;
    *error = 0;
    while (total < n) {
        ssize_t got = recv(fd, buffer, n - total, 0);
        if (got == -1) {
            if (errno == EINTR)
                continue;
            *error = errno;
            break;
        }
        if (got == 0)
            break;
        total += (size_t)got;
    }
    return total;
}
