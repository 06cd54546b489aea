/*
 * Benchmarks (never part of make test): kern_malloc.c's counting against
 * kmem alone and against the other countings, in one program, so that
 * every figure comes from the same run, interleaved.
 *
 * The program links kern_malloc.c seven times: as it is (the per-CPU
 * counters a kernel gets: one add per counter, preemption disabled
 * around them), with MALLOC_COUNT_SPL (the same counters at IPL_VM, the
 * portable way), with harness/count_adds.h (the same adds with nothing
 * around them: wrong, but the floor of any per-CPU counting), with
 * harness/count_gs.h (the same adds, each one %gs-relative instruction:
 * exact with no section, the amd64 design not yet in the kernel), with
 * harness/count_atomic.h (one set of shared atomic counters per type) and
 * with harness/count_none.h (no counting: the header, the checks and the
 * calls only), and with option MALLOC_SITES (the per-CPU counters and
 * the call site's, its loops in bench_sites.c, built with the option as
 * a caller would be); the extra copies' names carry a prefix
 * (bench_names.h).
 *
 * 1. ns per malloc(64)+free pair, single thread (and for a header-less
 *    type, malloc(64)+free(p, T, 64) against kmem_intr_alloc(64)+free),
 *    against
 *    kmem_intr_alloc(72)+kmem_intr_free (what the shim asks kmem for) and
 *    against the least front end any malloc(9) over kmem can be (a call
 *    and an 8-byte size header, nothing else), each the best of ROUNDS
 *    rounds of PAIRS pairs, all interleaved; with two kmems: the
 *    harness's libc one (glibc's thread cache) and one that works as
 *    pool_cache(9) does (per-CPU free lists at IPL_VM; kernel.c).  The
 *    counting cost is the per-CPU build minus the no-counting build;
 *    MALLOC_SITES's, the sites build minus the per-CPU build.
 * 2. throughput at 1, 2, 4, 8 threads, every thread its own CPU slot and
 *    all on one type (the case per-CPU counters exist for), libc kmem:
 *    kmem alone, per-CPU counters, one global atomic per type.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/kmem.h>
#include <sys/malloc.h>

#include "harness.h"

MALLOC_DEFINE(M_TEST1, "test1", "bench");
MALLOC_DEFINE(M_TEST2, "test2", "unused");
MALLOC_DEFINE(M_USBDEV, "USB device", "unused");
MALLOC_DEFINE_SIZED(M_TSIZED, "tsized", "bench, header-less");
static MALLOC_JUSTDEFINE(M_BSPL, "bench spl", "bench, MALLOC_COUNT_SPL copy");
static MALLOC_JUSTDEFINE(M_BADDS, "bench adds", "bench, adds-only copy");
static MALLOC_JUSTDEFINE(M_BATOMIC, "bench atomic", "bench, atomic copy");
static MALLOC_JUSTDEFINE(M_BNONE, "bench none", "bench, no-counting copy");
static MALLOC_JUSTDEFINE(M_BGS, "bench gs", "bench, %gs-relative copy");
/* bench_sites.c's */
MALLOC_JUSTDEFINE(M_BSITES, "bench sites", "bench, MALLOC_SITES copy");
MALLOC_JUSTDEFINE_SIZED(M_BSITESZ, "bench sitesz",
    "bench, MALLOC_SITES copy, header-less");

/* The other copies of kern_malloc.c (bench_names.h). */
#define	COPY(p)								\
	void	*p##kern_malloc(unsigned long, struct malloc_type *, int); \
	void	p##kern_free(void *, struct malloc_type *);		\
	void	p##malloc_init(void);					\
	void	p##malloc_type_attach(struct malloc_type *)
COPY(spl_);
COPY(adds_);
COPY(atomic_);
COPY(none_);
COPY(gs_);
COPY(sites_);
void	count_gs_bind(void);
void	loop_sites(int);
void	loop_sites_sized(int);

extern bool harness_kmem_pool;

#define	PAIRS		20000		/* single-thread round */
#define	ROUNDS		500
#define	TPAIRS		1000000		/* per thread */
#define	TROUNDS		3
#define	MAXT		8

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Keep the compiler from dropping an allocation, without a shared store. */
#define	USE(p)	__asm__ __volatile__("" : : "r"(p) : "memory")

static void
loop_kmem(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *p = kmem_intr_alloc(64 + 8, KM_SLEEP);

		USE(p);
		kmem_intr_free(p, 64 + 8);
	}
}

static void
loop_kmem64(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *p = kmem_intr_alloc(64, KM_SLEEP);

		USE(p);
		kmem_intr_free(p, 64);
	}
}

static void
loop_sized(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *p = malloc(64, M_TSIZED, M_WAITOK);

		USE(p);
		kern_free_sized(p, M_TSIZED, 64);
	}
}

/*
 * The least front end: a call and a size header around kmem, no type,
 * no check, no counting.  Not inlined, as kern_malloc() is not (it is in
 * another file).
 */
static void * __noinline
floor_malloc(unsigned long size)
{
	uint64_t *p = kmem_intr_alloc(size + sizeof(*p), KM_SLEEP);

	*p = size + sizeof(*p);
	return p + 1;
}

static void __noinline
floor_free(void *addr)
{
	uint64_t *p = (uint64_t *)addr - 1;

	kmem_intr_free(p, *p);
}

static void
loop_floor(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *p = floor_malloc(64);

		USE(p);
		floor_free(p);
	}
}

#define	LOOP(name, m, f, type)						\
static void								\
name(int n)								\
{									\
	int i;								\
									\
	for (i = 0; i < n; i++) {					\
		void *p = m(64, type, M_WAITOK);			\
									\
		USE(p);							\
		f(p, type);						\
	}								\
}
LOOP(loop_pcpu, kern_malloc, kern_free, M_TEST1)
LOOP(loop_spl, spl_kern_malloc, spl_kern_free, M_BSPL)
LOOP(loop_adds, adds_kern_malloc, adds_kern_free, M_BADDS)
LOOP(loop_atomic, atomic_kern_malloc, atomic_kern_free, M_BATOMIC)
LOOP(loop_none, none_kern_malloc, none_kern_free, M_BNONE)
LOOP(loop_gs, gs_kern_malloc, gs_kern_free, M_BGS)

enum { V_KMEM, V_FLOOR, V_PCPU, V_SITES, V_SPL, V_ADDS, V_GS, V_ATOMIC,
    V_NONE, V_KMEM64, V_SIZED, V_SITESZ };

/* Each against a kmem baseline: the first row for a header, 72 bytes. */
static const struct variant {
	const char	*name;
	void		(*fn)(int);
	int		base;
} variants[] = {
	{ "kmem_intr_alloc(72)+free direct", loop_kmem, 0 },
	{ "least front end possible", loop_floor, 0 },
	{ "shim, per-CPU counters", loop_pcpu, 0 },
	{ "shim, MALLOC_SITES", loop_sites, 0 },
	{ "shim, per-CPU counters at splvm", loop_spl, 0 },
	{ "shim, per-CPU adds only (unsafe)", loop_adds, 0 },
	{ "shim, per-CPU %gs-relative adds", loop_gs, 0 },
	{ "shim, one global atomic per type", loop_atomic, 0 },
	{ "shim, no counting", loop_none, 0 },
	{ "kmem_intr_alloc(64)+free direct", loop_kmem64, V_KMEM64 },
	{ "shim, header-less type, sized free", loop_sized, V_KMEM64 },
	{ "shim, header-less, MALLOC_SITES", loop_sites_sized, V_KMEM64 },
};
#define	NVARIANTS	(sizeof(variants) / sizeof(variants[0]))

static double
ns_per_pair(void (*fn)(int))
{
	double t = now();

	fn(PAIRS);
	return (now() - t) * 1e9 / PAIRS;
}

struct targ {
	int		cpu;
	void		(*fn)(int);
};

static pthread_barrier_t tbar;

static void *
thr(void *arg)
{
	struct targ *a = arg;

	harness_cpu_set((u_int)a->cpu);
	a->fn(TPAIRS / 10);			/* warm up */
	pthread_barrier_wait(&tbar);
	a->fn(TPAIRS);
	pthread_barrier_wait(&tbar);
	return NULL;
}

/* M pairs per second with nt threads, best of TROUNDS. */
static double
throughput(int nt, void (*fn)(int))
{
	pthread_t th[MAXT];
	struct targ a[MAXT];
	double best = 0, t;
	int r, i;

	for (r = 0; r < TROUNDS; r++) {
		pthread_barrier_init(&tbar, NULL, (unsigned)nt + 1);
		for (i = 0; i < nt; i++) {
			a[i].cpu = i + 1;
			a[i].fn = fn;
			pthread_create(&th[i], NULL, thr, &a[i]);
		}
		pthread_barrier_wait(&tbar);
		t = now();
		pthread_barrier_wait(&tbar);
		t = now() - t;
		for (i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&tbar);
		t = (double)nt * TPAIRS / t / 1e6;
		best = t > best ? t : best;
	}
	return best;
}

int
main(void)
{
	static const char *const kname[2] = { "libc kmem", "pool_cache-like kmem" };
	double best[2][NVARIANTS], t, tk, tm, ta;
	size_t v;
	int r, k, nt;

	malloc_init();
	spl_malloc_init();
	atomic_malloc_init();
	none_malloc_init();
	adds_malloc_init();
	spl_malloc_type_attach(M_BSPL);
	adds_malloc_type_attach(M_BADDS);
	atomic_malloc_type_attach(M_BATOMIC);
	none_malloc_type_attach(M_BNONE);
	gs_malloc_init();
	gs_malloc_type_attach(M_BGS);
	sites_malloc_init();
	sites_malloc_type_attach(M_BSITES);
	sites_malloc_type_attach(M_BSITESZ);
	harness_cpu_set(0);
	count_gs_bind();
	for (k = 0; k < 2; k++)
		for (v = 0; v < NVARIANTS; v++) {
			harness_kmem_pool = k;
			variants[v].fn(PAIRS);		/* warm up */
			best[k][v] = 1e9;
		}
	for (r = 0; r < ROUNDS; r++)		/* best of ROUNDS, interleaved */
		for (k = 0; k < 2; k++)
			for (v = 0; v < NVARIANTS; v++) {
				harness_kmem_pool = k;
				t = ns_per_pair(variants[v].fn);
				best[k][v] = t < best[k][v] ? t : best[k][v];
			}
	harness_kmem_pool = false;

	printf("shim bench: ns per malloc(64)+free pair, single thread, best "
	    "of %d interleaved rounds of %d pairs\n\n", ROUNDS, PAIRS);
	printf("  %-34s %21s   %21s\n", "", kname[0], kname[1]);
	printf("  %-34s %7s %6s %6s   %7s %6s %6s\n", "", "ns/pair", "+ns",
	    "ratio", "ns/pair", "+ns", "ratio");
	for (v = 0; v < NVARIANTS; v++) {
		printf("  %-34s", variants[v].name);
		for (k = 0; k < 2; k++) {
			int b = variants[v].base;

			printf(" %7.2f", best[k][v]);
			if (v == (size_t)b)
				printf(" %6s %6s  ", "", "");
			else
				printf(" %+6.2f %6.3f  ", best[k][v] - best[k][b],
				    best[k][v] / best[k][b]);
		}
		printf("\n");
	}
	printf("\ncounting cost: %.2f ns/pair (per-CPU counters minus no "
	    "counting, %s; %.2f with the %s)\n",
	    best[0][V_PCPU] - best[0][V_NONE], kname[0],
	    best[1][V_PCPU] - best[1][V_NONE], kname[1]);
	printf("counting cost at splvm (MALLOC_COUNT_SPL): %.2f ns/pair (%s; "
	    "%.2f with the %s)\n", best[0][V_SPL] - best[0][V_NONE], kname[0],
	    best[1][V_SPL] - best[1][V_NONE], kname[1]);
	for (k = 0; k < 2; k++)
		printf("  of which the adds %.2f, their exactness (preemption "
		    "excluded) %.2f (%s)\n", best[k][V_ADDS] - best[k][V_NONE],
		    best[k][V_PCPU] - best[k][V_ADDS], kname[k]);
	for (k = 0; k < 2; k++)
		printf("counting cost with %%gs-relative adds (count_gs.h, the "
		    "amd64 design): %.2f ns/pair, the plain adds %.2f (%s)\n",
		    best[k][V_GS] - best[k][V_NONE],
		    best[k][V_ADDS] - best[k][V_NONE], kname[k]);
	for (k = 0; k < 2; k++)
		printf("MALLOC_SITES: off %.2f, on %.2f ns/pair, cost %.2f; "
		    "header-less (the table of its blocks) off %.2f, on "
		    "%.2f, cost %.2f (%s)\n", best[k][V_PCPU], best[k][V_SITES],
		    best[k][V_SITES] - best[k][V_PCPU], best[k][V_SIZED],
		    best[k][V_SITESZ], best[k][V_SITESZ] - best[k][V_SIZED],
		    kname[k]);
	printf("the rest of the shim (no counting minus least front end): "
	    "%.2f ns/pair (%s; %.2f with the %s)\n",
	    best[0][V_NONE] - best[0][V_FLOOR], kname[0],
	    best[1][V_NONE] - best[1][V_FLOOR], kname[1]);

	printf("\nthroughput, M pairs/s, all threads on one type, %s, best of "
	    "%d x %d pairs per thread (%ld CPUs):\n", kname[0], TROUNDS, TPAIRS,
	    sysconf(_SC_NPROCESSORS_ONLN));
	printf("  threads  kmem direct  per-CPU  global atomic  "
	    "per-CPU/atomic  per-CPU/kmem\n");
	for (nt = 1; nt <= MAXT; nt *= 2) {
		tk = throughput(nt, loop_kmem);
		tm = throughput(nt, loop_pcpu);
		ta = throughput(nt, loop_atomic);
		printf("  %7d  %11.2f  %7.2f  %13.2f  %14.3f  %12.3f\n", nt,
		    tk, tm, ta, tm / ta, tm / tk);
	}
	return 0;
}
