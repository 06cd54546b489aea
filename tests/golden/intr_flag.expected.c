/* k2m-golden: --intr-flag */
#include <sys/param.h>
#include <sys/malloc.h>

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

	evp[0] = malloc(sizeof(*evp[0]), M_GOLDEN, M_NOWAIT | M_INTR);
	evp[1] = malloc(sizeof(*evp[1]), M_GOLDEN, M_NOWAIT | M_INTR | M_ZERO);
	evp[2] = malloc(sizeof(*evp[2]), M_GOLDEN, M_WAITOK);
	evp[3] = malloc(sizeof(*evp[3]), M_GOLDEN,
	    cansleep ? M_WAITOK : (M_NOWAIT | M_INTR));
	evp[4] = malloc(sizeof(*evp[4]), M_GOLDEN,
	    (cansleep ? (M_NOWAIT | M_INTR) : M_WAITOK) | M_ZERO);
#if 0
	evp[5] = malloc(sizeof(*evp[5]), M_GOLDEN,
	    (cansleep ? M_WAITOK : (M_NOWAIT | M_INTR)) | M_ZERO);
#endif
}

void
gold_intr_done(struct gold_ev **evp)
{
	int i;

	for (i = 0; i < 5; i++)
		free(evp[i], M_GOLDEN, sizeof(*evp[i]));
#if 0
	free(evp[5], M_GOLDEN, sizeof(*evp[5]));
#endif
}
