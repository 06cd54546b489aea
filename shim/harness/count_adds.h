/*
 * Benchmark counting for kern_malloc.c (MALLOC_COUNT_ALT): the per-CPU
 * counters' updates with nothing around them, no preemption exclusion,
 * no IPL: wrong under interrupts and preemption, never for a kernel.  It
 * measures the floor of any per-CPU counting, so that the benchmark can
 * tell the adds' cost from the cost of making them exact.
 */

static void __noinline
malloc_adds_fold(u_int idx, struct malloc_type_cpu *mtc)
{

	malloc_fold(malloc_type_table[idx], mtc->mtc_bytes);
	mtc->mtc_bytes = 0;
}

static inline __always_inline void *
malloc_count_alloc(u_int idx, size_t size, void *addr)
{
	struct malloc_type_cpu *mtc;

	mtc = malloc_cpu_table[idx] + cpu_index(curcpu());
	mtc->mtc_allocs++;
	mtc->mtc_bytes += (int64_t)size;
	if (__predict_false((mtc->mtc_sizes & malloc_sizebit(size)) == 0))
		mtc->mtc_sizes |= malloc_sizebit(size);
	if (__predict_false(mtc->mtc_bytes >= MALLOC_FOLD))
		malloc_adds_fold(idx, mtc);
	return addr;
}

static void * __noinline
malloc_count_fail(struct malloc_type_internal *mti)
{

	mti->mti_cpu[cpu_index(curcpu())].mtc_fails++;
	return NULL;
}

static inline __always_inline void
malloc_release(void *addr, u_int idx, size_t reqsize, void *base,
    size_t allocsize)
{
	struct malloc_type_cpu *mtc = malloc_cpu_table[idx];

	if (__predict_false(mtc == NULL))
		panic("free(%p): bad type index %u in header", addr, idx);
	mtc += cpu_index(curcpu());
	mtc->mtc_frees++;
	mtc->mtc_bytes -= (int64_t)reqsize;
	if (__predict_false(mtc->mtc_bytes <= -MALLOC_FOLD))
		malloc_adds_fold(idx, mtc);
	kmem_intr_free(base, allocsize);
}
