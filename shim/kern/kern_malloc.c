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
 * ANY EXPRESS OR IMPLIED WARRANTIES ARE DISCLAIMED.
 */

/*
 * malloc(9) with real types on top of kmem(9).
 *
 * The memory comes from kmem_intr_alloc() with a small header in front,
 * as before.  What is new is the type: every allocation is charged to a
 * struct malloc_type, and the type's index is kept in the header so that
 * free() charges the type that allocated, whatever its caller says.
 *
 * Accounting is per CPU: each type has one cache line of counters per
 * CPU, written only by that CPU with preemption disabled, so the fast path
 * takes no lock and does no atomic operation on a shared line.  The bytes
 * in use are also folded into one per-type total, but only when a CPU's
 * unfolded share passes MALLOC_FOLD bytes either way; the high-water mark
 * and the limit are kept against that total, so they are exact to within
 * ncpu * MALLOC_FOLD bytes.  Building with MALLOC_STATS_GLOBAL_ATOMIC
 * instead counts everything in the shared total with atomics (the layout
 * the benchmark compares against).
 *
 * The header is 8 bytes on LP64, as NetBSD's has been:
 *	mh_size		32 bits: header + request, or MH_SIZE_BIG
 *	mh_type		16 bits: index in malloc_type_table
 *	mh_magic	16 bits: MH_MAGIC_ALLOC while allocated
 * Requests of a page or more get a whole extra page in front so the
 * pointer stays page-aligned; the real size (any size_t) is kept at the
 * start of that page and mh_size says MH_SIZE_BIG.
 */

#include <sys/cdefs.h>

#include <sys/param.h>
#include <sys/types.h>
#include <sys/atomic.h>
#include <sys/cpu.h>
#include <sys/kmem.h>
#include <sys/malloc.h>
#include <sys/mutex.h>
#include <sys/sysctl.h>
#include <sys/systm.h>

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

/* Where the memory of a type detached while in use is charged from then on. */
static MALLOC_JUSTDEFINE(M_DETACHED, "(detached)", "types unloaded while in use");

struct malloc_header {
	uint32_t	mh_size;
	uint16_t	mh_type;
	uint16_t	mh_magic;
} __aligned(ALIGNBYTES + 1);

#define	MH_SIZE_BIG	UINT32_MAX
#define	MH_MAGIC_ALLOC	0x6d61		/* "ma" */
#define	MH_MAGIC_FREE	0x6672		/* "fr" */

#ifndef MALLOC_FOLD
#define	MALLOC_FOLD	(64 * 1024)	/* see the comment at the top */
#endif
#define	MALLOC_MAXTYPES	UINT16_MAX

static kmutex_t malloc_lock;		/* attach, detach, the table */
static struct malloc_type *malloc_type_table[MALLOC_MAXTYPES];
static struct malloc_type *malloc_type_list;
static u_int malloc_ntypes;		/* highest index used */
static bool malloc_initialized;

__link_set_decl(malloc_types, struct malloc_type);

static const char *
typename(const struct malloc_type *ks)
{

	return ks != NULL && ks->ks_magic == M_MAGIC ? ks->ks_shortdesc : "?";
}

/*
 * Fold a CPU's unfolded bytes into the type's total; raise the high-water
 * mark if the total passed it.
 */
static void
malloc_fold(struct malloc_type *ks, int64_t delta)
{
	int64_t total, hwm;

	total = (int64_t)atomic_add_64_nv((volatile uint64_t *)&ks->ks_total,
	    (uint64_t)delta);
	while ((hwm = ks->ks_hwm) < total) {
		if (atomic_cas_64((volatile uint64_t *)&ks->ks_hwm,
		    (uint64_t)hwm, (uint64_t)total) == (uint64_t)hwm)
			break;
	}
}

/*
 * Charge one allocation (n > 0), free (n < 0) or failure (n == 0).
 */
static void
malloc_charge(struct malloc_type *ks, int64_t n)
{
#ifdef MALLOC_STATS_GLOBAL_ATOMIC
	struct malloc_type_cpu *mtc = &ks->ks_cpu[0];

	if (n > 0)
		atomic_inc_64(&mtc->mtc_allocs);
	else if (n < 0)
		atomic_inc_64(&mtc->mtc_frees);
	else
		atomic_inc_64(&mtc->mtc_fails);
	if (n != 0)
		malloc_fold(ks, n);
#else
	struct malloc_type_cpu *mtc;
	struct cpu_info *ci;

	kpreempt_disable();
	ci = curcpu();
	mtc = &ks->ks_cpu[cpu_index(ci)];
	if (n > 0)
		mtc->mtc_allocs++;
	else if (n < 0)
		mtc->mtc_frees++;
	else
		mtc->mtc_fails++;
	mtc->mtc_bytes += n;
	mtc->mtc_unfolded += n;
	if (mtc->mtc_unfolded >= MALLOC_FOLD ||
	    mtc->mtc_unfolded <= -MALLOC_FOLD) {
		malloc_fold(ks, mtc->mtc_unfolded);
		mtc->mtc_unfolded = 0;
	}
	kpreempt_enable();
#endif
}

/*
 * Give a type its index and its per-CPU counters.  Types in the kernel's
 * malloc_types link set are attached by malloc_init(); a module attaches
 * its types on load.  A type used before it is attached is attached then.
 */
static int
malloc_type_attach_flags(struct malloc_type *ks, km_flag_t kmflags)
{
	struct malloc_type_cpu *mtc;
	u_int i;

	if (ks->ks_magic != M_MAGIC)
		panic("malloc_type_attach: bad magic in type %p", ks);
	mtc = kmem_intr_zalloc(maxcpus * sizeof(*mtc), kmflags);
	if (mtc == NULL)
		return ENOMEM;
	mutex_enter(&malloc_lock);
	if (ks->ks_index != 0) {		/* raced with another attach */
		mutex_exit(&malloc_lock);
		kmem_intr_free(mtc, maxcpus * sizeof(*mtc));
		return 0;
	}
	for (i = 1; i < MALLOC_MAXTYPES; i++)
		if (malloc_type_table[i] == NULL)
			break;
	if (i == MALLOC_MAXTYPES)
		panic("malloc_type_attach: more than %d types", MALLOC_MAXTYPES - 1);
	ks->ks_cpu = mtc;
	ks->ks_total = ks->ks_hwm = 0;
	ks->ks_next = malloc_type_list;
	malloc_type_list = ks;
	malloc_type_table[i] = ks;
	if (i > malloc_ntypes)
		malloc_ntypes = i;
	membar_producer();
	ks->ks_index = i;
	mutex_exit(&malloc_lock);
	return 0;
}

void
malloc_type_attach(struct malloc_type *ks)
{

	if (ks->ks_index == 0)
		(void)malloc_type_attach_flags(ks, KM_SLEEP);
}

/*
 * Unregister a type (a module being unloaded).  If some of its memory is
 * still allocated, say so, and charge that memory to M_DETACHED from now
 * on: the table no longer points into the module.
 */
void
malloc_type_detach(struct malloc_type *ks)
{
	struct malloc_type **kp;
	struct malloc_type_cpu *mtc;
	int64_t bytes = 0;
	uint64_t allocs = 0, frees = 0;
	u_int c, i;

	mutex_enter(&malloc_lock);
	i = ks->ks_index;
	if (i == 0) {
		mutex_exit(&malloc_lock);
		return;
	}
	for (kp = &malloc_type_list; *kp != ks; kp = &(*kp)->ks_next)
		continue;
	*kp = ks->ks_next;
	mtc = ks->ks_cpu;
	for (c = 0; c < maxcpus; c++) {
		bytes += mtc[c].mtc_bytes;
		allocs += mtc[c].mtc_allocs;
		frees += mtc[c].mtc_frees;
	}
#ifdef MALLOC_STATS_GLOBAL_ATOMIC
	bytes = ks->ks_total;
#endif
	if (allocs != frees || bytes != 0) {
		printf("malloc: type %s detached with %ju allocations, "
		    "%jd bytes in use; charged to %s from now on\n",
		    ks->ks_shortdesc, (uintmax_t)(allocs - frees), (intmax_t)bytes,
		    M_DETACHED->ks_shortdesc);
		malloc_type_table[i] = M_DETACHED;
	} else
		malloc_type_table[i] = NULL;
	ks->ks_index = 0;
	ks->ks_cpu = NULL;
	mutex_exit(&malloc_lock);
	/* Counters of a type just detached: nothing can reach them now. */
	kmem_intr_free(mtc, maxcpus * sizeof(*mtc));
	if (allocs != frees || bytes != 0)
		malloc_type_attach(M_DETACHED);
}

void
malloc_type_setlimit(struct malloc_type *ks, uint64_t limit)
{

	ks->ks_limit = limit;
}

void
malloc_init(void)
{
	struct malloc_type * const *ksp;

	if (malloc_initialized)
		return;
	mutex_init(&malloc_lock, MUTEX_DEFAULT, IPL_VM);
	malloc_initialized = true;
	__link_set_foreach(ksp, malloc_types)
		malloc_type_attach(*ksp);
	malloc_type_attach(M_DETACHED);
}

void *
kern_malloc(unsigned long reqsize, struct malloc_type *ks, int flags)
{
	const km_flag_t kmflags = (flags & M_NOWAIT) ? KM_NOSLEEP : KM_SLEEP;
	struct malloc_header *mh;
	size_t size = reqsize, allocsize, hdroffset;
	void *p;

#ifdef MALLOC_CHECK_INTR
	if ((flags & M_NOWAIT) == 0 && cpu_intr_p())
		panic("malloc(%lu, %s): M_WAITOK in interrupt context",
		    reqsize, typename(ks));
#endif
	if ((flags & M_NOWAIT) == 0)
		ASSERT_SLEEPABLE();
	if (__predict_false(ks->ks_index == 0) &&
	    malloc_type_attach_flags(ks, kmflags) != 0)
		return NULL;

	if (ks->ks_limit != 0 && (flags & M_NOWAIT) != 0 &&
	    (uint64_t)ks->ks_total + size > ks->ks_limit) {
		malloc_charge(ks, 0);
		return NULL;
	}
	if (size >= PAGE_SIZE) {
		if (size > SIZE_MAX - PAGE_SIZE)
			goto fail;
		allocsize = PAGE_SIZE + size;	/* for page alignment */
		hdroffset = PAGE_SIZE - sizeof(struct malloc_header);
	} else {
		allocsize = sizeof(struct malloc_header) + size;
		hdroffset = 0;
	}
	p = kmem_intr_alloc(allocsize, kmflags);
	if (p == NULL)
		goto fail;
	if ((flags & M_ZERO) != 0)
		memset((char *)p + hdroffset, 0, allocsize - hdroffset);
	mh = (void *)((char *)p + hdroffset);
	if (hdroffset != 0) {
		*(size_t *)p = allocsize;
		mh->mh_size = MH_SIZE_BIG;
	} else
		mh->mh_size = (uint32_t)allocsize;
	mh->mh_type = (uint16_t)ks->ks_index;
	mh->mh_magic = MH_MAGIC_ALLOC;
	malloc_charge(ks, (int64_t)size);
	return mh + 1;
fail:
	malloc_charge(ks, 0);
	return NULL;
}

/*
 * The header of an allocation, checked; its type and sizes.
 */
static struct malloc_header *
malloc_header(void *addr, struct malloc_type *caller, struct malloc_type **ksp,
    size_t *allocsizep, size_t *reqsizep)
{
	struct malloc_header *mh = (struct malloc_header *)addr - 1;
	struct malloc_type *ks;
	size_t allocsize, hdr;

	if (__predict_false(mh->mh_magic != MH_MAGIC_ALLOC)) {
		if (mh->mh_magic == MH_MAGIC_FREE)
			panic("free(%p, %s): double free (allocated as %s)",
			    addr, typename(caller),
			    mh->mh_type < MALLOC_MAXTYPES ?
			    typename(malloc_type_table[mh->mh_type]) : "?");
		panic("free(%p, %s): not allocated by malloc", addr,
		    typename(caller));
	}
	ks = mh->mh_type < MALLOC_MAXTYPES ? malloc_type_table[mh->mh_type] : NULL;
	if (__predict_false(ks == NULL))
		panic("free(%p, %s): bad type index %u", addr, typename(caller),
		    mh->mh_type);
#ifdef DIAGNOSTIC
	if (__predict_false(ks != caller && ks != M_DETACHED && caller != NULL))
		panic("free(%p, %s): allocated as %s", addr, typename(caller),
		    typename(ks));
#else
	(void)caller;
#endif
	if (mh->mh_size == MH_SIZE_BIG) {
		allocsize = *(size_t *)((char *)addr - PAGE_SIZE);
		hdr = PAGE_SIZE;
	} else {
		allocsize = mh->mh_size;
		hdr = sizeof(*mh);
	}
	*ksp = ks;
	*allocsizep = allocsize;
	*reqsizep = allocsize - hdr;
	return mh;
}

void
kern_free(void *addr, struct malloc_type *caller)
{
	struct malloc_header *mh;
	struct malloc_type *ks;
	size_t allocsize, reqsize;

	if (addr == NULL)
		return;
	mh = malloc_header(addr, caller, &ks, &allocsize, &reqsize);
	mh->mh_magic = MH_MAGIC_FREE;
	malloc_charge(ks, -(int64_t)reqsize);
	if (mh->mh_size == MH_SIZE_BIG)
		kmem_intr_free((char *)addr - PAGE_SIZE, allocsize);
	else
		kmem_intr_free(mh, allocsize);
}

/*
 * free(addr, type, size), OpenBSD style: size 0 means unknown; another
 * size than malloc() was given is a bug.
 */
void
kern_free_sized(void *addr, struct malloc_type *caller, unsigned long size)
{
	struct malloc_type *ks;
	size_t allocsize, reqsize;

	if (addr != NULL && size != 0) {
		(void)malloc_header(addr, caller, &ks, &allocsize, &reqsize);
		if (reqsize != size)
			panic("free(%p, %s, %lu): allocated with size %zu", addr,
			    typename(caller), size, reqsize);
	}
	kern_free(addr, caller);
}

void *
kern_realloc(void *curaddr, unsigned long newsize, struct malloc_type *ks,
    int flags)
{
	struct malloc_type *oks;
	size_t allocsize, cursize;
	void *newaddr;

	/*
	 * realloc() with a NULL pointer is the same as malloc().
	 */
	if (curaddr == NULL)
		return kern_malloc(newsize, ks, flags);

	/*
	 * realloc() with zero size is the same as free().
	 */
	if (newsize == 0) {
		kern_free(curaddr, ks);
		return NULL;
	}

	/* The type may change: the old block is freed as what it was. */
	(void)malloc_header(curaddr, NULL, &oks, &allocsize, &cursize);

	/*
	 * If we already have as much as they want, of the same type,
	 * we're done.
	 */
	if (newsize <= cursize && oks == ks)
		return curaddr;

	newaddr = kern_malloc(newsize, ks, flags & ~M_ZERO);
	if (__predict_false(newaddr == NULL)) {
		/*
		 * malloc() failed, because flags included M_NOWAIT.
		 * The old pointer is still valid.
		 */
		return NULL;
	}
	memcpy(newaddr, curaddr, MIN(cursize, newsize));
	if ((flags & M_ZERO) != 0 && newsize > cursize)
		memset((char *)newaddr + cursize, 0, newsize - cursize);
	kern_free(curaddr, oks);
	return newaddr;
}

/*
 * kern.malloc_stats: a struct malloc_stats_header, then one struct
 * malloc_stats_record per attached type (see <sys/mallocvar.h>).  With
 * buf NULL, only the size needed is returned in *lenp.
 */
int
malloc_stats_export(void *buf, size_t *lenp)
{
	struct malloc_stats_header h;
	struct malloc_stats_record r;
	struct malloc_type *ks;
	size_t need, off;
	u_int c, n = 0;

	mutex_enter(&malloc_lock);
	for (ks = malloc_type_list; ks != NULL; ks = ks->ks_next)
		n++;
	need = sizeof(h) + n * sizeof(r);
	if (buf == NULL || *lenp < need) {
		mutex_exit(&malloc_lock);
		*lenp = need;
		return buf == NULL ? 0 : ENOMEM;
	}
	memset(&h, 0, sizeof(h));
	h.ms_version = MALLOC_STATS_VERSION;
	h.ms_hdrsize = sizeof(h);
	h.ms_recsize = sizeof(r);
	h.ms_count = n;
	h.ms_ncpu = maxcpus;
	h.ms_fold = MALLOC_FOLD;
	memcpy(buf, &h, sizeof(h));
	off = sizeof(h);
	for (ks = malloc_type_list; ks != NULL; ks = ks->ks_next) {
		uint64_t allocs = 0, frees = 0;

		memset(&r, 0, sizeof(r));
		strlcpy(r.mr_name, ks->ks_shortdesc, sizeof(r.mr_name));
		for (c = 0; c < maxcpus; c++) {
			allocs += ks->ks_cpu[c].mtc_allocs;
			frees += ks->ks_cpu[c].mtc_frees;
			r.mr_bytes += ks->ks_cpu[c].mtc_bytes;
			r.mr_fails += ks->ks_cpu[c].mtc_fails;
		}
#ifdef MALLOC_STATS_GLOBAL_ATOMIC
		r.mr_bytes = ks->ks_total;
#endif
		r.mr_inuse = allocs - frees;
		r.mr_requests = allocs;
		r.mr_hwm = MAX(ks->ks_hwm, r.mr_bytes);
		r.mr_limit = ks->ks_limit;
		memcpy((char *)buf + off, &r, sizeof(r));
		off += sizeof(r);
	}
	mutex_exit(&malloc_lock);
	*lenp = need;
	return 0;
}

static int
sysctl_kern_malloc_stats(SYSCTLFN_ARGS)
{
	size_t len, buflen;
	void *buf;
	int error;

	(void)name; (void)namelen; (void)newlen; (void)oldname; (void)l;
	(void)rnode;
	if (newp != NULL)
		return EPERM;
	len = 0;
	(void)malloc_stats_export(NULL, &len);
	if (oldp == NULL) {
		*oldlenp = len;
		return 0;
	}
	buflen = len = len + 8 * sizeof(struct malloc_stats_record); /* may grow */
	buf = kmem_alloc(buflen, KM_SLEEP);
	error = malloc_stats_export(buf, &len);
	if (error == 0) {
		error = copyout(buf, oldp, MIN(len, *oldlenp));
		if (error == 0 && *oldlenp < len)
			error = ENOMEM;
		*oldlenp = len;
	}
	kmem_free(buf, buflen);
	return error;
}

SYSCTL_SETUP(sysctl_kern_malloc_setup, "sysctl kern.malloc_stats setup")
{

	sysctl_createv(clog, 0, NULL, NULL,
	    CTLFLAG_PERMANENT,
	    CTLTYPE_STRUCT, "malloc_stats",
	    SYSCTL_DESCR("malloc(9) statistics by type, version 1"),
	    sysctl_kern_malloc_stats, 0, NULL, 0,
	    CTL_KERN, CTL_CREATE, CTL_EOL);
}
