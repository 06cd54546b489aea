/*	Stand-in for <sys/systm.h> (kmem2malloc examples).	*/
#ifndef _SYS_SYSTM_H_
#define _SYS_SYSTM_H_
#include <sys/types.h>
int	printf(const char *, ...);
int	snprintf(char *, size_t, const char *, ...);
void	panic(const char *, ...) __attribute__((__noreturn__));
void	*memset(void *, int, size_t);
void	*memcpy(void *, const void *, size_t);
size_t	strlen(const char *);
#define	KASSERT(e)	((void)0)
#define	ASSERT_SLEEPABLE()	((void)0)
#endif /* !_SYS_SYSTM_H_ */
