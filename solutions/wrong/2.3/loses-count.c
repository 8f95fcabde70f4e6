/* expect: error_after_partial_data: returned 0
 * Wrong on purpose: an error after partial data loses the count, the
 * defect the exercise asks to fix. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

size_t recv_counted(int fd, void *buffer, size_t n, int *error)
{
    size_t total = 0;
    *error = 0;
    while (total < n) {
        ssize_t got = recv(fd, (char *)buffer + total, n - total, 0);
        if (got == -1) {
            if (errno == EINTR)
                continue;
            *error = errno;
            return 0;
        }
        if (got == 0)
            break;
        total += (size_t)got;
    }
    return total;
}
