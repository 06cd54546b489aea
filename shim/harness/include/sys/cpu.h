/*
 * Harness stand-in for <sys/cpu.h>: every thread is a CPU.  The main
 * thread is CPU 0 before main() runs; any other thread takes the next
 * free slot with harness_cpu_enter(), or a given one with
 * harness_cpu_set(), before it calls into the kernel (as every LWP is on
 * some CPU).  harness_cpu_set() also moves the calling thread to another
 * slot (a thread that migrated, preemption enabled).  curcpu() is one
 * thread-local load at a constant offset, like the kernel's %gs-relative
 * one (local-exec TLS: the executable defines these); outside the
 * benchmark build it also checks that the thread has a CPU.
 * A thread may not migrate (harness_cpu_set) with the IPL raised
 * (<sys/intr.h>) or preemption disabled (<sys/lwp.h>).
 */
#ifndef _SYS_CPU_H_
#define	_SYS_CPU_H_
#include <sys/types.h>

struct lwp;
struct cpu_info {
	u_int	ci_index;
	bool	ci_intr;		/* "in interrupt context" */
	int	*ci_ilevel;		/* the running thread's IPL */
	struct lwp *ci_curlwp;		/* and its LWP */
} __attribute__((__aligned__(64)));	/* no false sharing in the harness */

#define	HARNESS_TLS	_Thread_local __attribute__((__tls_model__("local-exec")))

extern u_int maxcpus;
extern HARNESS_TLS struct cpu_info *harness_curcpu;
/* interrupt priority level, per thread as NetBSD's curcpu()->ci_ilevel */
extern HARNESS_TLS int harness_ilevel;
struct cpu_info *harness_cpu_enter(void);
void	harness_cpu_set(u_int);
void	harness_cpu_unbound(void) __attribute__((__noreturn__));

static inline struct cpu_info *
harness_curcpu_get(void)
{
	struct cpu_info *ci = harness_curcpu;

#ifndef HARNESS_BENCH
	if (__predict_false(ci == NULL))
		harness_cpu_unbound();
#endif
	return ci;
}

#define	curcpu()		harness_curcpu_get()
#define	cpu_index(ci)		((ci)->ci_index)
#define	cpu_intr_p()		(curcpu()->ci_intr)

/* As on x86: a raised IPL also keeps the LWP on its CPU. */
bool	kpreempt_disabled(void);
#endif
