/* redirect.h: included right before the code under test (a tangled
 * program, tools/weave/nwpandoc.c): its exit(), atexit(), standard output and
 * error go to the harness (fuzz.h); its main() is renamed program_main()
 * unless the harness chose another name. unredirect.h undoes this. The
 * system headers come first, through fuzz.h, so that the macros below
 * reach the code and not the headers' declarations. */
#include "fuzz.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define exit fuzz_exit
#define atexit fuzz_atexit
#undef stdout
#define stdout fuzz_stdout
#undef stderr
#define stderr fuzz_stderr
#define printf fuzz_printf
#define puts fuzz_puts
#undef putchar
#define putchar fuzz_putchar
#ifndef main
#define main program_main
#endif
