/*
 * retag: memory whose allocation and free name two types keeps both (the
 * input's own mismatch, or two memories joined: not ours to decide).
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	char	*sc_buf;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = malloc(128, M_DEVBUF, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	free(sc->sc_buf, M_TEMP);
}
