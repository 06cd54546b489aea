#include <sys/malloc.h>
#include "raw_cb.h"

void
raw_detach(struct socket *so)
{
	struct rawcb *rp = sotorawcb(so);

	so->so_pcb = NULL;
	free(rp, M_PCB, rp->rcb_len);				/* wrong:B1 */
}
