/* The same, kept in a generic member: only the struct it begins with links
 * the free to the allocation. */
#include <sys/malloc.h>
#include <sys/node.h>

struct b_node {
	struct node	bn_node;
	int		bn_rate;
};
struct b_softc {
	void		*sc_node;
};

void
b_node_attach(struct b_softc *sc)
{
	struct b_node *bn = malloc(sizeof(*bn), M_AAA, M_NOWAIT | M_ZERO);

	sc->sc_node = bn;
}

void
b_node_free(struct node *ni)
{
	free(ni, M_AAA);
}
