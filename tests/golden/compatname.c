#include <sys/param.h>
#include <sys/kmem.h>

/*
 * A function named by a macro (sys/net/rtsock_shared.c, compiled as
 * rtsock.c and as compat's rtsock_50.c): spatch parses it with
 * netbsd_macros.h's COMPATNAME, and its pair is converted.
 */
#define	COMPATNAME(x)	x

struct gold_cb {
	int	cb_len;
};

static int
COMPATNAME(gold_attach)(struct gold_cb **cbp)
{
	struct gold_cb *cb;

	cb = kmem_zalloc(sizeof(*cb), KM_SLEEP);
	*cbp = cb;
	return 0;
}

static void
COMPATNAME(gold_detach)(struct gold_cb *cb)
{

	kmem_free(cb, sizeof(*cb));
}

void
gold_use(void)
{
	struct gold_cb *cb;

	COMPATNAME(gold_attach)(&cb);
	COMPATNAME(gold_detach)(cb);
}
