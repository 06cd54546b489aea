#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/malloc.h>

/*
 * kmem_asprintf() memory is released with kmem_free(): both stay kmem,
 * so <sys/kmem.h> stays and <sys/malloc.h> is added after it.
 */
struct gold_softc {
	char	*sc_name;
	int	*sc_vals;
};

void
gold_attach(struct gold_softc *sc, int unit)
{

	sc->sc_name = kmem_asprintf("gold%d", unit);
	sc->sc_vals = malloc(8 * sizeof(int), M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{

	kmem_free(sc->sc_name, strlen(sc->sc_name) + 1);
	free(sc->sc_vals, M_GOLDEN);
}
