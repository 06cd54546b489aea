/*
 * frob_pci: the PCI front end of frob(4).  It frees the firmware image
 * the chip code allocated, so both halves must agree on the family and
 * on the malloc type.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/device.h>
#include <sys/kmem.h>

#include <dev/ic/frobvar.h>

struct frob_pci_softc {
	struct frob_softc	sc_frob;
	void			*sc_ih;
};

int
frob_pci_detach(device_t self, int flags)
{
	struct frob_pci_softc *psc = device_private(self);
	struct frob_softc *sc = &psc->sc_frob;

	frob_detach(sc);
	if (sc->sc_fw != NULL) {
		kmem_free(sc->sc_fw, sc->sc_fwlen);
		sc->sc_fw = NULL;
	}
	return 0;
}
