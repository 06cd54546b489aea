/*	Stand-in for <sys/param.h> (kmem2malloc examples).	*/
#ifndef _SYS_PARAM_H_
#define _SYS_PARAM_H_
#include <sys/types.h>
#define	PAGE_SIZE	4096
#define	ALIGNBYTES	7
#define	MAXPATHLEN	1024
#define	__aligned(x)	__attribute__((__aligned__(x)))
#define	__unused	__attribute__((__unused__))
#define	__KERNEL_RCSID(n, s)
#define	__predict_false(x)	__builtin_expect((x) != 0, 0)
#define	__predict_true(x)	__builtin_expect((x) != 0, 1)
#define	__UNCONST(a)	((void *)(unsigned long)(const void *)(a))
#define	__UNVOLATILE(a)	((void *)(unsigned long)(volatile void *)(a))
#define	__link_set_add_data(set, sym)
#define	__printflike(a, b)
#define	__diagused
#endif /* !_SYS_PARAM_H_ */
