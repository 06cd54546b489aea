/*
 * Stress: THREADS threads (each a CPU) x OPS operations, random sizes
 * 1 B .. 64 KiB, random types; half the frees happen on another thread
 * (pointers travel through a shared exchange).  After join, every counter
 * must be exact: sum of per-CPU bytes == bytes still live, allocations -
 * frees == blocks still live, requests == allocations made.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/malloc.h>


#include "harness.h"

int t_passed, t_failed;

MALLOC_DEFINE(M_TEST1, "test1", "stress type 1");
MALLOC_DEFINE(M_TEST2, "test2", "stress type 2");
MALLOC_DEFINE(M_USBDEV, "USB device", "stress type 3");

#ifndef THREADS
#define	THREADS	8
#endif
#ifndef OPS
#define	OPS	1000000
#endif
#define	LIVE	64			/* blocks a thread holds at most */
#define	XCHG	1024			/* slots of the cross-thread exchange */
#define	NTYPES	3

static struct malloc_type *types[NTYPES] = { M_TEST1, M_TEST2, M_USBDEV };

struct blk {
	void	*p;
	size_t	size;
	int	type;
};

static struct blk xchg[XCHG];
static pthread_mutex_t xlock = PTHREAD_MUTEX_INITIALIZER;

/* what the threads made, to check the counters against */
static int64_t made_bytes[THREADS][NTYPES];
static int64_t made_allocs[THREADS][NTYPES], made_frees[THREADS][NTYPES];

static uint64_t
rnd(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
release(int t, struct blk *b)
{

	if (((unsigned char *)b->p)[b->size - 1] != (unsigned char)b->size)
		t_failed++;
	free(b->p, types[b->type]);
	made_bytes[t][b->type] -= b->size;
	made_frees[t][b->type]++;
}

static void *
worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (t + 1);
	struct blk live[LIVE], x;
	int n = 0, i;

	for (i = 0; i < OPS; i++) {
		uint64_t r = rnd(&seed);

		if (n < LIVE && (n == 0 || (r & 1))) {
			struct blk *b = &live[n++];

			b->size = 1 + (size_t)((r >> 8) % 65536);
			b->type = (int)((r >> 32) % NTYPES);
			b->p = malloc(b->size, types[b->type], M_WAITOK);
			((unsigned char *)b->p)[b->size - 1] = (unsigned char)b->size;
			made_bytes[t][b->type] += b->size;
			made_allocs[t][b->type]++;
		} else {
			int k = (int)((r >> 16) % n), s = (int)((r >> 40) % XCHG);

			if (r & 2) {		/* free it here */
				release(t, &live[k]);
			} else {		/* swap it for a block of another thread */
				pthread_mutex_lock(&xlock);
				x = xchg[s];
				xchg[s] = live[k];
				pthread_mutex_unlock(&xlock);
				if (x.p != NULL)
					release(t, &x);
			}
			live[k] = live[--n];
		}
	}
	while (n > 0)
		release(t, &live[--n]);
	return NULL;
}

int
main(void)
{
	pthread_t th[THREADS];
	unsigned long kmem_base;
	int t, k;
	u_int c;

	malloc_init();
	kmem_base = harness_kmem_live;		/* the types' counter arrays */
	for (t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (k = 0; k < XCHG; k++)		/* blocks left in the exchange */
		if (xchg[k].p != NULL)
			release(0, &xchg[k]);

	for (k = 0; k < NTYPES; k++) {
		struct malloc_type *ks = types[k];
		int64_t bytes = 0, mb = 0, ma = 0, mf = 0;
		uint64_t allocs = 0, frees = 0, fails = 0;

		for (c = 0; c < maxcpus; c++) {
			bytes += ks->ks_cpu[c].mtc_bytes;
			allocs += ks->ks_cpu[c].mtc_allocs;
			frees += ks->ks_cpu[c].mtc_frees;
			fails += ks->ks_cpu[c].mtc_fails;
		}
		for (t = 0; t < THREADS; t++) {
			mb += made_bytes[t][k];
			ma += made_allocs[t][k];
			mf += made_frees[t][k];
		}
#ifdef MALLOC_STATS_GLOBAL_ATOMIC
		bytes = ks->ks_total;
#endif
		CHECK(mb == 0 && ma == mf);
		CHECK(bytes == 0);
		CHECK(allocs == (uint64_t)ma && frees == (uint64_t)mf);
		CHECK(fails == 0);
		CHECK(ma > (int64_t)THREADS * OPS / NTYPES / 4);
		CHECK(ks->ks_hwm > 0 && ks->ks_hwm <= (int64_t)THREADS * LIVE * 65536 +
		    (int64_t)XCHG * 65536 + (int64_t)maxcpus * 65536);
		printf("%s: %jd allocations, %jd frees, high water %jd bytes\n",
		    ks->ks_shortdesc, (intmax_t)ma, (intmax_t)mf, (intmax_t)ks->ks_hwm);
	}
	harness_quarantine_flush();
	CHECK(harness_kmem_live == kmem_base);
	printf("%d threads x %d operations\n", THREADS, OPS);
	return T_REPORT();
}
