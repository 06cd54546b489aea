#include <sys/param.h>
#include <sys/malloc.h>

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

	ph = (struct gold_hdr *)malloc(n * sizeof(*ph), M_GOLDEN, M_WAITOK);
	b = (char *)malloc(n, M_GOLDEN, M_NOWAIT | M_ZERO);
	va = (uintptr_t)malloc(n, M_GOLDEN, M_NOWAIT);
	free((void *)va, M_GOLDEN, n);
	ua = (u_int)malloc(n, M_GOLDEN, M_WAITOK);
	free((void *)(uintptr_t)ua, M_GOLDEN, n);
	free(b, M_GOLDEN, n);
	free(ph, M_GOLDEN, n * sizeof(*ph));
}
