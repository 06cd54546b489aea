#include <sys/malloc.h>
#include "raw_cb.h"

struct keycb {
	struct rawcb	kp_raw;
	int		kp_promisc;
};

void
key_attach(struct socket *so)
{
	struct keycb *kp;

	kp = malloc(sizeof(*kp), M_KEY, M_WAITOK | M_ZERO);	/* wrong:B1 */
	kp->kp_raw.rcb_len = sizeof(*kp);
	so->so_pcb = kp;
}
