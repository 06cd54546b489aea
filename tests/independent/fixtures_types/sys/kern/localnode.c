/*
 * A member of a function's own struct (init_sysctl.c's handlers each fill
 * a local struct sysctlnode): one function's memory there is not
 * another's.  Through a pointer it is the struct's member, as everywhere.
 */
#include <sys/malloc.h>

struct knode {
	int	k_size;
	void	*k_data;
};

void
kn_one(void)
{
	struct knode node;
	char *a = malloc(8, M_AAA, M_WAITOK);

	node.k_data = a;
	free(node.k_data, M_AAA, 8);
}

void
kn_two(void)
{
	struct knode node;
	char *b = malloc(8, M_BBB, M_WAITOK);

	node.k_data = b;
	free(node.k_data, M_BBB, 8);
}

void
kn_three(void)
{
	struct knode node;

	node.k_data = malloc(8, M_AAA, M_WAITOK);		/* wrong:K3 */
	free(node.k_data, M_BBB, 8);				/* wrong:K3 */
}
