/*
 * Drivers allocate a struct beginning with the framework's struct node
 * and free it as one (wi.c's wi_node_free): linked in the file through
 * the struct it begins with, not to the other driver's nodes.
 */
#include <sys/malloc.h>
#include <sys/node.h>

struct a_node {
	struct node	an_node;
	int		an_rssi;
};

struct node *
a_node_alloc(void)
{
	struct a_node *an = malloc(sizeof(*an), M_DEVBUF, M_NOWAIT | M_ZERO);

	return an ? &an->an_node : NULL;
}

void
a_node_free(struct node *ni)
{
	free(ni, M_DEVBUF);
}
