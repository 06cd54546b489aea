#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>

struct gold_ev {
	int	ev_type;
};

int
gold_intr(void *arg)
{
	struct gold_ev *ev, *zev;

	ev = malloc(sizeof(*ev), M_GOLDEN, M_NOWAIT);
	if (ev == NULL)
		return 0;
	zev = malloc(sizeof(*zev), M_GOLDEN, M_NOWAIT | M_ZERO);
	if (zev != NULL)
		free(zev, M_GOLDEN, sizeof(*zev));
	free(ev, M_GOLDEN, sizeof(*ev));
	return 1;
}
