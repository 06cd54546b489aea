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
 * Malloc types: one struct malloc_type per MALLOC_DEFINE, its counters
 * behind a handle; and the versioned records kern.malloc_stats exports,
 * which user space (mallocstat) reads too.
 */

#ifndef _SYS_MALLOCVAR_H_
#define	_SYS_MALLOCVAR_H_

#include <sys/types.h>

/*
 * kern.malloc_stats, version 2: one struct malloc_stats_header, then
 * ms_count records of ms_recsize bytes each, starting at offset
 * ms_hdrsize.  Host byte order.  Fields are only ever added at the end of
 * either structure (with a new version); readers must use ms_hdrsize and
 * ms_recsize, not sizeof, to step through the blob.  Version 1 had no
 * mr_sizes (records of 80 bytes).
 */
#define	MALLOC_STATS_VERSION	2
#define	MALLOC_STATS_NAMELEN	32

struct malloc_stats_header {
	uint32_t	ms_version;	/* MALLOC_STATS_VERSION */
	uint32_t	ms_hdrsize;	/* sizeof(struct malloc_stats_header) */
	uint32_t	ms_recsize;	/* sizeof(struct malloc_stats_record) */
	uint32_t	ms_count;	/* records that follow */
	uint32_t	ms_ncpu;	/* per-CPU slots summed (maxcpus) */
	uint32_t	ms_fold;	/* hwm exact to ms_ncpu * ms_fold */
};

struct malloc_stats_record {
	char		mr_name[MALLOC_STATS_NAMELEN]; /* NUL-terminated */
	uint64_t	mr_inuse;	/* allocations not yet freed */
	int64_t		mr_bytes;	/* bytes requested, not yet freed */
	int64_t		mr_hwm;		/* high-water mark of mr_bytes */
	uint64_t	mr_limit;	/* 0: none */
	uint64_t	mr_requests;	/* successful allocations */
	uint64_t	mr_fails;	/* allocations that returned NULL */
	/* version 2 */
	uint64_t	mr_sizes;	/* size classes allocated from: bit k
					   for 2^(k-1) < size <= 2^k, and
					   16 bytes or less in bit 4 */
};
#define	MALLOC_STATS_RECSIZE_V1	80	/* up to mr_fails */

/*
 * kern.malloc_sites (kernels with option MALLOC_SITES), version 1: one
 * struct malloc_sites_header, then mss_count records of mss_recsize
 * bytes each, from offset mss_hdrsize; host byte order; fields only ever
 * added at the end, as above.  The first word is a magic number where
 * kern.malloc_stats has its version, so that neither blob passes for
 * the other.  One record per call site that has allocated: its place,
 * the type it allocated (the first, if several), and its blocks and
 * bytes, charged at the allocation and, whoever frees them, at the free.
 */
#define	MALLOC_SITES_MAGIC	0x6d736974	/* "msit" */
#define	MALLOC_SITES_VERSION	1
#define	MALLOC_SITE_FILELEN	64
#define	MALLOC_SITE_FUNCLEN	48

struct malloc_sites_header {
	uint32_t	mss_magic;	/* MALLOC_SITES_MAGIC */
	uint32_t	mss_version;	/* MALLOC_SITES_VERSION */
	uint32_t	mss_hdrsize;	/* sizeof(struct malloc_sites_header) */
	uint32_t	mss_recsize;	/* sizeof(struct malloc_site_record) */
	uint32_t	mss_count;	/* records that follow */
	uint32_t	mss_ncpu;	/* per-CPU slots summed (maxcpus) */
	uint32_t	mss_linked;	/* sites in the kernel's link set */
	uint32_t	mss_lost;	/* allocations no site could be had for */
};

/* msr_flags */
#define	MALLOC_SITE_TYPES	0x00000001 /* allocated several types */
#define	MALLOC_SITE_NOFREE	0x00000002 /* frees of some of its header-less
					      blocks not seen (the table of
					      them was full): those count as
					      in use */

struct malloc_site_record {
	char		msr_file[MALLOC_SITE_FILELEN];	/* its path in sys/ (its end) */
	char		msr_func[MALLOC_SITE_FUNCLEN];	/* NUL-terminated */
	char		msr_type[MALLOC_STATS_NAMELEN];	/* the first type */
	uint32_t	msr_line;
	uint32_t	msr_flags;	/* MALLOC_SITE_* */
	uint64_t	msr_requests;	/* successful allocations */
	uint64_t	msr_frees;	/* of those, freed */
	uint64_t	msr_inuse;	/* msr_requests - msr_frees */
	int64_t		msr_bytes;	/* bytes requested, not yet freed */
};

#ifdef _KERNEL
#include <sys/param.h>			/* COHERENCY_UNIT */

#define	M_MAGIC		877983977	/* time when first defined :-) */

/*
 * A malloc type, as MALLOC_DEFINE lays it out in the file that defines
 * it (a module, perhaps).  What kern_malloc.c keeps about the type
 * (its index, per-CPU counters, totals, limit) is in a structure of its
 * own, allocated on attach and reached through ks_handle, so that this
 * layout does not change when the accounting does.
 */
struct malloc_type_internal;

/*
 * A type whose every free(9) passes the allocation's size (defined with
 * MALLOC_DEFINE_SIZED): its memory has no header, so it keeps kmem(9)'s
 * own alignment, caches and size checks, at no extra byte; freeing it
 * without its size panics.
 */
#define	MALLOC_TYPE_SIZED	0x00000001

struct malloc_type {
	u_int		ks_magic;	/* M_MAGIC: a MALLOC_DEFINE'd type */
	u_int		ks_flags;	/* MALLOC_TYPE_*, from the definition */
	const char	*ks_shortdesc;	/* what mallocstat prints */
	const char	*ks_longdesc;
	struct malloc_type_internal *ks_handle;	/* NULL until attached */
};

#ifdef __MALLOC_PRIVATE
/*
 * Per-CPU counters of one type: one coherency unit each, written only by
 * the owning CPU (see kern_malloc.c); readers sum them.  mtc_bytes is
 * the CPU's share of the bytes in use not yet folded into mti_total
 * (negative when it freed more than it allocated since the last fold):
 * the type's bytes in use are mti_total plus every CPU's mtc_bytes.
 */
struct malloc_type_cpu {
	uint64_t	mtc_allocs;	/* successful allocations */
	uint64_t	mtc_frees;	/* frees */
	int64_t		mtc_bytes;	/* bytes in use not in mti_total */
	uint64_t	mtc_fails;	/* allocations that returned NULL */
	uint64_t	mtc_sizes;	/* size classes (mr_sizes) seen here */
} __aligned(COHERENCY_UNIT);

/*
 * kern_malloc.c's state of an attached type, with the per-CPU counters
 * after it, in one allocation.
 */
struct malloc_type_internal {
	u_int		mti_index;	/* slot in the type table */
	int		mti_slowflags;	/* malloc() flags that need malloc_slow */
	struct malloc_type_cpu *mti_cpu; /* maxcpus slots */
	uint64_t	mti_limit;	/* 0: no limit */
	volatile int64_t mti_total;	/* folded bytes in use */
	volatile int64_t mti_hwm;	/* high water of mti_total */
	volatile uint64_t mti_moved;	/* allocations detach moved here */
	volatile uint64_t mti_sizes;	/* size classes detach moved here */
	struct malloc_type *mti_type;	/* the type */
	struct malloc_type_internal *mti_next; /* list of attached types */
	void		*mti_mem;	/* what kmem gave */
} __aligned(COHERENCY_UNIT);
#endif /* __MALLOC_PRIVATE */

/*
 * MALLOC_JUSTDEFINE defines a type; MALLOC_DEFINE also puts it in the
 * malloc_types link set, whose types malloc_init() attaches.  A module
 * defines its types with either and calls malloc_type_attach() on load
 * and malloc_type_detach() on unload.  MALLOC_DECLARE is a plain extern
 * declaration, repeatable, and compatible with the definition.  The
 * _SIZED forms define a MALLOC_TYPE_SIZED type: every free of its memory
 * must be free(addr, type, size) (MALLOC_SIZED_FREE).
 */
#define	_MALLOC_JUSTDEFINE(type, shortdesc, longdesc, flags)		\
	struct malloc_type type[1] = {					\
		{ .ks_magic = M_MAGIC, .ks_flags = (flags),		\
		  .ks_shortdesc = (shortdesc), .ks_longdesc = (longdesc) } \
	}

#define	MALLOC_JUSTDEFINE(type, shortdesc, longdesc)			\
	_MALLOC_JUSTDEFINE(type, shortdesc, longdesc, 0)
#define	MALLOC_JUSTDEFINE_SIZED(type, shortdesc, longdesc)		\
	_MALLOC_JUSTDEFINE(type, shortdesc, longdesc, MALLOC_TYPE_SIZED)

#define	MALLOC_DEFINE(type, shortdesc, longdesc)			\
	MALLOC_JUSTDEFINE(type, shortdesc, longdesc);			\
	__link_set_add_data(malloc_types, type)
#define	MALLOC_DEFINE_SIZED(type, shortdesc, longdesc)			\
	MALLOC_JUSTDEFINE_SIZED(type, shortdesc, longdesc);		\
	__link_set_add_data(malloc_types, type)

#define	MALLOC_DECLARE(type)						\
	extern struct malloc_type type[1]

void	malloc_init(void);
void	malloc_type_attach(struct malloc_type *);
void	malloc_type_detach(struct malloc_type *);
void	malloc_type_setlimit(struct malloc_type *, uint64_t);
int	malloc_stats_export(void *, size_t *);
int	malloc_sites_export(void *, size_t *);	/* MALLOC_SITES */
#endif /* _KERNEL */

#endif /* !_SYS_MALLOCVAR_H_ */
