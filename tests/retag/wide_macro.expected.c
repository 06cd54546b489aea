/*
 * retag: a wrapper macro whose retyped line would pass 80 columns is
 * broken after an argument, the backslash aligned with tabs (style(9)).
 */
#include <sys/param.h>
#include <sys/malloc.h>

#define	GOLD_ZALLOC(size, flags)	malloc((size), M_GOLDEN,	\
	(flags) | M_ZERO)
#define	GOLD_FREE(p)		free((p), M_GOLDEN)

struct gold_softc {
	char	*sc_buf;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = GOLD_ZALLOC(128, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	GOLD_FREE(sc->sc_buf);
}
