/*
 * Harness stand-in for <sys/lwp.h>: each thread (a CPU, <sys/cpu.h>) is
 * running one LWP, curlwp, with NetBSD's preemption counter.
 * KPREEMPT_DISABLE() and KPREEMPT_ENABLE() are NetBSD-current's inline
 * ones.  Preemption (kernel.c) is a migration to another CPU slot,
 * requested by an interrupt handler (harness_preempt()): it happens when
 * the interrupt returns, if the LWP is at IPL_NONE with preemption
 * enabled, else later, from KPREEMPT_ENABLE() (kpreempt()) or from the
 * splx() that lowers the IPL to IPL_NONE.
 */
#ifndef _SYS_LWP_H_
#define	_SYS_LWP_H_
#include <sys/types.h>
#include <sys/cpu.h>

typedef struct lwp {
	struct cpu_info	*l_cpu;		/* the CPU slot it runs on */
	volatile int	l_nopreempt;	/* don't preempt me */
	volatile u_int	l_dopreempt;	/* kernel preemption pending */
} lwp_t;

/* A pointer, loaded as the kernel loads curlwp from %gs. */
extern HARNESS_TLS struct lwp *harness_curlwp;
#define	curlwp		harness_curlwp

bool	kpreempt(uintptr_t);

static inline void
KPREEMPT_DISABLE(lwp_t *l)
{

	l->l_nopreempt++;
	__insn_barrier();
}

static inline void
KPREEMPT_ENABLE(lwp_t *l)
{

	__insn_barrier();
	l->l_nopreempt--;
	__insn_barrier();
	if (__predict_false(l->l_dopreempt))
		kpreempt(0);
}
#endif
