/*
 * Harness stand-in for <sys/sysctl.h>: SYSCTL_SETUP functions go into the
 * sysctl_funcs link set, as in a NetBSD kernel; harness_sysctl_init() runs
 * them, and sysctl_createv() records the node so tests can call it.
 */
#ifndef _SYS_SYSCTL_H_
#define	_SYS_SYSCTL_H_
#include <sys/cdefs.h>
#include <sys/types.h>
struct sysctllog;
struct sysctlnode;
struct lwp;
#define	CTLFLAG_PERMANENT	0x00000080
#define	CTLTYPE_STRUCT		5
#define	CTL_KERN		1
#define	CTL_CREATE		(-3)
#define	CTL_EOL			(-1)
#define	SYSCTL_DESCR(s)		s
#define	SYSCTLFN_ARGS	const int *name, u_int namelen,			\
	void *oldp, size_t *oldlenp,					\
	const void *newp, size_t newlen,				\
	const int *oname, struct lwp *l,				\
	const struct sysctlnode *rnode
typedef int (*sysctlfn)(SYSCTLFN_ARGS);
typedef void sysctl_setup_func(struct sysctllog **);
#define	SYSCTL_SETUP(name, desc)					\
	static void name(struct sysctllog **);				\
	__link_set_add_text(sysctl_funcs, name);			\
	static void name(struct sysctllog **clog)
int	sysctl_createv(struct sysctllog **, int, const struct sysctlnode **,
	    const struct sysctlnode **, int, int, const char *, const char *,
	    sysctlfn, u_quad_t, void *, size_t, ...);
int	copyout(const void *, void *, size_t);
#endif
