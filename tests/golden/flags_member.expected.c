#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/malloc.h>

#include "goldflags.h"

/*
 * Flags kept in a km_flag_t member (goldflags.h): translated, and
 * <sys/kmem.h> stays though no kmem call is left, for the KM_NOSLEEP the
 * translation reads.
 */
void
gold_attach(struct gold_softc *sc)
{

	sc->sc_buf = malloc(64, M_GOLDEN,
	    (sc->sc_kmflags & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{

	free(sc->sc_buf, M_GOLDEN, 64);
}
