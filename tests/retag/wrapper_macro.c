/*
 * retag: a driver's own wrapper macros of malloc(9), as pf_ruleset.c's
 * rs_malloc/rs_free (a user-space twin under #else calls libc's): their
 * uses pair like calls, so the definitions are retyped with their uses'
 * memory, and the driver's other M_TEMP calls are no longer held back by
 * the name in the macro's body.
 */
#include <sys/param.h>
#include <sys/malloc.h>

#ifdef _KERNEL
#define	rs_malloc(x)	malloc(x, M_TEMP, M_WAITOK)
#define	rs_free(x)	free(x, M_TEMP)
#else
#define	rs_malloc(x)	malloc(x)
#define	rs_free(x)	free(x)
#endif

struct gold_anchor {
	char	 a_name[64];
};

struct gold_softc {
	struct gold_anchor	*sc_anchor;
	char			*sc_path;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_anchor = rs_malloc(sizeof(*sc->sc_anchor));
	sc->sc_path = malloc(MAXPATHLEN, M_TEMP, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	rs_free(sc->sc_anchor);
	free(sc->sc_path, M_TEMP);
}
