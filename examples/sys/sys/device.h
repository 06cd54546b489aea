/*	Stand-in for <sys/device.h> (kmem2malloc examples).	*/
#ifndef _SYS_DEVICE_H_
#define _SYS_DEVICE_H_
#include <sys/types.h>
void	*device_private(device_t);
const char *device_xname(device_t);
int	config_detach_children(device_t, int);
#define	CFATTACH_DECL_NEW(name, size, match, attach, detach, activate)	\
	extern int __cfattach_ ## name
#endif /* !_SYS_DEVICE_H_ */
