/* Allocator wrappers (firmload.c's firmware_malloc): kmem memory returned
 * by a function, directly and through another wrapper; and malloc memory
 * returned by a function. */
#include <sys/kmem.h>
#include <sys/malloc.h>

void *
fw_malloc(size_t n)
{
	return kmem_alloc(n, KM_SLEEP);				/* wrapper:W1,W2 */
}

void *
fw_get(size_t n)
{
	return fw_malloc(n);
}

void
fw_free(void *p, size_t n)
{
	kmem_free(p, n);
}

void *
mw_alloc(size_t n)
{
	return malloc(n, M_TEMP, M_WAITOK);			/* wrapper:W3 */
}
