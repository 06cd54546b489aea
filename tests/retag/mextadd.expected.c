/*
 * retag: MEXTADD's malloc type is ignored by NetBSD (nothing frees with
 * it), so naming M_DEVBUF there holds nothing back; the call stays as it is.
 */
#include <sys/param.h>
#include <sys/malloc.h>
#include <sys/mbuf.h>

struct gold_softc {
	char	*sc_jumbo;
};

void	gold_extfree(struct mbuf *, void *, size_t, void *);

void
gold_attach(struct gold_softc *sc, struct mbuf *m)
{
	sc->sc_jumbo = malloc(9018, M_GOLDEN, M_WAITOK);
	MEXTADD(m, sc->sc_jumbo, 9018, M_DEVBUF, gold_extfree, sc);
}

void
gold_detach(struct gold_softc *sc)
{
	free(sc->sc_jumbo, M_GOLDEN);
}
