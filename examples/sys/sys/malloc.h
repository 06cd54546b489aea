/*
 * Stand-in for NetBSD's <sys/malloc.h> as it is before install-shim
 * (kmem2malloc examples): the type argument is thrown away, so types are
 * declared nowhere.
 */
#ifndef _SYS_MALLOC_H_
#define _SYS_MALLOC_H_
#include <sys/types.h>
#define	M_WAITOK	0x0000
#define	M_NOWAIT	0x0001
#define	M_ZERO		0x0002
struct malloc_type;
#define	MALLOC_DEFINE(type, shortdesc, longdesc)	struct __hack
#define	MALLOC_DECLARE(type)	static struct malloc_type *const __unused type = 0
void	*kern_malloc(unsigned long, int);
void	kern_free(void *);
#define	malloc(size, type, flags)	kern_malloc(size, flags)
#define	free(addr, type)		kern_free(addr)
#endif /* !_SYS_MALLOC_H_ */
