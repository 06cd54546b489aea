/* Harness stand-in for <sys/param.h> (amd64 values). */
#ifndef _SYS_PARAM_H_
#define	_SYS_PARAM_H_
#include <sys/cdefs.h>
#include <sys/types.h>
#include <errno.h>
#define	PAGE_SHIFT	12
#define	PAGE_SIZE	(1 << PAGE_SHIFT)
#define	ALIGNBYTES	7
#define	COHERENCY_UNIT	64
#define	MIN(a, b)	((a) < (b) ? (a) : (b))
#define	MAX(a, b)	((a) > (b) ? (a) : (b))
#define	roundup(x, y)	((((x) + ((y) - 1)) / (y)) * (y))
#define	roundup2(x, m)	(((x) + ((m) - 1)) & ~((m) - 1))
#endif
