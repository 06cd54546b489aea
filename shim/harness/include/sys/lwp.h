/*
 * Harness stand-in for <sys/lwp.h>: the inline forms of
 * kpreempt_disable() and kpreempt_enable() that the kernel proper may
 * use.  Here they are the same (already inline) functions; the harness
 * has no LWPs, so curlwp is only a placeholder.
 */
#ifndef _SYS_LWP_H_
#define	_SYS_LWP_H_
#include <sys/cpu.h>

struct lwp;
typedef struct lwp lwp_t;

#define	curlwp		((lwp_t *)0)

static inline void
KPREEMPT_DISABLE(lwp_t *l)
{

	(void)l;
	kpreempt_disable();
}

static inline void
KPREEMPT_ENABLE(lwp_t *l)
{

	(void)l;
	kpreempt_enable();
}
#endif
