/* See stub_a.c. */
#include <sys/malloc.h>

void	st_free(void *);

void *
st_make(int bad)
{
	void *p = malloc(8, M_BBB, M_WAITOK);

	if (bad) {
		st_free(p);
		return NULL;
	}
	return p;
}

void
st_free(void *p)
{
	free(p, M_BBB, 8);
}
