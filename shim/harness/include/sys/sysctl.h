/*
 * Harness stand-in for <sys/sysctl.h>: SYSCTL_SETUP functions are called
 * by the test, sysctl_createv() records the node so the test can read it.
 */
#ifndef _SYS_SYSCTL_H_
#define	_SYS_SYSCTL_H_
#include <sys/types.h>
struct sysctllog;
struct sysctlnode;
#define	CTLFLAG_PERMANENT	0x1
#define	CTLTYPE_STRUCT		5
#define	CTL_KERN		1
#define	CTL_CREATE		(-1)
#define	CTL_EOL			(-2)
#define	SYSCTL_DESCR(s)		s
#define	SYSCTLFN_ARGS	const int *name, u_int namelen, void *oldp,	\
	size_t *oldlenp, const void *newp, size_t newlen,		\
	const int *oldname, struct lwp *l, const struct sysctlnode *rnode
struct lwp;
typedef int (*sysctlfn)(SYSCTLFN_ARGS);
#define	SYSCTL_SETUP(name, desc)	void name(struct sysctllog **clog); \
	void name(struct sysctllog **clog __attribute__((__unused__)))
int	sysctl_createv(struct sysctllog **, int, const struct sysctlnode **,
	    const struct sysctlnode **, int, int, const char *, const char *,
	    sysctlfn, uint64_t, void *, size_t, ...);
int	copyout(const void *, void *, size_t);
#endif
