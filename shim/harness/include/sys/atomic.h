/* Harness stand-in for <sys/atomic.h>: the compiler's atomics. */
#ifndef _SYS_ATOMIC_H_
#define	_SYS_ATOMIC_H_
#include <sys/types.h>

static inline uint64_t
atomic_add_64_nv(volatile uint64_t *p, int64_t v)
{

	return __atomic_add_fetch(p, (uint64_t)v, __ATOMIC_RELAXED);
}

static inline void
atomic_add_64(volatile uint64_t *p, int64_t v)
{

	(void)__atomic_add_fetch(p, (uint64_t)v, __ATOMIC_RELAXED);
}

static inline void
atomic_or_64(volatile uint64_t *p, uint64_t v)
{

	(void)__atomic_or_fetch(p, v, __ATOMIC_RELAXED);
}

static inline void
atomic_inc_64(volatile uint64_t *p)
{

	(void)__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
}

static inline uint64_t
atomic_cas_64(volatile uint64_t *p, uint64_t old, uint64_t new)
{

	__atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST);
	return old;
}

static inline unsigned int
atomic_cas_uint(volatile unsigned int *p, unsigned int old, unsigned int new)
{

	__atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST);
	return old;
}

static inline void
atomic_inc_uint(volatile unsigned int *p)
{

	(void)__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
}

static inline void
atomic_or_uint(volatile unsigned int *p, unsigned int v)
{

	(void)__atomic_or_fetch(p, v, __ATOMIC_RELAXED);
}

#define	membar_producer()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define	membar_consumer()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
