/*
 * retag: memory kept for good (no free: a softc's table) becomes M_GOLDEN's,
 * a header-less type (its converted free passes the size).  A fixed size
 * is retyped as it is; a size in a variable may be 0, which no header-less
 * block has, so that allocation is recorded (the shim gives a recorded
 * request of 0 bytes one byte).
 */
#include <sys/param.h>
#include <sys/malloc.h>

#define GOLD_NTAB	64

struct gold_conv {
	int	c_n;
};

struct gold_softc {
	char	*sc_tab;
	char	*sc_names;
	int	sc_nnames;
};

void
gold_conv(void)
{
	struct gold_conv *c;

	c = malloc(sizeof(*c), M_GOLDEN, M_WAITOK);
	free(c, M_GOLDEN, sizeof(*c));
}

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_tab = malloc(GOLD_NTAB, M_GOLDEN, M_WAITOK);
	sc->sc_names = malloc(sc->sc_nnames, M_RECORDED(M_GOLDEN),
	    M_WAITOK | M_ZERO);
}
