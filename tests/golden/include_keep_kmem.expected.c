#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/malloc.h>

/*
 * The name's flags come from the caller in an int: that pair stays kmem, so
 * <sys/kmem.h> stays and <sys/malloc.h> is added after it.
 */
struct gold_softc {
	char	*sc_name;
	int	*sc_vals;
};

void
gold_attach(struct gold_softc *sc, int unit, int how)
{

	sc->sc_name = kmem_alloc(16, how);
	sc->sc_vals = malloc(8 * sizeof(int), M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_name, 16);
	free(sc->sc_vals, M_GOLDEN, 8 * sizeof(int));
}
