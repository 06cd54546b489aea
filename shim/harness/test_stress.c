/*
 * Stress: THREADS threads (each a CPU) x OPS operations, random sizes
 * 1 B .. 64 KiB, random types (one of them header-less, freed with its
 * size; under MALLOC_DEBUG_TYPES every such block is recorded on the
 * side, and every free checked against the record: any record lost or
 * left behind by a race panics); many frees happen on another thread
 * (blocks travel through a shared exchange, a queue of slots, and in a
 * hand-off phase every thread frees HANDOFF blocks of the next one's).
 * After join, every counter must be exact: the sum over CPUs of bytes in
 * use == bytes the threads still hold, allocations - frees == blocks
 * still held, requests == allocations made, no failures; the folded
 * total plus every CPU's unfolded share == the bytes in use; the sysctl
 * blob says the same.  Meanwhile another thread interrupts the CPUs
 * (<sys/intr.h>) round-robin, one interrupt at a time, and each
 * interrupt allocates (M_NOWAIT) or frees a block of a random type on the
 * CPU it lands on; those count too.  Every bound is a count: a worker
 * goes on until it has done OPS operations and taken INTR_PER_CPU
 * interrupts.  A last phase checks that the high-water mark is within
 * THREADS * MALLOC_FOLD of a known peak.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define	__MALLOC_PRIVATE		/* the tests look inside */
#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/intr.h>
#include <sys/malloc.h>

#include "harness.h"

int t_passed, t_failed;

MALLOC_DEFINE(M_TEST1, "test1", "stress type 1");
MALLOC_DEFINE(M_TEST2, "test2", "stress type 2");
MALLOC_DEFINE(M_USBDEV, "USB device", "stress type 3");
MALLOC_DEFINE_SIZED(M_SIZED, "sized", "stress type 4, header-less");
static MALLOC_JUSTDEFINE(M_PEAK, "peak", "high-water phase");

#ifndef THREADS
#define	THREADS	8
#endif
#ifndef OPS
#define	OPS	1000000
#endif
#define	LIVE	64			/* blocks a thread holds at most */
#define	XCHG	1024			/* slots of the cross-thread exchange */
#define	NTYPES	4
#define	PEAKBLK	200			/* blocks per thread, peak phase */
#define	HANDOFF	1000			/* blocks each thread frees for another */
#define	INTR_PER_CPU 500		/* interrupts each CPU takes, at least */

static struct malloc_type *types[NTYPES] = { M_TEST1, M_TEST2, M_USBDEV,
    M_SIZED };

struct blk {
	unsigned char	*p;
	size_t		size;
	int		type;
};

static struct blk xchg[XCHG];
static pthread_mutex_t xlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t peak_barrier;
static struct blk handoff[THREADS][HANDOFF];
static pthread_barrier_t handoff_barrier;

/* What the threads did, to check the counters against. */
struct made {
	int64_t	bytes[NTYPES], allocs[NTYPES], frees[NTYPES];
	int64_t	allocated[NTYPES];	/* bytes, frees not subtracted */
	int64_t	crossed;		/* frees of another thread's block */
	int64_t	corrupt;		/* blocks whose contents changed */
	int	owner;
} __attribute__((__aligned__(64)));
static struct made made[THREADS + 1];

/*
 * What the interrupts did on each CPU: only that CPU's interrupt handler
 * touches its slot (handlers do not nest), and main after the join.
 */
#define	INTR_HELD	8
struct intr_cpu {
	struct blk	blk[INTR_HELD];
	int		n;
	uint64_t	seed, runs;
	struct made	made;
} __attribute__((__aligned__(64)));
static struct intr_cpu intr_cpu[THREADS];
static _Thread_local int intr_me;	/* worker index + 1, 0: no CPU yet */
static bool intr_stop;

static uint64_t
rnd(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
fill(struct blk *b, int t)
{

	if (b->size > 1)
		b->p[0] = (unsigned char)t;
	b->p[b->size - 1] = (unsigned char)b->size;
}

/* free(9) as the block's type wants it: a header-less one with the size */
static void
blk_free(const struct blk *b)
{
	struct malloc_type *ks = types[b->type];

	if ((ks->ks_flags & MALLOC_TYPE_SIZED) != 0)
		kern_free_sized(b->p, ks, b->size);
	else
		free(b->p, ks);
}

static void
release(int t, struct blk *b)
{
	struct made *m = &made[t];

	if (b->p[b->size - 1] != (unsigned char)b->size)
		m->corrupt++;
	if (b->size > 1 && b->p[0] != (unsigned char)t)
		m->crossed++;
	blk_free(b);
	m->bytes[b->type] -= (int64_t)b->size;
	m->frees[b->type]++;
}

/* An interrupt: allocate or free one block on this CPU. */
static void
stress_intr(void)
{
	struct intr_cpu *ic;
	struct blk *b;
	uint64_t r;

	if (intr_me == 0)
		return;
	ic = &intr_cpu[intr_me - 1];
	r = rnd(&ic->seed);
	__atomic_add_fetch(&ic->runs, 1, __ATOMIC_RELAXED);
	if (ic->n < INTR_HELD && (ic->n == 0 || (r & 1) != 0)) {
		b = &ic->blk[ic->n];
		b->size = 1 + (size_t)((r >> 8) % 4096);
		b->type = (int)((r >> 32) % NTYPES);
		b->p = malloc(b->size, types[b->type], M_NOWAIT);
		if (b->p == NULL)
			return;
		fill(b, intr_me - 1);
		ic->n++;
		ic->made.bytes[b->type] += (int64_t)b->size;
		ic->made.allocs[b->type]++;
		ic->made.allocated[b->type] += (int64_t)b->size;
	} else {
		b = &ic->blk[--ic->n];
		blk_free(b);
		ic->made.bytes[b->type] -= (int64_t)b->size;
		ic->made.frees[b->type]++;
	}
}

/* One interrupt at a time (harness_intr_send), round-robin. */
static void *
intr_source(void *arg)
{
	pthread_t *th = arg;
	int t = 0;

	while (!__atomic_load_n(&intr_stop, __ATOMIC_RELAXED)) {
		harness_intr_send(th[t], SIGUSR1, &intr_stop);
		t = (t + 1) % THREADS;
	}
	return NULL;
}

static void *
worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
	struct blk live[LIVE], x;
	struct made *m = &made[t];
	void *pk[PEAKBLK];
	int n = 0, i;

	(void)harness_cpu_enter();		/* this thread's own CPU */
	intr_cpu[t].seed = seed ^ 0x5bd1e995;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	intr_me = t + 1;
	/*
	 * Bounded by counts, not time: OPS operations, and on until this
	 * CPU has taken INTR_PER_CPU interrupts, however loaded the machine.
	 */
	for (i = 0; i < OPS || __atomic_load_n(&intr_cpu[t].runs,
	    __ATOMIC_RELAXED) < INTR_PER_CPU; i++) {
		uint64_t r = rnd(&seed);

		if (n < LIVE && (n == 0 || (r & 1))) {
			struct blk *b = &live[n++];

			b->size = 1 + (size_t)((r >> 8) % 65536);
			b->type = (int)((r >> 32) % NTYPES);
			b->p = malloc(b->size, types[b->type], M_WAITOK);
			fill(b, t);
			m->bytes[b->type] += (int64_t)b->size;
			m->allocs[b->type]++;
			m->allocated[b->type] += (int64_t)b->size;
		} else {
			int k = (int)((r >> 16) % (uint64_t)n);
			int s = (int)((r >> 40) % XCHG);

			if (r & 2) {		/* free it here */
				release(t, &live[k]);
			} else {		/* swap it for another's block */
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
	CHECK(harness_ilevel == IPL_NONE);

	/*
	 * Hand-off phase: whatever the scheduler did above, every thread
	 * frees HANDOFF blocks the next thread allocated.
	 */
	for (i = 0; i < HANDOFF; i++) {
		struct blk *b = &handoff[t][i];

		b->size = 1 + (size_t)(rnd(&seed) % 4096);
		b->type = i % NTYPES;
		b->p = malloc(b->size, types[b->type], M_WAITOK);
		fill(b, t);
		m->bytes[b->type] += (int64_t)b->size;
		m->allocs[b->type]++;
		m->allocated[b->type] += (int64_t)b->size;
	}
	pthread_barrier_wait(&handoff_barrier);
	for (i = 0; i < HANDOFF; i++)
		release(t, &handoff[(t + 1) % THREADS][i]);

	/* peak phase: everyone holds PEAKBLK blocks of 1000 B at once */
	for (i = 0; i < PEAKBLK; i++)
		pk[i] = malloc(1000, M_PEAK, M_WAITOK);
	pthread_barrier_wait(&peak_barrier);
	pthread_barrier_wait(&peak_barrier);	/* main has looked */
	for (i = 0; i < PEAKBLK; i++)
		free(pk[i], M_PEAK);
	return NULL;
}

static void
check_type(struct malloc_type *ks, int k, const struct malloc_stats_record *r)
{
	const struct malloc_type_internal *mti = ks->ks_handle;
	int64_t bytes = mti->mti_total, mb = 0, ma = 0, mf = 0;
	uint64_t allocs = 0, frees = 0, fails = 0;
	u_int c, unbounded = 0;
	int t;

	for (c = 0; c < maxcpus; c++) {
		bytes += mti->mti_cpu[c].mtc_bytes;	/* folded + unfolded */
		if (mti->mti_cpu[c].mtc_bytes >= 65536 ||
		    mti->mti_cpu[c].mtc_bytes <= -65536)
			unbounded++;
		allocs += mti->mti_cpu[c].mtc_allocs;
		frees += mti->mti_cpu[c].mtc_frees;
		fails += mti->mti_cpu[c].mtc_fails;
	}
	for (t = 0; t <= THREADS; t++) {
		mb += made[t].bytes[k];
		ma += made[t].allocs[k];
		mf += made[t].frees[k];
	}
	for (t = 0; t < THREADS; t++) {
		mb += intr_cpu[t].made.bytes[k];
		ma += intr_cpu[t].made.allocs[k];
		mf += intr_cpu[t].made.frees[k];
	}
	CHECK(mb == 0 && ma == mf);		/* the test freed everything */
	CHECK(bytes == mb);
	CHECK(allocs == (uint64_t)ma && frees == (uint64_t)mf);
	CHECK(fails == 0);
	CHECK(unbounded == 0);		/* every CPU's share within 64 KiB */
	CHECK(ma > (int64_t)THREADS * OPS / NTYPES / 4);
	CHECK(mti->mti_hwm > 65536 && mti->mti_hwm <=
	    (int64_t)(THREADS * LIVE + XCHG + maxcpus) * 65536);
	CHECK(r != NULL && r->mr_bytes == bytes && r->mr_inuse == allocs - frees &&
	    r->mr_requests == allocs && r->mr_fails == 0 &&
	    r->mr_hwm == mti->mti_hwm);
	printf("%-10s %8jd allocations, %8jd frees, high water %jd bytes\n",
	    ks->ks_shortdesc, (intmax_t)ma, (intmax_t)mf,
	    (intmax_t)mti->mti_hwm);
}

static const struct malloc_stats_record *
find(const char *blob, const char *name)
{
	const struct malloc_stats_header *h = (const void *)blob;
	const struct malloc_stats_record *r;
	u_int i;

	for (i = 0; i < h->ms_count; i++) {
		r = (const void *)(blob + h->ms_hdrsize + i * h->ms_recsize);
		if (strcmp(r->mr_name, name) == 0)
			return r;
	}
	return NULL;
}

#ifdef MALLOC_SITES
#define	SITE_CHUNK	64	/* kern_malloc.c's MALLOC_SITE_CHUNK */

/*
 * MALLOC_SITES: the per-site counters, updated in the same conditions,
 * must add up to what the threads did: every allocation at some site,
 * and every header type's free charged to its block's site, whichever
 * thread or interrupt freed it, header-less ones too (through the table
 * of header-less blocks, which MALLOC_SITES keeps with or without
 * MALLOC_DEBUG_TYPES).  The number of chunks the sites took from kmem,
 * for the final kmem check.
 */
static unsigned long
check_sites(void)
{
	const struct malloc_sites_header *h;
	const struct malloc_site_record *r;
	uint64_t requests = 0, frees = 0, allreq = 0, sizedreq = 0, nofree = 0;
	int64_t bytes = 0, sizedbytes = 0;
	sysctlfn fn = harness_sysctl_find("malloc_sites");
	size_t len = 0;
	char *blob;
	u_int i, peak = 0;
	int t, k;

	CHECK(fn != NULL && fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	blob = malloc_libc(len);
	CHECK(fn(NULL, 0, blob, &len, NULL, 0, NULL, NULL, NULL) == 0);
	h = (const void *)blob;
	CHECK(h->mss_magic == MALLOC_SITES_MAGIC && h->mss_lost == 0);
	CHECK(h->mss_count == 4);	/* 3 of the types, one of peak */
	for (i = 0; i < h->mss_count; i++) {
		r = (const void *)(blob + h->mss_hdrsize + i * h->mss_recsize);
		requests += r->msr_requests;
		frees += r->msr_frees;
		bytes += r->msr_bytes;
		CHECK(r->msr_inuse == r->msr_requests - r->msr_frees);
		if ((r->msr_flags & MALLOC_SITE_NOFREE) != 0)
			nofree++;
		if (strcmp(r->msr_type, "peak") == 0) {
			peak++;
			CHECK(r->msr_requests == THREADS * PEAKBLK &&
			    r->msr_frees == r->msr_requests &&
			    r->msr_bytes == 0 && r->msr_flags == 0);
		} else
			CHECK((r->msr_flags & MALLOC_SITE_TYPES) != 0);
	}
	CHECK(peak == 1);
	for (k = 0; k < NTYPES; k++)		/* threads, then interrupts */
		for (t = 0; t < 2 * THREADS + 1; t++) {
			const struct made *m = t <= THREADS ? &made[t] :
			    &intr_cpu[t - THREADS - 1].made;

			allreq += (uint64_t)m->allocs[k];
			if ((types[k]->ks_flags & MALLOC_TYPE_SIZED) != 0) {
				sizedreq += (uint64_t)m->allocs[k];
				sizedbytes += m->allocated[k];
			}
		}
	requests -= THREADS * PEAKBLK;
	frees -= THREADS * PEAKBLK;
	CHECK(requests == allreq);
	CHECK(nofree == 0 && frees == requests && bytes == 0);
	CHECK(sizedreq > 0 && sizedbytes > 0);	/* header-less ones were */
	printf("sites: %u, %ju requests, %ju frees\n", h->mss_count,
	    (uintmax_t)requests, (uintmax_t)frees);
	free_libc(blob);
	return (h->mss_count + 1 + SITE_CHUNK - 1) / SITE_CHUNK;
}
#endif

int
main(void)
{
	pthread_t th[THREADS], src;
	unsigned long kmem_base;
	uint64_t runs = 0;
	int64_t peak, hwm, crossed = 0, corrupt = 0;
	size_t len = 0;
	char *blob;
	int t, k;

	malloc_init();
	harness_sysctl_init();
	malloc_type_attach(M_PEAK);
	kmem_base = harness_kmem_live;		/* the types' counter arrays */
	pthread_barrier_init(&peak_barrier, NULL, THREADS + 1);
	pthread_barrier_init(&handoff_barrier, NULL, THREADS);
	harness_intr_establish(SIGUSR1, stress_intr);
	for (t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
	pthread_create(&src, NULL, intr_source, th);
	pthread_barrier_wait(&peak_barrier);
	__atomic_store_n(&intr_stop, true, __ATOMIC_RELAXED);
	pthread_join(src, NULL);		/* before any worker exits */
	peak = (int64_t)THREADS * PEAKBLK * 1000;
	hwm = M_PEAK->ks_handle->mti_hwm;
	pthread_barrier_wait(&peak_barrier);
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	harness_intr_disestablish(SIGUSR1);
	for (k = 0; k < XCHG; k++)		/* blocks left in the exchange */
		if (xchg[k].p != NULL)
			release(THREADS, &xchg[k]);
	for (t = 0; t < THREADS; t++) {		/* and the interrupts' */
		while (intr_cpu[t].n > 0)
			release(THREADS, &intr_cpu[t].blk[--intr_cpu[t].n]);
		runs += intr_cpu[t].runs;
	}
	CHECK(runs >= (uint64_t)THREADS * INTR_PER_CPU);
	printf("%ju interrupts that allocated or freed\n", (uintmax_t)runs);

	/* exact within THREADS * MALLOC_FOLD, and never above the peak */
	CHECK(hwm <= peak && hwm > peak - (int64_t)THREADS * 65536);
	printf("peak phase: %jd bytes at once, high water seen %jd "
	    "(bound: %d CPUs x 64 KiB)\n", (intmax_t)peak, (intmax_t)hwm,
	    THREADS);
	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	blob = malloc_libc(len);
	CHECK(harness_sysctl_fn(NULL, 0, blob, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	for (k = 0; k < NTYPES; k++)
		check_type(types[k], k, find(blob, types[k]->ks_shortdesc));
	CHECK(find(blob, "peak") != NULL && find(blob, "peak")->mr_bytes == 0 &&
	    find(blob, "peak")->mr_requests == THREADS * PEAKBLK);
	free_libc(blob);
	for (t = 0; t <= THREADS; t++) {
		crossed += made[t].crossed;
		corrupt += made[t].corrupt;
	}
	CHECK(corrupt == 0);
	CHECK(crossed >= (int64_t)THREADS * HANDOFF);	/* frees did cross */
	printf("%jd frees on another thread than the allocation's\n",
	    (intmax_t)crossed);
#ifdef MALLOC_SITES
	kmem_base += check_sites();		/* the sites' chunks stay */
#endif
	harness_quarantine_flush();
	CHECK(harness_kmem_live == kmem_base);
	printf("%d threads x %d operations\n", THREADS, OPS);
	return T_REPORT();
}
