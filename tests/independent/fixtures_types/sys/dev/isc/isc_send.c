/*
 * iscsi_send.c: calls no allocator, so it is read only because it
 * stores a member (s_list) that another file of its directory frees.
 */
#include "isc_var.h"

void
isc_text_done(struct isc_sess *s, struct isc_ccb *ccb)
{
	s->s_list = ccb->c_text;
	s->s_len = ccb->c_len;
	ccb->c_text = 0;
}
