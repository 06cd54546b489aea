#include <sys/param.h>
#include <sys/kmem.h>

/*
 * A cast stays against the call, as style(9) writes casts; the type put
 * in after a comma with no space gets one (kmem_free(b,n)).
 */
struct gold_hdr {
	int	h;
};

void
gold_read(size_t n)
{
	struct gold_hdr *ph;
	char *b;
	uintptr_t va;
	u_int ua;

	ph = (struct gold_hdr *)kmem_alloc(n * sizeof(*ph), KM_SLEEP);
	b = (char *)kmem_zalloc(n, KM_NOSLEEP);
	va = (uintptr_t)kmem_intr_alloc(n, KM_NOSLEEP);
	kmem_intr_free((void *)va, n);
	ua = (u_int)kmem_alloc(n, KM_SLEEP);
	kmem_free((void *)(uintptr_t)ua, n);
	kmem_free(b,n);
	kmem_free(ph, n * sizeof(*ph));
}
