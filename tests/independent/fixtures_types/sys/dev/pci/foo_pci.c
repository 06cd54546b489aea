/* The attachment allocates; ic/foo.c frees. */
#include <sys/malloc.h>
#include "../ic/foovar.h"

void
foo_pci_attach(struct foo_softc *sc)
{
	sc->sc_ring = malloc(sizeof(*sc->sc_ring), M_DEVBUF, M_WAITOK);	/* wrong:M1 */
	sc->sc_buf = malloc(64, M_DEVBUF, M_WAITOK);			/* wrong:M2 */
	sc->sc_ok = malloc(32, M_AAA, M_WAITOK);
	sc->sc_files = malloc(4 * sizeof(*sc->sc_files), M_AAA, M_WAITOK);
}
