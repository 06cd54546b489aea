/*
 * retag: a type argument after a comment (hfs_subr.c names M_HFSMNT in
 * one before its M_TEMP): the type is the call's, not a name elsewhere
 * (the driver's other calls are retyped too), and the comment stays.
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	char	*sc_buf;
	char	*sc_other;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = malloc(128, /*M_GOLD*/ M_DEVBUF, M_WAITOK);
	sc->sc_other = malloc(64, M_DEVBUF, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	free(sc->sc_buf, M_DEVBUF /* see attach */);
	free(sc->sc_other, M_DEVBUF);
}
