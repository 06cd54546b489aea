/* Fixture stand-in for <sys/kmem.h> (mixcheck tests). */
#ifndef _SYS_KMEM_H_
#define _SYS_KMEM_H_
#include <sys/types.h>
typedef unsigned int km_flag_t;
#define	KM_SLEEP	0x1
#define	KM_NOSLEEP	0x2
void	*kmem_alloc(size_t, km_flag_t);
void	*kmem_zalloc(size_t, km_flag_t);
void	kmem_free(void *, size_t);
void	*kmem_intr_alloc(size_t, km_flag_t);
void	kmem_intr_free(void *, size_t);
char	*kmem_asprintf(const char *, ...);
char	*kmem_strdupsize(const char *, size_t *, km_flag_t);
#define	kmem_strdup(s, f)	kmem_strdupsize((s), NULL, (f))
void	kmem_strfree(char *);
void	*kmem_tmpbuf_alloc(size_t, void *, size_t, km_flag_t);
void	kmem_tmpbuf_free(void *, size_t, void *);
#endif
