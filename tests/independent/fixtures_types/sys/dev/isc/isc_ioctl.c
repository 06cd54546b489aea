/*
 * iscsi_ioctl.c: frees the session's text list, with a size (a guess)
 * that names another struct of the file: its own type links this free
 * to that struct's allocation, unless the memory's own flow is seen.
 */
#include <sys/malloc.h>
#include "isc_var.h"

void
isc_event(void)
{
	struct isc_ev *ev = malloc(sizeof(*ev), M_BBB, M_WAITOK);

	isc_post(ev);
}

void
isc_logout(struct isc_sess *s)
{
	if (s->s_list != 0)
		free(s->s_list, M_BBB, sizeof(struct isc_ev));	/* wrong:isc */
}
