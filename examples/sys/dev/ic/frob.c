/*
 * frob(4): the chip part of a two-file driver.  The firmware buffer is
 * allocated here and released by the PCI front end, frob_pci.c.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/kmem.h>

#include <dev/ic/frobvar.h>

static int
frob_ring_init(struct frob_ring *fr, int ndesc)
{

	fr->fr_ndesc = ndesc;
	fr->fr_desc = kmem_zalloc(ndesc * sizeof(*fr->fr_desc), KM_SLEEP);
	return 0;
}

int
frob_attach(struct frob_softc *sc)
{
	int i;

	sc->sc_nrings = 4;
	sc->sc_rings = kmem_zalloc(sc->sc_nrings * sizeof(*sc->sc_rings),
	    KM_SLEEP);
	for (i = 0; i < sc->sc_nrings; i++)
		frob_ring_init(&sc->sc_rings[i], 256);

	sc->sc_fwlen = 65536;
	sc->sc_fw = kmem_alloc(sc->sc_fwlen, KM_SLEEP);	/* freed by frob_pci */
	return 0;
}

void
frob_detach(struct frob_softc *sc)
{
	int i;

	for (i = 0; i < sc->sc_nrings; i++)
		kmem_free(sc->sc_rings[i].fr_desc,
		    sc->sc_rings[i].fr_ndesc * sizeof(*sc->sc_rings[i].fr_desc));
	kmem_free(sc->sc_rings, sc->sc_nrings * sizeof(*sc->sc_rings));
}
