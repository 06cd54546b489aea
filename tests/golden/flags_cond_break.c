#include <sys/param.h>
#include <sys/kmem.h>

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

	l->l_ts = kmem_alloc(sizeof(*l->l_ts), flags == 1 ?
	    KM_SLEEP : KM_NOSLEEP);
	l->l_name = kmem_alloc(16, sleepok  ?  KM_SLEEP
	    : KM_NOSLEEP);
}

void
gold_lwp_free(struct gold_lwp *l)
{

	kmem_free(l->l_ts, sizeof(*l->l_ts));
	kmem_free(l->l_name, 16);
}
