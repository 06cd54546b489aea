#include <sys/param.h>
#include <sys/malloc.h>

struct gold_ts {
	int	ts_n;
};

struct gold_lwp {
	struct gold_ts	*l_ts;
	char		*l_name;
};

/*
 * kern_lwp.c's lwp_create(): the flags are c ? KM_SLEEP : KM_NOSLEEP with
 * a line break after `?`.  The condition stays as written, line break and
 * all; only the alternatives become malloc(9)'s (cocci/'s rules keep the
 * condition as context, and the text rewrite must do the same).
 */
void
gold_lwp_create(struct gold_lwp *l, int flags, int sleepok)
{

	l->l_ts = malloc(sizeof(*l->l_ts), M_GOLDEN, flags == 1 ?
	    M_WAITOK : M_NOWAIT);
	l->l_name = malloc(16, M_GOLDEN, sleepok  ?  M_WAITOK : M_NOWAIT);
}

void
gold_lwp_free(struct gold_lwp *l)
{

	free(l->l_ts, M_GOLDEN, sizeof(*l->l_ts));
	free(l->l_name, M_GOLDEN, 16);
}
