/*
 * Benchmark counting for kern_malloc.c (MALLOC_COUNT_ALT): none.  The
 * header, the checks and the calls stay; the statistics are wrong.  It
 * measures what the counting costs.
 */

static inline __always_inline void *
malloc_count_alloc(u_int idx, size_t size, void *addr)
{

	return addr;
}

static void * __noinline
malloc_count_fail(struct malloc_type_internal *mti)
{

	return NULL;
}

static inline __always_inline void
malloc_release(void *addr, u_int idx, size_t reqsize, void *base,
    size_t allocsize)
{

	kmem_intr_free(base, allocsize);
}
