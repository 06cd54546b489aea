/*
 * retag: a wrapper macro defined twice, for OpenBSD and for NetBSD, as
 * xmm7360.c's kzalloc/kfree: the other system has no such type, so the
 * macros and their uses' memory keep theirs.
 */
#include <sys/param.h>
#include <sys/malloc.h>

#ifdef __OpenBSD__
#define	kzalloc(size, flags)	malloc(size, M_DEVBUF, M_WAITOK | M_ZERO)
#define	kfree(addr)		free(addr, M_DEVBUF, 0)
#endif
#ifdef __NetBSD__
#define	kzalloc(size, flags)	malloc(size, M_DEVBUF, M_WAITOK | M_ZERO)
#define	kfree(addr)		free(addr, M_DEVBUF)
#endif

struct gold_softc {
	char	*sc_buf;
};

void
gold_attach(struct gold_softc *sc)
{
	sc->sc_buf = kzalloc(128, 0);
}

void
gold_detach(struct gold_softc *sc)
{
	kfree(sc->sc_buf);
}
