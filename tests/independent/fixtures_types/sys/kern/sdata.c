/*
 * subr_specificdata.c: a library whose own struct (defined here, not in
 * a header) keeps its users' memory; sd_a.c's and sd_b.c's, of two
 * types, are not each other's though all are in sys/kern.
 */
#include <sys/malloc.h>

struct sd_cont {
	void	*sc_data[4];
};
static struct sd_cont *cont;

void
sd_init(void)
{
	cont = malloc(sizeof(*cont), M_TEMP, M_WAITOK);
}

void
sd_set(int i, void *p)
{
	cont->sc_data[i] = p;
}

void *
sd_get(int i)
{
	return cont->sc_data[i];
}
