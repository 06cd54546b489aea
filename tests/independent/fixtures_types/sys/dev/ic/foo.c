/* Frees what pci/foo_pci.c allocated: no allocation here, so across files. */
#include <sys/malloc.h>
#include "foovar.h"

void
foo_detach(struct foo_softc *sc)
{
	free(sc->sc_ring, M_AAA, sizeof(*sc->sc_ring));		/* wrong:M1 */
	free(sc->sc_buf, M_AAA, 64);				/* wrong:M2 */
	free(sc->sc_ok, M_AAA, 32);
	free(sc->sc_files, M_AAA, 4 * sizeof(*sc->sc_files));
}
