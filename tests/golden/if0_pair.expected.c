#include <sys/param.h>
#include <sys/malloc.h>

/* A pair half under #if 0 is converted too, so it never comes back mixed. */
struct gold_softc {
	char	*sc_dbg;
};

void
gold_attach(struct gold_softc *sc)
{

	sc->sc_dbg = malloc(64, M_GOLDEN, M_WAITOK);
}

#if 0
void
gold_dbg_reset(struct gold_softc *sc)
{

	free(sc->sc_dbg, M_GOLDEN, 64);
	sc->sc_dbg = malloc(64, M_GOLDEN, M_NOWAIT | M_ZERO);
}
#endif

void
gold_detach(struct gold_softc *sc)
{

	free(sc->sc_dbg, M_GOLDEN, 64);
}
