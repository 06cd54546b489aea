/*
 * Two definitions of one function in machine-independent files (a stub
 * and the real one, for two configurations): a kernel has one, so the
 * calls in each file go to its own.
 */
#include <sys/malloc.h>

void	st_free(void *);

void *
st_make(int bad)
{
	void *p = malloc(8, M_AAA, M_WAITOK);

	if (bad) {
		st_free(p);
		return NULL;
	}
	return p;
}

void
st_free(void *p)
{
	free(p, M_AAA, 8);
}
