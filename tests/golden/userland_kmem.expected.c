/*
 * A file built outside the kernel too, with kmem(9) mapped onto libc
 * there (subr_blist.c, npf's lpm.c): converted, its calls would not
 * compile in that build, so they stay kmem(9), each kept with the reason.
 */
#ifdef _KERNEL
#include <sys/param.h>
#include <sys/kmem.h>
#else
#include <stdlib.h>
#define	kmem_zalloc(a, b)	calloc(1, (a))
#define	kmem_free(a, b)		free(a)
#endif

struct gold_blist {
	int	bl_radix;
};

struct gold_blist *
gold_blist_create(void)
{

	return kmem_zalloc(sizeof(struct gold_blist), KM_SLEEP);
}

void
gold_blist_destroy(struct gold_blist *bl)
{

	kmem_free(bl, sizeof(*bl));
}
