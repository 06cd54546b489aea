/*
 * retag: a macro whose malloc type is its parameter, as udf's
 * MPFREE(a, lst): each use names the type of the memory it frees, and is
 * retyped at the use with that memory; a use naming another type is left.
 */
#include <sys/param.h>
#include <sys/malloc.h>

#define	GOLD_FREE(a, lst) \
	if ((a)) free((a), lst);

struct gold_softc {
	char	*sc_buf;
	char	*sc_map;
	char	*sc_other;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = malloc(128, M_TEMP, M_WAITOK);
	sc->sc_map = malloc(64, M_DEVBUF, M_WAITOK);
	sc->sc_other = malloc(32, M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	GOLD_FREE(sc->sc_buf, M_TEMP);
	GOLD_FREE(sc->sc_map, M_DEVBUF);
	GOLD_FREE(sc->sc_other, M_GOLDEN);
}
