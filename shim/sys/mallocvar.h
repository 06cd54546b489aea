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
 * Malloc types: one struct malloc_type per MALLOC_DEFINE, with per-CPU
 * usage counters, and the versioned record kern.malloc_stats exports.
 */

#ifndef _SYS_MALLOCVAR_H_
#define	_SYS_MALLOCVAR_H_

#include <sys/types.h>

#define	M_MAGIC		877983977	/* time when first defined :-) */

/*
 * Per-CPU counters of one type.  Only the owning CPU writes them, with
 * preemption disabled; readers sum them.  One cache line each.
 */
struct malloc_type_cpu {
	int64_t		mtc_bytes;	/* bytes allocated - bytes freed */
	uint64_t	mtc_allocs;	/* successful allocations */
	uint64_t	mtc_frees;	/* frees */
	uint64_t	mtc_fails;	/* allocations that returned NULL */
	int64_t		mtc_unfolded;	/* bytes not yet folded into ks_total */
} __attribute__((__aligned__(64)));

struct malloc_type {
	u_int		ks_magic;	/* M_MAGIC: a MALLOC_DEFINE'd type */
	const char	*ks_shortdesc;	/* what vmstat -m / mallocstat print */
	const char	*ks_longdesc;
	u_int		ks_index;	/* slot in malloc_type_table, 0: detached */
	struct malloc_type_cpu *ks_cpu;	/* maxcpus slots, from attach */
	volatile int64_t ks_total;	/* folded bytes in use */
	volatile int64_t ks_hwm;	/* high water of ks_total */
	uint64_t	ks_limit;	/* 0: no limit */
	struct malloc_type *ks_next;	/* list of attached types */
};

#define	MALLOC_STATS_VERSION	1
#define	MALLOC_STATS_NAMELEN	32

/* kern.malloc_stats: this header, then ms_count records. */
struct malloc_stats_header {
	uint32_t	ms_version;	/* MALLOC_STATS_VERSION */
	uint32_t	ms_hdrsize;	/* sizeof(struct malloc_stats_header) */
	uint32_t	ms_recsize;	/* sizeof(struct malloc_stats_record) */
	uint32_t	ms_count;	/* records that follow */
	uint32_t	ms_ncpu;	/* CPUs summed */
	uint32_t	ms_fold;	/* hwm/limit exact to ms_ncpu * ms_fold bytes */
};

struct malloc_stats_record {
	char		mr_name[MALLOC_STATS_NAMELEN];	/* NUL-terminated short name */
	uint64_t	mr_inuse;	/* allocations not yet freed */
	int64_t		mr_bytes;	/* bytes in use */
	int64_t		mr_hwm;		/* high water mark of bytes in use */
	uint64_t	mr_limit;	/* 0: none */
	uint64_t	mr_requests;	/* successful allocations */
	uint64_t	mr_fails;	/* failed allocations */
};

#ifdef _KERNEL
#define	MALLOC_JUSTDEFINE(type, shortdesc, longdesc)			\
	struct malloc_type type[1] = {					\
		{ .ks_magic = M_MAGIC, .ks_shortdesc = shortdesc,	\
		  .ks_longdesc = longdesc }				\
	}

#define	MALLOC_DEFINE(type, shortdesc, longdesc)			\
	MALLOC_JUSTDEFINE(type, shortdesc, longdesc);			\
	__link_set_add_data(malloc_types, type)

#define	MALLOC_DECLARE(type)						\
	extern struct malloc_type type[1]

void	malloc_init(void);
void	malloc_type_attach(struct malloc_type *);
void	malloc_type_detach(struct malloc_type *);
void	malloc_type_setlimit(struct malloc_type *, uint64_t);
int	malloc_stats_export(void *, size_t *);
#endif /* _KERNEL */

#endif /* !_SYS_MALLOCVAR_H_ */
