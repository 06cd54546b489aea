/*
 * iscsi_rcv.c: text data received goes into the command's member, which
 * isc_send.c hands on to the session's member, which isc_ioctl.c frees.
 */
#include <sys/malloc.h>
#include "isc_var.h"

void
isc_collect(struct isc_ccb *ccb, int len)
{
	void *data = malloc(len, M_AAA, M_WAITOK);	/* wrong:isc */

	ccb->c_text = data;
	ccb->c_len = len;
}
