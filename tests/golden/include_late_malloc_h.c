#include <sys/param.h>
#include <sys/kmem.h>

/*
 * <sys/malloc.h> is included already, but late and only under an #if
 * (NetBSD 7.99's rasops.c): it reaches no converted call, so
 * <sys/malloc.h> takes <sys/kmem.h>'s place as if it were not there.
 */
struct gold_softc {
	int	*sc_vals;
};

void
gold_attach(struct gold_softc *sc)
{

	sc->sc_vals = kmem_zalloc(8 * sizeof(int), KM_SLEEP);
}

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_vals, 8 * sizeof(int));
}

#if NGOLD_ROTATION > 0
#include <sys/malloc.h>

void	*gold_rotate(void);

void *
gold_rotate(void)
{

	return malloc(8, M_GOLDEN, M_WAITOK);
}
#endif
