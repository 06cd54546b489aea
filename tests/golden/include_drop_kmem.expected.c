#include <sys/param.h>
#include <sys/malloc.h>

/*
 * The file had <sys/malloc.h> already: when nothing from <sys/kmem.h> is
 * left, <sys/kmem.h> goes.
 */
struct gold_softc {
	int	*sc_vals;
	void	*sc_old;
};

void
gold_attach(struct gold_softc *sc)
{

	sc->sc_vals = malloc(8 * sizeof(int), M_GOLDEN, M_WAITOK);
	sc->sc_old = malloc(8, M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{

	free(sc->sc_vals, M_GOLDEN, 8 * sizeof(int));
	free(sc->sc_old, M_GOLDEN);
}
