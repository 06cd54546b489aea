#include <sys/param.h>
#include <sys/kmem.h>

typedef unsigned int gfp_t;

/*
 * A km_flag_t parameter or variable becomes (v & KM_NOSLEEP) ? M_NOWAIT :
 * M_WAITOK, what kmem(9) makes of it.  Flags of another type (Linux's
 * gfp_t in a port) are not kmem's to read: that pair stays kmem.
 */
static void *
gold_getbuf(size_t len, km_flag_t kmflags)
{

	return kmem_alloc(len, kmflags);
}

static void *
gold_getzbuf(size_t len, bool nowait)
{
	const km_flag_t kmflags = nowait ? KM_NOSLEEP : KM_SLEEP;

	return kmem_zalloc(len, kmflags);
}

/* A const local holding kmem's flags (arm's bus_dma.c) is one too. */
static void *
gold_dmamap(size_t len, int flags)
{
	const int zallocflags =
	    ((flags & 1) ? KM_NOSLEEP : KM_SLEEP);

	return kmem_intr_zalloc(len, zallocflags);
}

static void *
gold_linux(size_t len, gfp_t gfp)
{

	return kmem_alloc(len, gfp);
}

void
gold_use(void)
{
	char *b, *z, *l, *d;

	b = gold_getbuf(10, KM_SLEEP);
	kmem_free(b, 10);
	z = gold_getzbuf(20, false);
	kmem_free(z, 20);
	d = gold_dmamap(40, 0);
	kmem_intr_free(d, 40);
	l = gold_linux(30, 0);
	kmem_free(l, 30);
}
