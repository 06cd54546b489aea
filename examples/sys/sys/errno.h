/*	Stand-in for <sys/errno.h> (kmem2malloc examples).	*/
#ifndef _SYS_ERRNO_H_
#define _SYS_ERRNO_H_
#define	ENOMEM	12
#define	EINVAL	22
#endif /* !_SYS_ERRNO_H_ */
