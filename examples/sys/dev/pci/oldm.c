/*
 * oldm(4): a driver that never moved to kmem(9).  Its malloc types are
 * declared nowhere today (NetBSD's malloc() throws the type away);
 * install-shim must define them so that it still builds.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/device.h>
#include <sys/malloc.h>

MALLOC_DEFINE(M_OLDM, "oldm", "oldm(4) descriptors");

struct oldm_softc {
	device_t	sc_dev;
	void		*sc_desc;
	char		*sc_tmp;
};

int
oldm_attach(struct oldm_softc *sc)
{

	sc->sc_desc = malloc(512, M_OLDM, M_WAITOK | M_ZERO);
	sc->sc_tmp = malloc(64, M_TEMP, M_NOWAIT);
	if (sc->sc_tmp != NULL)
		free(sc->sc_tmp, M_TEMP);
	sc->sc_tmp = malloc(64, M_OLDMSCRATCH, M_WAITOK);
	return 0;
}

int
oldm_detach(struct oldm_softc *sc)
{

	free(sc->sc_desc, M_OLDM);
	free(sc->sc_tmp, M_OLDMSCRATCH);
	return 0;
}
