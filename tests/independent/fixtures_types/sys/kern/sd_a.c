/*
 * a user of sdata.c's slots (kern_ctf.c, kern_fileassoc.c): its free is
 * ambiguous (the slots hold M_AAA and M_BBB memory), not a wrong type
 */
#include <sys/malloc.h>

void	sd_set(int, void *);
void	*sd_get(int);

void
sd_a_init(void)
{
	sd_set(0, malloc(8, M_AAA, M_WAITOK));
}

void
sd_a_fini(void)
{
	free(sd_get(0), M_AAA);	/* ambiguous */
}
