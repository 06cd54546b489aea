/*
 * retag: M_GOLDEN is header-less (its converted free passes the size), so
 * a legacy free(p, M_DEVBUF) of memory retyped to it must pass the size
 * too.  Fixed sizes (sizeof of the object, constants, constant macros) are
 * written; a size held in a variable is not: that memory is recorded
 * instead, M_RECORDED(M_GOLDEN) at the allocation, M_ASALLOCATED at the
 * free (the shim keeps its type and size).  So is memory of a struct with
 * no members: GNU C gives it size 0, which no header-less block has.
 */
#include <sys/param.h>
#include <sys/malloc.h>

#define GOLD_RINGSIZE	512

struct gold_conv {
	int	c_n;
};

struct gold_ring {
	int	r_head;
};

struct gold_empty {
};

struct gold_softc {
	struct gold_empty *sc_plat;
	struct gold_ring *sc_ring;
	char	*sc_buf;
	void	*sc_cookie;
	char	*sc_var;
	int	sc_varlen;
	struct gold_ring *sc_receive_descriptor_ring_for_queue;
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
	sc->sc_ring = malloc(sizeof(*sc->sc_ring), M_DEVBUF, M_WAITOK | M_ZERO);
	sc->sc_buf = malloc(GOLD_RINGSIZE * sizeof(int), M_DEVBUF, M_WAITOK);
	sc->sc_cookie = malloc(sizeof(struct gold_conv), M_DEVBUF, M_WAITOK);
	sc->sc_var = malloc(sc->sc_varlen, M_DEVBUF, M_WAITOK);
	sc->sc_plat = malloc(sizeof(*sc->sc_plat), M_DEVBUF, M_WAITOK | M_ZERO);
	sc->sc_receive_descriptor_ring_for_queue = malloc(sizeof(struct gold_ring),
	    M_DEVBUF, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	free(sc->sc_ring, M_DEVBUF);
	free(sc->sc_buf, M_DEVBUF);
	free(sc->sc_cookie, M_DEVBUF);
	free(sc->sc_var, M_DEVBUF);
	free(sc->sc_plat, M_DEVBUF);
	/* a line over 80 columns once the size is in is broken, style(9) */
	free(sc->sc_receive_descriptor_ring_for_queue, M_DEVBUF);
}
