#include <sys/param.h>
#include <sys/kmem.h>

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

	sc->sc_name = kmem_asprintf("gold%d", unit);
	sc->sc_a = kmem_strdup(s, KM_SLEEP);
	sc->sc_b = kmem_strdup(s, KM_NOSLEEP);
	sc->sc_c = kmem_strndup(s, 8, cansleep ? KM_SLEEP : KM_NOSLEEP);
	sc->sc_d = kmem_strdupsize(s, &sc->sc_dlen, cansleep ? KM_NOSLEEP : KM_SLEEP);
	tmp = kmem_tmpbuf_alloc(128, stackbuf, sizeof(stackbuf), KM_SLEEP);
	snprintf(tmp, 128, "%s", s);
	kmem_tmpbuf_free(tmp, 128, stackbuf);
#if 0
	sc->sc_e = kmem_strdup(s, KM_NOSLEEP);
	kmem_strfree(sc->sc_e);
#endif
}

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_name, strlen(sc->sc_name) + 1);
	kmem_strfree(sc->sc_a);
	kmem_strfree(sc->sc_b);
	kmem_strfree(sc->sc_c);
	kmem_free(sc->sc_d, sc->sc_dlen);
}
