#include <sys/param.h>
#include <sys/systm.h>
#include <dev/golden/goldvar.h>

/* kmem.h comes in through goldvar.h: malloc.h goes after sys/param.h. */
void *
gold_get(void)
{

	return kmem_alloc(32, KM_SLEEP);
}

void
gold_put(void *p)
{

	kmem_free(p, 32);
}
