/*
 * Benchmark counting for kern_malloc.c (MALLOC_COUNT_ALT): the design
 * the per-CPU counters could have on amd64, measured before a kernel
 * gets it.  Each CPU's counters sit at one offset from its segment base
 * (the kernel's %gs is its struct cpu_info, so they would live in
 * struct cpu_data), and every update is one %gs-relative add: an
 * interrupt comes before or after it, and the LWP cannot migrate inside
 * it, so the adds are exact without the KPREEMPT section (FreeBSD's
 * counter(9) on amd64).  Only the rare fold, a load and a subtraction,
 * keeps preemption out.
 *
 * Bench only: the harness gives the thread that runs this copy a %gs
 * base of its own (count_gs_bind(), Linux's arch_prctl), GS_NTYPES
 * types at most, and the statistics, which kern_malloc.c reads from
 * mti_cpu, miss these counters.
 */
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"		/* HARNESS_MAXCPUS */

struct gs_counters {
	uint64_t	gs_allocs;
	uint64_t	gs_frees;
	int64_t		gs_bytes;
	uint64_t	gs_sizes;
};
#define	GS_NTYPES	64

static struct gs_counters gs_cpu[HARNESS_MAXCPUS][GS_NTYPES]
    __aligned(COHERENCY_UNIT);

void	count_gs_bind(void);

/* Give the calling thread its CPU's counters as its %gs base. */
void
count_gs_bind(void)
{

	if (syscall(SYS_arch_prctl, ARCH_SET_GS,
	    (unsigned long)gs_cpu[cpu_index(curcpu())]) != 0)
		panic("count_gs_bind: arch_prctl(ARCH_SET_GS) failed");
}

#define	GS_OFF(idx)	((uintptr_t)(idx) * sizeof(struct gs_counters))
#define	GS_ADD(idx, field, v)						\
	__asm volatile("addq %1, %%gs:%c2(%0)" : :			\
	    "r" (GS_OFF(idx)), "er" ((uint64_t)(v)),			\
	    "i" (offsetof(struct gs_counters, field)) : "memory")
#define	GS_OR(idx, field, v)						\
	__asm volatile("orq %1, %%gs:%c2(%0)" : :			\
	    "r" (GS_OFF(idx)), "er" ((uint64_t)(v)),			\
	    "i" (offsetof(struct gs_counters, field)) : "memory")
#define	GS_LOAD(idx, field, out)					\
	__asm volatile("movq %%gs:%c2(%1), %0" : "=r" (out) :		\
	    "r" (GS_OFF(idx)), "i" (offsetof(struct gs_counters, field)))

/* Fold this CPU's unfolded bytes: the load and the add on one CPU. */
static void __noinline
gs_fold(u_int idx)
{
	lwp_t *l = curlwp;
	int64_t bytes;

	KPREEMPT_DISABLE(l);
	GS_LOAD(idx, gs_bytes, bytes);
	GS_ADD(idx, gs_bytes, -(uint64_t)bytes);
	malloc_fold(malloc_type_table[idx], bytes);
	KPREEMPT_ENABLE(l);
}

static inline __always_inline void *
malloc_count_alloc(u_int idx, size_t size, void *addr)
{
	uint64_t sizes;
	int64_t bytes;

	if (__predict_false(idx >= GS_NTYPES))
		panic("count_gs.h: type index %u", idx);
	GS_ADD(idx, gs_allocs, 1);
	GS_ADD(idx, gs_bytes, size);
	/* a class already seen needs no write; an OR is one instruction */
	GS_LOAD(idx, gs_sizes, sizes);
	if (__predict_false((sizes & malloc_sizebit(size)) == 0))
		GS_OR(idx, gs_sizes, malloc_sizebit(size));
	GS_LOAD(idx, gs_bytes, bytes);
	if (__predict_false(bytes >= MALLOC_FOLD))
		gs_fold(idx);
	return addr;
}

/* As count_adds.h: the benchmark's allocations never fail. */
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
	int64_t bytes;

	if (__predict_false(malloc_cpu_table[idx] == NULL))
		panic("free(%p): bad type index %u in header", addr, idx);
	GS_ADD(idx, gs_frees, 1);
	GS_ADD(idx, gs_bytes, -(uint64_t)reqsize);
	GS_LOAD(idx, gs_bytes, bytes);
	if (__predict_false(bytes <= -MALLOC_FOLD))
		gs_fold(idx);
	kmem_intr_free(base, allocsize);
}
