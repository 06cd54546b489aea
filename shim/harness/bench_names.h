/*
 * Included first (-include) in the benchmark's extra builds of
 * kern_malloc.c, with -DBENCH_PREFIX=xyz_: every external name of the
 * file gets the prefix, so that several countings link into one program
 * and the benchmark can interleave them.  A name missing here is a
 * duplicate symbol at link time, not a silent mix-up.
 */
#define	BENCH_CAT(a, b)		a##b
#define	BENCH_XCAT(a, b)	BENCH_CAT(a, b)
#define	BENCH_NAME(n)		BENCH_XCAT(BENCH_PREFIX, n)

#define	kern_malloc		BENCH_NAME(kern_malloc)
#define	kern_free		BENCH_NAME(kern_free)
#define	kern_free_sized		BENCH_NAME(kern_free_sized)
#define	kern_realloc		BENCH_NAME(kern_realloc)
#define	malloc_init		BENCH_NAME(malloc_init)
#define	malloc_type_attach	BENCH_NAME(malloc_type_attach)
#define	malloc_type_detach	BENCH_NAME(malloc_type_detach)
#define	malloc_type_setlimit	BENCH_NAME(malloc_type_setlimit)
#define	malloc_stats_export	BENCH_NAME(malloc_stats_export)
#define	malloc_types		BENCH_NAME(malloc_types)
#ifndef MALLOC_SITES
#define	malloc_asprintf		BENCH_NAME(malloc_asprintf)
#define	malloc_strdupsize	BENCH_NAME(malloc_strdupsize)
#define	malloc_strndup		BENCH_NAME(malloc_strndup)
#define	malloc_tmpbuf_alloc	BENCH_NAME(malloc_tmpbuf_alloc)
#else
/*
 * <sys/malloc.h> makes these four macros with MALLOC_SITES, and
 * kern_malloc.c defines the functions by their names: the one copy built
 * with the option (sites_) renames their symbols instead.
 */
#pragma redefine_extname malloc_asprintf sites_malloc_asprintf
#pragma redefine_extname malloc_strdupsize sites_malloc_strdupsize
#pragma redefine_extname malloc_strndup sites_malloc_strndup
#pragma redefine_extname malloc_tmpbuf_alloc sites_malloc_tmpbuf_alloc
#endif
#define	malloc_strfree		BENCH_NAME(malloc_strfree)
#define	malloc_site_alloc	BENCH_NAME(malloc_site_alloc)
#define	malloc_site_realloc	BENCH_NAME(malloc_site_realloc)
#define	malloc_site_asprintf	BENCH_NAME(malloc_site_asprintf)
#define	malloc_site_strdupsize	BENCH_NAME(malloc_site_strdupsize)
#define	malloc_site_strndup	BENCH_NAME(malloc_site_strndup)
#define	malloc_site_tmpbuf_alloc BENCH_NAME(malloc_site_tmpbuf_alloc)
#define	malloc_sites_export	BENCH_NAME(malloc_sites_export)
#define	malloc_sites		BENCH_NAME(malloc_sites)
#define	malloc_tmpbuf_free	BENCH_NAME(malloc_tmpbuf_free)
#define	M_DEVBUF		BENCH_NAME(M_DEVBUF)
#define	M_DMAMAP		BENCH_NAME(M_DMAMAP)
#define	M_FREE			BENCH_NAME(M_FREE)
#define	M_TEMP			BENCH_NAME(M_TEMP)
#define	M_RTABLE		BENCH_NAME(M_RTABLE)
#define	M_FTABLE		BENCH_NAME(M_FTABLE)
#define	M_UFSMNT		BENCH_NAME(M_UFSMNT)
#define	M_NETADDR		BENCH_NAME(M_NETADDR)
#define	M_MRTABLE		BENCH_NAME(M_MRTABLE)
