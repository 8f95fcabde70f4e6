/* expect: eintr_is_no_error: returned
 * Wrong on purpose: EINTR is taken for an error. Its main (for the
 * student's own tries) is renamed by the grader. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

size_t recv_counted(int fd, void *buffer, size_t n, int *error)
{
    size_t total = 0;
    *error = 0;
    while (total < n) {
        ssize_t got = recv(fd, (char *)buffer + total, n - total, 0);
        if (got == -1) {
            *error = errno;
            break;
        }
        if (got == 0)
            break;
        total += (size_t)got;
    }
    return total;
}

int main(void)
{
    puts("my own test");
    return 0;
}
