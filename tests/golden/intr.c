#include <sys/param.h>
#include <sys/systm.h>
#include <sys/kmem.h>

struct gold_ev {
	int	ev_type;
};

int
gold_intr(void *arg)
{
	struct gold_ev *ev, *zev;

	ev = kmem_intr_alloc(sizeof(*ev), KM_NOSLEEP);
	if (ev == NULL)
		return 0;
	zev = kmem_intr_zalloc(sizeof(*zev), KM_NOSLEEP);
	if (zev != NULL)
		kmem_intr_free(zev, sizeof(*zev));
	kmem_intr_free(ev, sizeof(*ev));
	return 1;
}
