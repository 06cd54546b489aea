#include <sys/malloc.h>

struct box_node;
struct box_node	*box_put(void *);
void		*box_get(struct box_node *);

struct box_node *
box_a_keep(void)
{
	return box_put(malloc(16, M_AAA, M_WAITOK));
}

void
box_a_drop(struct box_node *n)
{
	free(box_get(n), M_AAA, 16);				/* ambiguous */
}
