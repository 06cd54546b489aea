/*
 * retag: a driver that names M_DEVBUF outside a call we follow (a wrapper
 * function of its own frees through it, as isa_free(p, M_DEVBUF)): its
 * M_DEVBUF calls keep the type, since memory may be freed through that
 * name.
 */
#include <sys/param.h>
#include <sys/malloc.h>

void	gold_free(void *, struct malloc_type *);

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
	gold_free(sc->sc_buf, M_DEVBUF);
	free(sc->sc_other, M_DEVBUF);
}
