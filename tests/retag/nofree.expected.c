/*
 * retag: memory no free is seen to release.  Kept in a softc member for
 * good, it takes its owner's type; handed on through an out-parameter, it
 * may reach a free we do not see (which names M_DEVBUF), so it keeps it.
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	char	*sc_keep;
};

int
gold_getprop(int n, void **bufp)
{
	char *buf;

	buf = malloc(n, M_DEVBUF, M_NOWAIT);
	*bufp = buf;
	return 0;
}

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_keep = malloc(64, M_GOLDEN, M_WAITOK);
}
