/* k2m-golden: --unsized-free */
#include <sys/param.h>
#include <sys/malloc.h>

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

	sc->sc_vals = malloc(sc->sc_n * sizeof(*sc->sc_vals), M_GOLDEN,
	    M_WAITOK | M_ZERO);
	sc->sc_name = malloc_strdup(s, M_GOLDEN, M_WAITOK);
#if 0
	sc->sc_old = malloc(4, M_GOLDEN, M_WAITOK);
#endif
}

void
gold_detach(struct gold_softc *sc)
{

	free(sc->sc_vals, M_GOLDEN);
	malloc_strfree(sc->sc_name, M_GOLDEN);
#if 0
	free(sc->sc_old, M_GOLDEN);
	malloc_strfree(sc->sc_name, M_GOLDEN);
#endif
}
