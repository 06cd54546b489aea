#include <sys/malloc.h>

void	*pass_put(void *);

void
pass_b(void)
{
	void *x = malloc(8, M_BBB, M_WAITOK);
	void *r = pass_put(x);

	free(r, M_BBB, 8);
}
