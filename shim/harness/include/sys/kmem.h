/* Harness stand-in for <sys/kmem.h>: kmem over libc (harness/kernel.c). */
#ifndef _SYS_KMEM_H_
#define	_SYS_KMEM_H_
#include <sys/types.h>
typedef unsigned int km_flag_t;
#define	KM_SLEEP	0x00000001
#define	KM_NOSLEEP	0x00000002
void	*kmem_alloc(size_t, km_flag_t);
void	*kmem_zalloc(size_t, km_flag_t);
void	kmem_free(void *, size_t);
void	*kmem_intr_alloc(size_t, km_flag_t);
void	*kmem_intr_zalloc(size_t, km_flag_t);
void	kmem_intr_free(void *, size_t);
#endif
