/*
 * retag: a realloc changes with its memory's allocation and free; one
 * that moves the memory to another place is not followed, and keeps it.
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	int	*sc_tab;
	int	 sc_n;
	char	*sc_a;
	char	*sc_b;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_tab = malloc(sizeof(int), M_DEVBUF, M_WAITOK);
	sc->sc_n = 1;
	sc->sc_a = malloc(16, M_TEMP, M_WAITOK);
}

void
gold_grow(struct gold_softc *sc)
{
	sc->sc_n *= 2;
	sc->sc_tab = realloc(sc->sc_tab, sc->sc_n * sizeof(int), M_DEVBUF, M_WAITOK);
	sc->sc_b = realloc(sc->sc_a, 32, M_TEMP, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	free(sc->sc_tab, M_DEVBUF);
	free(sc->sc_b, M_TEMP);
}
