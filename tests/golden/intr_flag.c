/* k2m-golden: --intr-flag */
#include <sys/param.h>
#include <sys/kmem.h>

/*
 * convert --intr-flag: an interrupt-safe allocation that may not sleep
 * says so, M_NOWAIT | M_INTR (MALLOC_CHECK_INTR checks it); one that may
 * sleep is not from an interrupt and gets M_WAITOK alone.  The same
 * under #if 0.
 */
struct gold_ev {
	int	ev_type;
};

void
gold_intr(struct gold_ev **evp, bool cansleep)
{

	evp[0] = kmem_intr_alloc(sizeof(*evp[0]), KM_NOSLEEP);
	evp[1] = kmem_intr_zalloc(sizeof(*evp[1]), KM_NOSLEEP);
	evp[2] = kmem_intr_alloc(sizeof(*evp[2]), KM_SLEEP);
	evp[3] = kmem_intr_alloc(sizeof(*evp[3]), cansleep ? KM_SLEEP : KM_NOSLEEP);
	evp[4] = kmem_intr_zalloc(sizeof(*evp[4]), cansleep ? KM_NOSLEEP : KM_SLEEP);
#if 0
	evp[5] = kmem_intr_zalloc(sizeof(*evp[5]), cansleep ? KM_SLEEP : KM_NOSLEEP);
#endif
}

void
gold_intr_done(struct gold_ev **evp)
{
	int i;

	for (i = 0; i < 5; i++)
		kmem_intr_free(evp[i], sizeof(*evp[i]));
#if 0
	kmem_intr_free(evp[5], sizeof(*evp[5]));
#endif
}
