/*
 * ubar(4): a USB driver with the patterns a naive rewrite gets wrong:
 * a kmem_asprintf() string released with kmem_free(p, strlen(p) + 1),
 * a scratch buffer from kmem_tmpbuf_alloc(), memory handed to a kernel
 * service that frees it, and a debug path under #if 0.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/device.h>
#include <sys/kmem.h>

#include <dev/usb/ubarvar.h>

#define DPRINTF(x)	do { if (ubardebug) printf x; } while (0)
static int ubardebug = 0;

int
ubar_attach(struct ubar_softc *sc, int unit, const char *serial)
{
	char stackbuf[32];
	char *tmp;

	sc->sc_name = kmem_asprintf("ubar%d", unit);
	sc->sc_serial = kmem_strdup(serial, KM_SLEEP);
	DPRINTF(("%s: attached\n", sc->sc_name));

	sc->sc_isize = 64;
	sc->sc_ibuf = kmem_alloc(sc->sc_isize, KM_SLEEP);

	tmp = kmem_tmpbuf_alloc(128, stackbuf, sizeof(stackbuf), KM_SLEEP);
	snprintf(tmp, 128, "%s", serial);
	kmem_tmpbuf_free(tmp, 128, stackbuf);

	/* thing_destroy() in sys/kern releases t_buf with kmem_free. */
	sc->sc_thing.t_len = 256;
	sc->sc_thing.t_buf = kmem_zalloc(sc->sc_thing.t_len, KM_SLEEP);
	return 0;
}

#if 0
/* Old debugging aid, kept for reference. */
static void
ubar_dump(struct ubar_softc *sc)
{
	uint8_t *copy;

	copy = kmem_alloc(sc->sc_isize, KM_SLEEP);
	memcpy(copy, sc->sc_ibuf, sc->sc_isize);
	kmem_free(copy, sc->sc_isize);
}
#endif

int
ubar_detach(struct ubar_softc *sc)
{

	thing_destroy(&sc->sc_thing);
	kmem_free(sc->sc_ibuf, sc->sc_isize);
	kmem_free(sc->sc_name, strlen(sc->sc_name) + 1);
	kmem_strfree(sc->sc_serial);
	return 0;
}
