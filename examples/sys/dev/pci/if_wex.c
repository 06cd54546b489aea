/*
 * wex(4): a network driver that allocates in its interrupt handler and
 * lets the caller say whether it may sleep.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/device.h>
#include <sys/errno.h>
#include <sys/kmem.h>

struct wex_rxbuf {
	struct wex_rxbuf	*rb_next;
	size_t			rb_len;
	uint8_t			rb_data[];
};

struct wex_softc {
	device_t		sc_dev;
	struct wex_rxbuf	*sc_rxq;
	uint32_t		*sc_stats;
	int			sc_nstats;
};

/* Called from the interrupt handler: must not sleep. */
static int
wex_rxeof(struct wex_softc *sc, size_t len)
{
	struct wex_rxbuf *rb;

	rb = kmem_intr_alloc(sizeof(*rb) + len, KM_NOSLEEP);
	if (rb == NULL)
		return ENOMEM;
	rb->rb_len = len;
	rb->rb_next = sc->sc_rxq;
	sc->sc_rxq = rb;
	return 0;
}

static void
wex_rxdrain(struct wex_softc *sc)
{
	struct wex_rxbuf *rb;

	while ((rb = sc->sc_rxq) != NULL) {
		sc->sc_rxq = rb->rb_next;
		kmem_intr_free(rb, sizeof(*rb) + rb->rb_len);
	}
}

int
wex_intr(void *arg)
{
	struct wex_softc *sc = arg;

	return wex_rxeof(sc, 1514);
}

/* The caller knows whether it may sleep. */
int
wex_stats_alloc(struct wex_softc *sc, bool cansleep)
{

	sc->sc_nstats = 64;
	sc->sc_stats = kmem_zalloc(sc->sc_nstats * sizeof(*sc->sc_stats),
	    cansleep ? KM_SLEEP : KM_NOSLEEP);
	if (sc->sc_stats == NULL)
		return ENOMEM;
	return 0;
}

int
wex_detach(device_t self, int flags)
{
	struct wex_softc *sc = device_private(self);

	wex_rxdrain(sc);
	if (sc->sc_stats != NULL)
		kmem_free(sc->sc_stats, sc->sc_nstats * sizeof(*sc->sc_stats));
	return 0;
}
