/*
 * retag: a macro moves the store buffer to the hold slot (bpf.c's
 * ROTATE_BUFFERS), which the flow graph does not follow, so no allocation
 * reaches the hold buffer's free.  That free is joined with the file's
 * allocations all the same, a flow to their own frees notwithstanding: all
 * change together (without it the allocations changed and the hold
 * buffer's free kept M_DEVBUF, a wrong-type free).
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_d {
	char	*d_sbuf;
	char	*d_hbuf;
	char	*d_fbuf;
	int	d_size;
};

#define ROTATE(d) do {				\
	(d)->d_hbuf = (d)->d_sbuf;		\
	(d)->d_sbuf = (d)->d_fbuf;		\
	(d)->d_fbuf = NULL;			\
} while (0)

void
gold_alloc(struct gold_d *d)
{
	d->d_fbuf = malloc(d->d_size, M_GOLDEN, M_WAITOK);
	d->d_sbuf = malloc(d->d_size, M_GOLDEN, M_WAITOK);
}

void
gold_read(struct gold_d *d)
{
	ROTATE(d);
}

void
gold_close(struct gold_d *d)
{
	if (d->d_sbuf != NULL) {
		free(d->d_sbuf, M_GOLDEN);
		if (d->d_hbuf != NULL)
			free(d->d_hbuf, M_GOLDEN);
		if (d->d_fbuf != NULL)
			free(d->d_fbuf, M_GOLDEN);
	}
}
