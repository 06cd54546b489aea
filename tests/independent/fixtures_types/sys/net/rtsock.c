#include <sys/malloc.h>
#include "raw_cb.h"

struct routecb {
	struct rawcb	rocb_rcb;
	int		rocb_n;
};

void
route_attach(struct socket *so)
{
	struct routecb *rop;

	rop = malloc(sizeof(*rop), M_PCB, M_WAITOK | M_ZERO);
	rop->rocb_rcb.rcb_len = sizeof(*rop);
	so->so_pcb = rop;
}
