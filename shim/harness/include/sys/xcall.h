/*
 * Harness stand-in for <sys/xcall.h>.  xc_broadcast() runs the function
 * here and then waits until every other CPU (thread) has been seen at
 * IPL_NONE, which is what a cross call guarantees kern_malloc.c.
 */
#ifndef _SYS_XCALL_H_
#define	_SYS_XCALL_H_
#include <sys/types.h>
typedef void (*xcfunc_t)(void *, void *);
uint64_t	xc_broadcast(u_int, xcfunc_t, void *, void *);
void		xc_wait(uint64_t);
#endif
