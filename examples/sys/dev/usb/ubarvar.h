/*	ubar(4) softc (example).	*/
#ifndef _DEV_USB_UBARVAR_H_
#define _DEV_USB_UBARVAR_H_
#include <sys/types.h>
#include <sys/thing.h>
struct ubar_softc {
	device_t	sc_dev;
	char		*sc_name;	/* kmem_asprintf(): stays kmem */
	uint8_t		*sc_ibuf;
	size_t		sc_isize;
	char		*sc_serial;	/* kmem_strdup(): stays kmem */
	struct thing	sc_thing;	/* t_buf is released by sys/kern */
};
#endif /* !_DEV_USB_UBARVAR_H_ */
