/* Protocols allocate a struct beginning with a struct rawcb; raw_detach()
 * frees it as a struct rawcb. */
struct rawcb {
	int	rcb_len;
};
struct socket {
	void	*so_pcb;
};
#define	sotorawcb(so)	((struct rawcb *)(so)->so_pcb)
void	raw_detach(struct socket *);
