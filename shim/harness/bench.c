/*
 * Benchmarks, measured in one run (never part of make test).
 *
 *	bench ATOMIC NOSTATS
 *			the whole report; ATOMIC and NOSTATS are this
 *			program built with count_atomic.h and count_none.h
 *			as kern_malloc.c's counting (MALLOC_COUNT_ALT),
 *			which it runs for the numbers of those variants
 *	bench -s	ns per malloc+free pair, this build, one number
 *	bench -t N	M pairs/s with N threads, this build, one number
 *
 * 1. ns per malloc(64)+free pair through kern_malloc.c against the same
 *    harness calling kmem_intr_alloc/free(72) directly (what the shim
 *    asks kmem for), single thread, best of many short interleaved
 *    rounds; and, interleaved with both, the least any malloc(9) front
 *    end over kmem can do (floor_malloc/floor_free below: one call and an
 *    8-byte size header, no type, no check, no counting), which says how
 *    much of the overhead the front end costs before it does anything;
 * 2. throughput at 1, 2, 4, 8 threads, every thread its own CPU slot and
 *    all on one type (the case per-CPU counters exist for): kmem alone,
 *    per-CPU counters, one global atomic per type; best of 3 each.
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

#define	PAIRS		20000		/* single-thread round */
#define	TPAIRS		1000000		/* per thread */
#define	ROUNDS		500
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

/*
 * The least front end: today's kern_malloc.c without its checks.  Not
 * inlined, as kern_malloc() is not (it is in another file).
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

static void
loop_malloc(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *p = malloc(64, M_TEST1, M_WAITOK);

		USE(p);
		free(p, M_TEST1);
	}
}

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

/* One number from the other build. */
static double
child(const char *prog, const char *args)
{
	char cmd[1024];
	double v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s", prog, args);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fscanf(p, "%lf", &v) != 1)
		v = -1;
	pclose(p);
	return v;
}

int
main(int argc, char **argv)
{
	double k = 1e9, m = 1e9, f = 1e9, t, a, z, tk, tm, ta;
	char args[32];
	int r, nt;

	malloc_init();
	harness_cpu_set(0);
	loop_kmem(PAIRS / 10);			/* warm up */
	loop_malloc(PAIRS / 10);
	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		for (r = 0; r < ROUNDS; r++) {
			t = ns_per_pair(loop_malloc);
			m = t < m ? t : m;
		}
		printf("%.3f\n", m);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		printf("%.3f\n", throughput(atoi(argv[2]),
		    getenv("BENCH_KMEM") != NULL ? loop_kmem : loop_malloc));
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: bench ATOMIC-BUILD NOSTATS-BUILD | -s | "
		    "-t N\n");
		return 2;
	}

	for (r = 0; r < ROUNDS; r++) {		/* best of ROUNDS, interleaved */
		t = ns_per_pair(loop_kmem);
		k = t < k ? t : k;
		t = ns_per_pair(loop_malloc);
		m = t < m ? t : m;
		t = ns_per_pair(loop_floor);
		f = t < f ? t : f;
	}
	for (a = z = 1e9, r = 0; r < 3; r++) {	/* other processes: best of 3 */
		t = child(argv[1], "-s");
		a = t > 0 && t < a ? t : a;
		t = child(argv[2], "-s");
		z = t > 0 && t < z ? t : z;
	}
	printf("shim bench (harness kmem = libc malloc)\n\n");
	printf("single thread, malloc(64)+free vs kmem_intr_alloc(72)+free, "
	    "best of %d x %d pairs:\n", ROUNDS, PAIRS);
	printf("  kmem_intr_alloc+free direct  %6.2f ns/pair\n", k);
	printf("  least front end possible     %6.2f ns/pair   overhead "
	    "%+5.2f ns  (a call and a size header, nothing else)\n", f, f - k);
	printf("  shim, per-CPU counters       %6.2f ns/pair   overhead "
	    "%+5.2f ns  ratio %.3f\n", m, m - k, m / k);
	printf("  shim, global atomic          %6.2f ns/pair   overhead "
	    "%+5.2f ns  ratio %.3f\n", a, a - k, a / k);
	printf("  shim, no counting            %6.2f ns/pair   overhead "
	    "%+5.2f ns  (header, checks and call only)\n", z, z - k);
	printf("  target: <= 5%% or <= 2 ns overhead: %s\n",
	    m / k <= 1.05 || m - k <= 2.0 ? "met" : "NOT met");
	printf("  (the least front end takes %.0f%% of that 2 ns before it "
	    "does anything)\n", (f - k) / 2.0 * 100);

	printf("\nthroughput, M pairs/s, all threads on one type, best of "
	    "%d x %d pairs per thread (%ld CPUs):\n", TROUNDS, TPAIRS,
	    sysconf(_SC_NPROCESSORS_ONLN));
	printf("  threads  kmem direct  per-CPU  global atomic  "
	    "per-CPU/atomic  per-CPU/kmem\n");
	for (nt = 1; nt <= MAXT; nt *= 2) {
		tk = throughput(nt, loop_kmem);
		tm = throughput(nt, loop_malloc);
		snprintf(args, sizeof(args), "-t %d", nt);
		ta = child(argv[1], args);
		printf("  %7d  %11.2f  %7.2f  %13.2f  %14.3f  %12.3f\n", nt,
		    tk, tm, ta, tm / ta, tm / tk);
	}
	return 0;
}
