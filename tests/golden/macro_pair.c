#include <sys/param.h>
#include <sys/kmem.h>

/*
 * An allocator macro is converted in its definition, with the free of what
 * its uses allocate.
 */
#define	GOLD_ALLOC(n)	kmem_alloc((n), KM_SLEEP)

struct gold_softc {
	void	*sc_m;
	void	*sc_plain;
};

void
gold_attach(struct gold_softc *sc)
{

	sc->sc_m = GOLD_ALLOC(128);
	sc->sc_plain = kmem_alloc(16, KM_SLEEP);
}

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_m, 128);
	kmem_free(sc->sc_plain, 16);
}
