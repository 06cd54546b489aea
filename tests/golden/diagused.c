#include <sys/param.h>
#include <sys/kmem.h>

/* A declaration with __diagused after its name (pq3pci.c) still parses. */
struct gold_ent {
	int	e;
};
struct gold_ent *gold_lookup(int);

void
gold_add(int k)
{
	struct gold_ent *e = kmem_alloc(sizeof(*e), KM_SLEEP);
	struct gold_ent * const dup __diagused = gold_lookup(k);

	KASSERT(dup == NULL);
	kmem_free(e, sizeof(*e));
}
