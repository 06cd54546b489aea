/* Harness stand-in for <sys/atomic.h>: the compiler's atomics. */
#ifndef _SYS_ATOMIC_H_
#define	_SYS_ATOMIC_H_
#include <sys/types.h>
#define	atomic_add_64_nv(p, v)	__atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define	atomic_inc_64(p)	((void)__atomic_add_fetch((p), 1, __ATOMIC_RELAXED))
#define	membar_producer()	__atomic_thread_fence(__ATOMIC_RELEASE)
static inline uint64_t
atomic_cas_64(volatile uint64_t *p, uint64_t old, uint64_t new)
{
	__atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED);
	return old;
}
#endif
