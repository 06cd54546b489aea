/* Harness stand-in for <sys/types.h>: the host's types. */
#ifndef _HARNESS_SYS_TYPES_H_
#define	_HARNESS_SYS_TYPES_H_
#include_next <sys/types.h>		/* the host's, which libc needs */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#endif
