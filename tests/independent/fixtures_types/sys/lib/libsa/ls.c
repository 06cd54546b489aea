/* Standalone code (boot loaders) has libsa's free(ptr, size), not the
 * kernel's malloc(9): free(n, 0) here is no untyped free. */
#include <sys/types.h>

void	*alloc(unsigned int);
void	free(void *, unsigned int);

void
ls(void)
{
	void *n = alloc(16);

	free(n, 0);
}
