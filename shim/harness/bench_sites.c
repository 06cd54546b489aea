/*
 * The benchmark's MALLOC_SITES loops (bench.c): built with the option
 * and the names of the sites_ copy of kern_malloc.c (bench_names.h), so
 * that malloc() and free() here are what a caller gets with the option:
 * a static site record in the link set and a call of
 * malloc_site_alloc(); free() is the same call as without it.
 */
#include <sys/param.h>
#include <sys/malloc.h>

#ifndef MALLOC_SITES
#error "bench_sites.c is built with -DMALLOC_SITES"
#endif

MALLOC_DECLARE(M_BSITES);
MALLOC_DECLARE(M_BSITESZ);

void	loop_sites(int);
void	loop_sites_sized(int);

/* Keep the compiler from dropping an allocation (bench.c's USE). */
#define	USE(p)	__asm__ __volatile__("" : : "r"(p) : "memory")

void
loop_sites(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *p = malloc(64, M_BSITES, M_WAITOK);

		USE(p);
		free(p, M_BSITES);
	}
}

/* A header-less type: its block's site kept in the table on the side. */
void
loop_sites_sized(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *p = malloc(64, M_BSITESZ, M_WAITOK);

		USE(p);
		free(p, M_BSITESZ, 64);
	}
}
