#include <sys/param.h>
#include <sys/kmem.h>

/* A cast stays against the call, as style(9) writes casts. */
struct gold_hdr {
	int	h;
};

void
gold_read(size_t n)
{
	struct gold_hdr *ph;
	char *b;
	uintptr_t va;

	ph = (struct gold_hdr *)kmem_alloc(n * sizeof(*ph), KM_SLEEP);
	b = (char *)kmem_zalloc(n, KM_NOSLEEP);
	va = (uintptr_t)kmem_intr_alloc(n, KM_NOSLEEP);
	kmem_intr_free((void *)va, n);
	kmem_free(b, n);
	kmem_free(ph, n * sizeof(*ph));
}
