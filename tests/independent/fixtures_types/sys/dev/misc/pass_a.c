#include <sys/malloc.h>

void	*pass_put(void *);

void
pass_a(void)
{
	void *x = malloc(8, M_AAA, M_WAITOK);
	void *r = pass_put(x);

	free(r, M_AAA, 8);
}
