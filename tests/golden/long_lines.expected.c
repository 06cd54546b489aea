/*
 * Lines the rewrite makes longer than 80 columns: broken after an
 * argument, or after a | of an argument that alone is too long, and in a
 * #define with its backslashes (kernhist.h, statvfs.h, vfs_wapbl.c,
 * arm32's bus_dma.c).
 */
#include <sys/param.h>
#include <sys/malloc.h>

#include "goldvar.h"

struct gold_softc {
	int	sc_n;
};

#define	GOLD_HISTORY_ALLOC(N)					\
	gold_hist = (struct gold_softc *)				\
		malloc(sizeof(struct gold_softc) * (N), M_GOLDEN,	\
		    M_WAITOK | M_ZERO);					\
	gold_n = (N)

#define	GOLD_ADD(m, c) \
	gold_hist = malloc(sizeof(struct gold_softc) * (m) + (c), M_GOLDEN, \
	    M_WAITOK | M_ZERO);						    \
	gold_n = (m)

#define	GOLD_TM(m, c) \
	gold_hist = malloc(sizeof(*gold_hist), M_GOLDEN, M_WAITOK | M_ZERO); \
	gold_n = (c);							\
	gold_n += (m)

#define	gold_calloc_of_entries(n, s)	malloc((n)*(s), M_GOLDEN,	\
	M_WAITOK | M_ZERO)
#define	gold_cfree(p, n, s)	free((p), M_GOLDEN, (n)*(s))

struct gold_softc *gold_hist;
int gold_n;

int
gold_segs(int nsegments, int zallocflags)
{
	struct gold_softc **segs;

	if (nsegments > 0) {
		if ((segs = malloc(sizeof(*segs) * nsegments, M_GOLDEN,
		    ((zallocflags & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) |
		    M_ZERO)) == NULL)
			return -1;
		free(segs, M_GOLDEN, sizeof(*segs) * nsegments);
	}
	GOLD_HISTORY_ALLOC(4);
	free(gold_hist, M_GOLDEN, sizeof(struct gold_softc) * 4);
	GOLD_ADD(4, 1);
	free(gold_hist, M_GOLDEN, sizeof(struct gold_softc) * 4 + 1);
	GOLD_TM(4, 1);
	free(gold_hist, M_GOLDEN, sizeof(struct gold_softc) * 4);
	segs = gold_calloc_of_entries(4, sizeof(*segs));
	gold_cfree(segs, 4, sizeof(*segs));
	return 0;
}
