/* Harness stand-in for <sys/param.h>. */
#ifndef _SYS_PARAM_H_
#define	_SYS_PARAM_H_
#include <sys/cdefs.h>
#include <sys/types.h>
#include <errno.h>
#define	PAGE_SIZE	4096
#define	ALIGNBYTES	7
#define	MIN(a, b)	((a) < (b) ? (a) : (b))
#define	MAX(a, b)	((a) > (b) ? (a) : (b))
#endif
