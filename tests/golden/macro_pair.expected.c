#include <sys/param.h>
#include <sys/malloc.h>

/*
 * An allocator macro is converted in its definition, with the free of what
 * its uses allocate (the type after a comma with no space gets one).
 */
#define	GOLD_ALLOC(n)	malloc((n), M_GOLDEN, M_WAITOK)

/*
 * A definition on several lines keeps its lines as they are, however
 * long (a break would end the macro: puffs_compat.c's INIT); a macro
 * freeing a member of its argument frees that member.
 */
#define	GOLD_INIT(sc, extra)						\
	(sc)->sc_big = malloc(sizeof(struct gold_softc) + (extra) + 4096, \
	    M_GOLDEN, M_WAITOK | M_ZERO);				  \
	(sc)->sc_n = 0
#define	GOLD_FINI(sc, extra)						\
	free((sc)->sc_big, M_GOLDEN,					\
	    sizeof(struct gold_softc) + (extra) + 4096 + 0 * 1234567)

/* A rewritten line of a definition keeps its backslash in its column. */
#define	GOLD_DESTROY(head, type)					\
	{								\
		type *var = (head);					\
		free(var, M_GOLDEN, sizeof(type));			\
	}

struct gold_q {
	int	q;
};

struct gold_softc {
	void	*sc_m;
	void	*sc_plain;
	void	*sc_big;
	int	sc_n;
	struct gold_q *sc_q;
};

void
gold_attach(struct gold_softc *sc)
{

	sc->sc_m = GOLD_ALLOC(128);
	sc->sc_plain = malloc(16, M_GOLDEN, M_WAITOK);
	GOLD_INIT(sc, 8);
	sc->sc_q = malloc(sizeof(struct gold_q), M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{

	free(sc->sc_m, M_GOLDEN, 128);
	free(sc->sc_plain, M_GOLDEN, 16);
	GOLD_FINI(sc, 8);
	GOLD_DESTROY(sc->sc_q, struct gold_q);
}
