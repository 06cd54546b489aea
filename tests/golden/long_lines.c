/*
 * Lines the rewrite makes longer than 80 columns: broken after an
 * argument, or after a | of an argument that alone is too long, and in a
 * #define with its backslashes (kernhist.h, statvfs.h, vfs_wapbl.c,
 * arm32's bus_dma.c).
 */
#include <sys/param.h>
#include <sys/kmem.h>

#include "goldvar.h"

struct gold_softc {
	int	sc_n;
};

#define	GOLD_HISTORY_ALLOC(N)					\
	gold_hist = (struct gold_softc *)				\
		kmem_zalloc(sizeof(struct gold_softc) * (N), KM_SLEEP); \
	gold_n = (N)

#define	GOLD_ADD(m, c) \
	gold_hist = kmem_zalloc(sizeof(struct gold_softc) * (m) + (c), KM_SLEEP);\
	gold_n = (m)

#define	GOLD_TM(m, c) \
	gold_hist = kmem_zalloc(sizeof(*gold_hist), KM_SLEEP);		\
	gold_n = (c);							\
	gold_n += (m)

#define	gold_calloc_of_entries(n, s)	kmem_zalloc((n)*(s), KM_SLEEP)
#define	gold_cfree(p, n, s)	kmem_free((p), (n)*(s))

struct gold_softc *gold_hist;
int gold_n;

int
gold_segs(int nsegments, int zallocflags)
{
	struct gold_softc **segs;

	if (nsegments > 0) {
		if ((segs = kmem_zalloc(sizeof(*segs) * nsegments,
		    (zallocflags & KM_NOSLEEP) ? KM_NOSLEEP : KM_SLEEP)) == NULL)
			return -1;
		kmem_free(segs, sizeof(*segs) * nsegments);
	}
	GOLD_HISTORY_ALLOC(4);
	kmem_free(gold_hist, sizeof(struct gold_softc) * 4);
	GOLD_ADD(4, 1);
	kmem_free(gold_hist, sizeof(struct gold_softc) * 4 + 1);
	GOLD_TM(4, 1);
	kmem_free(gold_hist, sizeof(struct gold_softc) * 4);
	segs = gold_calloc_of_entries(4, sizeof(*segs));
	gold_cfree(segs, 4, sizeof(*segs));
	return 0;
}
