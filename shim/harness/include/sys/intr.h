/*
 * Harness stand-in for <sys/intr.h>: interrupt priority levels, and
 * interrupts.  Each thread is a CPU with its own level (the kernel keeps
 * it in curcpu()->ci_ilevel).  An interrupt is a signal sent to a CPU's
 * thread (harness_intr_establish() says which, and what it runs): at a
 * level below IPL_VM its handler runs at once, at IPL_VM, with
 * cpu_intr_p() true; otherwise it is held pending and run by the splx()
 * that lowers the level, as the deferred spl of NetBSD/x86 does.  So
 * code between splvm() and splx() is never interleaved with a handler on
 * the same CPU, and code outside is, wherever the signal lands.  A signal
 * to a thread that is no CPU (yet) is ignored.  harness_intr_send()
 * waits until the signal is taken, so none is lost to merging.
 */
#ifndef _SYS_INTR_H_
#define	_SYS_INTR_H_
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/cpu.h>

#define	IPL_NONE	0
#define	IPL_VM		6

extern HARNESS_TLS volatile sig_atomic_t harness_ipending;
void	harness_intr_establish(int, void (*)(void));
void	harness_intr_disestablish(int);
void	harness_intr_send(pthread_t, int, const bool *);
void	harness_intr_dispatch(void);

/*
 * As on NetBSD amd64 (spl.S), splraise() and splx() (spllower) are calls,
 * not inline code: what the portable counting and the pool_cache-like
 * kmem pay for them here is nearer the kernel's (which also swaps the
 * level and the pending mask with a cmpxchg in spllower).
 */
int	splraise(int);
void	splx(int);

#define	splvm()		splraise(IPL_VM)
#endif
