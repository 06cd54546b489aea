#include <sys/param.h>
#include <sys/malloc.h>
#include <sys/systm.h>
#include <dev/golden/goldvar.h>

/* kmem.h comes in through goldvar.h: malloc.h goes after sys/param.h. */
void *
gold_get(void)
{

	return malloc(32, M_GOLDEN, M_WAITOK);
}

void
gold_put(void *p)
{

	free(p, M_GOLDEN, 32);
}
