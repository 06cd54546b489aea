/* Harness stand-in for <sys/cdefs.h>: link sets as NetBSD's ELF ones. */
#ifndef _HARNESS_SYS_CDEFS_H_
#define	_HARNESS_SYS_CDEFS_H_
#include_next <sys/cdefs.h>		/* the host's, which libc needs */
#define	__aligned(x)		__attribute__((__aligned__(x)))
#define	__predict_true(x)	__builtin_expect((x) != 0, 1)
#define	__predict_false(x)	__builtin_expect((x) != 0, 0)
#define	__link_set_add_data(set, sym)					\
	static void const * const __link_set_##set##_sym_##sym		\
	__attribute__((__section__("link_set_" #set), __used__)) = (const void *)(sym)
#define	__link_set_decl(set, ptype)					\
	extern ptype * const __start_link_set_##set[] __attribute__((__weak__)); \
	extern ptype * const __stop_link_set_##set[] __attribute__((__weak__))
#define	__link_set_foreach(pvar, set)					\
	for (pvar = __start_link_set_##set; pvar < __stop_link_set_##set; pvar++)
#endif
