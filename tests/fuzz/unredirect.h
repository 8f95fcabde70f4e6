/* unredirect.h: the harness's own code after the code under test sees
 * the real exit(), standard output and error again (see redirect.h). */
#undef exit
#undef atexit
#undef stdout
#undef stderr
#undef printf
#undef puts
#undef putchar
#undef main
