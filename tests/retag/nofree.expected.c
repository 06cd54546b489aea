/*
 * retag: memory no free is seen to release.  Kept in a softc member for
 * good, it takes its owner's type, whether the member is generic or of
 * the memory's own type (pvr.c's sc->sc_dc, a struct fb_devconfig *);
 * handed on through an out-parameter, it may reach a free we do not see
 * (which names M_DEVBUF), so it keeps it, and so does memory known by its
 * type only (twa.c's twa_get_param() fills *param).
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_config {
	int	gc_depth;
};

struct gold_param {
	int	gp_len;
};

struct gold_softc {
	char	*sc_keep;
	struct gold_config *sc_dc;
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

void
gold_attach_config(struct gold_softc *sc)
{
	sc->sc_dc = malloc(sizeof(struct gold_config), M_GOLDEN, M_WAITOK);
}

void
gold_get_param(struct gold_param **param)
{
	struct gold_param *p;

	p = malloc(sizeof(*p), M_DEVBUF, M_WAITOK);
	*param = p;
}
