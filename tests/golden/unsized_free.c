/* k2m-golden: --unsized-free */
#include <sys/param.h>
#include <sys/kmem.h>

/*
 * convert --unsized-free: kmem_free(p, n) becomes NetBSD's free(p, T), the
 * size dropped; kmem_strfree(s) malloc_strfree(s, T) either way.  (The
 * default, OpenBSD's free(p, T, n), is every other case's.)  The same
 * under #if 0.
 */
struct gold_softc {
	int	*sc_vals;
	char	*sc_name, *sc_old;
	size_t	sc_n;
};

void
gold_attach(struct gold_softc *sc, const char *s)
{

	sc->sc_vals = kmem_zalloc(sc->sc_n * sizeof(*sc->sc_vals), KM_SLEEP);
	sc->sc_name = kmem_strdup(s, KM_SLEEP);
#if 0
	sc->sc_old = kmem_alloc(4, KM_SLEEP);
#endif
}

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_vals,
	    sc->sc_n * sizeof(*sc->sc_vals));
	kmem_strfree(sc->sc_name);
#if 0
	kmem_free(sc->sc_old, 4);
	kmem_strfree(sc->sc_name);
#endif
}
