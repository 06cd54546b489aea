/*-
 * Copyright (c) 2026 The kmem2malloc project.  All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions
 * are met:
 * 1. Redistributions of source code must retain the above copyright
 *    notice, this list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright
 *    notice, this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 *
 * THIS SOFTWARE IS PROVIDED BY THE AUTHOR AND CONTRIBUTORS ``AS IS'' AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED.  IN NO EVENT SHALL THE AUTHOR OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS
 * OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION)
 * HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
 * LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY
 * OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF
 * SUCH DAMAGE.
 */

/*
 * malloc(9) with real types on top of kmem(9).
 *
 * The memory comes from kmem_intr_alloc() with a small header in front,
 * as before.  What is new is the type: every allocation is charged to a
 * struct malloc_type, and the type's index is kept in the header so that
 * free() charges the type that allocated, whatever its caller says.
 *
 * Accounting is per CPU: each type has one coherency unit of counters
 * per CPU, written only by that CPU, so the fast path takes no lock and
 * does no atomic operation on a shared line.  The bytes in use
 * are also folded into one per-type total, but only when a CPU's
 * unfolded share reaches MALLOC_FOLD bytes either way; the high-water
 * mark and the limit are kept against that total, so they are exact to
 * within maxcpus * MALLOC_FOLD bytes (in practice the number of CPUs
 * that allocate or free the type, times MALLOC_FOLD).
 *
 * Each counter update is exact under interrupts (handlers may
 * malloc(M_NOWAIT) and free() on any CPU) and under preemption: on amd64
 * it is one add instruction, with preemption disabled around the slot's
 * computation and the adds; elsewhere it is done at IPL_VM, as
 * pool_cache(9) guards its per-CPU caches.  See MALLOC_PCPU_ENTER below.
 *
 * The header is 8 bytes on LP64, as NetBSD's has been:
 *	mh_size		32 bits: header + request, or MH_SIZE_BIG
 *	mh_type		16 bits: index in malloc_type_table
 *	mh_magic	16 bits: MH_MAGIC_ALLOC, after free() MH_MAGIC_FREE
 * Requests of a page or more get a whole extra page in front so the
 * pointer stays page-aligned; the real allocation size (any size_t) is
 * kept at the start of that page and mh_size says MH_SIZE_BIG.
 *
 * A type defined with MALLOC_DEFINE_SIZED (MALLOC_TYPE_SIZED) has no
 * header: every free of its memory passes the size, so malloc() gives
 * kmem_intr_alloc(size) as it is (kmem's alignment, caches and size
 * check; no byte added) and free() charges the type it is given.  Under
 * DIAGNOSTIC such a block ends in an 8-byte footer (type index, size,
 * magic), found by the size free() is given, to catch a wrong type, a
 * wrong size and double frees; not where it would cost a page.
 *
 * Options (opt_malloc.h): MALLOC_CHECK_INTR, interrupt-context checks;
 * MALLOC_SIZED_FREE, the free(addr, type, size) form of <sys/malloc.h>;
 * MALLOC_COUNT_SPL, the portable (IPL_VM) counting on amd64 too;
 * MALLOC_DEBUG_TYPES, for test kernels, every header-less block's type
 * and size recorded on the side, so that every wrong free panics;
 * MALLOC_SITES (opt_malloc_sites.h, which <sys/malloc.h> includes, as
 * its macros need it too), blocks and bytes by call site: the header
 * grows by the site's number (a header-less block's is kept in the
 * table MALLOC_DEBUG_TYPES keeps, which this option keeps too), and
 * free() charges that site.
 */

#include <sys/cdefs.h>
__KERNEL_RCSID(0, "$NetBSD$");

#ifdef _KERNEL_OPT
#include "opt_malloc.h"
#endif

#define	__MALLOC_PRIVATE

#include <sys/param.h>
#include <sys/types.h>
#include <sys/atomic.h>
#include <sys/cpu.h>
#include <sys/intr.h>
#include <sys/kmem.h>
#include <sys/lwp.h>
#include <sys/malloc.h>
#include <sys/mutex.h>
#include <sys/sysctl.h>
#include <sys/systm.h>
#include <sys/xcall.h>

#ifdef MALLOC_SITES
/*
 * <sys/malloc.h> made the helpers macros that pass their caller's site;
 * this file defines and calls the functions themselves.
 */
#undef	malloc_asprintf
#undef	malloc_strdupsize
#undef	malloc_strndup
#undef	malloc_tmpbuf_alloc
#ifdef MALLOC_COUNT_ALT
#error "MALLOC_SITES counts with the kernel's per-CPU counting only"
#endif
#endif

/*
 * Built-in malloc types.
 */
MALLOC_DEFINE(M_DEVBUF, "devbuf", "device driver memory");
MALLOC_DEFINE(M_DMAMAP, "DMA map", "bus_dma(9) structures");
MALLOC_DEFINE(M_FREE, "free", "should be on free list");
MALLOC_DEFINE(M_TEMP, "temp", "misc. temporary data buffers");
MALLOC_DEFINE(M_RTABLE, "routetbl", "routing tables");
MALLOC_DEFINE(M_FTABLE, "fragtbl", "fragment reassembly header");
MALLOC_DEFINE(M_UFSMNT, "UFS mount", "UFS mount structure");
MALLOC_DEFINE(M_NETADDR, "Export Host", "Export host address structure");
MALLOC_DEFINE(M_MRTABLE, "mrt", "multicast routing tables");

/*
 * Memory of a type detached while some of it was allocated is charged
 * here from then on.
 */
static MALLOC_JUSTDEFINE(M_DETACHED, "(detached)",
    "memory of types unloaded while in use");

struct malloc_header {
	uint32_t	mh_size;	/* header + request, or MH_SIZE_BIG */
	uint16_t	mh_type;	/* index in malloc_type_table */
	uint16_t	mh_magic;	/* MH_MAGIC_ALLOC or MH_MAGIC_FREE */
#ifdef MALLOC_SITES
	uint32_t	mh_site;	/* the call site's number, 0: none */
#endif
} __aligned(ALIGNBYTES + 1);

/*
 * Its 8 bytes, padded to one unit of malloc's alignment: 16 bytes where
 * ALIGNBYTES is 15 (aarch64, riscv, sparc64).  With MALLOC_SITES 12,
 * padded likewise: 16 on LP64 (a block keeps the alignment it had).
 */
#ifdef MALLOC_SITES
__CTASSERT(sizeof(struct malloc_header) == roundup(12, ALIGNBYTES + 1));
#else
__CTASSERT(sizeof(struct malloc_header) == MAX(8, ALIGNBYTES + 1));
#endif

#define	MH_SIZE_BIG	UINT32_MAX
#define	MH_MAGIC_ALLOC	0x6d61		/* "ma" */
#define	MH_MAGIC_FREE	0x6672		/* "fr" */

/*
 * The footer of a header-less block under DIAGNOSTIC, at addr + size
 * (not aligned: copied in and out).
 */
struct malloc_footer {
	uint32_t	mf_size;	/* the request, low 32 bits */
	uint16_t	mf_type;	/* index in malloc_type_table */
	uint16_t	mf_magic;	/* MF_MAGIC_ALLOC or MF_MAGIC_FREE */
};

#define	MF_MAGIC_ALLOC	0x6d73		/* "ms" */
#define	MF_MAGIC_FREE	0x6673		/* "fs" */

/*
 * A block of size bytes has a footer if it costs kmem's alignment
 * nothing and fits in the slack of the block's last page, so that it
 * never costs a page (kmem checks no size of its page-sized blocks
 * either); free() knows by the size.  Alignment: kmem's caches are
 * multiples of 8, aligned to COHERENCY_UNIT (NetBSD-current) or to the
 * largest power of two that divides their size (NetBSD 7: the 16-byte
 * cache is 16-aligned, the 24-byte one 8).  A request that rounds to an
 * odd multiple of 8 is 8-aligned at worst, and with the footer rounds to
 * the even multiple above it, in a cache aligned no less; one that
 * rounds to an even multiple would move to an 8-aligned cache: no
 * footer there (16, 32, 64 ... bytes: the 7.99 rump kernel's alignment
 * sweep found them 8-aligned).
 */
#ifdef DIAGNOSTIC
#define	MALLOC_FOOTER(size)						\
	((roundup2((size), 8) & 8) != 0 &&				\
	    ((size) & (PAGE_SIZE - 1)) != 0 &&				\
	    ((size) & (PAGE_SIZE - 1)) <= PAGE_SIZE - sizeof(struct malloc_footer) ? \
	    sizeof(struct malloc_footer) : 0)
#else
#define	MALLOC_FOOTER(size)	0
#endif

/*
 * Recorded blocks, M_RECORDED(type) (see <sys/malloc.h>): the type and
 * size of each, in chains hashed by address, so that a free naming no
 * type (M_ASALLOCATED) charges the right one.  Only those allocations
 * and frees pay: a record from kmem, and one spin mutex at IPL_VM, since
 * interrupt handlers allocate and free; every other call tests a bit.
 */
#define	MALLOC_REC_BUCKETS	256
struct malloc_rec {
	struct malloc_rec	*mr_next;
	void			*mr_addr;
	struct malloc_type	*mr_type;
	size_t			mr_size;	/* the request */
};
static kmutex_t malloc_rec_lock;
static struct malloc_rec *malloc_rec_hash[MALLOC_REC_BUCKETS];
static volatile u_int malloc_rec_count;	/* records: none, no lookup */

#if defined(MALLOC_DEBUG_TYPES) || defined(MALLOC_SITES)
/*
 * The table of header-less blocks, kept by two options.
 * MALLOC_DEBUG_TYPES: the footer cannot be everywhere (page multiples,
 * sizes a few bytes under one, requests where it would cost kmem's
 * alignment), so a test kernel keeps every live header-less block's
 * address, size and type index in a table on the side, and every free
 * of one is checked against it, whatever the size.  MALLOC_SITES: a
 * header-less block has no header to keep its site's number in, so the
 * table keeps it (md_site) for every block a site allocated, and the
 * free charges that site.  Open addressing with linear probing, in
 * static memory: nothing to allocate (least of all from malloc), usable
 * from the first allocation on.  One spin mutex at IPL_VM, since
 * interrupt handlers allocate and free; a debugging option can afford
 * to serialize every header-less malloc and free.
 * MALLOC_DEBUG_TYPES_SLOTS (a power of 2) bounds it: a probe must
 * always end at an empty slot, and a longer probe would slow
 * everything, so at most 7/8 of it is used: more panics under
 * MALLOC_DEBUG_TYPES; under MALLOC_SITES alone the block is not
 * recorded and its site says MALLOC_SITE_NOFREE (a leak being hunted
 * must not panic the kernel).
 */
#define	MALLOC_TABLE
#ifndef MALLOC_DEBUG_TYPES_SLOTS
#define	MALLOC_DEBUG_TYPES_SLOTS	(1 << 18)	/* 6 MiB on LP64 */
#endif
#define	MALLOC_DEBUG_MAX	(MALLOC_DEBUG_TYPES_SLOTS / 8 * 7)
__CTASSERT((MALLOC_DEBUG_TYPES_SLOTS & (MALLOC_DEBUG_TYPES_SLOTS - 1)) == 0);

struct malloc_debug {
	uintptr_t	md_addr;	/* 0: an empty slot */
	size_t		md_size;	/* the request */
	u_int		md_index;	/* the type's, in malloc_type_table */
#ifdef MALLOC_SITES
	u_int		md_site;	/* its call site's number, 0: none */
#endif
};

static kmutex_t malloc_debug_lock;	/* spin (IPL_VM): the table */
static struct malloc_debug malloc_debug_table[MALLOC_DEBUG_TYPES_SLOTS];
static u_int malloc_debug_count;
#endif

#ifndef MALLOC_FOLD
#define	MALLOC_FOLD	(64 * 1024)	/* see the comment at the top */
#endif
#define	MALLOC_MAXTYPES	(UINT16_MAX + 1)	/* index 0 means "none" */

/*
 * What a type's attach allocates: its struct malloc_type_internal and
 * maxcpus per-CPU counter blocks after it, and one coherency unit more
 * to align them.
 */
#define	MALLOC_TYPEMEM_SIZE						\
	(sizeof(struct malloc_type_internal) +				\
	    (maxcpus + 1) * sizeof(struct malloc_type_cpu))

static kmutex_t malloc_lock;		/* spin: the table, the list */
static kmutex_t malloc_detach_lock;	/* adaptive: detach vs. readers */
static struct malloc_type_internal *malloc_type_table[MALLOC_MAXTYPES];
/* malloc_type_table[i]->mti_cpu, one dependent load less on free() */
static struct malloc_type_cpu *malloc_cpu_table[MALLOC_MAXTYPES];
static struct malloc_type_internal *malloc_type_list;
static volatile u_int malloc_state;	/* MALLOC_STATE_* */

#define	MALLOC_STATE_COLD	0	/* nothing done yet */
#define	MALLOC_STATE_INIT	1	/* malloc_init() running */
#define	MALLOC_STATE_READY	2

__link_set_decl(malloc_types, struct malloc_type);

static int malloc_type_setup(struct malloc_type *, km_flag_t);

static const char *
typename(const struct malloc_type *ks)
{

	return ks != NULL && ks->ks_magic == M_MAGIC ? ks->ks_shortdesc : "?";
}

/* The name of the type at index idx, for messages. */
static const char *
indexname(u_int idx)
{
	const struct malloc_type_internal *mti = malloc_type_table[idx];

	return mti != NULL ? typename(mti->mti_type) : "?";
}

/*
 * The locks, M_DETACHED and the kernel's link set of types.  Done by
 * the first of malloc_init(), the first allocation, the first attach and
 * the first read of the statistics, whichever comes first; later callers
 * wait for it.  With KM_NOSLEEP (the first allocation being M_NOWAIT), a
 * type whose counters cannot be had now is attached on its first use.
 */
static void
malloc_ready(km_flag_t kmflags)
{
	struct malloc_type * const *ksp;

	if (__predict_true(malloc_state == MALLOC_STATE_READY))
		return;
	if (atomic_cas_uint(&malloc_state, MALLOC_STATE_COLD,
	    MALLOC_STATE_INIT) != MALLOC_STATE_COLD) {
		while (malloc_state != MALLOC_STATE_READY)
			continue;
		membar_consumer();
		return;
	}
	mutex_init(&malloc_lock, MUTEX_DEFAULT, IPL_VM);
	mutex_init(&malloc_detach_lock, MUTEX_DEFAULT, IPL_NONE);
	mutex_init(&malloc_rec_lock, MUTEX_DEFAULT, IPL_VM);
#ifdef MALLOC_TABLE
	mutex_init(&malloc_debug_lock, MUTEX_DEFAULT, IPL_VM);
#endif
	(void)malloc_type_setup(M_DETACHED, kmflags);
	__link_set_foreach(ksp, malloc_types)
		(void)malloc_type_setup(*ksp, kmflags);
	membar_producer();
	malloc_state = MALLOC_STATE_READY;
}

void
malloc_init(void)
{

	malloc_ready(KM_SLEEP);
}

/*
 * Add delta bytes to the type's total; raise the high-water mark if the
 * total passed it.
 */
static void
malloc_fold(struct malloc_type_internal *mti, int64_t delta)
{
	int64_t total, hwm;

	total = (int64_t)atomic_add_64_nv((volatile uint64_t *)&mti->mti_total,
	    delta);
	while ((hwm = mti->mti_hwm) < total) {
		if (atomic_cas_64((volatile uint64_t *)&mti->mti_hwm,
		    (uint64_t)hwm, (uint64_t)total) == (uint64_t)hwm)
			break;
	}
}

/*
 * The size class of a request, as old vmstat -m's buckets: bit k for
 * 2^(k-1) < size <= 2^k, 16 bytes or less in bit 4 (0 bytes: none).
 */
static inline __always_inline uint64_t
malloc_sizebit(size_t size)
{

	/* 2^k for the k bits of (size - 1) | 15, without a branch; 0 for 0 */
	return (uint64_t)2 << (63 - __builtin_clzll(((uint64_t)size - 1) | 15));
}

/*
 * Counting: malloc_count_alloc(), malloc_count_fail() and
 * malloc_release(), below.  The harness's benchmark builds put another
 * counting in their place (MALLOC_COUNT_ALT names a file of theirs), to
 * measure what the per-CPU counters cost and what they buy; a kernel
 * never does.
 */
#ifdef MALLOC_COUNT_ALT
#include MALLOC_COUNT_ALT
#else
/*
 * A section in which this LWP stays on its CPU and updates that CPU's
 * counters, each update exact under interrupts.  On amd64 an update is
 * one add to memory without a lock prefix (malloc_pcpu_add): an
 * interrupt on this CPU comes before or after it, never inside, and no
 * other CPU writes the line; so the section need only keep the LWP from
 * migrating between computing the slot and the last add, which the
 * inline KPREEMPT_DISABLE()/KPREEMPT_ENABLE() of <sys/lwp.h> do for an
 * increment and a decrement of curlwp->l_nopreempt.  Elsewhere an update
 * is a load, an add and a store, which an interrupt handler that also
 * allocates could split; there (and with option MALLOC_COUNT_SPL) the
 * section is at IPL_VM, as pool_cache(9)'s per-CPU caches are.
 */
#if defined(__x86_64__) && !defined(MALLOC_COUNT_SPL)
typedef lwp_t *malloc_pcpu_t;
#define	MALLOC_PCPU_ENTER(c)	do { (c) = curlwp; KPREEMPT_DISABLE(c); } while (0)
/* the LWP's CPU, which it cannot leave in the section: no 2nd curcpu() */
#define	MALLOC_PCPU_CPU(c)	((c)->l_cpu)

/*
 * KPREEMPT_ENABLE(), but for its call of kpreempt(): true if one is due,
 * for the caller to make through malloc_kpreempt(), out of line, so that
 * the common case needs no stack frame.
 */
static inline __always_inline bool
malloc_pcpu_exit(lwp_t *l)
{

	KASSERT(l->l_nopreempt > 0);
	__insn_barrier();
	l->l_nopreempt--;
	__insn_barrier();
	return __predict_false(l->l_dopreempt != 0);
}

static inline __always_inline void
malloc_pcpu_add(volatile uint64_t *p, uint64_t v)
{

	__asm volatile("addq %1, %0" : "+m" (*p) : "er" (v));
}

static inline __always_inline void
malloc_pcpu_or(volatile uint64_t *p, uint64_t v)
{

	__asm volatile("orq %1, %0" : "+m" (*p) : "er" (v));
}
#else
typedef int malloc_pcpu_t;
#define	MALLOC_PCPU_ENTER(c)	((c) = splvm())
#define	MALLOC_PCPU_CPU(c)	curcpu()
#define	malloc_pcpu_add(p, v)	(*(p) += (v))
#define	malloc_pcpu_or(p, v)	(*(p) |= (v))

static inline __always_inline bool
malloc_pcpu_exit(int s)
{

	splx(s);
	return false;
}
#endif

static void __noinline
malloc_kpreempt(void)
{

	(void)kpreempt(0);
}

/* malloc_kpreempt(), then the free's kmem_intr_free(). */
static void __noinline
malloc_kpreempt_free(void *base, size_t allocsize)
{

	malloc_kpreempt();
	kmem_intr_free(base, allocsize);
}

static void __noinline __dead
malloc_badindex(void *addr, u_int idx)
{

	panic("free(%p): bad type index %u in header", addr, idx);
}

/*
 * Fold this CPU's unfolded bytes into mti_total: done when they reached
 * MALLOC_FOLD either way, so they always stay within (-MALLOC_FOLD,
 * MALLOC_FOLD) give or take what interrupts add meanwhile.  The caller
 * is in its section: an interrupt between the load and the subtraction
 * leaves its own bytes in mtc_bytes, and detach cannot free the type
 * under it.
 */
static void __noinline
malloc_cpu_fold(u_int idx, struct malloc_type_cpu *mtc)
{
	int64_t bytes = mtc->mtc_bytes;

	KASSERT(kpreempt_disabled());
	malloc_pcpu_add((volatile uint64_t *)&mtc->mtc_bytes,
	    -(uint64_t)bytes);
	malloc_fold(malloc_type_table[idx], bytes);
}

/*
 * The rest of malloc_count_alloc() when this CPU's unfolded bytes
 * reached MALLOC_FOLD: out of line, so that the common case keeps
 * nothing across a call.
 */
static void * __noinline
malloc_count_alloc_fold(u_int idx, struct malloc_type_cpu *mtc, void *addr,
    malloc_pcpu_t c)
{

	malloc_cpu_fold(idx, mtc);
	if (malloc_pcpu_exit(c))
		malloc_kpreempt();
	return addr;
}

/*
 * Charge a successful allocation of size bytes to the type at index idx
 * (attached: its caller allocates from it); addr, for the caller to
 * return.
 */
static inline __always_inline void *
malloc_count_alloc(u_int idx, size_t size, void *addr)
{
	struct malloc_type_cpu *mtc;
	malloc_pcpu_t c;

	MALLOC_PCPU_ENTER(c);
	mtc = malloc_cpu_table[idx] + cpu_index(MALLOC_PCPU_CPU(c));
	malloc_pcpu_add(&mtc->mtc_allocs, 1);
	malloc_pcpu_add((volatile uint64_t *)&mtc->mtc_bytes, size);
	/* an OR lost to an interrupt would be a class lost: one instruction */
	if (__predict_false((mtc->mtc_sizes & malloc_sizebit(size)) == 0))
		malloc_pcpu_or(&mtc->mtc_sizes, malloc_sizebit(size));
	if (__predict_false(mtc->mtc_bytes >= MALLOC_FOLD))
		return malloc_count_alloc_fold(idx, mtc, addr, c);
	if (malloc_pcpu_exit(c)) {
		malloc_kpreempt();
		return addr;
	}
	return addr;
}

/*
 * Charge a failed allocation to the type; NULL, for the caller to
 * return.
 */
static void * __noinline
malloc_count_fail(struct malloc_type_internal *mti)
{
	malloc_pcpu_t c;

	MALLOC_PCPU_ENTER(c);
	malloc_pcpu_add(
	    &mti->mti_cpu[cpu_index(MALLOC_PCPU_CPU(c))].mtc_fails, 1);
	if (malloc_pcpu_exit(c))
		malloc_kpreempt();
	return NULL;
}

/*
 * The rest of malloc_release() when this CPU's unfolded bytes reached
 * -MALLOC_FOLD: out of line, so that the common case keeps nothing
 * across a call.
 */
static void __noinline
malloc_release_fold(u_int idx, struct malloc_type_cpu *mtc, void *base,
    size_t allocsize, malloc_pcpu_t c)
{

	malloc_cpu_fold(idx, mtc);
	if (malloc_pcpu_exit(c))
		malloc_kpreempt();
	kmem_intr_free(base, allocsize);
}

/*
 * Charge a free of reqsize bytes to the type at index idx, and give the
 * block (base, allocsize, as kmem gave it) back.  The table is read in
 * the section: malloc_type_detach() relies on it.
 */
static inline __always_inline void
malloc_release(void *addr, u_int idx, size_t reqsize, void *base,
    size_t allocsize)
{
	struct malloc_type_cpu *mtc;
	malloc_pcpu_t c;

	MALLOC_PCPU_ENTER(c);
	mtc = malloc_cpu_table[idx];
	if (__predict_false(mtc == NULL))
		malloc_badindex(addr, idx);
	mtc += cpu_index(MALLOC_PCPU_CPU(c));
	malloc_pcpu_add(&mtc->mtc_frees, 1);
	malloc_pcpu_add((volatile uint64_t *)&mtc->mtc_bytes, -(uint64_t)reqsize);
	if (__predict_false(mtc->mtc_bytes <= -MALLOC_FOLD)) {
		malloc_release_fold(idx, mtc, base, allocsize, c);
		return;
	}
	if (malloc_pcpu_exit(c)) {
		malloc_kpreempt_free(base, allocsize);
		return;
	}
	kmem_intr_free(base, allocsize);
}
#endif /* !MALLOC_COUNT_ALT */

#ifdef MALLOC_SITES
/*
 * Option MALLOC_SITES: blocks and bytes by call site.  Every malloc(),
 * realloc() and helper call passes a static record of its place
 * (<sys/malloc.h>); the site's first allocation numbers it, from 1 (0:
 * no site), and a block's header keeps the number, so that its free
 * charges the site that allocated it, whoever frees it.
 *
 * What is known of site i is in chunk i / MALLOC_SITE_CHUNK, allocated
 * when its first site is numbered and never freed: a copy of the
 * site's name (the record itself may be a module's, gone on unload while
 * the module's memory lives on) and its per-CPU counters, CPU-major:
 * each CPU's counters of a chunk's sites are one run of cache lines of
 * its own, which only that CPU writes, as a type's are, but at 24
 * bytes a site instead of a coherency unit.  They are updated as the
 * types' are (MALLOC_PCPU_ENTER, above), in a section of their own.
 * Nothing is folded: a site has no limit and no high-water mark.
 */
#define	MALLOC_SITE_CHUNK	64	/* sites a chunk: 1536 bytes a CPU */
#define	MALLOC_SITE_MAXCHUNKS	1024	/* so 65535 sites */

struct malloc_site_cpu {
	uint64_t	msc_allocs;	/* successful allocations */
	uint64_t	msc_frees;	/* frees of them */
	int64_t		msc_bytes;	/* bytes allocated minus freed here */
};
__CTASSERT(MALLOC_SITE_CHUNK * sizeof(struct malloc_site_cpu) %
    COHERENCY_UNIT == 0);

struct malloc_site_info {
	char		msi_file[MALLOC_SITE_FILELEN];	/* its path in sys/ (its end) */
	char		msi_func[MALLOC_SITE_FUNCLEN];
	char		msi_type[MALLOC_STATS_NAMELEN];	/* its first type */
	u_int		msi_line;
	volatile u_int	msi_flags;	/* MALLOC_SITE_*: only ever set */
};

/* A chunk: the names, then (aligned) maxcpus runs of counters. */
struct malloc_site_chunk {
	struct malloc_site_info	msk_info[MALLOC_SITE_CHUNK];
};
#define	MALLOC_SITE_CHUNKSIZE						\
	(sizeof(struct malloc_site_chunk) + COHERENCY_UNIT +		\
	    (size_t)maxcpus * MALLOC_SITE_CHUNK *			\
	    sizeof(struct malloc_site_cpu))

static struct malloc_site_chunk *malloc_site_chunks[MALLOC_SITE_MAXCHUNKS];
/* malloc_site_chunks[k]'s counters */
static struct malloc_site_cpu *malloc_site_cpus[MALLOC_SITE_MAXCHUNKS];
static volatile u_int malloc_site_next = 1; /* the next number; malloc_lock */
static volatile u_int malloc_sites_lost; /* allocations left without site */

/*
 * A record of this file's own, never used: so that the link set exists
 * in a kernel with no other (NetBSD's __link_set_decl needs its start).
 */
static struct malloc_site malloc_site_anchor = {
	.ms_file = __FILE__, .ms_func = "(anchor)", .ms_line = __LINE__,
};
__link_set_add_data(malloc_sites, malloc_site_anchor);
__link_set_decl(malloc_sites, struct malloc_site);

static inline __always_inline struct malloc_site_cpu *
malloc_site_cpu(u_int si, u_int ci)
{

	return malloc_site_cpus[si / MALLOC_SITE_CHUNK] +
	    ci * MALLOC_SITE_CHUNK + si % MALLOC_SITE_CHUNK;
}

static inline __always_inline struct malloc_site_info *
malloc_site_info(u_int si)
{

	return &malloc_site_chunks[si / MALLOC_SITE_CHUNK]->
	    msk_info[si % MALLOC_SITE_CHUNK];
}

static inline void
malloc_site_setflag(u_int si, u_int flag)
{
	struct malloc_site_info *msi = malloc_site_info(si);

	if ((msi->msi_flags & flag) == 0)
		atomic_or_uint(&msi->msi_flags, flag);
}

/* Charge the free of a block of size bytes to site si (0: none). */
static inline __always_inline void
malloc_site_free(u_int si, size_t size)
{
	struct malloc_site_cpu *msc;
	malloc_pcpu_t c;

	if (si == 0)
		return;
	MALLOC_PCPU_ENTER(c);
	msc = malloc_site_cpu(si, cpu_index(MALLOC_PCPU_CPU(c)));
	malloc_pcpu_add(&msc->msc_frees, 1);
	malloc_pcpu_add((volatile uint64_t *)&msc->msc_bytes,
	    -(uint64_t)size);
	if (malloc_pcpu_exit(c))
		malloc_kpreempt();
}
#else
#define	malloc_site_free(si, size)	((void)0)
#endif /* MALLOC_SITES */

struct malloc_sum {
	int64_t		bytes;
	uint64_t	allocs;
	uint64_t	frees;
	uint64_t	fails;
	uint64_t	sizes;
};

/*
 * Sum a type's counters over the CPUs.  Exact if nothing allocates or
 * frees the type meanwhile; otherwise each CPU's share is a moment apart.
 */
static void
malloc_type_sum(const struct malloc_type_internal *mti, struct malloc_sum *s)
{
	const struct malloc_type_cpu *mtc;
	u_int c;

	memset(s, 0, sizeof(*s));
	s->bytes = mti->mti_total;
	s->allocs = mti->mti_moved;
	s->sizes = mti->mti_sizes;
	for (c = 0; c < maxcpus; c++) {
		mtc = &mti->mti_cpu[c];
		s->bytes += mtc->mtc_bytes;
		s->allocs += mtc->mtc_allocs;
		s->frees += mtc->mtc_frees;
		s->fails += mtc->mtc_fails;
		s->sizes |= mtc->mtc_sizes;
	}
}

/*
 * Give a type its index, its struct malloc_type_internal and its per-CPU
 * counters.
 */
static int
malloc_type_setup(struct malloc_type *ks, km_flag_t kmflags)
{
	struct malloc_type_internal *mti;
	void *mem;
	u_int i;

	if (ks->ks_magic != M_MAGIC)
		panic("malloc_type_attach: bad magic in type %p", ks);
	if (ks->ks_handle != NULL)
		return 0;
	mem = kmem_intr_zalloc(MALLOC_TYPEMEM_SIZE, kmflags);
	if (mem == NULL)
		return ENOMEM;
	mutex_enter(&malloc_lock);
	if (ks->ks_handle != NULL) {		/* raced with another attach */
		mutex_exit(&malloc_lock);
		kmem_intr_free(mem, MALLOC_TYPEMEM_SIZE);
		return 0;
	}
	for (i = 1; i < MALLOC_MAXTYPES; i++)
		if (malloc_type_table[i] == NULL)
			break;
	if (i == MALLOC_MAXTYPES)
		panic("malloc_type_attach: more than %d types",
		    MALLOC_MAXTYPES - 1);
	mti = (void *)roundup2((uintptr_t)mem, COHERENCY_UNIT);
	mti->mti_mem = mem;
	mti->mti_cpu = (struct malloc_type_cpu *)(mti + 1);
	mti->mti_index = i;
	mti->mti_slowflags = M_ZERO;
	mti->mti_type = ks;
	mti->mti_next = malloc_type_list;
	malloc_type_table[i] = mti;
	malloc_cpu_table[i] = mti->mti_cpu;
	membar_producer();
	malloc_type_list = mti;		/* readers walk the list unlocked */
	ks->ks_handle = mti;
	mutex_exit(&malloc_lock);
	return 0;
}

/*
 * Register a type: the kernel's types are registered by malloc_init(),
 * a module registers its own on load.  A type that is used before it is
 * registered is registered then.
 */
void
malloc_type_attach(struct malloc_type *ks)
{

	malloc_ready(KM_SLEEP);
	(void)malloc_type_setup(ks, KM_SLEEP);
}

static void
malloc_xc_nop(void *arg1, void *arg2)
{
}

/*
 * Unregister a type (a module being unloaded).  Nothing may allocate
 * from it any more, but some of its memory may still be allocated, and
 * freed later.  Then say so, and charge that memory to M_DETACHED: its
 * table slot points there from now on and is never reused, so a later
 * free touches nothing of the module.  A clean detach frees the slot.
 */
void
malloc_type_detach(struct malloc_type *ks)
{
	struct malloc_type_internal **mp, *mti, *det;
	struct malloc_sum s;
	u_int i;

	if (ks == M_DETACHED)
		panic("malloc_type_detach: %s", M_DETACHED->ks_shortdesc);
	malloc_ready(KM_SLEEP);
	(void)malloc_type_setup(M_DETACHED, KM_SLEEP);
	det = M_DETACHED->ks_handle;
	mutex_enter(&malloc_detach_lock);
	mutex_enter(&malloc_lock);
	if ((mti = ks->ks_handle) == NULL) {
		mutex_exit(&malloc_lock);
		mutex_exit(&malloc_detach_lock);
		return;
	}
	for (mp = &malloc_type_list; *mp != mti; mp = &(*mp)->mti_next)
		continue;
	*mp = mti->mti_next;
	i = mti->mti_index;
	malloc_type_table[i] = det;
	malloc_cpu_table[i] = det->mti_cpu;
	ks->ks_handle = NULL;
	mutex_exit(&malloc_lock);

	/*
	 * A free() on another CPU may have read the old table entry; it
	 * does so at IPL_VM, and is done with the type once that CPU has
	 * run a cross call.  Then the counters are final.
	 */
	xc_wait(xc_broadcast(0, malloc_xc_nop, NULL, NULL));
	malloc_type_sum(mti, &s);
	if (s.bytes != 0 || s.allocs != s.frees) {
		printf("malloc: type %s detached with %ju allocations, "
		    "%jd bytes in use; charged to %s from now on\n",
		    ks->ks_shortdesc, (uintmax_t)(s.allocs - s.frees),
		    (intmax_t)s.bytes, M_DETACHED->ks_shortdesc);
		atomic_add_64(&det->mti_moved, s.allocs - s.frees);
		/*
		 * Only a detach writes the detached type's sizes, under
		 * malloc_detach_lock (not atomic_or_64: NetBSD 7 has none
		 * for rump kernels); a reader may see the mask half-way
		 * on a 32-bit machine, for one read.
		 */
		det->mti_sizes |= s.sizes;
		malloc_fold(det, s.bytes);
	} else {
		mutex_enter(&malloc_lock);
		malloc_type_table[i] = NULL;
		malloc_cpu_table[i] = NULL;
		mutex_exit(&malloc_lock);
	}
	mutex_exit(&malloc_detach_lock);
	kmem_intr_free(mti->mti_mem, MALLOC_TYPEMEM_SIZE);
}

/*
 * Limit a type's bytes in use (0: no limit), as NetBSD 5's ks_limit.
 * An M_NOWAIT request that would go over it fails.  M_WAITOK requests
 * are never refused: they may not fail, and sleeping until someone
 * frees memory of the type could wait forever.
 */
void
malloc_type_setlimit(struct malloc_type *ks, uint64_t limit)
{

	struct malloc_type_internal *mti;

	malloc_type_attach(ks);
	mti = ks->ks_handle;
	mti->mti_limit = MIN(limit, (uint64_t)INT64_MAX);
	mti->mti_slowflags = M_ZERO | (limit != 0 ? M_NOWAIT : 0);
}

static void
malloc_check_flags(unsigned long size, struct malloc_type *ks, int flags)
{

#ifdef MALLOC_CHECK_INTR
	if (__predict_false((flags & (M_INTR | M_NOWAIT)) == M_INTR))
		panic("malloc(%lu, %s): M_INTR without M_NOWAIT", size,
		    typename(ks));
	if (__predict_false((flags & M_NOWAIT) == 0 && cpu_intr_p()))
		panic("malloc(%lu, %s): M_WAITOK in interrupt context", size,
		    typename(ks));
#endif
	if ((flags & M_NOWAIT) == 0)
		ASSERT_SLEEPABLE();
}

/*
 * A request no kernel could ever satisfy: more than all of memory.  With
 * M_NOWAIT or M_CANFAIL it fails; M_WAITOK alone may not fail, so panic.
 */
static bool __noinline
malloc_toobig(unsigned long size, struct malloc_type *ks, int flags)
{

	if (__predict_true((uint64_t)size <= (uint64_t)physmem * PAGE_SIZE))
		return false;
	if ((flags & (M_NOWAIT | M_CANFAIL)) == 0)
		panic("malloc(%lu, %s): more than all memory, without "
		    "M_CANFAIL", size, typename(ks));
	return true;
}

/*
 * A type's first allocation: attach it (and everything, the first time).
 * Its state, or NULL if its counters could not be allocated (KM_NOSLEEP).
 */
static struct malloc_type_internal * __noinline
malloc_first_use(struct malloc_type *ks, km_flag_t kmflags)
{

	malloc_ready(kmflags);
	if (malloc_type_setup(ks, kmflags) != 0)
		return NULL;
	return ks->ks_handle;
}

#ifdef MALLOC_TABLE
static u_int
malloc_debug_hash(uintptr_t addr)
{
	uint64_t h = (uint64_t)addr * 0x9e3779b97f4a7c15ULL;

	return (u_int)(h >> 32) & (MALLOC_DEBUG_TYPES_SLOTS - 1);
}

/* The slot that records addr, else the empty one that ends its probe. */
static u_int
malloc_debug_slot(uintptr_t addr)
{
	u_int i;

	for (i = malloc_debug_hash(addr);
	    malloc_debug_table[i].md_addr != 0 &&
	    malloc_debug_table[i].md_addr != addr;
	    i = (i + 1) & (MALLOC_DEBUG_TYPES_SLOTS - 1))
		continue;
	return i;
}

/*
 * Empty slot i, and move each later entry of its run whose probe
 * passes i into the hole, so that every probe still finds its entry.
 */
static void
malloc_debug_remove(u_int i)
{
	const u_int mask = MALLOC_DEBUG_TYPES_SLOTS - 1;
	u_int j, home;

	for (j = (i + 1) & mask; malloc_debug_table[j].md_addr != 0;
	    j = (j + 1) & mask) {
		home = malloc_debug_hash(malloc_debug_table[j].md_addr);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			malloc_debug_table[i] = malloc_debug_table[j];
			i = j;
		}
	}
	malloc_debug_table[i].md_addr = 0;
	malloc_debug_count--;
}
#endif /* MALLOC_TABLE */

#ifdef MALLOC_DEBUG_TYPES
/*
 * Record a header-less block kmem just gave.  An address still recorded
 * was given back to kmem without free(9).  The panics come after the
 * lock is dropped, here and below.
 */
static void
malloc_debug_add(void *addr, size_t size, u_int idx)
{
	struct malloc_debug md;
	bool full;
	u_int i;

	mutex_enter(&malloc_debug_lock);
	i = malloc_debug_slot((uintptr_t)addr);
	md = malloc_debug_table[i];
	full = malloc_debug_count >= MALLOC_DEBUG_MAX;
	if (md.md_addr == 0 && !full) {
		malloc_debug_table[i] = (struct malloc_debug){
			.md_addr = (uintptr_t)addr,
			.md_size = size,
			.md_index = idx,
		};
		malloc_debug_count++;
	}
	mutex_exit(&malloc_debug_lock);
	if (md.md_addr != 0)
		panic("malloc(%zu, %s): %p is still recorded as allocated as "
		    "%s with size %zu: given back to kmem without free(9)?",
		    size, indexname(idx), addr, indexname(md.md_index),
		    md.md_size);
	if (full)
		panic("malloc(%zu, %s): more than %u header-less blocks in use "
		    "(options MALLOC_DEBUG_TYPES_SLOTS)", size, indexname(idx),
		    (u_int)MALLOC_DEBUG_MAX);
}

/*
 * The free of a header-less block: it must be recorded, as caller's (or
 * as a type detached since, as the footer allows), with this size.  Then
 * it is recorded no more.
 */
static void
malloc_debug_free(void *addr, struct malloc_type *caller, unsigned long size)
{
	struct malloc_type_internal *mti;
	struct malloc_debug md;
	bool typeok = false;
	u_int i;

	mutex_enter(&malloc_debug_lock);
	i = malloc_debug_slot((uintptr_t)addr);
	md = malloc_debug_table[i];
	if (md.md_addr != 0) {
		mti = malloc_type_table[md.md_index];
		typeok = mti != NULL && (mti->mti_type == caller ||
		    mti->mti_type == M_DETACHED);
		if (typeok && md.md_size == size)
			malloc_debug_remove(i);
	}
	mutex_exit(&malloc_debug_lock);
	if (md.md_addr == 0)
		panic("free(%p, %s, %lu): not a live header-less block: not "
		    "allocated as a header-less type, or freed already", addr,
		    typename(caller), size);
	if (!typeok)
		panic("free(%p, %s, %lu): allocated as %s", addr,
		    typename(caller), size, indexname(md.md_index));
	if (md.md_size != size)
		panic("free(%p, %s, %lu): allocated with size %zu", addr,
		    typename(caller), size, md.md_size);
	malloc_site_free(md.md_site, size);	/* the record knows it */
}

/*
 * A free as a header type (caller, or NULL): the block must not be a
 * header-less one, whose "header" would be someone else's memory.
 * Called before the header is read.
 */
static void
malloc_debug_header(void *addr, struct malloc_type *caller)
{
	struct malloc_debug md;

	if (malloc_state == MALLOC_STATE_COLD)
		return;			/* nothing allocated: no lock yet */
	mutex_enter(&malloc_debug_lock);
	md = malloc_debug_table[malloc_debug_slot((uintptr_t)addr)];
	mutex_exit(&malloc_debug_lock);
	if (md.md_addr != 0)
		panic("free(%p, %s): allocated as %s, a header-less type: free "
		    "it with its size (%zu)", addr, typename(caller),
		    indexname(md.md_index), md.md_size);
}
#else
#define	malloc_debug_add(addr, size, idx)	((void)0)
#define	malloc_debug_header(addr, caller)	((void)0)
#ifdef MALLOC_SITES
/*
 * MALLOC_SITES alone: the free of a header-less block charges the site
 * its record names, if it has one (a block no site allocated, or one
 * the full table could not take, has none), and the record goes.  No
 * check: a wrong type or size is MALLOC_DEBUG_TYPES's to catch; the
 * site is discharged what it was charged.
 */
static void
malloc_debug_free(void *addr, struct malloc_type *caller, unsigned long size)
{
	struct malloc_debug md;
	u_int i;

	mutex_enter(&malloc_debug_lock);
	i = malloc_debug_slot((uintptr_t)addr);
	md = malloc_debug_table[i];
	if (md.md_addr != 0)
		malloc_debug_remove(i);
	mutex_exit(&malloc_debug_lock);
	if (md.md_addr != 0)
		malloc_site_free(md.md_site, md.md_size);
}
#else
#define	malloc_debug_free(addr, caller, size)	((void)0)
#endif
#endif /* MALLOC_DEBUG_TYPES */

#ifdef MALLOC_SITES
/*
 * A header-less block has no header to keep its site in: its record in
 * the table does.  With MALLOC_DEBUG_TYPES, malloc() made the record
 * and the site is added to it; without, the record is made here, for
 * the blocks of sites only (one lock a malloc, not two).  A block the
 * full table cannot take leaves its site charged with it for good:
 * MALLOC_SITE_NOFREE says so.
 */
#ifdef MALLOC_DEBUG_TYPES
static void
malloc_site_sized(void *addr, size_t size, u_int idx, u_int si)
{
	u_int i;

	mutex_enter(&malloc_debug_lock);
	i = malloc_debug_slot((uintptr_t)addr);
	if (malloc_debug_table[i].md_addr == (uintptr_t)addr)
		malloc_debug_table[i].md_site = si;
	mutex_exit(&malloc_debug_lock);
}
#else
static void
malloc_site_sized(void *addr, size_t size, u_int idx, u_int si)
{
	bool full;
	u_int i;

	mutex_enter(&malloc_debug_lock);
	i = malloc_debug_slot((uintptr_t)addr);
	/* a record left at addr (kmem_free()d, no free(9)) is replaced */
	full = malloc_debug_table[i].md_addr == 0 &&
	    malloc_debug_count >= MALLOC_DEBUG_MAX;
	if (!full) {
		if (malloc_debug_table[i].md_addr == 0)
			malloc_debug_count++;
		malloc_debug_table[i] = (struct malloc_debug){
			.md_addr = (uintptr_t)addr,
			.md_size = size,
			.md_index = idx,
			.md_site = si,
		};
	}
	mutex_exit(&malloc_debug_lock);
	if (full)
		malloc_site_setflag(si, MALLOC_SITE_NOFREE);
}
#endif
#endif /* MALLOC_SITES */

#ifdef DIAGNOSTIC
static inline void
malloc_footer_set(void *addr, size_t size, u_int idx)
{
	const struct malloc_footer mf = {
		.mf_size = (uint32_t)size,
		.mf_type = (uint16_t)idx,
		.mf_magic = MF_MAGIC_ALLOC,
	};

	if (MALLOC_FOOTER(size) != 0)
		memcpy((char *)addr + size, &mf, sizeof(mf));
}
#else
#define	malloc_footer_set(addr, size, idx)	((void)0)
#endif

/*
 * The general case of kern_malloc(): a type's first use, a limit with
 * M_NOWAIT, M_ZERO, size 0, a page or more.  The caller checked the
 * flags.
 */
static void * __noinline
malloc_slow(unsigned long size, struct malloc_type *ks, int flags)
{
	const km_flag_t kmflags = (flags & M_NOWAIT) ? KM_NOSLEEP : KM_SLEEP;
	const bool sized = (ks->ks_flags & MALLOC_TYPE_SIZED) != 0;
	struct malloc_type_internal *mti;
	struct malloc_header *mh;
	size_t allocsize, hdroffset;
	char *p;

	if (__predict_false(sized && size == 0))
		panic("malloc(0, %s): a header-less type cannot allocate 0 "
		    "bytes (nor can kmem(9))", typename(ks));
	if (__predict_false((mti = ks->ks_handle) == NULL) &&
	    (mti = malloc_first_use(ks, kmflags)) == NULL)
		return NULL;		/* no counters to count it in */
	if (__predict_false(mti->mti_limit != 0) && (flags & M_NOWAIT) != 0 &&
	    mti->mti_total + (int64_t)MIN(size, (uint64_t)INT64_MAX / 2) >
	    (int64_t)mti->mti_limit)
		return malloc_count_fail(mti);
	if (size >= PAGE_SIZE &&
	    __predict_false(malloc_toobig(size, ks, flags)))
		return malloc_count_fail(mti);
	if (sized) {
		allocsize = size + MALLOC_FOOTER(size);
		hdroffset = 0;
	} else if (size >= PAGE_SIZE) {
		allocsize = PAGE_SIZE + size;	/* for page alignment */
		hdroffset = PAGE_SIZE - sizeof(struct malloc_header);
	} else {
		allocsize = sizeof(struct malloc_header) + size;
		hdroffset = 0;
	}
	p = kmem_intr_alloc(allocsize, kmflags);
	if (__predict_false(p == NULL))
		return malloc_count_fail(mti);
	if (sized) {
		malloc_debug_add(p, size, mti->mti_index);
		if ((flags & M_ZERO) != 0)
			memset(p, 0, size);
		malloc_footer_set(p, size, mti->mti_index);
		return malloc_count_alloc(mti->mti_index, size, p);
	}
	mh = (void *)(p + hdroffset);
	if ((flags & M_ZERO) != 0)
		memset(mh + 1, 0, size);
	if (hdroffset != 0)
		*(size_t *)p = allocsize;
	*mh = (struct malloc_header){
		.mh_size = hdroffset != 0 ? MH_SIZE_BIG : (uint32_t)allocsize,
		.mh_type = (uint16_t)mti->mti_index,
		.mh_magic = MH_MAGIC_ALLOC,
	};
	return malloc_count_alloc(mti->mti_index, size, mh + 1);
}

/*
 * The common case of kern_malloc() for a header-less type: a request
 * under a page, of an attached type, without M_ZERO or a limit that
 * applies.  Only size and index are kept across kmem_intr_alloc().
 */
static void * __noinline
malloc_sized(unsigned long size, u_int idx, km_flag_t kmflags)
{
	void *p;

	p = kmem_intr_alloc(size + MALLOC_FOOTER(size), kmflags);
	if (__predict_false(p == NULL))
		return malloc_count_fail(malloc_type_table[idx]);
	malloc_debug_add(p, size, idx);
	malloc_footer_set(p, size, idx);
	return malloc_count_alloc(idx, size, p);
}

static u_int
malloc_rec_bucket(const void *addr)
{

	return (u_int)(((uintptr_t)addr >> 4) * 2654435761u) % MALLOC_REC_BUCKETS;
}

/*
 * malloc(size, M_RECORDED(type), flags): the block is the type's as
 * ever (header or header-less, kmem's alignment), and its type and size
 * are recorded.  A header-less type has no 0-byte blocks (kmem has
 * none), but malloc(9)'s callers may ask for 0 bytes, and retag records
 * their memory when its frees pass no size: such a request gets one
 * byte, and the record says 1.
 */
static void * __noinline
malloc_recorded(unsigned long size, struct malloc_type *ks, int flags)
{
	struct malloc_type *type =
	    (struct malloc_type *)((uintptr_t)ks & ~MALLOC_RECORDED_BIT);
	struct malloc_rec *mr;
	void *p;
	u_int b;

	if (size == 0 && (type->ks_flags & MALLOC_TYPE_SIZED) != 0)
		size = 1;
	mr = kmem_intr_alloc(sizeof(*mr),
	    (flags & M_NOWAIT) ? KM_NOSLEEP : KM_SLEEP);
	if (mr == NULL) {
		malloc_check_flags(size, type, flags);
		return type->ks_handle == NULL ? NULL :
		    malloc_count_fail(type->ks_handle);
	}
	p = kern_malloc(size, type, flags);
	if (p == NULL) {
		kmem_intr_free(mr, sizeof(*mr));
		return NULL;
	}
	*mr = (struct malloc_rec){ .mr_addr = p, .mr_type = type,
	    .mr_size = size };
	b = malloc_rec_bucket(p);
	mutex_enter(&malloc_rec_lock);
	mr->mr_next = malloc_rec_hash[b];
	malloc_rec_hash[b] = mr;
	malloc_rec_count++;
	mutex_exit(&malloc_rec_lock);
	return p;
}

/*
 * The record of addr, taken out of the table, or NULL: not recorded.
 */
static struct malloc_rec *
malloc_rec_take(void *addr)
{
	struct malloc_rec *mr, **mrp;

	if (malloc_rec_count == 0)
		return NULL;
	mutex_enter(&malloc_rec_lock);
	for (mrp = &malloc_rec_hash[malloc_rec_bucket(addr)];
	    (mr = *mrp) != NULL; mrp = &mr->mr_next) {
		if (mr->mr_addr == addr) {
			*mrp = mr->mr_next;
			malloc_rec_count--;
			break;
		}
	}
	mutex_exit(&malloc_rec_lock);
	return mr;
}

/*
 * free(addr, M_ASALLOCATED[, size]) of a recorded block: freed as its
 * type, with its size (a size given must be that one).  Returns false if
 * addr is not recorded.
 */
static bool
malloc_free_recorded(void *addr, unsigned long size)
{
	struct malloc_rec *mr;
	struct malloc_type *type;
	size_t recsize;

	if ((mr = malloc_rec_take(addr)) == NULL)
		return false;
	type = mr->mr_type;
	recsize = mr->mr_size;
	kmem_intr_free(mr, sizeof(*mr));
	if (size != 0 && size != recsize)
		panic("free(%p, M_ASALLOCATED, %lu): allocated as %s with "
		    "size %zu", addr, size, typename(type), recsize);
	kern_free_sized(addr, type, recsize);
	return true;
}

void *
kern_malloc(unsigned long size, struct malloc_type *ks, int flags)
{
	struct malloc_type_internal *mti;
	const km_flag_t kmflags = (flags & M_NOWAIT) ? KM_NOSLEEP : KM_SLEEP;
	struct malloc_header h, *mh;

	if (__predict_false(((uintptr_t)ks & MALLOC_RECORDED_BIT) != 0))
		return malloc_recorded(size, ks, flags);
	mti = ks->ks_handle;
	malloc_check_flags(size, ks, flags);
	if (__predict_false(mti == NULL || (flags & mti->mti_slowflags) != 0 ||
	    size - 1 >= PAGE_SIZE - 1))
		return malloc_slow(size, ks, flags);
	if ((ks->ks_flags & MALLOC_TYPE_SIZED) != 0)
		return malloc_sized(size, mti->mti_index, kmflags);

	/* The common case: nothing but h is kept across kmem_intr_alloc. */
	h = (struct malloc_header){
		.mh_size = (uint32_t)(sizeof(h) + size),
		.mh_type = (uint16_t)mti->mti_index,
		.mh_magic = MH_MAGIC_ALLOC,
	};
	mh = kmem_intr_alloc(h.mh_size, kmflags);
	if (__predict_false(mh == NULL))
		return malloc_count_fail(malloc_type_table[h.mh_type]);
	*mh = h;
	return malloc_count_alloc(h.mh_type, h.mh_size - sizeof(h), mh + 1);
}

static void __noinline __dead
malloc_badfree(void *addr, struct malloc_type *caller,
    const struct malloc_header *mh)
{

	if (mh->mh_magic == MH_MAGIC_FREE)
		panic("free(%p, %s): double free (allocated as %s)", addr,
		    typename(caller), indexname(mh->mh_type));
	panic("free(%p, %s): not allocated by malloc (magic %#x)", addr,
	    typename(caller), mh->mh_magic);
}

/*
 * The header of an allocation, checked; the sizes it records.  Under
 * DIAGNOSTIC, a caller's type (if not NULL) must be the allocating type.
 */
static inline __always_inline struct malloc_header *
malloc_header(void *addr, struct malloc_type *caller, size_t *allocsizep,
    size_t *reqsizep)
{
	struct malloc_header *mh = (struct malloc_header *)addr - 1;
	size_t allocsize;

	if (__predict_false(mh->mh_magic != MH_MAGIC_ALLOC))
		malloc_badfree(addr, caller, mh);
	if (mh->mh_size == MH_SIZE_BIG) {
		if (__predict_false(((uintptr_t)addr & (PAGE_SIZE - 1)) != 0))
			panic("free(%p, %s): not allocated by malloc "
			    "(big block not page-aligned)", addr,
			    typename(caller));
		allocsize = *(size_t *)((char *)addr - PAGE_SIZE);
		*reqsizep = allocsize - PAGE_SIZE;
	} else {
		allocsize = mh->mh_size;
		*reqsizep = allocsize - sizeof(*mh);
	}
	*allocsizep = allocsize;
#if defined(DIAGNOSTIC) || defined(MALLOC_DEBUG_TYPES)
	if (mh->mh_size == MH_SIZE_BIG ? allocsize < 2 * PAGE_SIZE :
	    allocsize < sizeof(*mh) || allocsize >= PAGE_SIZE + sizeof(*mh))
		panic("free(%p, %s): header corrupt (size %zu)", addr,
		    typename(caller), allocsize);
#ifdef MALLOC_SITES
	if (mh->mh_site >= malloc_site_next)	/* would index past the sites */
		panic("free(%p, %s): header corrupt (site %u)", addr,
		    typename(caller), mh->mh_site);
#endif
	{
		struct malloc_type_internal *mti = malloc_type_table[mh->mh_type];

		if (mti == NULL)
			panic("free(%p, %s): bad type index %u in header",
			    addr, typename(caller), mh->mh_type);
		if (caller != NULL && mti->mti_type != caller &&
		    mti->mti_type != M_DETACHED)
			panic("free(%p, %s): allocated as %s", addr,
			    typename(caller), typename(mti->mti_type));
	}
#endif
	return mh;
}

/*
 * The general case of kern_free(): big blocks, and the panics.
 */
static void __noinline
malloc_free_slow(void *addr, struct malloc_type *caller)
{
	struct malloc_header *mh;
	size_t allocsize, reqsize;

	mh = malloc_header(addr, caller, &allocsize, &reqsize);
	malloc_site_free(mh->mh_site, reqsize);
	mh->mh_magic = MH_MAGIC_FREE;
	malloc_release(addr, mh->mh_type, reqsize,
	    mh->mh_size == MH_SIZE_BIG ? (char *)addr - PAGE_SIZE : (void *)mh,
	    allocsize);
}

static void __noinline __dead
malloc_nosize(void *addr, struct malloc_type *caller)
{

	panic("free(%p, %s): the type is header-less (MALLOC_DEFINE_SIZED): "
	    "its memory must be freed with free(addr, type, size)", addr,
	    typename(caller));
}

/*
 * Free a block with a header; caller may be NULL (realloc(): the block
 * is released as what it was, whatever the type asked for now).
 */
static inline __always_inline void
malloc_free_header(void *addr, struct malloc_type *caller)
{
	struct malloc_header *mh = (struct malloc_header *)addr - 1;
	size_t allocsize, reqsize;

	if (__predict_false(mh->mh_magic != MH_MAGIC_ALLOC ||
	    mh->mh_size == MH_SIZE_BIG)) {
		malloc_free_slow(addr, caller);
		return;
	}
	(void)malloc_header(addr, caller, &allocsize, &reqsize);
	malloc_site_free(mh->mh_site, reqsize);
	mh->mh_magic = MH_MAGIC_FREE;
	malloc_release(addr, mh->mh_type, reqsize, mh, allocsize);
}

/*
 * free(addr, type); the type may be 0, as some callers wrote it while
 * malloc(9) ignored it (sys/net/if_wg.c, sys/kern/uipc_mbuf.c).
 */
void
kern_free(void *addr, struct malloc_type *caller)
{

	if (__predict_false(addr == NULL))
		return;
	if (caller == NULL && malloc_free_recorded(addr, 0))
		return;
	if (__predict_true(caller == NULL ||
	    (caller->ks_flags & MALLOC_TYPE_SIZED) == 0)) {
		malloc_debug_header(addr, caller);
		malloc_free_header(addr, caller);
		return;
	}
	malloc_nosize(addr, caller);
}

#ifdef DIAGNOSTIC
/*
 * A header-less block's footer, found by the size free() was given, says
 * who allocated it, with what size; then it says "freed".
 */
static void
malloc_footer_check(void *addr, struct malloc_type *caller,
    unsigned long size)
{
	struct malloc_type_internal *mti;
	struct malloc_footer mf;

	if (MALLOC_FOOTER(size) == 0)
		return;			/* a page-sized block: kmem's alone */
	memcpy(&mf, (char *)addr + size, sizeof(mf));
	if (mf.mf_magic == MF_MAGIC_FREE && mf.mf_size == (uint32_t)size)
		panic("free(%p, %s, %lu): double free (allocated as %s)", addr,
		    typename(caller), size, indexname(mf.mf_type));
	if (mf.mf_magic != MF_MAGIC_ALLOC || mf.mf_size != (uint32_t)size)
		panic("free(%p, %s, %lu): no malloc footer at the size: wrong "
		    "size, or not allocated as a header-less type", addr,
		    typename(caller), size);
	mti = malloc_type_table[mf.mf_type];
	if (mti == NULL || (mti->mti_type != caller &&
	    mti->mti_type != M_DETACHED))
		panic("free(%p, %s, %lu): allocated as %s", addr,
		    typename(caller), size, indexname(mf.mf_type));
	mf.mf_magic = MF_MAGIC_FREE;
	memcpy((char *)addr + size, &mf, sizeof(mf));
}
#else
#define	malloc_footer_check(addr, caller, size)	((void)0)
#endif

/*
 * The free of a header-less type that is no longer attached: its
 * memory is charged to M_DETACHED since the detach.
 */
static void __noinline
malloc_free_sized_detached(void *addr, struct malloc_type *caller,
    unsigned long size)
{
	struct malloc_type_internal *det = M_DETACHED->ks_handle;

	if (det == NULL)
		panic("free(%p, %s, %lu): no type was ever attached", addr,
		    typename(caller), size);
	malloc_debug_free(addr, caller, size);
	malloc_footer_check(addr, caller, size);
	malloc_release(addr, det->mti_index, size, addr,
	    size + MALLOC_FOOTER(size));
}

/*
 * free(addr, type, size), OpenBSD style (MALLOC_SIZED_FREE in
 * <sys/malloc.h>): size 0 means unknown; another size than malloc() was
 * given is a bug.  A header-less type's memory must come with its size,
 * and is charged to the type given.
 */
void
kern_free_sized(void *addr, struct malloc_type *caller, unsigned long size)
{
	struct malloc_type_internal *mti;
	size_t allocsize, reqsize;

	if (addr == NULL)
		return;
	if (caller == NULL && malloc_free_recorded(addr, size))
		return;
	if (caller != NULL && (caller->ks_flags & MALLOC_TYPE_SIZED) != 0) {
		if (__predict_false(size == 0))
			malloc_nosize(addr, caller);
		if (__predict_false((mti = caller->ks_handle) == NULL)) {
			malloc_free_sized_detached(addr, caller, size);
			return;
		}
		malloc_debug_free(addr, caller, size);
		malloc_footer_check(addr, caller, size);
		malloc_release(addr, mti->mti_index, size, addr,
		    size + MALLOC_FOOTER(size));
		return;
	}
	if (size != 0) {
		malloc_debug_header(addr, caller);	/* kern_free() again */
		(void)malloc_header(addr, caller, &allocsize, &reqsize);
		if (__predict_false(reqsize != size))
			panic("free(%p, %s, %lu): allocated with size %zu",
			    addr, typename(caller), size, reqsize);
	}
	kern_free(addr, caller);
}

void *
kern_realloc(void *curaddr, unsigned long newsize, struct malloc_type *ks,
    int flags)
{
	struct malloc_header *mh;
	size_t allocsize, cursize;
	void *newaddr;

	KASSERT(((uintptr_t)ks & MALLOC_RECORDED_BIT) == 0);	/* not shared */
	/*
	 * realloc() with a NULL pointer is the same as malloc().
	 */
	if (curaddr == NULL)
		return kern_malloc(newsize, ks, flags);

	/* A header-less block's size is not recorded anywhere. */
	if ((ks->ks_flags & MALLOC_TYPE_SIZED) != 0)
		panic("realloc(%p, %lu, %s): a header-less type has no "
		    "realloc", curaddr, newsize, typename(ks));

	/*
	 * realloc() with zero size is the same as free().
	 */
	if (newsize == 0) {
		kern_free(curaddr, ks);
		return NULL;
	}

	malloc_check_flags(newsize, ks, flags);

	/* The type may change: the old block is released as what it was. */
	malloc_debug_header(curaddr, ks);
	mh = malloc_header(curaddr, NULL, &allocsize, &cursize);

	/*
	 * If we already have as much as they want, of the same type,
	 * we're done.
	 */
	if (newsize <= cursize && ks->ks_handle != NULL &&
	    mh->mh_type == ks->ks_handle->mti_index)
		return curaddr;

	newaddr = kern_malloc(newsize, ks, flags & ~M_ZERO);
	if (__predict_false(newaddr == NULL)) {
		/*
		 * malloc() failed, because flags included M_NOWAIT or
		 * M_CANFAIL.  The old pointer is still valid.
		 */
		return NULL;
	}
	memcpy(newaddr, curaddr, MIN(cursize, newsize));
	if ((flags & M_ZERO) != 0 && newsize > cursize)
		memset((char *)newaddr + cursize, 0, newsize - cursize);
	malloc_free_header(curaddr, NULL);
	return newaddr;
}

/*
 * The string and scratch-buffer helpers of kmem(9), with a type:
 * kmem_asprintf(), kmem_strdupsize(), kmem_strdup(), kmem_strndup(),
 * kmem_strfree(), kmem_tmpbuf_alloc() and kmem_tmpbuf_free(), with the
 * same semantics, M_WAITOK and M_NOWAIT for KM_SLEEP and KM_NOSLEEP.
 * Their memory is released with free(p, type), free(p, type, strlen(p) +
 * 1) (the size malloc_strdupsize() gives) or malloc_strfree().  Named
 * malloc_*, not strdup(9) and asprintf(9) as FreeBSD's, because some of
 * the kernel's sources are also compiled in user space (makefs, rump),
 * where those names are libc's.
 */
/* The string of fmt and va, of type ks; its strlen + 1 in *sizep. */
static char *
malloc_vasprintf(struct malloc_type *ks, size_t *sizep, const char *fmt,
    va_list va)
{
	int size __diagused, len;
	va_list vc;
	char *str;

	va_copy(vc, va);
	len = vsnprintf(NULL, 0, fmt, vc);
	va_end(vc);

	str = kern_malloc(len + 1, ks, M_WAITOK);
	size = vsnprintf(str, len + 1, fmt, va);
	KASSERT(size == len);
	*sizep = len + 1;
	return str;
}

char *
malloc_asprintf(struct malloc_type *ks, const char *fmt, ...)
{
	size_t size;
	va_list va;
	char *str;

	va_start(va, fmt);
	str = malloc_vasprintf(ks, &size, fmt, va);
	va_end(va);
	return str;
}

char *
malloc_strdupsize(const char *str, size_t *lenp, struct malloc_type *ks,
    int flags)
{
	size_t len = strlen(str) + 1;
	char *ptr;

	if ((ptr = kern_malloc(len, ks, flags)) == NULL)
		return NULL;
	if (lenp != NULL)
		*lenp = len;
	memcpy(ptr, str, len);
	return ptr;
}

char *
malloc_strndup(const char *str, size_t maxlen, struct malloc_type *ks,
    int flags)
{
	size_t len;
	char *ptr;

	KASSERT(str != NULL);
	KASSERT(maxlen != 0);
	len = strnlen(str, maxlen);
	if ((ptr = kern_malloc(len + 1, ks, flags)) == NULL)
		return NULL;
	memcpy(ptr, str, len);
	ptr[len] = '\0';
	return ptr;
}

/*
 * kmem_strfree() with a type: NULL is nothing (proc0's p_path, which
 * kern_exec.c frees at the first exec), else the string is freed with
 * its size, strlen + 1, so that a header-less type's string can be freed
 * and the size is checked as any sized free's.
 */
void
malloc_strfree(char *str, struct malloc_type *ks)
{

	if (str == NULL)
		return;
	kern_free_sized(str, ks, strlen(str) + 1);
}

/*
 * A scratch buffer: stackbuf if size fits in it, else an allocation of
 * size bytes; malloc_tmpbuf_free() of stackbuf does nothing.
 */
void *
malloc_tmpbuf_alloc(size_t size, void *stackbuf, size_t stackbufsize,
    struct malloc_type *ks, int flags)
{

	if (size <= stackbufsize)
		return stackbuf;
	return kern_malloc(size, ks, flags);
}

void
malloc_tmpbuf_free(void *buf, size_t size, void *stackbuf,
    struct malloc_type *ks)
{

	if (buf != stackbuf)
		kern_free_sized(buf, ks, size);
}

#ifdef MALLOC_SITES
/*
 * A site's file as the kernel's sources name it (kern/subr_hash.c): what
 * follows the last "../" of __FILE__ (a kernel is compiled from its
 * compile directory, ../../../../kern/subr_hash.c; rump from its library's,
 * .../librump/../../sys/rump/../kern/subr_hash.c), and of that, what
 * follows the last "sys/" that begins it or a directory in it.
 */
static const char *
malloc_site_path(const char *file)
{
	const char *p, *q;

	for (p = file; (q = strstr(p, "../")) != NULL; p = q + 3)
		continue;
	if (strncmp(p, "sys/", 4) == 0)
		p += 4;
	while ((q = strstr(p, "/sys/")) != NULL)
		p = q + 5;
	return p;
}

/*
 * Number a site at its first allocation (ks: its type): the next slot
 * of the last chunk, or of a new chunk, allocated with kmflags (a site
 * first used with M_NOWAIT may find no memory: its allocations are
 * then counted in mss_lost until one of them finds some).  Its number,
 * or 0.
 */
static u_int __noinline
malloc_site_register(struct malloc_site *ms, struct malloc_type *ks,
    km_flag_t kmflags)
{
	struct malloc_type *type =
	    (struct malloc_type *)((uintptr_t)ks & ~MALLOC_RECORDED_BIT);
	struct malloc_site_chunk *spare = NULL;
	struct malloc_site_info *msi;
	const char *file;
	size_t len;
	u_int si, k;

	for (;;) {
		mutex_enter(&malloc_lock);
		if ((si = ms->ms_index) != 0)
			break;			/* another CPU was first */
		si = malloc_site_next;
		k = si / MALLOC_SITE_CHUNK;
		if (k == MALLOC_SITE_MAXCHUNKS) {
			si = 0;			/* all numbers taken */
			break;
		}
		if (malloc_site_chunks[k] == NULL && spare != NULL) {
			malloc_site_cpus[k] = (struct malloc_site_cpu *)
			    roundup2((uintptr_t)(spare + 1), COHERENCY_UNIT);
			malloc_site_chunks[k] = spare;
			spare = NULL;
		}
		if (malloc_site_chunks[k] != NULL) {
			msi = malloc_site_info(si);
			file = malloc_site_path(ms->ms_file);
			if ((len = strlen(file)) >= sizeof(msi->msi_file))
				file += len - (sizeof(msi->msi_file) - 1);
			strlcpy(msi->msi_file, file, sizeof(msi->msi_file));
			strlcpy(msi->msi_func, ms->ms_func,
			    sizeof(msi->msi_func));
			strlcpy(msi->msi_type, typename(type),
			    sizeof(msi->msi_type));
			msi->msi_line = ms->ms_line;
			ms->ms_type = ks;
			membar_producer();	/* all of it, then the number */
			ms->ms_index = si;
			malloc_site_next = si + 1;
			break;
		}
		mutex_exit(&malloc_lock);
		spare = kmem_intr_zalloc(MALLOC_SITE_CHUNKSIZE, kmflags);
		if (spare == NULL) {
			atomic_inc_uint(&malloc_sites_lost);
			return 0;
		}
	}
	mutex_exit(&malloc_lock);
	if (spare != NULL)			/* another CPU's chunk came first */
		kmem_intr_free(spare, MALLOC_SITE_CHUNKSIZE);
	if (si == 0)
		atomic_inc_uint(&malloc_sites_lost);
	return si;
}

/*
 * The out-of-line part of malloc_site_count(): a site's first
 * allocation, or one of another type than the site's first.
 */
static u_int __noinline
malloc_site_first(struct malloc_site *ms, struct malloc_type *ks, int flags)
{
	u_int si;

	if ((si = ms->ms_index) == 0)
		return malloc_site_register(ms, ks,
		    (flags & M_NOWAIT) ? KM_NOSLEEP : KM_SLEEP);
	membar_consumer();			/* ms_type before ms_index */
	if (ms->ms_type != ks)
		malloc_site_setflag(si, MALLOC_SITE_TYPES);
	return si;
}

/*
 * Charge a block of size bytes that malloc gave (addr, of type ks) to
 * its site, and keep the site's number with the block; addr, for the
 * caller to return.
 */
static inline __always_inline void *
malloc_site_count(struct malloc_site *ms, void *addr, size_t size,
    struct malloc_type *ks, int flags)
{
	struct malloc_type *type =
	    (struct malloc_type *)((uintptr_t)ks & ~MALLOC_RECORDED_BIT);
	struct malloc_site_cpu *msc;
	malloc_pcpu_t c;
	u_int si;

	si = ms->ms_index;
	if (__predict_false(si == 0 || ms->ms_type != ks) &&
	    (si = malloc_site_first(ms, ks, flags)) == 0)
		return addr;
	if (__predict_true((type->ks_flags & MALLOC_TYPE_SIZED) == 0))
		((struct malloc_header *)addr - 1)->mh_site = si;
	else
		malloc_site_sized(addr, size, type->ks_handle->mti_index, si);
	MALLOC_PCPU_ENTER(c);
	msc = malloc_site_cpu(si, cpu_index(MALLOC_PCPU_CPU(c)));
	malloc_pcpu_add(&msc->msc_allocs, 1);
	malloc_pcpu_add((volatile uint64_t *)&msc->msc_bytes, size);
	if (malloc_pcpu_exit(c))
		malloc_kpreempt();
	return addr;
}

/*
 * The functions <sys/malloc.h>'s macros call under MALLOC_SITES: each
 * the function without the site, then the site charged.
 */
void *
malloc_site_alloc(struct malloc_site *ms, unsigned long size,
    struct malloc_type *ks, int flags)
{
	void *addr;

	if (__predict_false((addr = kern_malloc(size, ks, flags)) == NULL))
		return NULL;
	return malloc_site_count(ms, addr, size, ks, flags);
}

/*
 * A new block is charged to this site; a block realloc() kept (shrunk,
 * or the same size) stays charged to its own, at its old size, as it
 * stays charged to its type.
 */
void *
malloc_site_realloc(struct malloc_site *ms, void *curaddr,
    unsigned long newsize, struct malloc_type *ks, int flags)
{
	void *addr;

	addr = kern_realloc(curaddr, newsize, ks, flags);
	if (addr == NULL || addr == curaddr)
		return addr;
	return malloc_site_count(ms, addr, newsize, ks, flags);
}

char *
malloc_site_asprintf(struct malloc_site *ms, struct malloc_type *ks,
    const char *fmt, ...)
{
	size_t size;
	va_list va;
	char *str;

	va_start(va, fmt);
	str = malloc_vasprintf(ks, &size, fmt, va);
	va_end(va);
	return malloc_site_count(ms, str, size, ks, M_WAITOK);
}

char *
malloc_site_strdupsize(struct malloc_site *ms, const char *str,
    size_t *lenp, struct malloc_type *ks, int flags)
{
	size_t len;
	char *ptr;

	if ((ptr = malloc_strdupsize(str, &len, ks, flags)) == NULL)
		return NULL;
	if (lenp != NULL)
		*lenp = len;
	return malloc_site_count(ms, ptr, len, ks, flags);
}

/* The copy holds no NUL before its end: its size is strlen + 1. */
char *
malloc_site_strndup(struct malloc_site *ms, const char *str, size_t maxlen,
    struct malloc_type *ks, int flags)
{
	char *ptr;

	if ((ptr = malloc_strndup(str, maxlen, ks, flags)) == NULL)
		return NULL;
	return malloc_site_count(ms, ptr, strlen(ptr) + 1, ks, flags);
}

void *
malloc_site_tmpbuf_alloc(struct malloc_site *ms, size_t size,
    void *stackbuf, size_t stackbufsize, struct malloc_type *ks, int flags)
{
	void *buf;

	buf = malloc_tmpbuf_alloc(size, stackbuf, stackbufsize, ks, flags);
	if (buf == NULL || buf == stackbuf)
		return buf;
	return malloc_site_count(ms, buf, size, ks, flags);
}
#endif /* MALLOC_SITES */

/*
 * kern.malloc_stats: a struct malloc_stats_header, then one struct
 * malloc_stats_record per attached type (see <sys/mallocvar.h>).  Fills
 * as much of buf (*lenp bytes; buf may be NULL) as there is room for, and
 * sets *lenp to the size of the whole blob: ENOMEM if it did not fit.
 */
int
malloc_stats_export(void *buf, size_t *lenp)
{
	struct malloc_stats_header h;
	struct malloc_stats_record r;
	struct malloc_type_internal *mti, *head;
	struct malloc_sum s;
	size_t off, room;
	u_int n;

	malloc_ready(KM_SLEEP);
	room = buf == NULL ? 0 : *lenp;
	mutex_enter(&malloc_detach_lock);	/* no type goes away */
	head = malloc_type_list;
	membar_consumer();
	for (n = 0, mti = head; mti != NULL; mti = mti->mti_next)
		n++;
	memset(&h, 0, sizeof(h));
	h.ms_version = MALLOC_STATS_VERSION;
	h.ms_hdrsize = sizeof(h);
	h.ms_recsize = sizeof(r);
	h.ms_count = n;
	h.ms_ncpu = maxcpus;
	h.ms_fold = MALLOC_FOLD;
	off = 0;
	if (room >= sizeof(h))
		memcpy(buf, &h, sizeof(h));
	off += sizeof(h);
	for (mti = head; mti != NULL; mti = mti->mti_next) {
		if (off + sizeof(r) <= room) {
			memset(&r, 0, sizeof(r));
			strlcpy(r.mr_name, mti->mti_type->ks_shortdesc,
			    sizeof(r.mr_name));
			malloc_type_sum(mti, &s);
			r.mr_inuse = s.allocs - s.frees;
			r.mr_bytes = s.bytes;
			r.mr_hwm = MAX(mti->mti_hwm, s.bytes);
			r.mr_limit = mti->mti_limit;
			r.mr_requests = s.allocs;
			r.mr_fails = s.fails;
			r.mr_sizes = s.sizes;
			memcpy((char *)buf + off, &r, sizeof(r));
		}
		off += sizeof(r);
	}
	mutex_exit(&malloc_detach_lock);
	*lenp = off;
	return buf == NULL || off <= room ? 0 : ENOMEM;
}

#ifdef MALLOC_SITES
/*
 * kern.malloc_sites: a struct malloc_sites_header, then one struct
 * malloc_site_record per site numbered so far (see <sys/mallocvar.h>),
 * as malloc_stats_export() does it.  Sites are only ever added, and
 * their names written before their numbers are published.
 */
int
malloc_sites_export(void *buf, size_t *lenp)
{
	struct malloc_sites_header h;
	struct malloc_site_record r;
	const struct malloc_site_info *msi;
	const struct malloc_site_cpu *msc;
	struct malloc_site * const *msp;
	size_t off, room;
	uint64_t frees;
	u_int n, si, c;

	malloc_ready(KM_SLEEP);
	room = buf == NULL ? 0 : *lenp;
	n = malloc_site_next;
	membar_consumer();
	memset(&h, 0, sizeof(h));
	h.mss_magic = MALLOC_SITES_MAGIC;
	h.mss_version = MALLOC_SITES_VERSION;
	h.mss_hdrsize = sizeof(h);
	h.mss_recsize = sizeof(r);
	h.mss_count = n - 1;
	h.mss_ncpu = maxcpus;
	__link_set_foreach(msp, malloc_sites)
		if (*msp != &malloc_site_anchor)
			h.mss_linked++;
	h.mss_lost = malloc_sites_lost;
	off = 0;
	if (room >= sizeof(h))
		memcpy(buf, &h, sizeof(h));
	off += sizeof(h);
	for (si = 1; si < n; si++) {
		if (off + sizeof(r) <= room) {
			msi = malloc_site_info(si);
			memset(&r, 0, sizeof(r));
			strlcpy(r.msr_file, msi->msi_file, sizeof(r.msr_file));
			strlcpy(r.msr_func, msi->msi_func, sizeof(r.msr_func));
			strlcpy(r.msr_type, msi->msi_type, sizeof(r.msr_type));
			r.msr_line = msi->msi_line;
			r.msr_flags = msi->msi_flags;
			frees = 0;
			for (c = 0; c < maxcpus; c++) {
				msc = malloc_site_cpu(si, c);
				r.msr_requests += msc->msc_allocs;
				frees += msc->msc_frees;
				r.msr_bytes += msc->msc_bytes;
			}
			r.msr_frees = frees;
			r.msr_inuse = r.msr_requests - frees;
			memcpy((char *)buf + off, &r, sizeof(r));
		}
		off += sizeof(r);
	}
	*lenp = off;
	return buf == NULL || off <= room ? 0 : ENOMEM;
}
#endif /* MALLOC_SITES */

/*
 * A blob that export() writes, for a read-only CTLTYPE_STRUCT node;
 * slack: room for records added between sizing and filling.
 */
static int
malloc_sysctl_blob(int (*export)(void *, size_t *), size_t slack,
    u_int namelen, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	size_t len, buflen;
	void *buf;
	int error;

	if (newp != NULL || newlen != 0)
		return EPERM;
	if (namelen != 0)
		return EINVAL;
	len = 0;
	(void)(*export)(NULL, &len);
	if (oldp == NULL) {
		*oldlenp = len;
		return 0;
	}
	for (;;) {
		buflen = len + slack;
		buf = kmem_alloc(buflen, KM_SLEEP);
		len = buflen;
		error = (*export)(buf, &len);
		if (error == 0)
			break;
		kmem_free(buf, buflen);
	}
	error = copyout(buf, oldp, MIN(len, *oldlenp));
	if (error == 0 && *oldlenp < len)
		error = ENOMEM;
	*oldlenp = len;
	kmem_free(buf, buflen);
	return error;
}

static int
sysctl_kern_malloc_stats(SYSCTLFN_ARGS)
{

	/* Room for a few types attached meanwhile. */
	return malloc_sysctl_blob(malloc_stats_export,
	    8 * sizeof(struct malloc_stats_record), namelen, oldp, oldlenp,
	    newp, newlen);
}

#ifdef MALLOC_SITES
static int
sysctl_kern_malloc_sites(SYSCTLFN_ARGS)
{

	/* Room for some sites first used meanwhile. */
	return malloc_sysctl_blob(malloc_sites_export,
	    32 * sizeof(struct malloc_site_record), namelen, oldp, oldlenp,
	    newp, newlen);
}
#endif

/*
 * sysctl_init() runs this early in main(), in thread context, before
 * configure() establishes any interrupt handler: the place to set malloc
 * up, as nothing in main() calls malloc_init().  Then no interrupt
 * handler can be the one that finds the set-up under way and spins in
 * malloc_ready() while the thread it interrupted holds it up.
 */
SYSCTL_SETUP(sysctl_kern_malloc_setup, "sysctl kern.malloc_stats setup")
{

	malloc_init();
	sysctl_createv(clog, 0, NULL, NULL,
	    CTLFLAG_PERMANENT,
	    CTLTYPE_STRUCT, "malloc_stats",
	    SYSCTL_DESCR("malloc(9) statistics by type (version 2)"),
	    sysctl_kern_malloc_stats, 0, NULL, 0,
	    CTL_KERN, CTL_CREATE, CTL_EOL);
#ifdef MALLOC_SITES
	sysctl_createv(clog, 0, NULL, NULL,
	    CTLFLAG_PERMANENT,
	    CTLTYPE_STRUCT, "malloc_sites",
	    SYSCTL_DESCR("malloc(9) statistics by call site (version 1)"),
	    sysctl_kern_malloc_sites, 0, NULL, 0,
	    CTL_KERN, CTL_CREATE, CTL_EOL);
#endif
}
