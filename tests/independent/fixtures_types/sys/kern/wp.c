/*
 * Machine-independent memory handed to a function only alpha defines, which
 * keeps it in a global; riscv has a global of the same name of its own: the
 * walk, having gone through alpha's code, does not go on into riscv's.
 */
#include <sys/malloc.h>

void	wp_keep(void *);

void
wp_use(void)
{
	void *p = malloc(8, M_AAA, M_WAITOK);

	wp_keep(p);
}
