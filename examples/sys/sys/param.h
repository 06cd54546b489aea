/*	Stand-in for <sys/param.h> (kmem2malloc examples).	*/
#ifndef _SYS_PARAM_H_
#define _SYS_PARAM_H_
#include <sys/cdefs.h>
#include <sys/types.h>
#define	PAGE_SIZE	4096
#define	COHERENCY_UNIT	64
#define	ALIGNBYTES	7
#define	MAXPATHLEN	1024
#define	__predict_false(x)	__builtin_expect((x) != 0, 0)
#define	__predict_true(x)	__builtin_expect((x) != 0, 1)
#define	__UNCONST(a)	((void *)(unsigned long)(const void *)(a))
#define	__UNVOLATILE(a)	((void *)(unsigned long)(volatile void *)(a))
#define	__printflike(a, b)
#define	__diagused
#endif /* !_SYS_PARAM_H_ */
