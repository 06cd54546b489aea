#include <sys/malloc.h>
#include <sys/sa.h>

struct sa *sa_one, *sa_two;

void
sa_make(void)
{
	sa_one = malloc(sizeof(struct sa), M_BBB, M_WAITOK);
	sa_two = malloc(sizeof(struct sa), M_TEMP, M_WAITOK);
}
