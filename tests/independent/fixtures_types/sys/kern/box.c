/*
 * A generic container (thmap, specificdata): it keeps everyone's memory in
 * one member, so what one user puts in is not what another takes out.
 * Its users (dev/misc/box_a.c, box_b.c) are not linked through it.
 */
#include <sys/malloc.h>

struct box_node {
	void	*bn_val;
};

struct box_node *
box_put(void *val)
{
	struct box_node *n = malloc(sizeof(*n), M_TEMP, M_WAITOK);

	n->bn_val = val;
	return n;
}

void *
box_get(struct box_node *n)
{
	return n->bn_val;
}
