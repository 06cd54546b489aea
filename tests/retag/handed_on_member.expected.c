/*
 * retag: cookies stored through an operation's argument structure
 * directly (coda's and puffs' readdir: *ap->a_cookies = malloc(...)),
 * and cookies whose readdir's memory flows or guesses join with frees in
 * other functions (procfs): the structure is filled by a caller the flow
 * graph does not see, so the frees we see never tell that the caller's
 * is among them.  Both keep M_DEVBUF: reason `handed-on` (retagged, these
 * were recorded, and nfs_serv.c's free(cookies, M_TEMP) of a recorded
 * block panics the shim's DIAGNOSTIC kernel).
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_readdir_args {
	long	**a_cookies;
	int	a_n;
};

struct gold_node {
	long	*n_cookies;
};

int
gold_readdir_direct(void *v)
{
	struct gold_readdir_args *ap = v;
	int error = 0;

	*ap->a_cookies = malloc(ap->a_n * sizeof(long), M_DEVBUF, M_WAITOK);
	if (error)
		free(*ap->a_cookies, M_DEVBUF);
	return error;
}

int
gold_readdir_kept(void *v, struct gold_node *np)
{
	struct gold_readdir_args *ap = v;
	long *cookies;

	cookies = malloc(ap->a_n * sizeof(long), M_DEVBUF, M_WAITOK);
	np->n_cookies = cookies;
	*ap->a_cookies = cookies;
	return 0;
}

void
gold_reclaim(struct gold_node *np)
{
	free(np->n_cookies, M_DEVBUF);
}
