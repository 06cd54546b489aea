#include <sys/malloc.h>

void	dmx_free(void *);

void
dmx_md(void)
{
	void *p = malloc(8, M_AAA, M_WAITOK);			/* wrong:X1 */

	dmx_free(p);
}
