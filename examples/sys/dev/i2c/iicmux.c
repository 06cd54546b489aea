/*
 * iicmux(4): an I2C multiplexer; plain allocations, all converted.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/kmem.h>

struct iicmux_bus {
	int	mb_index;
};

struct iicmux_softc {
	struct iicmux_bus	*sc_busses;
	int			sc_nbusses;
};

int
iicmux_attach(struct iicmux_softc *sc, int nbusses)
{
	int i;

	sc->sc_nbusses = nbusses;
	sc->sc_busses = kmem_zalloc(nbusses * sizeof(*sc->sc_busses),
	    KM_SLEEP);
	for (i = 0; i < nbusses; i++)
		sc->sc_busses[i].mb_index = i;
	return 0;
}

int
iicmux_detach(struct iicmux_softc *sc)
{

	kmem_free(sc->sc_busses, sc->sc_nbusses * sizeof(*sc->sc_busses));
	return 0;
}
