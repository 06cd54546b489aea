/*
 * retag: a driver's M_DEVBUF memory, allocated in attach and freed in
 * detach, and its M_TEMP memory: a scratch buffer freed where it is
 * allocated keeps M_TEMP; a buffer returned and freed elsewhere is retyped.
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	char	*sc_buf;
	int	*sc_tab;
};

char	*gold_name(int);

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = malloc(128, M_DEVBUF, M_WAITOK);
	sc->sc_tab = malloc(16 * sizeof(int),
	    M_DEVBUF, M_WAITOK | M_ZERO);
}

void
gold_detach(struct gold_softc *sc)
{
	free(sc->sc_buf, M_DEVBUF);
	free(sc->sc_tab,M_DEVBUF);
}

int
gold_ioctl(struct gold_softc *sc, int n)
{
	char *tmp;

	tmp = malloc(n, M_TEMP, M_WAITOK);
	/* free(tmp, M_TEMP) in a comment stays */
	free(tmp, M_TEMP);
	return 0;
}

char *
gold_name(int n)
{
	char *p;

	p = malloc(n, M_TEMP, M_WAITOK | M_ZERO);
	return p;
}

void
gold_print(void)
{
	char *q = gold_name(8);

	free(q, M_TEMP);
}
