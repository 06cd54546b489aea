#include <sys/param.h>
#include <sys/kmem.h>

struct gold_softc {
	void	*sc_a, *sc_b, *sc_c, *sc_d, *sc_e, *sc_f, *sc_g, *sc_h;
	size_t	sc_len;
};

int
gold_alloc(struct gold_softc *sc, bool cansleep)
{

	sc->sc_a = kmem_alloc(sc->sc_len, KM_SLEEP);
	sc->sc_b = kmem_alloc(sc->sc_len, KM_NOSLEEP);
	sc->sc_c = kmem_zalloc(sc->sc_len, KM_SLEEP);
	sc->sc_d = kmem_zalloc(sc->sc_len, KM_NOSLEEP);
	sc->sc_e = kmem_alloc(sc->sc_len, cansleep ? KM_SLEEP : KM_NOSLEEP);
	sc->sc_f = kmem_zalloc(sc->sc_len, cansleep ? KM_NOSLEEP : KM_SLEEP);
	sc->sc_g = kmem_alloc(sc->sc_len, cansleep ? KM_NOSLEEP : KM_SLEEP);
	sc->sc_h = kmem_zalloc(sc->sc_len, cansleep ? KM_SLEEP : KM_NOSLEEP);
	return 0;
}

void
gold_free(struct gold_softc *sc)
{

	kmem_free(sc->sc_a, sc->sc_len);
	kmem_free(sc->sc_b, sc->sc_len);
	kmem_free(sc->sc_c, sc->sc_len);
	kmem_free(sc->sc_d, sc->sc_len);
	kmem_free(sc->sc_e, sc->sc_len);
	kmem_free(sc->sc_f, sc->sc_len);
	kmem_free(sc->sc_g, sc->sc_len);
	kmem_free(sc->sc_h, sc->sc_len);
}
