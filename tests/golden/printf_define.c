#include <sys/param.h>
#include <sys/systm.h>
#include <sys/kmem.h>

/* The BSD debug idiom that makes spatch lose every printf caller. */
#define DPRINTF(x)	do { if (golddebug) printf x; } while (0)
static int golddebug;
/* Name on the next line (against ctags): spatch would join the lines. */
#define	\
gold_warn(a)		printf(a)

void *
gold_attach(void)
{
	void *p;

	p = kmem_zalloc(100, KM_SLEEP);
	printf("gold: %p\n", p);
	DPRINTF(("gold: attached\n"));
	return p;
}
