/*
 * Benchmark counting for kern_malloc.c (MALLOC_COUNT_ALT): one set of
 * shared counters per type, updated with atomic operations by every CPU
 * (allocations, frees and failures in slot 0, bytes straight into
 * mti_total, so the high-water mark and the limit are exact).  What the
 * per-CPU counters are measured against; not for a kernel: free() reads
 * the table outside any section, which malloc_type_detach() relies on.
 */

static inline __always_inline void *
malloc_count_alloc(u_int idx, size_t size, void *addr)
{

	struct malloc_type_cpu *mtc = malloc_cpu_table[idx];

	atomic_inc_64(&mtc->mtc_allocs);
	if (__predict_false((mtc->mtc_sizes & malloc_sizebit(size)) == 0))
		atomic_or_64(&mtc->mtc_sizes, malloc_sizebit(size));
	malloc_fold(malloc_type_table[idx], (int64_t)size);
	return addr;
}

static void * __noinline
malloc_count_fail(struct malloc_type_internal *mti)
{

	atomic_inc_64(&mti->mti_cpu[0].mtc_fails);
	return NULL;
}

static inline __always_inline void
malloc_release(void *addr, u_int idx, size_t reqsize, void *base,
    size_t allocsize)
{
	struct malloc_type_cpu *mtc = malloc_cpu_table[idx];

	if (__predict_false(mtc == NULL))
		panic("free(%p): bad type index %u in header", addr, idx);
	atomic_inc_64(&mtc->mtc_frees);
	atomic_add_64((volatile uint64_t *)&malloc_type_table[idx]->mti_total,
	    -(int64_t)reqsize);
	kmem_intr_free(base, allocsize);
}
