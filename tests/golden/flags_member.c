#include <sys/param.h>
#include <sys/kmem.h>

#include "goldflags.h"

/*
 * Flags kept in a km_flag_t member (goldflags.h): translated, and
 * <sys/kmem.h> stays though no kmem call is left, for the KM_NOSLEEP the
 * translation reads.
 */
void
gold_attach(struct gold_softc *sc)
{

	sc->sc_buf = kmem_alloc(64, sc->sc_kmflags);
}

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_buf, 64);
}
