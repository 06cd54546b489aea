/*
 * tempsen(4): an I2C temperature sensor built as a module.  Its sensor
 * table comes from an allocator wrapper that takes kmem's flags from its
 * caller in an int (as arm's bus_dma.c keeps them): the converter
 * translates a variable declared km_flag_t, not an int it cannot vouch
 * for, so the wrapper and its free stay kmem and are listed for review.
 */
#include <sys/cdefs.h>
__KERNEL_RCSID(0, "example");

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/device.h>
#include <sys/errno.h>
#include <sys/kmem.h>
#include <sys/module.h>

struct tempsen_sensor {
	int	ts_reg;
	int	ts_value;
};

struct tempsen_softc {
	device_t		sc_dev;
	struct tempsen_sensor	*sc_sensors;
	int			sc_nsensors;
	uint8_t			*sc_cmd;
};

static struct tempsen_sensor *
tempsen_alloc_sensors(int n, int flags)
{

	return kmem_zalloc(n * sizeof(struct tempsen_sensor), flags);
}

int
tempsen_attach(struct tempsen_softc *sc)
{

	sc->sc_nsensors = 8;
	sc->sc_sensors = tempsen_alloc_sensors(sc->sc_nsensors, KM_SLEEP);
	sc->sc_cmd = kmem_alloc(4, KM_SLEEP);
	return 0;
}

int
tempsen_detach(struct tempsen_softc *sc)
{

	kmem_free(sc->sc_sensors, sc->sc_nsensors * sizeof(*sc->sc_sensors));
	kmem_free(sc->sc_cmd, 4);
	return 0;
}

MODULE(MODULE_CLASS_DRIVER, tempsen, "iic");

static int
tempsen_modcmd(modcmd_t cmd, void *opaque)
{

	switch (cmd) {
	case MODULE_CMD_INIT:
	case MODULE_CMD_FINI:
		return 0;
	default:
		return ENOTTY;
	}
}
