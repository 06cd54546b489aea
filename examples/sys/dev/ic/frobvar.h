/*	frob(4): bus-independent part of a two-file driver (example).	*/
#ifndef _DEV_IC_FROBVAR_H_
#define _DEV_IC_FROBVAR_H_
#include <sys/types.h>
struct frob_ring {
	uint32_t	*fr_desc;
	int		fr_ndesc;
};
struct frob_softc {
	device_t		sc_dev;
	struct frob_ring	*sc_rings;	/* allocated in frob.c ... */
	int			sc_nrings;
	uint8_t			*sc_fw;		/* ... freed in frob_pci.c */
	size_t			sc_fwlen;
};
int	frob_attach(struct frob_softc *);
void	frob_detach(struct frob_softc *);
#endif /* !_DEV_IC_FROBVAR_H_ */
