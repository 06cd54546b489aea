/*
 * a user of sdata.c's slots (kern_ctf.c, kern_fileassoc.c): its free is
 * ambiguous (the slots hold M_AAA and M_BBB memory), not a wrong type
 */
#include <sys/malloc.h>

void	sd_set(int, void *);
void	*sd_get(int);

void
sd_b_init(void)
{
	sd_set(1, malloc(8, M_BBB, M_WAITOK));
}

void
sd_b_fini(void)
{
	free(sd_get(1), M_BBB);	/* ambiguous */
}
