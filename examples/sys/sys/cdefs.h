/*	Stand-in for <sys/cdefs.h> (kmem2malloc examples).	*/
#ifndef _SYS_CDEFS_H_
#define _SYS_CDEFS_H_
#define	__KERNEL_RCSID(n, s)	struct __hack
#define	__aligned(x)	__attribute__((__aligned__(x)))
#define	__unused	__attribute__((__unused__))
#define	__link_set_add_data(set, sym)	struct __hack
#endif /* !_SYS_CDEFS_H_ */
