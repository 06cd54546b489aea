/*
 * uqux(4): allocates through a macro.  spatch does not rewrite macro
 * bodies, so the converter keeps the macro and every free of its memory
 * as kmem.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/kmem.h>

#define	UQUX_BUFSZ		512
#define	UQUX_ALLOC(sz)		kmem_alloc((sz), KM_SLEEP)

struct uqux_softc {
	void		*sc_buf;
	uint32_t	*sc_map;
	int		sc_mapsz;
};

int
uqux_attach(struct uqux_softc *sc)
{

	sc->sc_buf = UQUX_ALLOC(UQUX_BUFSZ);
	sc->sc_mapsz = 16;
	sc->sc_map = kmem_zalloc(sc->sc_mapsz * sizeof(*sc->sc_map), KM_SLEEP);
	return 0;
}

int
uqux_detach(struct uqux_softc *sc)
{

	kmem_free(sc->sc_buf, UQUX_BUFSZ);
	kmem_free(sc->sc_map, sc->sc_mapsz * sizeof(*sc->sc_map));
	return 0;
}
