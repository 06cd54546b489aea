/*
 * A function that returns its argument (thmap_put returns the value it
 * was given, or the one already there): what a caller hands it comes back
 * to that caller, not to the others (dev/misc/pass_a.c, pass_b.c).
 */
#include <sys/malloc.h>

struct pent {
	void	*pe_val;
};

void *
pass_put(void *val)
{
	struct pent *e = malloc(sizeof(*e), M_TEMP, M_WAITOK);

	e->pe_val = val;
	return val;
}
