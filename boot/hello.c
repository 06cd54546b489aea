/*
 * hello: the second program boottest's init forks and execs.  Prints its
 * arguments, so that init sees argv went through exec, and exits 42, so
 * that init sees the status come back through wait4.
 */

#define NB_DEFINE_STRING
#include "nbsys.h"

static void
put(const char *s)
{

	nb_sys3(NB_SYS_write, 1, s, nb_strlen(s));
}

int	hello_main(long *);

int
hello_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	long i;

	put("k2m-hello:");
	for (i = 0; i < argc; i++) {
		put(" ");
		put(argv[i]);
	}
	put("\n");
	return 42;
}

NB_ELF_NOTE_AND_START(hello_main);
