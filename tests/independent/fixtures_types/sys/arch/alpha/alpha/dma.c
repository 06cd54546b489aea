/* Each port defines the same functions, each with its own type; a kernel
 * has one of them. */
#include <sys/malloc.h>

void	_dm_destroy(void *);

void *
_dm_create(int fail)
{
	void *m = malloc(8, M_AAA, M_WAITOK);

	if (fail) {
		_dm_destroy(m);
		return NULL;
	}
	return m;
}

void
_dm_destroy(void *m)
{
	free(m, M_AAA, 8);
}
