#include <sys/malloc.h>
#include <sys/dsc.h>

int
rd_read(union dsc **dstp)
{
	union dsc *d = malloc(sizeof(*d), M_AAA, M_WAITOK);

	*dstp = d;
	return 0;
}
