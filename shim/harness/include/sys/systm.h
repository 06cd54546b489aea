/* Harness stand-in for <sys/systm.h>: libc, and a panic() tests can catch. */
#ifndef _SYS_SYSTM_H_
#define	_SYS_SYSTM_H_
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
extern int physmem;			/* pages */
void	panic(const char *, ...) __attribute__((__noreturn__, __format__(__printf__, 1, 2)));
size_t	strlcpy(char *, const char *, size_t);
void	harness_assert_sleepable(void);
#ifdef DIAGNOSTIC			/* as in NetBSD: DIAGNOSTIC checks */
#define	ASSERT_SLEEPABLE()	harness_assert_sleepable()
#define	KASSERT(e)	(__predict_true(e) ? (void)0 :			\
	panic("kernel diagnostic assertion \"%s\" failed: file \"%s\", line %d", \
	    #e, __FILE__, __LINE__))
#else
#define	ASSERT_SLEEPABLE()	((void)0)
#define	KASSERT(e)		((void)0)
#endif
#define	printf			harness_printf
int	harness_printf(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
#endif
