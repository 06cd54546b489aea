/*
 * Harness stand-in for <sys/cpu.h>: every thread is a CPU.  A thread gets
 * a slot on its first curcpu(); harness_cpu_set() moves the calling
 * thread to another slot (a thread that migrated, preemption enabled).
 * kpreempt_disable()/kpreempt_enable() count the nesting depth per thread
 * (NetBSD counts it per LWP), panic on an unbalanced enable or a
 * migration with preemption disabled, and keep the deepest nesting seen
 * so tests can check it (not in the benchmark build).
 */
#ifndef _SYS_CPU_H_
#define	_SYS_CPU_H_
#include <sys/types.h>

struct cpu_info {
	u_int	ci_index;
	bool	ci_intr;		/* "in interrupt context" */
	int	*ci_nopreempt;		/* the running thread's kpreempt depth */
} __attribute__((__aligned__(64)));	/* no false sharing in the harness */

extern u_int maxcpus;
extern _Thread_local struct cpu_info *harness_curcpu;
/* kpreempt_disable depth, per thread as NetBSD's curlwp->l_nopreempt */
extern _Thread_local int harness_nopreempt;
extern _Thread_local int harness_nopreempt_max;	/* deepest seen */
struct cpu_info *harness_cpu_enter(void);
void	harness_cpu_set(u_int);
void	harness_preempt_underflow(void) __attribute__((__noreturn__));

#define	curcpu()		(__predict_true(harness_curcpu != NULL) ? \
				 harness_curcpu : harness_cpu_enter())
#define	cpu_index(ci)		((ci)->ci_index)
#define	cpu_intr_p()		(curcpu()->ci_intr)

static inline void
kpreempt_disable(void)
{

	__atomic_store_n(&harness_nopreempt, harness_nopreempt + 1,
	    __ATOMIC_RELAXED);
#ifndef HARNESS_BENCH
	if (__predict_false(harness_nopreempt > harness_nopreempt_max))
		harness_nopreempt_max = harness_nopreempt;
#endif
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void
kpreempt_enable(void)
{

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#ifndef HARNESS_BENCH
	if (__predict_false(harness_nopreempt <= 0))
		harness_preempt_underflow();
#endif
	__atomic_store_n(&harness_nopreempt, harness_nopreempt - 1,
	    __ATOMIC_RELEASE);
}

#define	kpreempt_disabled()	(harness_nopreempt > 0)
#endif
