/* Frees a struct sa of which nothing says where it comes from: the tree
 * allocates it under two other types, so it is ambiguous, not wrong. */
#include <sys/malloc.h>
#include <sys/sa.h>

void
sa_release(struct sa *sa)
{
	free(sa, M_AAA, sizeof(*sa));				/* ambiguous */
}
