/*
 * retag: a comment before the type argument (hfs_subr.c's libhfs
 * callbacks: malloc(size, <comment naming M_HFSMNT> M_TEMP, M_WAITOK))
 * stays, and only the type changes.  The type word after the comment is
 * the call's own, not a name the owner uses outside a call we follow:
 * taken for one, it kept all of hfs's M_TEMP calls (named-elsewhere).
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	char	*sc_buf;
};

void *
gold_cb_malloc(size_t size)
{
	return malloc(size, /*M_GOLDMNT*/ M_GOLDEN, M_WAITOK);
}

void
gold_cb_free(void *ptr)
{
	free(ptr, /*M_GOLDMNT*/ M_GOLDEN);
}

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = malloc(64, M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{
	free(sc->sc_buf, M_GOLDEN);
}
