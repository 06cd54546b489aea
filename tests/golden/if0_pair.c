#include <sys/param.h>
#include <sys/kmem.h>

/* A pair half under #if 0 is converted too, so it never comes back mixed. */
struct gold_softc {
	char	*sc_dbg;
};

void
gold_attach(struct gold_softc *sc)
{

	sc->sc_dbg = kmem_alloc(64, KM_SLEEP);
}

#if 0
void
gold_dbg_reset(struct gold_softc *sc)
{

	kmem_free(sc->sc_dbg, 64);
	sc->sc_dbg = kmem_zalloc(64, KM_NOSLEEP);
}
#endif

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_dbg, 64);
}
