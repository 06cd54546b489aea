#include <sys/param.h>
#include <sys/malloc.h>

/*
 * An allocator macro is converted in its definition, with the free of what
 * its uses allocate.
 */
#define	GOLD_ALLOC(n)	malloc((n), M_GOLDEN, M_WAITOK)

struct gold_softc {
	void	*sc_m;
	void	*sc_plain;
};

void
gold_attach(struct gold_softc *sc)
{

	sc->sc_m = GOLD_ALLOC(128);
	sc->sc_plain = malloc(16, M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{

	free(sc->sc_m, M_GOLDEN, 128);
	free(sc->sc_plain, M_GOLDEN, 16);
}
