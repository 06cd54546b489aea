#include <sys/malloc.h>

struct box_node;
struct box_node	*box_put(void *);
void		*box_get(struct box_node *);

struct box_node *
box_b_keep(void)
{
	return box_put(malloc(16, M_BBB, M_WAITOK));
}

void
box_b_drop(struct box_node *n)
{
	free(box_get(n), M_BBB, 16);				/* ambiguous */
}
