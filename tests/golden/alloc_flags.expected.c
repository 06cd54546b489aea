#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	void	*sc_a, *sc_b, *sc_c, *sc_d, *sc_e, *sc_f, *sc_g, *sc_h;
	size_t	sc_len;
};

int
gold_alloc(struct gold_softc *sc, bool cansleep)
{

	sc->sc_a = malloc(sc->sc_len, M_GOLDEN, M_WAITOK);
	sc->sc_b = malloc(sc->sc_len, M_GOLDEN, M_NOWAIT);
	sc->sc_c = malloc(sc->sc_len, M_GOLDEN, M_WAITOK | M_ZERO);
	sc->sc_d = malloc(sc->sc_len, M_GOLDEN, M_NOWAIT | M_ZERO);
	sc->sc_e = malloc(sc->sc_len, M_GOLDEN, cansleep ? M_WAITOK : M_NOWAIT);
	sc->sc_f = malloc(sc->sc_len, M_GOLDEN,
	    (cansleep ? M_NOWAIT : M_WAITOK) | M_ZERO);
	sc->sc_g = malloc(sc->sc_len, M_GOLDEN, cansleep ? M_NOWAIT : M_WAITOK);
	sc->sc_h = malloc(sc->sc_len, M_GOLDEN,
	    (cansleep ? M_WAITOK : M_NOWAIT) | M_ZERO);
	return 0;
}

void
gold_free(struct gold_softc *sc)
{

	free(sc->sc_a, M_GOLDEN);
	free(sc->sc_b, M_GOLDEN);
	free(sc->sc_c, M_GOLDEN);
	free(sc->sc_d, M_GOLDEN);
	free(sc->sc_e, M_GOLDEN);
	free(sc->sc_f, M_GOLDEN);
	free(sc->sc_g, M_GOLDEN);
	free(sc->sc_h, M_GOLDEN);
}
