/*
 * One struct, two malloc types in one file (firewire.c's fw_device): the
 * list's elements are M_AAA; a scratch one, M_TEMP, never leaves the
 * function that frees it, so the list's frees cannot receive it.
 */
#include <sys/malloc.h>

struct fwd {
	struct fwd	*fd_next;
	int		fd_n;
};
static struct fwd *fwd_list;

static void
fwd_probe(struct fwd *d)
{
	d->fd_n = 1;
}

void
fwd_add(void)
{
	struct fwd *d = malloc(sizeof(*d), M_AAA, M_WAITOK);

	d->fd_next = fwd_list;
	fwd_list = d;
}

void
fwd_explore(void)
{
	struct fwd *tmp = malloc(sizeof(*tmp), M_TEMP, M_WAITOK);

	fwd_probe(tmp);
	free(tmp, M_TEMP, sizeof(*tmp));
}

void
fwd_detach(struct fwd *d)
{
	free(d, M_AAA, sizeof(*d));
}
