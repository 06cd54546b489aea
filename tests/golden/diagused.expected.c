#include <sys/param.h>
#include <sys/malloc.h>

/* A declaration with __diagused after its name (pq3pci.c) still parses. */
struct gold_ent {
	int	e;
};
struct gold_ent *gold_lookup(int);

void
gold_add(int k)
{
	struct gold_ent *e = malloc(sizeof(*e), M_GOLDEN, M_WAITOK);
	struct gold_ent * const dup __diagused = gold_lookup(k);

	KASSERT(dup == NULL);
	free(e, M_GOLDEN, sizeof(*e));
}
