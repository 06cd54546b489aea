/*
 * bpf.c: ROTATE_BUFFERS moves the store buffer to the hold slot (member
 * to member, inside a macro), and the free slot to the store slot;
 * bpf_freed() frees all three slots, so each free must name the
 * allocations' type.  Here the hold slot's free does not.
 */
#include <sys/malloc.h>

struct rotd {
	void		*rd_sbuf;	/* store slot */
	void		*rd_hbuf;	/* hold slot */
	void		*rd_fbuf;	/* free slot */
	unsigned long	rd_size;
};

#define ROTATE(d) \
	(d)->rd_hbuf = (d)->rd_sbuf; \
	(d)->rd_sbuf = (d)->rd_fbuf; \
	(d)->rd_fbuf = NULL;

int
rot_allocbufs(struct rotd *d)
{
	d->rd_fbuf = malloc(d->rd_size, M_AAA, M_NOWAIT);
	if (d->rd_fbuf == NULL)
		return 1;
	d->rd_sbuf = malloc(d->rd_size, M_AAA, M_NOWAIT);	/* wrong:rot */
	if (d->rd_sbuf == NULL) {
		free(d->rd_fbuf, M_AAA, d->rd_size);
		return 1;
	}
	return 0;
}

void
rot_read(struct rotd *d)
{
	if (d->rd_hbuf == NULL) {
		ROTATE(d);
	}
	d->rd_fbuf = d->rd_hbuf;
	d->rd_hbuf = NULL;
}

void
rot_freed(struct rotd *d)
{
	if (d->rd_sbuf != NULL) {
		free(d->rd_sbuf, M_AAA, d->rd_size);
		if (d->rd_hbuf != NULL)
			free(d->rd_hbuf, M_BBB, d->rd_size);	/* wrong:rot */
		if (d->rd_fbuf != NULL)
			free(d->rd_fbuf, M_AAA, d->rd_size);
	}
}
