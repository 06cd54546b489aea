#include <sys/param.h>
#include <sys/malloc.h>

/*
 * kmem's string and scratch-buffer helpers become the shim's typed ones,
 * kmem_strfree malloc_strfree (NULL-safe, as kmem's), and
 * kmem_free(p, strlen(p) + 1) of a kmem_asprintf string free(9).  The same under
 * #if 0, rewritten as text.
 */
struct gold_softc {
	char	*sc_name, *sc_a, *sc_b, *sc_c, *sc_d, *sc_e;
	size_t	sc_dlen;
};

void
gold_attach(struct gold_softc *sc, const char *s, int unit, bool cansleep)
{
	char stackbuf[32];
	char *tmp;

	sc->sc_name = malloc_asprintf(M_GOLDEN, "gold%d", unit);
	sc->sc_a = malloc_strdup(s, M_GOLDEN, M_WAITOK);
	sc->sc_b = malloc_strdup(s, M_GOLDEN, M_NOWAIT);
	sc->sc_c = malloc_strndup(s, 8, M_GOLDEN,
	    cansleep ? M_WAITOK : M_NOWAIT);
	sc->sc_d = malloc_strdupsize(s, &sc->sc_dlen, M_GOLDEN,
	    cansleep ? M_NOWAIT : M_WAITOK);
	tmp = malloc_tmpbuf_alloc(128, stackbuf, sizeof(stackbuf), M_GOLDEN,
	    M_WAITOK);
	snprintf(tmp, 128, "%s", s);
	malloc_tmpbuf_free(tmp, 128, stackbuf, M_GOLDEN);
#if 0
	sc->sc_e = malloc_strdup(s, M_GOLDEN, M_NOWAIT);
	malloc_strfree(sc->sc_e, M_GOLDEN);
#endif
}

void
gold_detach(struct gold_softc *sc)
{

	free(sc->sc_name, M_GOLDEN, strlen(sc->sc_name) + 1);
	malloc_strfree(sc->sc_a, M_GOLDEN);
	malloc_strfree(sc->sc_b, M_GOLDEN);
	malloc_strfree(sc->sc_c, M_GOLDEN);
	free(sc->sc_d, M_GOLDEN, sc->sc_dlen);
}
