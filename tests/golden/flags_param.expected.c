#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/malloc.h>

typedef unsigned int gfp_t;

/*
 * A km_flag_t parameter or variable becomes (v & KM_NOSLEEP) ? M_NOWAIT :
 * M_WAITOK, what kmem(9) makes of it.  Flags of another type (Linux's
 * gfp_t in a port) are not kmem's to read: that pair stays kmem.
 */
static void *
gold_getbuf(size_t len, km_flag_t kmflags)
{

	return malloc(len, M_GOLDEN,
	    (kmflags & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK);
}

static void *
gold_getzbuf(size_t len, bool nowait)
{
	const km_flag_t kmflags = nowait ? KM_NOSLEEP : KM_SLEEP;

	return malloc(len, M_GOLDEN,
	    ((kmflags & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) | M_ZERO);
}

/* A const local holding kmem's flags (arm's bus_dma.c) is one too. */
static void *
gold_dmamap(size_t len, int flags)
{
	const int zallocflags =
	    ((flags & 1) ? KM_NOSLEEP : KM_SLEEP);

	return malloc(len, M_GOLDEN,
	    ((zallocflags & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) | M_ZERO);
}

/*
 * So is a local given only kmem's flags, and never changed otherwise
 * (dwc2_hcd.c's kmem_flag); not one that is also given anything else.
 */
static void *
gold_urb(size_t len, bool wait)
{
	int kmem_flag;

	if (wait)
		kmem_flag = KM_SLEEP;
	else
		kmem_flag = KM_NOSLEEP;
	return malloc(len, M_GOLDEN,
	    ((kmem_flag & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) | M_ZERO);
}

static void *
gold_other(size_t len, int how)
{
	int fl = KM_SLEEP;

	if (how != 0)
		fl = how;
	return kmem_alloc(len, fl);
}

static void *
gold_linux(size_t len, gfp_t gfp)
{

	return kmem_alloc(len, gfp);
}

void
gold_use(void)
{
	char *b, *z, *l, *d, *u, *o;

	b = gold_getbuf(10, KM_SLEEP);
	free(b, M_GOLDEN, 10);
	z = gold_getzbuf(20, false);
	free(z, M_GOLDEN, 20);
	d = gold_dmamap(40, 0);
	free(d, M_GOLDEN, 40);
	l = gold_linux(30, 0);
	kmem_free(l, 30);
	u = gold_urb(50, true);
	free(u, M_GOLDEN, 50);
	o = gold_other(60, 0);
	kmem_free(o, 60);
}
