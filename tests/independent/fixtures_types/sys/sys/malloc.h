/*
 * Fixture stand-in for the shim's <sys/malloc.h> (typecheck tests): real
 * types, the sized free(p, T, n), the typed string helpers, and the
 * NULL-safe malloc_strfree(s, T).
 */
#ifndef _SYS_MALLOC_H_
#define _SYS_MALLOC_H_
#include <sys/types.h>
#define	M_WAITOK	0x0
#define	M_NOWAIT	0x1
#define	M_ZERO		0x2
struct malloc_type { long ks_calls; };
#define	MALLOC_DECLARE(type)	extern struct malloc_type type[1]
MALLOC_DECLARE(M_DEVBUF);
MALLOC_DECLARE(M_TEMP);
MALLOC_DECLARE(M_AAA);
MALLOC_DECLARE(M_BBB);
MALLOC_DECLARE(M_PCB);
MALLOC_DECLARE(M_KEY);
void	*kern_malloc(unsigned long, struct malloc_type *, int);
void	*kern_realloc(void *, unsigned long, struct malloc_type *, int);
void	kern_free(void *, struct malloc_type *);
void	kern_free_sized(void *, struct malloc_type *, unsigned long);
char	*malloc_asprintf(struct malloc_type *, const char *, ...);
char	*malloc_strdupsize(const char *, size_t *, struct malloc_type *, int);
#define	malloc_strdup(s, t, f)	malloc_strdupsize((s), NULL, (t), (f))
char	*malloc_strndup(const char *, size_t, struct malloc_type *, int);
void	malloc_strfree(char *, struct malloc_type *);
void	*malloc_tmpbuf_alloc(size_t, void *, size_t, struct malloc_type *, int);
void	malloc_tmpbuf_free(void *, size_t, void *, struct malloc_type *);
#define	malloc(size, type, flags)	kern_malloc(size, type, flags)
#define	realloc(p, size, type, flags)	kern_realloc(p, size, type, flags)
#define	__free_2(addr, type)		kern_free(addr, type)
#define	__free_3(addr, type, size)	kern_free_sized(addr, type, size)
#define	__free_pick(_1, _2, _3, name, ...)	name
#define	free(...)	__free_pick(__VA_ARGS__, __free_3, __free_2, )(__VA_ARGS__)
#endif
