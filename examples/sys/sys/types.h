/*	Stand-in for <sys/types.h>: just enough for the kmem2malloc examples.	*/
#ifndef _SYS_TYPES_H_
#define _SYS_TYPES_H_
typedef unsigned long	size_t;
typedef long		ssize_t;
typedef unsigned long	vaddr_t;
typedef unsigned char	uint8_t;
typedef unsigned short	uint16_t;
typedef unsigned int	uint32_t;
typedef unsigned long	uint64_t;
typedef long		int64_t;
typedef unsigned int	u_int;
typedef int		bool;
typedef void		*device_t;
#define	true	1
#define	false	0
#define	NULL	((void *)0)
#endif /* !_SYS_TYPES_H_ */
