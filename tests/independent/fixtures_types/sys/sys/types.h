/* Fixture stand-in for <sys/types.h> (mixcheck tests). */
#ifndef _SYS_TYPES_H_
#define _SYS_TYPES_H_
typedef unsigned long	size_t;
typedef unsigned char	uint8_t;
typedef unsigned int	uint32_t;
#define	NULL	((void *)0)
size_t	strlen(const char *);
#endif
