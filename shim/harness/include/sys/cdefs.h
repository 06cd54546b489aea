/*
 * Harness stand-in for <sys/cdefs.h>: the host's, plus what NetBSD's adds
 * that kern_malloc.c uses.  Link sets are ELF sections with __start_ and
 * __stop_ symbols, as in NetBSD's <sys/cdefs_elf.h>.
 */
#ifndef _HARNESS_SYS_CDEFS_H_
#define	_HARNESS_SYS_CDEFS_H_
#include_next <sys/cdefs.h>		/* the host's, which libc needs */

#define	__aligned(x)		__attribute__((__aligned__(x)))
#define	__noinline		__attribute__((__noinline__))
#undef	__always_inline		/* glibc's has "inline" in it; NetBSD's not */
#define	__always_inline		__attribute__((__always_inline__))
#define	__dead			__attribute__((__noreturn__))
#define	__printflike(f, a)	__attribute__((__format__(__printf__, f, a)))
#define	__used			__attribute__((__used__))
#define	__unused		__attribute__((__unused__))
#ifdef DIAGNOSTIC
#define	__diagused		/* used by DIAGNOSTIC code */
#else
#define	__diagused		__unused
#endif
#define	__predict_true(x)	__builtin_expect((x) != 0, 1)
#define	__predict_false(x)	__builtin_expect((x) != 0, 0)
#define	__insn_barrier()	__asm__ __volatile__("" : : : "memory")
#define	__CTASSERT(x)		_Static_assert(x, #x)
#define	__KERNEL_RCSID(_n, _s)	__asm__(".ident\t\"" _s "\"")

#define	__link_set_make_entry(set, sym)					\
	static void const * const __link_set_##set##_sym_##sym		\
	    __attribute__((__section__("link_set_" #set))) __used =	\
	    (const void *)&sym
#define	__link_set_add_text(set, sym)	__link_set_make_entry(set, sym)
#define	__link_set_add_data(set, sym)	__link_set_make_entry(set, sym)
#define	__link_set_decl(set, ptype)					\
	extern ptype * const __start_link_set_##set[] __attribute__((__weak__)); \
	extern ptype * const __stop_link_set_##set[] __attribute__((__weak__))
#define	__link_set_foreach(pvar, set)					\
	for (pvar = __start_link_set_##set; pvar < __stop_link_set_##set; pvar++)
#endif
