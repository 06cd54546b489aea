/*
 * Harness stand-in for <sys/cpu.h>: every thread is a CPU.  A thread gets
 * its slot from harness_cpu_enter(); kpreempt_disable() only counts, and
 * asserts that the counter code runs with preemption "disabled".
 */
#ifndef _SYS_CPU_H_
#define	_SYS_CPU_H_
#include <sys/types.h>
struct cpu_info {
	u_int	ci_index;
	int	ci_preempt;		/* kpreempt_disable depth */
	bool	ci_intr;		/* "in interrupt context" */
};
extern u_int maxcpus;
extern _Thread_local struct cpu_info *harness_curcpu;
struct cpu_info *harness_cpu_enter(void);
#define	curcpu()		(harness_curcpu ? harness_curcpu : harness_cpu_enter())
#define	cpu_index(ci)		((ci)->ci_index)
#define	cpu_intr_p()		(curcpu()->ci_intr)
#define	kpreempt_disable()	(curcpu()->ci_preempt++)
#define	kpreempt_enable()	(curcpu()->ci_preempt--)
#endif
