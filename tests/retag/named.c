/*
 * retag: a driver that names M_DEVBUF outside a call we follow (a macro
 * of its own frees through it): its M_DEVBUF calls keep the type, since
 * memory may be freed through that name.
 */
#include <sys/param.h>
#include <sys/malloc.h>

#define	GOLD_FREE(p)	free((p), M_DEVBUF)

struct gold_softc {
	char	*sc_buf;
	char	*sc_other;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = malloc(128, M_DEVBUF, M_WAITOK);
	sc->sc_other = malloc(64, M_DEVBUF, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	GOLD_FREE(sc->sc_buf);
	free(sc->sc_other, M_DEVBUF);
}
