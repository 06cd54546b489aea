/*
 * Machine-independent code using the ports' functions: what it frees
 * itself it frees as M_AAA (wrong on riscv); what it hands back to
 * _dm_destroy() goes to the port's own definition, never the other's.
 */
#include <sys/malloc.h>

void	*_dm_create(int);
void	_dm_destroy(void *);

void
dm_use(void)
{
	void *p = _dm_create(0);
	void *q = _dm_create(0);

	_dm_destroy(p);
	free(q, M_AAA, 8);					/* wrong:D1 */
}
