/*
 * Benchmarks, measured in one run (never part of make test):
 *  1. ns per malloc+free pair through kern_malloc.c against the same
 *     harness calling kmem_intr_alloc/free directly;
 *  2. pairs per second at 1, 2, 4 and 8 threads, this build's counters.
 * bench_atomic is the same file linked with kern_malloc.c built with
 * MALLOC_STATS_GLOBAL_ATOMIC (one shared atomic total per type).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/malloc.h>


MALLOC_DEFINE(M_TEST1, "test1", "bench");
MALLOC_DEFINE(M_TEST2, "test2", "unused");
MALLOC_DEFINE(M_USBDEV, "USB device", "unused");

#define	N	2000000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile void *sink;

static double
pairs_kmem(int n)
{
	double t = now();
	int i;

	for (i = 0; i < n; i++) {
		void *p = kmem_intr_alloc(64 + 8, KM_SLEEP);
		sink = p;
		kmem_intr_free(p, 64 + 8);
	}
	return (now() - t) * 1e9 / n;
}

static double
pairs_malloc(int n)
{
	double t = now();
	int i;

	for (i = 0; i < n; i++) {
		void *p = malloc(64, M_TEST1, M_WAITOK);
		sink = p;
		free(p, M_TEST1);
	}
	return (now() - t) * 1e9 / n;
}

static void *
thr(void *arg)
{

	(void)arg;
	pairs_malloc(N / 4);
	return NULL;
}

int
main(void)
{
	double k = 1e9, m = 1e9, t;
	int r, i, nt;
	pthread_t th[8];

	malloc_init();
	pairs_kmem(N / 10);			/* warm up */
	pairs_malloc(N / 10);
	for (r = 0; r < 5; r++) {		/* best of 5, interleaved */
		t = pairs_kmem(N);
		k = t < k ? t : k;
		t = pairs_malloc(N);
		m = t < m ? t : m;
	}
	printf("%s\n", MALLOC_BENCH_NAME);
	printf("  kmem_intr_alloc+free : %6.1f ns/pair\n", k);
	printf("  malloc+free (shim)   : %6.1f ns/pair\n", m);
	printf("  overhead             : %+6.1f ns/pair (%+.1f%%)\n", m - k,
	    100 * (m - k) / k);
	for (nt = 1; nt <= 8; nt *= 2) {
		t = now();
		for (i = 0; i < nt; i++)
			pthread_create(&th[i], NULL, thr, NULL);
		for (i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
		t = now() - t;
		printf("  %d thread%s: %6.2f M pairs/s\n", nt, nt > 1 ? "s" : " ",
		    nt * (N / 4) / t / 1e6);
	}
	return 0;
}
