/*
 * Unit tests of shim/kern/kern_malloc.c, built unmodified against the
 * harness's kernel stand-in.  Built plain, with -DDIAGNOSTIC, with
 * DIAGNOSTIC under ASan+UBSan, with the optional checks
 * (MALLOC_SIZED_FREE, MALLOC_CHECK_INTR), and with MALLOC_DEBUG_TYPES
 * (with DIAGNOSTIC and a small table; alone under ASan+UBSan).
 */
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define	__MALLOC_PRIVATE		/* the tests look inside */
#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/intr.h>
#include <sys/kmem.h>
#include <sys/lwp.h>
#include <sys/malloc.h>
#include <sys/malloc.h>			/* twice: the header is idempotent */

#include "harness.h"

int t_passed, t_failed;

/* Declarations may repeat and may sit next to the definition. */
MALLOC_DECLARE(M_TEST1);
MALLOC_DEFINE(M_TEST1, "test1", "first test type");
MALLOC_DECLARE(M_TEST1);
MALLOC_DEFINE(M_TEST2, "test2", "second test type");
MALLOC_DEFINE(M_USBDEV, "USB device", "a type the tag map names");
static MALLOC_JUSTDEFINE(M_MODULE, "module", "a type of a loadable module");
static MALLOC_JUSTDEFINE(M_HWM, "hwm", "a fresh type for the high-water test");
static MALLOC_JUSTDEFINE(M_INTRTEST, "intrtest", "used by an interrupt handler");
static MALLOC_JUSTDEFINE(M_INTRFIRST, "intrfirst", "first used by an interrupt");
static MALLOC_JUSTDEFINE(M_MODLOOP, "modloop", "a module loaded and unloaded");
static MALLOC_JUSTDEFINE(M_PREEMPT, "preempt", "used across preemptions");
static MALLOC_JUSTDEFINE(M_STRINGS, "strings", "the helpers' memory");
MALLOC_DEFINE_SIZED(M_SIZED, "sized", "a header-less type");
static MALLOC_JUSTDEFINE_SIZED(M_SIZED2, "sized2", "another, not in the link set");
static MALLOC_JUSTDEFINE_SIZED(M_SIZED3, "sized3", "header-less, for the record");

struct stat1 {
	uint64_t inuse, requests, fails, limit, sizes;
	int64_t bytes, hwm;
	bool found;
};

static struct malloc_stats_header last_hdr;

/* Read a type's record through the sysctl node, as mallocstat does. */
static struct stat1
stats(const char *name)
{
	struct malloc_stats_record r;
	struct stat1 s = { 0 };
	size_t len = 0;
	char *buf;
	u_int i;

	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	buf = malloc_libc(len);
	CHECK(harness_sysctl_fn(NULL, 0, buf, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	memcpy(&last_hdr, buf, sizeof(last_hdr));
	CHECK(last_hdr.ms_version == MALLOC_STATS_VERSION);
	CHECK(last_hdr.ms_recsize == sizeof(r) &&
	    last_hdr.ms_hdrsize == sizeof(last_hdr));
	CHECK(len == sizeof(last_hdr) + last_hdr.ms_count * sizeof(r));
	for (i = 0; i < last_hdr.ms_count; i++) {
		memcpy(&r, buf + sizeof(last_hdr) + i * sizeof(r), sizeof(r));
		if (strcmp(r.mr_name, name) == 0) {
			CHECK(!s.found);	/* names are unique here */
			s.found = true;
			s.inuse = r.mr_inuse;
			s.requests = r.mr_requests;
			s.fails = r.mr_fails;
			s.bytes = r.mr_bytes;
			s.hwm = r.mr_hwm;
			s.limit = r.mr_limit;
			s.sizes = r.mr_sizes;
		}
	}
	free_libc(buf);
	return s;
}

/* mr_sizes' bit for a request: 2^(k-1) < n <= 2^k, 16 or less in bit 4 */
static uint64_t
sizebit(size_t n)
{
	u_int k = 4;

	while (k < 63 && ((size_t)1 << k) < n)
		k++;
	return (uint64_t)1 << k;
}

static bool
allzero(const unsigned char *p, size_t n)
{

	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

/* Nothing is attached before the first use; the first use attaches all. */
static void
test_init(void)
{
	u_int i1;
	void *p;

	/* what a module compiled against <sys/mallocvar.h> depends on */
	CHECK(sizeof(struct malloc_type) == 8 + 3 * sizeof(void *));
	CHECK(offsetof(struct malloc_type, ks_handle) == 8 + 2 * sizeof(void *));
	CHECK(IDX(M_TEST1) == 0 && IDX(M_DEVBUF) == 0);
	p = malloc(10, M_TEST2, M_NOWAIT);
	CHECK(p != NULL);
	i1 = IDX(M_TEST1);
	CHECK(i1 != 0 && IDX(M_TEST2) != 0 && IDX(M_DEVBUF) != 0 &&
	    IDX(M_MRTABLE) != 0 && IDX(M_USBDEV) != 0);
	CHECK(IDX(M_MODULE) == 0);	/* JUSTDEFINE: not in the link set */
	CHECK(IDX(M_TEST1) != IDX(M_TEST2));
	malloc_init();				/* idempotent */
	CHECK(IDX(M_TEST1) == i1);
	free(p, M_TEST2);
	harness_sysctl_init();
	CHECK(harness_sysctl_fn != NULL);
}

static void
test_basics(void)
{
	struct stat1 s0 = stats("test1"), s;
	unsigned char *p, *z;

	CHECK(s0.found);
	p = malloc(100, M_TEST1, M_WAITOK);
	CHECK(p != NULL && ((uintptr_t)p & ALIGNBYTES) == 0);
	memset(p, 0xa5, 100);
	z = malloc(300, M_TEST1, M_NOWAIT | M_ZERO);
	CHECK(z != NULL && allzero(z, 300));
	s = stats("test1");
	CHECK(s.inuse == s0.inuse + 2);
	CHECK(s.bytes == s0.bytes + 400);
	CHECK(s.requests == s0.requests + 2);
	free(p, M_TEST1);
	free(z, M_TEST1);
	free(NULL, M_TEST1);			/* a no-op */
	free(NULL, M_TEST2);
	free(NULL, M_SIZED);
	s = stats("test1");
	CHECK(s.inuse == s0.inuse && s.bytes == s0.bytes);
	CHECK(s.requests == s0.requests + 2 && s.fails == s0.fails);
	CHECK(harness_ilevel == IPL_NONE);	/* every splvm() undone */
	/* a type of 0, as sys/net/if_wg.c writes it: the header's type */
	p = malloc(10, M_TEST1, M_WAITOK);
	free(p, 0);
	s = stats("test1");
	CHECK(s.inuse == s0.inuse && s.bytes == s0.bytes);
	/* M_ZERO really zeroes recycled memory */
	p = malloc(200, M_TEST1, M_WAITOK);
	memset(p, 0xff, 200);
	free(p, M_TEST1);
	harness_quarantine_flush();
	z = malloc(200, M_TEST1, M_WAITOK | M_ZERO);
	CHECK(allzero(z, 200));
	free(z, M_TEST1);
}

/* Each CPU writes its own, cache-line aligned, counters. */
static void
test_percpu(void)
{
	struct malloc_type_cpu before[4], *cpus = M_TEST1->ks_handle->mti_cpu;
	u_int me = cpu_index(curcpu()), c;
	void *p;

	CHECK(sizeof(struct malloc_type_cpu) % COHERENCY_UNIT == 0);
	CHECK(((uintptr_t)M_TEST1->ks_handle->mti_cpu &
	    (COHERENCY_UNIT - 1)) == 0);
	for (c = 0; c < 4; c++)
		before[c] = cpus[c];
	harness_cpu_set(2);
	p = malloc(50, M_TEST1, M_WAITOK);
	harness_cpu_set(3);
	free(p, M_TEST1);			/* freed on another CPU */
	harness_cpu_set(me);
	CHECK(cpus[2].mtc_allocs == before[2].mtc_allocs + 1);
	CHECK(cpus[2].mtc_bytes == before[2].mtc_bytes + 50);
	CHECK(cpus[3].mtc_frees == before[3].mtc_frees + 1);
	CHECK(cpus[3].mtc_bytes == before[3].mtc_bytes - 50);
	for (c = 0; c < 2; c++)
		CHECK(memcmp(&cpus[c], &before[c],
		    sizeof(before[c])) == 0);
}

static void
test_sizes(void)
{
	size_t sizes[] = { 0, 1, 7, 8, 9, PAGE_SIZE - 9, PAGE_SIZE - 8,
	    PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE,
	    1 << 20 };
	struct stat1 s0 = stats("test2"), s;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = malloc(sizes[i], M_TEST2, M_WAITOK | M_ZERO);

		CHECK(p != NULL && ((uintptr_t)p & ALIGNBYTES) == 0);
		if (sizes[i] >= PAGE_SIZE)
			CHECK(((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
		CHECK(allzero(p, sizes[i]));
		memset(p, 0x5a, sizes[i]);
		s = stats("test2");
		CHECK(s.bytes == s0.bytes + (int64_t)sizes[i]);
		CHECK(s.inuse == s0.inuse + 1);
		free(p, M_TEST2);
	}
	s = stats("test2");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);
	CHECK(s.requests == s0.requests + sizeof(sizes) / sizeof(sizes[0]));
}

/* More than 32 bits of size; and sizes no machine has. */
/* The size classes a type allocated from, as old vmstat -m's Size(s). */
static void
test_sizeclasses(void)
{
	static const size_t sizes[] = { 1, 16, 17, 32, 100, 4096, 4097,
	    (size_t)1 << 20, ((size_t)1 << 20) + 1 };
	uint64_t want = 0;
	void *p;
	size_t i;

	malloc_type_attach(M_HWM);
	CHECK(stats("hwm").sizes == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		harness_cpu_set((u_int)(i % 3));	/* ORed over CPUs */
		p = malloc(sizes[i], M_HWM, M_WAITOK);
		free(p, M_HWM);
		want |= sizebit(sizes[i]);
	}
	harness_cpu_set(0);
	CHECK(want == ((1ULL << 4) | (1ULL << 5) | (1ULL << 7) | (1ULL << 12) |
	    (1ULL << 13) | (1ULL << 20) | (1ULL << 21)));
	CHECK(stats("hwm").sizes == want);
	malloc_type_detach(M_HWM);
}

static void
test_big(void)
{
	size_t big = ((size_t)1 << 32) + 123;
	unsigned long calls;
	struct stat1 s0 = stats("test2"), s;
	char *p;

	p = malloc(big, M_TEST2, M_WAITOK);
	CHECK(p != NULL && ((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
	s = stats("test2");
	CHECK(s.bytes == s0.bytes + (int64_t)big && s.inuse == s0.inuse + 1);
	CHECK(s.hwm >= s0.bytes + (int64_t)big);	/* folded at once */
	p[0] = 1;
	p[big - 1] = 1;
	p = realloc(p, big - 100, M_TEST2, M_WAITOK);	/* shrink in place */
	CHECK(p != NULL && p[0] == 1);
	free(p, M_TEST2);
	s = stats("test2");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);

	/* more than physmem: fails with M_NOWAIT or M_CANFAIL, kmem untried */
	calls = harness_kmem_calls;
	CHECK(malloc((size_t)1 << 41, M_TEST2, M_NOWAIT) == NULL);
	CHECK(malloc((size_t)1 << 41, M_TEST2, M_WAITOK | M_CANFAIL) == NULL);
	CHECK(malloc(SIZE_MAX - 10, M_TEST2, M_NOWAIT) == NULL);
	CHECK(harness_kmem_calls == calls);
	s = stats("test2");
	CHECK(s.fails == s0.fails + 3 && s.bytes == s0.bytes);
	/* ... and may not fail silently with M_WAITOK alone */
	CHECK(PANICS(malloc((size_t)1 << 41, M_TEST2, M_WAITOK)));
	CHECK(strstr(harness_panic_msg, "malloc(2199023255552, test2): more "
	    "than all memory") != NULL);
	CHECK(PANICS(realloc(NULL, SIZE_MAX, M_TEST2, M_WAITOK)));
	/* kmem out of memory with M_NOWAIT: a failure, counted */
	harness_kmem_fail = 1;
	CHECK(malloc(64, M_TEST2, M_NOWAIT) == NULL);
	CHECK(stats("test2").fails == s0.fails + 4);
	CHECK(harness_kmem_fail == 0);
}

static void
test_realloc(void)
{
	struct stat1 s0 = stats("test1"), t0 = stats("test2"), s;
	char *p, *q;

	p = realloc(NULL, 10, M_TEST1, M_WAITOK);	/* = malloc */
	CHECK(p != NULL);
	memcpy(p, "0123456789", 10);
	s = stats("test1");
	CHECK(s.bytes == s0.bytes + 10 && s.inuse == s0.inuse + 1);
	q = realloc(p, 5, M_TEST1, M_WAITOK);		/* shrink: same block */
	CHECK(q == p);
	CHECK(stats("test1").bytes == s0.bytes + 10);	/* still 10 charged */
	q = realloc(p, 10, M_TEST1, M_WAITOK);		/* same size: same */
	CHECK(q == p);
	q = realloc(p, 5000, M_TEST1, M_WAITOK | M_ZERO); /* grow: copied */
	CHECK(q != NULL && q != p && memcmp(q, "0123456789", 10) == 0);
	CHECK(((uintptr_t)q & (PAGE_SIZE - 1)) == 0);
	CHECK(allzero((unsigned char *)q + 10, 4990));
	s = stats("test1");
	CHECK(s.bytes == s0.bytes + 5000 && s.inuse == s0.inuse + 1);
	p = realloc(q, 20, M_TEST2, M_WAITOK);		/* type change, smaller */
	CHECK(p != NULL && p != q && memcmp(p, "0123456789", 10) == 0);
	s = stats("test1");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);
	s = stats("test2");
	CHECK(s.bytes == t0.bytes + 20 && s.inuse == t0.inuse + 1);
	CHECK(realloc(p, 0, M_TEST2, M_WAITOK) == NULL);	/* = free */
	s = stats("test2");
	CHECK(s.bytes == t0.bytes && s.inuse == t0.inuse);
	p = realloc(NULL, 0, M_TEST1, M_WAITOK);	/* = malloc(0) */
	CHECK(p != NULL && stats("test1").inuse == s0.inuse + 1);
	free(p, M_TEST1);

	/* failure: NULL, and the old block is untouched and still charged */
	p = malloc(8, M_TEST1, M_WAITOK);
	memcpy(p, "abcdefg", 8);
	harness_kmem_fail = 1;
	q = realloc(p, 100, M_TEST1, M_NOWAIT);
	CHECK(q == NULL && harness_kmem_fail == 0);
	CHECK(memcmp(p, "abcdefg", 8) == 0);
	s = stats("test1");
	CHECK(s.bytes == s0.bytes + 8 && s.fails == s0.fails + 1);
	free(p, M_TEST1);
	s = stats("test1");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);
}

static void
test_limit(void)
{
	struct stat1 s0 = stats("test2"), s;
	void *a, *b, *c, *blk[66];
	int i;

	malloc_type_setlimit(M_TEST2, 1000);
	CHECK(stats("test2").limit == 1000);
	a = malloc(600, M_TEST2, M_NOWAIT);
	CHECK(a != NULL);
	/* a big request is folded at once, so the limit sees it exactly */
	b = malloc(200 * 1024, M_TEST2, M_NOWAIT);
	CHECK(b == NULL);
	CHECK(stats("test2").fails == s0.fails + 1);
	c = malloc(200 * 1024, M_TEST2, M_WAITOK);	/* never refused */
	CHECK(c != NULL);
	b = malloc(10, M_TEST2, M_NOWAIT);		/* over: refused */
	CHECK(b == NULL);
	free(c, M_TEST2);
	b = malloc(10, M_TEST2, M_NOWAIT);		/* under again */
	CHECK(b != NULL);
	s = stats("test2");
	CHECK(s.limit == 1000 && s.fails == s0.fails + 2);
	CHECK(s.hwm >= s0.bytes + 200 * 1024 + 600);
	free(a, M_TEST2);
	free(b, M_TEST2);
	malloc_type_setlimit(M_TEST2, 0);
	b = malloc(200 * 1024, M_TEST2, M_NOWAIT);	/* no limit: fine */
	CHECK(b != NULL);
	free(b, M_TEST2);

	/*
	 * The folded total may go below zero: frees folded on one CPU,
	 * allocations still unfolded on others.  The limit must still let
	 * requests through.
	 */
	for (i = 0; i < 65; i++) {
		harness_cpu_set(10);
		blk[i] = malloc(1000, M_USBDEV, M_WAITOK);
	}
	harness_cpu_set(11);
	blk[65] = malloc(1000, M_USBDEV, M_WAITOK);
	harness_cpu_set(12);
	for (i = 0; i < 66; i++)
		free(blk[i], M_USBDEV);
	CHECK(M_USBDEV->ks_handle->mti_total < 0);
	malloc_type_setlimit(M_USBDEV, 10000);
	a = malloc(100, M_USBDEV, M_NOWAIT);
	CHECK(a != NULL);
	free(a, M_USBDEV);
	malloc_type_setlimit(M_USBDEV, 0);
	harness_cpu_set(0);
}

/*
 * The high-water mark is exact to within (CPUs that touched the type) *
 * MALLOC_FOLD bytes: here one CPU, 64 KiB.
 */
static void
test_hwm(void)
{
	struct stat1 s;
	void *blk[300];
	int64_t peak = 300 * 1000 + 999;
	int i;

	malloc_type_attach(M_HWM);
	for (i = 0; i < 300; i++)
		blk[i] = malloc(1000 + (i == 150 ? 999 : 0), M_HWM, M_WAITOK);
	for (i = 0; i < 300; i++)
		free(blk[i], M_HWM);
	s = stats("hwm");
	CHECK(s.bytes == 0 && s.inuse == 0 && s.requests == 300);
	CHECK(s.hwm <= peak && s.hwm > peak - (int64_t)last_hdr.ms_fold);
	CHECK(last_hdr.ms_fold == 64 * 1024 && last_hdr.ms_ncpu == maxcpus);
	malloc_type_detach(M_HWM);
}

/*
 * Interrupts on the CPU that is in malloc() or free() of the same type.
 * A signal sent from another thread, one at a time (harness_intr_send),
 * is the interrupt (<sys/intr.h>): its handler allocates (M_NOWAIT) or frees a block of
 * the type, so it always changes the type's bytes in use, while the
 * interrupted thread allocates and frees the type in a loop.  A counter
 * update that an interrupt can split loses the handler's change; after
 * the run the counters must be exact.  The first interrupt also attaches
 * a type (its first use), and the loop now and then loads and unloads a
 * "module" (attach, allocate, free, detach) under the interrupts.
 */
#define	INTR_HELD	8		/* blocks the handler holds at most */
#define	INTR_MIN	20000		/* handler runs wanted, at least */
#define	HANG_GUARD	120		/* seconds without progress: a hang */
#define	MAIN_HELD	64

struct intr_state {
	void		*first;		/* of M_INTRFIRST */
	void		*blk[INTR_HELD];
	size_t		size[INTR_HELD];
	u_int		n;
	uint64_t	allocs, runs, rnd, sizes;
	int64_t		bytes;
};
static struct intr_state intr = { .rnd = 88172645463325252ULL };
static bool intr_stop;

static uint64_t
xorshift(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The interrupt tests are bounded by counts, not by time: a loaded machine
 * makes each interrupt slow (the source yields until it is taken), never
 * lost.  Only a hang stops a loop early: a count that has not moved for
 * HANG_GUARD seconds.
 */
static bool
hung(uint64_t count, uint64_t *last, time_t *since)
{
	time_t now = time(NULL);

	if (count != *last) {
		*last = count;
		*since = now;
		return false;
	}
	return now - *since > HANG_GUARD;
}

/* intr.runs as the interrupted thread sees it (the handler writes it). */
static uint64_t
read_runs(void)
{

	return __atomic_load_n(&intr.runs, __ATOMIC_RELAXED);
}

static void
intr_handler(void)
{
	uint64_t r = xorshift(&intr.rnd);
	size_t size;
	void *p;

	__atomic_add_fetch(&intr.runs, 1, __ATOMIC_RELAXED);
	if (intr.first == NULL)
		intr.first = malloc(100, M_INTRFIRST, M_NOWAIT);
	if (intr.n < INTR_HELD && (intr.n == 0 || (r & 1) != 0)) {
		size = 1 + (r >> 8) % 3000;
		if ((p = malloc(size, M_INTRTEST, M_NOWAIT)) == NULL)
			return;
		intr.blk[intr.n] = p;
		intr.size[intr.n++] = size;
		intr.allocs++;
		intr.bytes += (int64_t)size;
		intr.sizes |= sizebit(size);
	} else {
		intr.n--;
		free(intr.blk[intr.n], M_INTRTEST);
		intr.bytes -= (int64_t)intr.size[intr.n];
	}
}

/* One interrupt at a time (harness_intr_send), until told to stop. */
static void *
intr_source(void *arg)
{
	pthread_t cpu0 = *(pthread_t *)arg;

	while (!__atomic_load_n(&intr_stop, __ATOMIC_RELAXED))
		harness_intr_send(cpu0, SIGUSR1, &intr_stop);
	return NULL;
}

static void
test_interrupts(void)
{
	void *blk[MAIN_HELD] = { NULL };
	size_t size[MAIN_HELD];
	uint64_t rnd = 0x9e3779b97f4a7c15ULL, r, allocs = 0, i, sizes = 0;
	int64_t bytes = 0;
	pthread_t self = pthread_self(), src;
	struct stat1 s;
	time_t t0 = time(NULL);
	uint64_t last = 0;
	u_int j, held = 0;
	void *p;

	malloc_type_attach(M_INTRTEST);
	CHECK(IDX(M_INTRFIRST) == 0);
	harness_printed[0] = '\0';
	harness_intr_establish(SIGUSR1, intr_handler);
	pthread_create(&src, NULL, intr_source, &self);
	/* until the handler has run INTR_MIN times (hung(): a guard) */
	for (i = 0; i < 1000000 || read_runs() < INTR_MIN; i++) {
		if ((i & 0xffff) == 0 && hung(read_runs(), &last, &t0))
			break;			/* CHECKed below */
		r = xorshift(&rnd);
		if ((i & 0x1fff) == 0) {	/* a module comes and goes */
			malloc_type_attach(M_MODLOOP);
			p = malloc(10, M_MODLOOP, M_WAITOK);
			free(p, M_MODLOOP);
			malloc_type_detach(M_MODLOOP);
		}
		j = (u_int)(r % MAIN_HELD);
		if (blk[j] != NULL) {
			free(blk[j], M_INTRTEST);
			bytes -= (int64_t)size[j];
			blk[j] = NULL;
			held--;
			continue;
		}
		size[j] = 1 + (r >> 16) % ((r & 0x100) != 0 ? 8192 : 256);
		blk[j] = malloc(size[j], M_INTRTEST,
		    (r & 0x200) != 0 ? M_NOWAIT | M_ZERO : M_WAITOK);
		if (blk[j] == NULL)
			continue;
		bytes += (int64_t)size[j];
		sizes |= sizebit(size[j]);
		allocs++;
		held++;
	}
	__atomic_store_n(&intr_stop, true, __ATOMIC_RELAXED);
	pthread_join(src, NULL);
	harness_intr_disestablish(SIGUSR1);
	CHECK(intr.runs >= INTR_MIN);
	CHECK(harness_ilevel == IPL_NONE && harness_ipending == 0);

	s = stats("intrtest");
	CHECK(s.bytes == bytes + intr.bytes);
	CHECK(s.inuse == held + intr.n);
	CHECK(s.requests == allocs + intr.allocs && s.fails == 0);
	CHECK(s.sizes == (sizes | intr.sizes));
	for (j = 0; j < MAIN_HELD; j++)
		free(blk[j], M_INTRTEST);
	while (intr.n > 0)
		free(intr.blk[--intr.n], M_INTRTEST);
	s = stats("intrtest");
	CHECK(s.bytes == 0 && s.inuse == 0);
	malloc_type_detach(M_INTRTEST);

	/* attached by an interrupt, in interrupt context */
	s = stats("intrfirst");
	CHECK(intr.first != NULL && IDX(M_INTRFIRST) != 0);
	CHECK(s.requests == 1 && s.inuse == 1 && s.bytes == 100);
	free(intr.first, M_INTRFIRST);
	malloc_type_detach(M_INTRFIRST);
	CHECK(IDX(M_MODLOOP) == 0 && !stats("modloop").found);
	CHECK(harness_printed[0] == '\0');	/* every detach clean */
}

/*
 * Preemption: interrupts whose return preempts the interrupted LWP, as
 * NetBSD preempts on the return from an interrupt when a higher-priority
 * LWP became runnable: the thread moves to the next CPU slot of
 * PRE_FIRST .. PRE_FIRST + PRE_N - 1 (harness_cpu_roam) wherever
 * preemption is enabled, at any instruction.  A CPU's counters may change
 * only while some thread is on that CPU: at each move, the hook records
 * the counters of the slot left behind and checks that those of the slot
 * entered are what it recorded when the thread last left it (no thread
 * was there meanwhile).  A counter update whose slot was computed before a
 * move and written after it breaks that.  The handler also allocates and
 * frees the type on the CPU it interrupts.  Afterwards the counters are
 * exact.
 */
#define	PRE_FIRST	20
#define	PRE_N		4
#define	PRE_MIN		20000		/* moves wanted, at least */

static struct malloc_type_cpu pre_snap[PRE_N];
static bool pre_valid[PRE_N];
static uint64_t pre_moves, pre_broken;

static void
pre_hook(u_int from, u_int to)
{
	const struct malloc_type_cpu *cpus = M_PREEMPT->ks_handle->mti_cpu;

	pre_moves++;
	if (from >= PRE_FIRST && from < PRE_FIRST + PRE_N) {
		pre_snap[from - PRE_FIRST] = cpus[from];
		pre_valid[from - PRE_FIRST] = true;
	}
	if (to >= PRE_FIRST && to < PRE_FIRST + PRE_N &&
	    pre_valid[to - PRE_FIRST] &&
	    memcmp(&pre_snap[to - PRE_FIRST], &cpus[to], sizeof(cpus[to])) != 0)
		pre_broken++;
}

static void
pre_handler(void)
{
	uint64_t r = xorshift(&intr.rnd);

	__atomic_add_fetch(&intr.runs, 1, __ATOMIC_RELAXED);
	if (intr.n < INTR_HELD && (intr.n == 0 || (r & 1) != 0)) {
		size_t size = 1 + (r >> 8) % 3000;
		void *p = malloc(size, M_PREEMPT, M_NOWAIT);

		if (p == NULL)
			return;
		intr.blk[intr.n] = p;
		intr.size[intr.n++] = size;
		intr.allocs++;
		intr.bytes += (int64_t)size;
		intr.sizes |= sizebit(size);
	} else {
		intr.n--;
		free(intr.blk[intr.n], M_PREEMPT);
		intr.bytes -= (int64_t)intr.size[intr.n];
	}
	harness_preempt();
}

static void
test_preemption(void)
{
	void *blk[MAIN_HELD] = { NULL };
	size_t size[MAIN_HELD];
	uint64_t rnd = 0x2545f4914f6cdd1dULL, r, allocs = 0, i, sizes = 0;
	int64_t bytes = 0;
	pthread_t self = pthread_self(), src;
	struct stat1 s;
	time_t t0 = time(NULL);
	uint64_t last = 0;
	u_int j, held = 0, c, me = cpu_index(curcpu());

	malloc_type_attach(M_PREEMPT);
	memset(&intr, 0, sizeof(intr));
	intr.rnd = 88172645463325252ULL;
	intr_stop = false;
	harness_migrate_hook = pre_hook;
	harness_cpu_roam(PRE_FIRST, PRE_N);
	harness_intr_establish(SIGUSR1, pre_handler);
	pthread_create(&src, NULL, intr_source, &self);
	/* until PRE_MIN moves between CPUs (hung(): a guard) */
	for (i = 0; i < 1000000 || __atomic_load_n(&pre_moves,
	    __ATOMIC_RELAXED) < PRE_MIN; i++) {
		if ((i & 0xffff) == 0 &&
		    hung(__atomic_load_n(&pre_moves, __ATOMIC_RELAXED), &last, &t0))
			break;			/* CHECKed below */
		r = xorshift(&rnd);
		j = (u_int)(r % MAIN_HELD);
		if (blk[j] != NULL) {
			free(blk[j], M_PREEMPT);
			bytes -= (int64_t)size[j];
			blk[j] = NULL;
			held--;
			continue;
		}
		size[j] = 1 + (r >> 16) % ((r & 0x100) != 0 ? 8192 : 256);
		blk[j] = malloc(size[j], M_PREEMPT,
		    (r & 0x200) != 0 ? M_NOWAIT | M_ZERO : M_WAITOK);
		if (blk[j] == NULL)
			continue;
		bytes += (int64_t)size[j];
		sizes |= sizebit(size[j]);
		allocs++;
		held++;
	}
	__atomic_store_n(&intr_stop, true, __ATOMIC_RELAXED);
	pthread_join(src, NULL);
	harness_intr_disestablish(SIGUSR1);
	harness_cpu_roam(0, 0);
	c = cpu_index(curcpu());
	harness_cpu_set(me);
	harness_migrate_hook = NULL;
	CHECK(pre_moves >= PRE_MIN);
	/* the slots left behind did not change after the last move either */
	for (j = 0; j < PRE_N; j++)
		if (PRE_FIRST + j != c && pre_valid[j] &&
		    memcmp(&pre_snap[j], &M_PREEMPT->ks_handle->mti_cpu[
		    PRE_FIRST + j], sizeof(pre_snap[j])) != 0)
			pre_broken++;
	CHECK(pre_broken == 0);
	if (pre_broken != 0)
		fprintf(stderr, "preemption: %ju of %ju moves found a CPU's "
		    "counters changed while no thread was on it\n",
		    (uintmax_t)pre_broken, (uintmax_t)pre_moves);
	CHECK(harness_ilevel == IPL_NONE && curlwp->l_nopreempt == 0);
	s = stats("preempt");
	CHECK(s.bytes == bytes + intr.bytes);
	CHECK(s.inuse == held + intr.n);
	CHECK(s.requests == allocs + intr.allocs && s.fails == 0);
	CHECK(s.sizes == (sizes | intr.sizes));
	for (j = 0; j < MAIN_HELD; j++)
		free(blk[j], M_PREEMPT);
	while (intr.n > 0)
		free(intr.blk[--intr.n], M_PREEMPT);
	s = stats("preempt");
	CHECK(s.bytes == 0 && s.inuse == 0);
	malloc_type_detach(M_PREEMPT);
}

/* A loadable module's type: attach, use, detach with memory in use. */
static void
test_module(void)
{
	struct malloc_type *mod;
	struct stat1 d0, d;
	void *p, *q;
	u_int idx;

	CHECK(!stats("module").found);
	malloc_type_attach(M_MODULE);
	CHECK(stats("module").found && IDX(M_MODULE) != 0);
	p = malloc(10, M_MODULE, M_WAITOK);
	free(p, M_MODULE);
	harness_printed[0] = '\0';
	idx = IDX(M_MODULE);
	malloc_type_detach(M_MODULE);		/* clean: says nothing */
	CHECK(harness_printed[0] == '\0' && IDX(M_MODULE) == 0);
	CHECK(!stats("module").found);
	malloc_type_attach(M_MODULE);		/* the slot was freed */
	CHECK(IDX(M_MODULE) == idx);
	malloc_type_detach(M_MODULE);
	malloc_type_detach(M_MODULE);		/* twice: a no-op */

	/*
	 * The module's type lives in module memory, which goes away after
	 * the unload; under ASan any later touch of it is an error.
	 */
	mod = malloc_libc(sizeof(*mod));
	memcpy(mod, M_MODULE, sizeof(*mod));
	malloc_type_attach(mod);
	d0 = stats("(detached)");
	CHECK(d0.found);
	p = malloc(64, mod, M_WAITOK);
	q = malloc(32, mod, M_WAITOK);
	free(q, mod);
	q = malloc(0, mod, M_WAITOK);
	idx = IDX(mod);
	harness_printed[0] = '\0';
	malloc_type_detach(mod);		/* unloaded with p, q in use */
	CHECK(strstr(harness_printed, "malloc: type module detached with 2 "
	    "allocations, 64 bytes in use; charged to (detached) from now on")
	    != NULL);
	CHECK(IDX(mod) == 0 && mod->ks_handle == NULL);
	free_libc(mod);				/* the module is gone */
	CHECK(!stats("module").found);
	d = stats("(detached)");
	CHECK(d.bytes == d0.bytes + 64 && d.inuse == d0.inuse + 2);
	/* the slot stays taken: a new type does not inherit its memory */
	malloc_type_attach(M_MODULE);
	CHECK(IDX(M_MODULE) != idx);
	free(p, M_DEVBUF);		/* freed by someone else, as detached */
	free(q, M_MODULE);
	d = stats("(detached)");
	CHECK(d.bytes == d0.bytes && d.inuse == d0.inuse);
	CHECK(stats("module").inuse == 0);

	/* used before attach: attached on first use */
	malloc_type_detach(M_MODULE);
	p = malloc(10, M_MODULE, M_WAITOK);
	CHECK(IDX(M_MODULE) != 0 && stats("module").inuse == 1);
	free(p, M_MODULE);
	malloc_type_detach(M_MODULE);
	/* a bogus type is caught */
	{
		struct malloc_type bogus;

		memset(&bogus, 0, sizeof(bogus));
		CHECK(PANICS(malloc_type_attach(&bogus)));
		CHECK(strstr(harness_panic_msg, "bad magic") != NULL);
	}
}

/*
 * The word of a block's header (before &buf[2]) that holds its size,
 * type and magic: 8 bytes, or 16 with MALLOC_SITES (then the site's
 * number, 0 in buf, follows).
 */
#ifdef MALLOC_SITES
#define	HDRWORD	0
#else
#define	HDRWORD	1
#endif

static void
test_panics(void)
{
	char *p = malloc(16, M_TEST1, M_WAITOK), *big;
	uint64_t buf[8];
	struct stat1 s0;

	memset(buf, 0, sizeof(buf));
	CHECK(PANICS(free((char *)buf + 16, M_TEST1)));	/* not from malloc */
	CHECK(strstr(harness_panic_msg, "test1): not allocated by malloc")
	    != NULL);
	CHECK(PANICS(realloc((char *)buf + 16, 100, M_TEST1, M_WAITOK)));
	CHECK(strstr(harness_panic_msg, "not allocated by malloc") != NULL);
	/* a header with the right magic but an index no type has */
	buf[HDRWORD] = (uint64_t)24 | (uint64_t)60000 << 32 |
	    (uint64_t)0x6d61 << 48;
	CHECK(PANICS(free((char *)&buf[2], M_TEST1)));
	CHECK(strstr(harness_panic_msg, "bad type index 60000") != NULL);
	CHECK(harness_ilevel == IPL_NONE);
#if defined(DIAGNOSTIC) || defined(MALLOC_DEBUG_TYPES)
	CHECK(PANICS(free(p, M_TEST2)));		/* wrong type */
	CHECK(strstr(harness_panic_msg, "free(") != NULL &&
	    strstr(harness_panic_msg, ", test2): allocated as test1") != NULL);
	/* a corrupt header */
	buf[HDRWORD] = (uint64_t)3 | (uint64_t)IDX(M_TEST1) << 32 |
	    (uint64_t)0x6d61 << 48;
	CHECK(PANICS(free((char *)&buf[2], M_TEST1)));
	CHECK(strstr(harness_panic_msg, "header corrupt (size 3)") != NULL);
#else
	s0 = stats("test1");
	CHECK(!PANICS(free(p, M_TEST2)));	/* charged to test1 anyway */
	CHECK(stats("test1").bytes == s0.bytes - 16);
	p = malloc(16, M_TEST1, M_WAITOK);
#endif
	free(p, M_TEST1);
	CHECK(PANICS(free(p, M_TEST1)));		/* double free */
	CHECK(strstr(harness_panic_msg, ", test1): double free (allocated as "
	    "test1)") != NULL);
	CHECK(PANICS(free(p, M_TEST2)));		/* ... with another type */
	CHECK(strstr(harness_panic_msg, ", test2): double free (allocated as "
	    "test1)") != NULL);
	big = malloc(3 * PAGE_SIZE, M_USBDEV, M_WAITOK | M_ZERO);
	CHECK(PANICS(free(big + 8, M_USBDEV)));	/* inside a block */
	CHECK(strstr(harness_panic_msg, "not allocated by malloc") != NULL);
	free(big, M_USBDEV);
	CHECK(PANICS(free(big, M_USBDEV)));
	CHECK(strstr(harness_panic_msg, "double free (allocated as USB "
	    "device)") != NULL);

	/* OpenBSD-style sized free: the function is always there */
	s0 = stats("test1");
	p = malloc(16, M_TEST1, M_WAITOK);
	CHECK(PANICS(kern_free_sized(p, M_TEST1, 15)));
	CHECK(strstr(harness_panic_msg, ", test1, 15): allocated with size 16")
	    != NULL);
	kern_free_sized(p, M_TEST1, 16);
	p = malloc(5000, M_TEST1, M_WAITOK);
	CHECK(PANICS(kern_free_sized(p, M_TEST1, 4096)));
	kern_free_sized(p, M_TEST1, 0);		/* 0: size unknown */
	kern_free_sized(NULL, M_TEST1, 100);
	CHECK(stats("test1").bytes == s0.bytes);
	/*
	 * free() takes both forms in every build, MALLOC_SIZED_FREE or not
	 * (a tree may get the shim before or after its conversion)
	 */
	p = malloc(40, M_TEST1, M_WAITOK);
	CHECK(PANICS(free(p, M_TEST1, 41)));	/* the 3-argument form */
	CHECK(strstr(harness_panic_msg, "allocated with size 40") != NULL);
	free(p, M_TEST1, 40);
	CHECK(stats("test1").bytes == s0.bytes);
	p = malloc(40, M_TEST1, M_WAITOK);
	CHECK(stats("test1").bytes == s0.bytes + 40);
	free(p, M_TEST1);			/* the 2-argument form still */
	CHECK(stats("test1").bytes == s0.bytes);
	p = malloc(24, M_TEST1, M_WAITOK);	/* a size with commas in it */
	free(p, M_TEST1, MAX(8, 3 * sizeof(uint64_t)));
	CHECK(stats("test1").bytes == s0.bytes);

	/* interrupt context */
	curcpu()->ci_intr = true;
#ifdef DIAGNOSTIC
	CHECK(PANICS(malloc(8, M_TEST1, M_WAITOK)));	/* may sleep */
	CHECK(PANICS(realloc(NULL, 8, M_TEST1, M_WAITOK)));
#endif
#ifdef MALLOC_CHECK_INTR
	CHECK(PANICS(malloc(8, M_TEST1, M_WAITOK)));
	CHECK(strstr(harness_panic_msg, "malloc(8, test1): M_WAITOK in "
	    "interrupt context") != NULL);
	CHECK(PANICS(malloc(8, M_TEST1, M_WAITOK | M_INTR)));
	CHECK(strstr(harness_panic_msg, "M_INTR without M_NOWAIT") != NULL);
#endif
	p = malloc(8, M_TEST1, M_NOWAIT | M_INTR);
	CHECK(p != NULL);
	curcpu()->ci_intr = false;
	free(p, M_TEST1);
#ifdef MALLOC_CHECK_INTR
	CHECK(PANICS(malloc(8, M_TEST1, M_INTR)));	/* even outside */
#else
	p = malloc(8, M_TEST1, M_INTR);		/* not checked: ignored */
	CHECK(p != NULL);
	free(p, M_TEST1);
#endif
	CHECK(harness_ilevel == IPL_NONE);
}

/*
 * kmem(9)'s helpers with a type: the same results, charged to the type,
 * released with free(p, T) or free(p, T, strlen(p) + 1).
 */
static void
test_helpers(void)
{
	char stackbuf[64], big[3 * PAGE_SIZE], *p, *q;
	unsigned long calls;
	struct stat1 s;
	size_t size;

	malloc_type_attach(M_STRINGS);
	/* malloc_asprintf: strlen + 1 bytes, M_WAITOK */
	p = malloc_asprintf(M_STRINGS, "%s-%d", "wd", 12);
	CHECK(p != NULL && strcmp(p, "wd-12") == 0);
	s = stats("strings");
	CHECK(s.inuse == 1 && s.bytes == 6 && s.requests == 1);
	free(p, M_STRINGS);
	p = malloc_asprintf(M_STRINGS, "%s", "");
	CHECK(p != NULL && p[0] == '\0' && stats("strings").bytes == 1);
	kern_free_sized(p, M_STRINGS, strlen(p) + 1);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	p = malloc_asprintf(M_STRINGS, "<%s>", big);	/* a big block */
	CHECK(p != NULL && strlen(p) == sizeof(big) + 1 && p[0] == '<' &&
	    p[sizeof(big)] == '>' && ((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
	CHECK(stats("strings").bytes == (int64_t)sizeof(big) + 2);
	kern_free_sized(p, M_STRINGS, strlen(p) + 1);
	CHECK(stats("strings").bytes == 0);

	/* malloc_strdupsize sets *size to strlen + 1; malloc_strdup */
	size = 0;
	p = malloc_strdupsize("sd0", &size, M_STRINGS, M_WAITOK);
	CHECK(p != NULL && strcmp(p, "sd0") == 0 && size == 4);
	CHECK(stats("strings").bytes == 4);
	kern_free_sized(p, M_STRINGS, size);
	p = malloc_strdup("ld0", M_STRINGS, M_NOWAIT);
	CHECK(p != NULL && strcmp(p, "ld0") == 0);
	free(p, M_STRINGS);
	/* failure: NULL, *size untouched, counted */
	size = 77;
	harness_kmem_fail = 1;
	CHECK(malloc_strdupsize("sd1", &size, M_STRINGS, M_NOWAIT) == NULL);
	CHECK(size == 77 && stats("strings").fails == 1);
	harness_kmem_fail = 1;
	CHECK(malloc_strdup("sd1", M_STRINGS, M_NOWAIT) == NULL);

	/* malloc_strndup: at most maxlen characters, always terminated */
	p = malloc_strndup("abcdef", 3, M_STRINGS, M_WAITOK);
	CHECK(p != NULL && strcmp(p, "abc") == 0 && stats("strings").bytes == 4);
	q = malloc_strndup("ab", 10, M_STRINGS, M_WAITOK);
	CHECK(q != NULL && strcmp(q, "ab") == 0 && stats("strings").bytes == 7);
	kern_free_sized(p, M_STRINGS, strlen(p) + 1);
	free(q, M_STRINGS);
	p = malloc_strndup("abc", 3, M_STRINGS, M_WAITOK);
	CHECK(p != NULL && strcmp(p, "abc") == 0);
	free(p, M_STRINGS);
	harness_kmem_fail = 1;
	CHECK(malloc_strndup("abc", 2, M_STRINGS, M_NOWAIT) == NULL);
#ifdef DIAGNOSTIC
	CHECK(PANICS(malloc_strndup("abc", 0, M_STRINGS, M_WAITOK)));
#endif

	/* malloc_tmpbuf_*: the stack buffer when it fits, no allocation */
	calls = harness_kmem_calls;
	p = malloc_tmpbuf_alloc(sizeof(stackbuf), stackbuf, sizeof(stackbuf),
	    M_STRINGS, M_WAITOK);
	CHECK(p == stackbuf && harness_kmem_calls == calls);
	malloc_tmpbuf_free(p, sizeof(stackbuf), stackbuf, M_STRINGS);
	CHECK(harness_kmem_calls == calls && stats("strings").requests == 8);
	p = malloc_tmpbuf_alloc(sizeof(stackbuf) + 1, stackbuf,
	    sizeof(stackbuf), M_STRINGS, M_WAITOK);
	CHECK(p != NULL && p != stackbuf && stats("strings").bytes == 65);
	memset(p, 0xa5, sizeof(stackbuf) + 1);
	/* the size is checked, as kmem_tmpbuf_free's under DIAGNOSTIC */
	CHECK(PANICS(malloc_tmpbuf_free(p, sizeof(stackbuf), stackbuf,
	    M_STRINGS)));
	malloc_tmpbuf_free(p, sizeof(stackbuf) + 1, stackbuf, M_STRINGS);
	harness_kmem_fail = 1;
	CHECK(malloc_tmpbuf_alloc(100, stackbuf, sizeof(stackbuf), M_STRINGS,
	    M_NOWAIT) == NULL);
	s = stats("strings");
	CHECK(s.inuse == 0 && s.bytes == 0 && s.fails == 4);
	CHECK(harness_kmem_fail == 0 && harness_ilevel == IPL_NONE);
#ifdef DIAGNOSTIC
	/* malloc_asprintf sleeps: not from an interrupt */
	curcpu()->ci_intr = true;
	CHECK(PANICS(malloc_asprintf(M_STRINGS, "x")));
	curcpu()->ci_intr = false;
#endif
	malloc_type_detach(M_STRINGS);
}

/*
 * malloc_strfree(), kmem_strfree() with a type: NULL is a no-op (proc0's
 * p_path, freed at the first exec), else the string goes with its size,
 * strlen + 1, for a header type and a header-less one alike, and that
 * size is checked as a sized free's.
 */
static void
test_strfree(void)
{
	struct malloc_type *types[2] = { M_STRINGS, M_SIZED };
	const char *names[2] = { "strings", "sized" };
	unsigned long calls;
	struct stat1 s0, s;
	char *p;
	int k;

	malloc_type_attach(M_STRINGS);
	for (k = 0; k < 2; k++) {
		s0 = stats(names[k]);
		calls = harness_kmem_calls;
		malloc_strfree(NULL, types[k]);		/* nothing at all */
		CHECK(harness_kmem_calls == calls);
		s = stats(names[k]);
		CHECK(s.inuse == s0.inuse && s.bytes == s0.bytes &&
		    s.requests == s0.requests && s.fails == s0.fails);
		/* what the helpers allocate, freed by it: nothing left */
		p = malloc_strdup("/sbin/init", types[k], M_WAITOK);
		CHECK(stats(names[k]).bytes == s0.bytes + 11);
		malloc_strfree(p, types[k]);
		p = malloc_asprintf(types[k], "%s%d", "wd", 0);
		CHECK(stats(names[k]).bytes == s0.bytes + 4);
		malloc_strfree(p, types[k]);
		p = malloc_strndup("", 1, types[k], M_WAITOK);	/* 1 byte */
		malloc_strfree(p, types[k]);
		/* M_NOWAIT that failed: NULL, freed as such */
		harness_kmem_fail = 1;
		p = malloc_strdup("x", types[k], M_NOWAIT);
		CHECK(p == NULL);
		malloc_strfree(p, types[k]);
		s = stats(names[k]);
		CHECK(s.inuse == s0.inuse && s.bytes == s0.bytes);
		CHECK(s.requests == s0.requests + 3 && s.fails == s0.fails + 1);
	}

	/* a string shortened since: the wrong size, caught as a sized free */
	p = malloc_strdup("abcdefg", M_STRINGS, M_WAITOK);
	p[3] = '\0';
	CHECK(PANICS(malloc_strfree(p, M_STRINGS)));
	CHECK(strstr(harness_panic_msg, ", strings, 4): allocated with size 8")
	    != NULL);
	p[3] = 'd';
	malloc_strfree(p, M_STRINGS);
#if defined(DIAGNOSTIC) || defined(MALLOC_DEBUG_TYPES)
	p = malloc_strdup("abcdefg", M_SIZED, M_WAITOK);	/* has a footer */
	p[3] = '\0';
	CHECK(PANICS(malloc_strfree(p, M_SIZED)));
#ifdef MALLOC_DEBUG_TYPES
	CHECK(strstr(harness_panic_msg, ", sized, 4): allocated with size 8")
	    != NULL);
#else
	CHECK(strstr(harness_panic_msg, ", sized, 4): no malloc footer") != NULL);
#endif
	p[3] = 'd';
	malloc_strfree(p, M_SIZED);
#endif
	CHECK(stats("strings").bytes == 0 && stats("strings").inuse == 0);
	CHECK(harness_ilevel == IPL_NONE);
	malloc_type_detach(M_STRINGS);
}

/*
 * A shared release site (several owners' memory, one free): each block
 * allocated as M_RECORDED(type) is freed as M_ASALLOCATED, with its size
 * or without, and charged to its own type, header type or header-less;
 * the helpers too.  A size that is not the recorded one panics.
 */
static size_t kmem_rule(size_t);

static void
test_recorded(void)
{
	struct stat1 h0, s0, h, s;
	void *a, *b, *c;
	char *str;

	malloc_type_attach(M_STRINGS);
	h0 = stats("strings");
	s0 = stats("sized");
	a = malloc(100, M_RECORDED(M_STRINGS), M_WAITOK);
	b = malloc(100, M_RECORDED(M_SIZED), M_WAITOK | M_ZERO);
	c = malloc(4096, M_RECORDED(M_SIZED), M_WAITOK);	/* no footer */
	h = stats("strings");
	s = stats("sized");
	CHECK(h.bytes == h0.bytes + 100 && h.inuse == h0.inuse + 1);
	CHECK(s.bytes == s0.bytes + 4196 && s.inuse == s0.inuse + 2);
	CHECK(((char *)b)[0] == 0 && ((char *)b)[99] == 0);
	CHECK(((uintptr_t)b & (kmem_rule(100) - 1)) == 0);
	kern_free_sized(a, M_ASALLOCATED, 100);
	kern_free_sized(b, M_ASALLOCATED, 100);
	free(c, M_ASALLOCATED);		/* no size: the record has it */
	h = stats("strings");
	s = stats("sized");
	CHECK(h.bytes == h0.bytes && h.inuse == h0.inuse);
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);

	str = malloc_strdup("/sbin/init", M_RECORDED(M_SIZED), M_WAITOK);
	CHECK(stats("sized").bytes == s0.bytes + 11);
	malloc_strfree(str, M_ASALLOCATED);
	a = malloc_tmpbuf_alloc(64, NULL, 0, M_RECORDED(M_STRINGS), M_WAITOK);
	malloc_tmpbuf_free(a, 64, NULL, M_ASALLOCATED);
	CHECK(stats("sized").bytes == s0.bytes);
	CHECK(stats("strings").bytes == h0.bytes);

	/* the size given must be the recorded one */
	a = malloc(10, M_RECORDED(M_SIZED), M_WAITOK);
	CHECK(PANICS(kern_free_sized(a, M_ASALLOCATED, 11)));
	CHECK(strstr(harness_panic_msg, "allocated as sized with size 10") != NULL);
	kern_free_sized(a, M_SIZED, 10);	/* the record went with the panic */

	/*
	 * 0 bytes (malloc(9)'s callers may ask for them, retag records
	 * their memory): a header-less type's block of one byte, freed
	 * with or without a size; unrecorded, the request still panics
	 */
	a = malloc(0, M_RECORDED(M_SIZED), M_WAITOK);
	CHECK(a != NULL && stats("sized").bytes == s0.bytes + 1);
	free(a, M_ASALLOCATED);
	b = malloc(0, M_RECORDED(M_SIZED), M_WAITOK);
	kern_free_sized(b, M_ASALLOCATED, 1);
	CHECK(stats("sized").bytes == s0.bytes);
	CHECK(PANICS(malloc(0, M_SIZED, M_WAITOK)));

	/* M_NOWAIT: the record cannot be had, the request fails */
	harness_kmem_fail = 1;
	CHECK(malloc(10, M_RECORDED(M_SIZED), M_NOWAIT) == NULL);
	s = stats("sized");
	CHECK(s.bytes == s0.bytes && s.fails == s0.fails + 1);
	CHECK(harness_ilevel == IPL_NONE);
	malloc_type_detach(M_STRINGS);
}

/*
 * kmem's alignment for a request, as NetBSD-current's subr_kmem.c gives
 * it (stated here apart from the harness's kmem, which must give exactly
 * that): the request rounded up to 8, plus the size footer of a
 * DIAGNOSTIC kernel, picks a cache; caches up to 32 bytes are aligned to
 * 8, up to 2048 to COHERENCY_UNIT, the 4096 one and anything larger to a
 * page.  And what kmem takes for it: the cache's size, or whole pages.
 */
static size_t
kmem_rule(size_t n)
{
	size_t s = (n + 7) & ~(size_t)7;

#ifdef DIAGNOSTIC
	s += 8;
#endif
	return s <= 32 ? 8 : s <= 2048 ? 64 : PAGE_SIZE;
}

static size_t
kmem_block(size_t n)
{
	static const size_t caches[] = { 8, 16, 32, 64, 128, 192, 256, 320,
	    384, 448, 512, 768, 1024, 2048, 4096 };
	size_t s = (n + 7) & ~(size_t)7, i;

#ifdef DIAGNOSTIC
	s += 8;
#endif
	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++)
		if (s <= caches[i])
			return caches[i];
	return (((n + 7) & ~(size_t)7) + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
}

/*
 * Every size from 1 byte to 3 pages, both kinds of type: the alignment
 * malloc() gives against kmem's, and the bytes kmem takes for it against
 * what kmem alone would take for the request.
 */
#define	ALIGN_MAX	(3 * PAGE_SIZE)

struct alignsum {
	size_t	below;			/* sizes aligned less than kmem's */
	size_t	extra[2];		/* bytes over kmem's: < a page, from one */
	size_t	most;
};

/* Allocate every size as ks, as kmem would have: what did it cost? */
/* The sweep's one call site. */
static uintptr_t
align_alloc(struct malloc_type *ks, size_t n)
{

	return (uintptr_t)malloc(n, ks, M_WAITOK);
}

static void
align_free(struct malloc_type *ks, uintptr_t p, size_t n)
{

	if ((ks->ks_flags & MALLOC_TYPE_SIZED) != 0)
		kern_free_sized((void *)p, ks, n);
	else
		free((void *)p, ks);
}

static void
align_sweep(struct malloc_type *ks, struct alignsum *as)
{
	uintptr_t p;
	size_t n, lost;

	memset(as, 0, sizeof(*as));
	/*
	 * Not measured: the site's first allocation, after which
	 * MALLOC_SITES may allocate the site's counters from kmem.
	 */
	align_free(ks, align_alloc(ks, 1), 1);
	for (n = 1; n <= ALIGN_MAX; n++) {
		p = align_alloc(ks, n);
		if ((p & (kmem_rule(n) - 1)) != 0)
			as->below++;
		/* never less than ALIGNBYTES + 1, and a page from a page */
		if ((p & ALIGNBYTES) != 0 ||
		    (n >= PAGE_SIZE && (p & (PAGE_SIZE - 1)) != 0))
			as->below += ALIGN_MAX + 1;
		lost = kmem_block(harness_kmem_last) - kmem_block(n);
		as->extra[n >= PAGE_SIZE] += lost;
		as->most = MAX(as->most, lost);
		align_free(ks, p, n);
	}
	printf("%s type, 1..%d bytes: %zu sizes aligned below kmem's; bytes "
	    "a block over kmem's: %.1f under a page, %.1f from a page (most "
	    "%zu)\n", (ks->ks_flags & MALLOC_TYPE_SIZED) != 0 ? "header-less" :
	    "header", ALIGN_MAX, as->below,
	    (double)as->extra[0] / (PAGE_SIZE - 1),
	    (double)as->extra[1] / (ALIGN_MAX - PAGE_SIZE + 1), as->most);
}

/*
 * Every size from 1 byte to 3 pages, both kinds of type: the alignment
 * malloc() gives against kmem's, and the bytes kmem takes for it against
 * what kmem alone would take for the request.
 */
static void
test_alignment(void)
{
	struct alignsum as;
	uintptr_t p;
	size_t n, bad;

	/* the harness's kmem gives kmem's alignment and, below a page, no more */
	for (n = 1, bad = 0; n < PAGE_SIZE; n++) {
		size_t a = kmem_rule(n);

		p = (uintptr_t)kmem_intr_alloc(n, KM_SLEEP);
		if (a < PAGE_SIZE ? (p & (2 * a - 1)) != a :
		    (p & (PAGE_SIZE - 1)) != 0)
			bad++;
		kmem_intr_free((void *)p, n);
	}
	CHECK(bad == 0);
	align_sweep(M_SIZED, &as);
	CHECK(as.below == 0);			/* kmem's alignment, always */
	CHECK(as.extra[1] == 0);		/* no extra page, ever */
#ifndef DIAGNOSTIC
	CHECK(as.extra[0] == 0 && as.most == 0);	/* and no byte more */
#endif
	align_sweep(M_TEST2, &as);
	CHECK(as.below <= ALIGN_MAX);		/* ALIGNBYTES + 1, page */
}

#ifdef DIAGNOSTIC
#define	FOOTER	8		/* kern_malloc.c's struct malloc_footer */
#else
#define	FOOTER	0
#endif

/*
 * A header-less type (MALLOC_DEFINE_SIZED): kmem's block as it is, freed
 * with its size; the cheap checks always, the footer's under DIAGNOSTIC.
 */
static void
test_sized(void)
{
	struct stat1 s0, s;
	char *p, *q, stackbuf[16];
	size_t size;

	CHECK(IDX(M_SIZED) != 0 && M_SIZED->ks_flags == MALLOC_TYPE_SIZED);
	CHECK(IDX(M_SIZED2) == 0 && M_TEST1->ks_flags == 0);
	malloc_type_attach(M_SIZED2);
	s0 = stats("sized");
	p = malloc(100, M_SIZED, M_WAITOK);
	CHECK(p != NULL && ((uintptr_t)p & 63) == 0);
	CHECK(harness_kmem_last == 100 + FOOTER);	/* the request as it is */
	s = stats("sized");
	CHECK(s.bytes == s0.bytes + 100 && s.inuse == s0.inuse + 1);
	kern_free_sized(p, M_SIZED, 100);
	s = stats("sized");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);
	/*
	 * No footer where it would cost kmem's alignment: a request that
	 * rounds to an even multiple of 8 (NetBSD 7's kmem aligns a cache
	 * to the power of two that divides its size: 64 is 64-aligned, 72
	 * only 8).
	 */
	p = malloc(64, M_SIZED, M_WAITOK);
	CHECK(p != NULL && harness_kmem_last == 64);
	kern_free_sized(p, M_SIZED, 64);
	p = malloc(250, M_SIZED, M_WAITOK);	/* rounds to 256 */
	CHECK(p != NULL && harness_kmem_last == 250);
	kern_free_sized(p, M_SIZED, 250);
	p = malloc(17, M_SIZED, M_WAITOK);	/* rounds to 24: 32 with it */
	CHECK(p != NULL && harness_kmem_last == 17 + FOOTER);
	kern_free_sized(p, M_SIZED, 17);
	/* M_ZERO; a page or more: page-aligned, no extra page */
	p = malloc(5000, M_SIZED, M_WAITOK | M_ZERO);
	CHECK(p != NULL && allzero((unsigned char *)p, 5000) &&
	    ((uintptr_t)p & (PAGE_SIZE - 1)) == 0 &&
	    harness_kmem_last == 5000 + FOOTER);
	kern_free_sized(p, M_SIZED, 5000);
	/* page multiples (or nearly): no footer, no extra page */
	p = malloc(2 * PAGE_SIZE, M_SIZED, M_WAITOK);
	CHECK(p != NULL && harness_kmem_last == 2 * PAGE_SIZE);
	kern_free_sized(p, M_SIZED, 2 * PAGE_SIZE);
	p = malloc(PAGE_SIZE - 4, M_SIZED, M_WAITOK);
	CHECK(p != NULL && harness_kmem_last == PAGE_SIZE - 4);
	kern_free_sized(p, M_SIZED, PAGE_SIZE - 4);
	/* failures are counted; limits apply */
	harness_kmem_fail = 1;
	CHECK(malloc(10, M_SIZED, M_NOWAIT) == NULL);
	CHECK(stats("sized").fails == s0.fails + 1);
	malloc_type_setlimit(M_SIZED, 50);
	CHECK(malloc(100, M_SIZED, M_NOWAIT) == NULL);
	malloc_type_setlimit(M_SIZED, 0);
	/* the helpers work with it, freed with the size */
	p = malloc_strdupsize("cd0", &size, M_SIZED, M_WAITOK);
	CHECK(p != NULL && size == 4);
	kern_free_sized(p, M_SIZED, size);
	p = malloc_tmpbuf_alloc(64, stackbuf, sizeof(stackbuf), M_SIZED,
	    M_WAITOK);
	CHECK(p != NULL && p != stackbuf);
	malloc_tmpbuf_free(p, 64, stackbuf, M_SIZED);
	s = stats("sized");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);

	/* always: no size, no free; no 0-byte block; no realloc */
	p = malloc(24, M_SIZED, M_WAITOK);
	CHECK(PANICS(free(p, M_SIZED)));
	CHECK(strstr(harness_panic_msg, ", sized): the type is header-less")
	    != NULL);
	CHECK(PANICS(kern_free_sized(p, M_SIZED, 0)));
	CHECK(PANICS(malloc(0, M_SIZED, M_NOWAIT)));
	CHECK(strstr(harness_panic_msg, "malloc(0, sized): a header-less")
	    != NULL);
	CHECK(PANICS(realloc(p, 48, M_SIZED, M_WAITOK)));
	CHECK(strstr(harness_panic_msg, "sized): a header-less type has no "
	    "realloc") != NULL);
	CHECK(PANICS(realloc(p, 0, M_SIZED, M_WAITOK)));
	q = realloc(NULL, 8, M_SIZED, M_WAITOK);	/* = malloc */
	CHECK(q != NULL);
	kern_free_sized(q, M_SIZED, 8);
	CHECK(harness_ilevel == IPL_NONE);
#if defined(DIAGNOSTIC) || defined(MALLOC_DEBUG_TYPES)
	/*
	 * The footer (or MALLOC_DEBUG_TYPES's record, which is asked
	 * first): wrong type, wrong size, double free.
	 */
	CHECK(PANICS(kern_free_sized(p, M_SIZED2, 24)));
	CHECK(strstr(harness_panic_msg, ", sized2, 24): allocated as sized")
	    != NULL);
	CHECK(PANICS(kern_free_sized(p, M_SIZED, 23)));
#ifdef MALLOC_DEBUG_TYPES
	CHECK(strstr(harness_panic_msg, ", sized, 23): allocated with size 24")
	    != NULL);
#else
	CHECK(strstr(harness_panic_msg, ", sized, 23): no malloc footer")
	    != NULL);
#endif
	kern_free_sized(p, M_SIZED, 24);
	CHECK(PANICS(kern_free_sized(p, M_SIZED, 24)));
#ifdef MALLOC_DEBUG_TYPES
	CHECK(strstr(harness_panic_msg, ", sized, 24): not a live header-less "
	    "block") != NULL);
#else
	CHECK(strstr(harness_panic_msg, ", sized, 24): double free (allocated "
	    "as sized)") != NULL);
#endif
	/* a header type's block is no header-less one (the footer is read
	 * inside the block: ASan would see a read past a shorter one) */
	q = malloc(40, M_TEST1, M_WAITOK);
	memset(q, 0, 40);
	CHECK(PANICS(kern_free_sized(q, M_SIZED, 24)));
#ifdef MALLOC_DEBUG_TYPES
	CHECK(strstr(harness_panic_msg, "not a live header-less block") != NULL);
#else
	CHECK(strstr(harness_panic_msg, "no malloc footer") != NULL);
#endif
	free(q, M_TEST1);
#else
	/*
	 * No footer: a wrong type is charged to the type given (and a wrong
	 * size is left to kmem's own check, KMEM_SIZE under DIAGNOSTIC).
	 */
	s0 = stats("sized2");
	kern_free_sized(p, M_SIZED2, 24);
	CHECK(stats("sized2").bytes == s0.bytes - 24);
	p = malloc(24, M_SIZED2, M_WAITOK);	/* even it out again */
	kern_free_sized(p, M_SIZED, 24);
#endif

	/* detached with memory in use: charged to (detached) from then on */
	p = malloc(30, M_SIZED2, M_WAITOK);
	s0 = stats("(detached)");
	harness_printed[0] = '\0';
	malloc_type_detach(M_SIZED2);
	CHECK(strstr(harness_printed, "type sized2 detached with") != NULL);
	CHECK(stats("(detached)").bytes > s0.bytes);
	kern_free_sized(p, M_SIZED2, 30);
	s = stats("(detached)");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);
}

/*
 * Option MALLOC_DEBUG_TYPES: every free of a header-less block is checked
 * against a record of its type and size, also where DIAGNOSTIC's footer
 * is not (a page and its multiples, sizes a few bytes under a page, a
 * request that the footer would move to a less aligned kmem cache: 64,
 * 256).  Without the option a wrong type there is charged to the type
 * given, as documented (where the footer is, DIAGNOSTIC catches it).
 * One size: true if DIAGNOSTIC gave the block a footer.
 */
static bool
debug_wrong_frees(size_t n)
{
	char msg[128], *p;
	bool footer;

	p = malloc(n, M_SIZED, M_WAITOK);
	footer = harness_kmem_last != n;
	snprintf(msg, sizeof(msg), ", sized3, %zu): allocated as sized", n);
#ifdef MALLOC_DEBUG_TYPES
	CHECK(PANICS(kern_free_sized(p, M_SIZED3, n)));
	CHECK(strstr(harness_panic_msg, msg) != NULL);
	CHECK(PANICS(malloc_tmpbuf_free(p, n, NULL, M_SIZED3)));
	CHECK(strstr(harness_panic_msg, msg) != NULL);
	if (n > 1) {
		CHECK(PANICS(kern_free_sized(p, M_SIZED, n - 1)));
		snprintf(msg, sizeof(msg), ", sized, %zu): allocated with "
		    "size %zu", n - 1, n);
		CHECK(strstr(harness_panic_msg, msg) != NULL);
	}
	/* as a header type's: caught before its "header" is read */
	CHECK(PANICS(free(p, M_TEST1)));
	CHECK(strstr(harness_panic_msg, ", test1): allocated as sized, a "
	    "header-less type") != NULL);
	CHECK(PANICS(free(p, 0)));
	CHECK(PANICS(kern_free_sized(p, M_TEST1, n)));
	CHECK(PANICS(realloc(p, n + 1, M_TEST1, M_WAITOK)));
	CHECK(strstr(harness_panic_msg, ", test1): allocated as sized") != NULL);
	kern_free_sized(p, M_SIZED, n);			/* the right free */
	CHECK(PANICS(kern_free_sized(p, M_SIZED, n)));	/* and again */
	CHECK(strstr(harness_panic_msg, "not a live header-less block") != NULL);
#else
#ifdef DIAGNOSTIC
	CHECK(PANICS(kern_free_sized(p, M_SIZED3, n)) == footer);
	if (footer) {
		CHECK(strstr(harness_panic_msg, msg) != NULL);
		kern_free_sized(p, M_SIZED, n);
		return footer;
	}
#else
	CHECK(!PANICS(kern_free_sized(p, M_SIZED3, n)));
#endif
	/* charged to sized3: even it out */
	p = malloc(n, M_SIZED3, M_WAITOK);
	kern_free_sized(p, M_SIZED, n);
#endif
	return footer;
}

#ifdef MALLOC_DEBUG_TYPES
/* The helpers with header-less types, and realloc of header types. */
static void
debug_helpers(void)
{
	char stackbuf[16], *p;
	struct stat1 s0 = stats("test1"), s3 = stats("sized3");

	/* never allocated: nothing is read, the record says so */
	CHECK(PANICS(kern_free_sized(stackbuf, M_SIZED, sizeof(stackbuf))));
	CHECK(strstr(harness_panic_msg, "not a live header-less block") != NULL);
	p = malloc_strdup("/dev/wd0a", M_SIZED3, M_WAITOK);
	CHECK(PANICS(malloc_strfree(p, M_SIZED)));
	CHECK(strstr(harness_panic_msg, ", sized, 10): allocated as sized3")
	    != NULL);
	malloc_strfree(p, M_SIZED3);
	p = malloc_asprintf(M_SIZED3, "%*s", PAGE_SIZE - 1, "x");  /* a page */
	CHECK(p != NULL && strlen(p) == PAGE_SIZE - 1);
	CHECK(PANICS(malloc_strfree(p, M_SIZED)));
	malloc_strfree(p, M_SIZED3);
	p = malloc_strndup("abcdef", 3, M_SIZED3, M_NOWAIT);
	malloc_strfree(p, M_SIZED3);
	p = malloc_tmpbuf_alloc(PAGE_SIZE, stackbuf, sizeof(stackbuf), M_SIZED3,
	    M_WAITOK);
	CHECK(p != stackbuf);
	malloc_tmpbuf_free(p, PAGE_SIZE, stackbuf, M_SIZED3);
	p = malloc_tmpbuf_alloc(8, stackbuf, sizeof(stackbuf), M_SIZED3,
	    M_WAITOK);
	malloc_tmpbuf_free(p, 8, stackbuf, M_SIZED3);	/* the stack: nothing */
	p = realloc(NULL, 10, M_TEST1, M_WAITOK);
	p = realloc(p, 5000, M_TEST1, M_WAITOK);
	p = realloc(p, 100, M_TEST2, M_WAITOK);
	CHECK(PANICS(free(p, M_TEST1)));	/* a header type's, as ever */
	CHECK(strstr(harness_panic_msg, ", test1): allocated as test2") != NULL);
	free(p, M_TEST2);
	p = realloc(NULL, 100, M_SIZED3, M_WAITOK);	/* = malloc: recorded */
	CHECK(PANICS(kern_free_sized(p, M_SIZED, 100)));
	kern_free_sized(p, M_SIZED3, 100);
	CHECK(stats("sized3").bytes == s3.bytes &&
	    stats("sized3").inuse == s3.inuse);
	CHECK(stats("test1").bytes == s0.bytes &&
	    stats("test1").inuse == s0.inuse);
}
#endif

#if defined(MALLOC_DEBUG_TYPES) && defined(MALLOC_DEBUG_TYPES_SLOTS) && \
    MALLOC_DEBUG_TYPES_SLOTS <= 8192
/*
 * A small table: more than 7/8 of it in use panics, naming the option.
 * The kmem block of the malloc() that panics is lost (no ASan build runs
 * this).
 */
static void *debug_blk[MALLOC_DEBUG_TYPES_SLOTS];
static size_t debug_nblk;

static void
debug_full(void)
{
	struct stat1 s3 = stats("sized3");
	size_t k;
	void *p;

	while (debug_nblk < MALLOC_DEBUG_TYPES_SLOTS &&
	    !PANICS(debug_blk[debug_nblk] = malloc(8, M_SIZED3, M_WAITOK)))
		debug_nblk++;
	CHECK(debug_nblk <= MALLOC_DEBUG_TYPES_SLOTS / 8 * 7 &&
	    debug_nblk > MALLOC_DEBUG_TYPES_SLOTS / 8 * 7 - 100);
	CHECK(strstr(harness_panic_msg, "header-less blocks in use (options "
	    "MALLOC_DEBUG_TYPES_SLOTS)") != NULL);
	for (k = 0; k < debug_nblk; k++)
		kern_free_sized(debug_blk[k], M_SIZED3, 8);
	p = malloc(8, M_SIZED3, M_WAITOK);		/* room again */
	kern_free_sized(p, M_SIZED3, 8);
	CHECK(stats("sized3").inuse == s3.inuse);	/* the lost: uncounted */
}
#endif

static void
test_debug_types(void)
{
	static const size_t sizes[] = { PAGE_SIZE, PAGE_SIZE - 8,
	    PAGE_SIZE - 4, PAGE_SIZE - 1, 2 * PAGE_SIZE, 3 * PAGE_SIZE + 100,
	    64, 256, 24, 1 };
	struct stat1 s0, s3;
	size_t i, nofooter = 0;

	malloc_type_attach(M_SIZED3);
	s0 = stats("sized");
	s3 = stats("sized3");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		nofooter += !debug_wrong_frees(sizes[i]);
	/* DIAGNOSTIC's footer is not at 6 of them (4096 - 8 has one) */
	CHECK(nofooter == (FOOTER != 0 ? 6 : sizeof(sizes) / sizeof(sizes[0])));
	CHECK(stats("sized").bytes == s0.bytes &&
	    stats("sized").inuse == s0.inuse);
	CHECK(stats("sized3").bytes == s3.bytes);
#ifdef MALLOC_DEBUG_TYPES
	debug_helpers();
#endif
#if defined(MALLOC_DEBUG_TYPES) && defined(MALLOC_DEBUG_TYPES_SLOTS) && \
    MALLOC_DEBUG_TYPES_SLOTS <= 8192
	debug_full();
#endif
	harness_printed[0] = '\0';
	malloc_type_detach(M_SIZED3);
	CHECK(harness_printed[0] == '\0');		/* clean */
	CHECK(harness_ilevel == IPL_NONE);
}

static void
test_sysctl(void)
{
	struct malloc_stats_header h;
	struct malloc_stats_record r;
	size_t len = 0, small, i;
	u_int ntypes = 0;
	char *buf;
	int name[1] = { 0 };
	void *p;

	CHECK(strcmp(harness_sysctl_name, "malloc_stats") == 0);
	malloc_type_setlimit(M_USBDEV, 12345);
	p = malloc(777, M_USBDEV, M_WAITOK);
	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	CHECK(len > sizeof(h) && (len - sizeof(h)) % sizeof(r) == 0);
	buf = malloc_libc(len);
	small = sizeof(h) + sizeof(r) + 3;
	memset(buf, 0xee, len);
	CHECK(harness_sysctl_fn(NULL, 0, buf, &small, NULL, 0, NULL, NULL,
	    NULL) == ENOMEM);
	CHECK(small == len);			/* the size needed */
	CHECK((unsigned char)buf[sizeof(h) + sizeof(r) + 3] == 0xee);
	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, buf, 4, NULL, NULL,
	    NULL) == EPERM);
	CHECK(harness_sysctl_fn(name, 1, buf, &len, NULL, 0, NULL, NULL,
	    NULL) == EINVAL);
	CHECK(harness_sysctl_fn(NULL, 0, buf, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	memcpy(&h, buf, sizeof(h));
	CHECK(h.ms_version == 2 && h.ms_hdrsize == 24 && h.ms_recsize == 88);
	CHECK(h.ms_ncpu == maxcpus && h.ms_fold == 65536);
	/* one record per attached type: built-ins, tests, (detached) */
	for (i = 0; i < h.ms_count; i++) {
		memcpy(&r, buf + h.ms_hdrsize + i * h.ms_recsize, sizeof(r));
		CHECK(memchr(r.mr_name, '\0', sizeof(r.mr_name)) != NULL);
		if (strcmp(r.mr_name, "USB device") == 0) {
			uint64_t a = 0, f = 0, fl = 0;
			struct malloc_type_internal *mti = M_USBDEV->ks_handle;
			int64_t b = mti->mti_total;
			u_int c;

			for (c = 0; c < maxcpus; c++) {
				a += mti->mti_cpu[c].mtc_allocs;
				f += mti->mti_cpu[c].mtc_frees;
				fl += mti->mti_cpu[c].mtc_fails;
				b += mti->mti_cpu[c].mtc_bytes;
			}
			CHECK(r.mr_inuse == a - f && r.mr_inuse == 1);
			CHECK(r.mr_requests == a && r.mr_fails == fl);
			CHECK(r.mr_bytes == b && r.mr_bytes == 777);
			CHECK(r.mr_limit == 12345);
			CHECK(r.mr_hwm >= 777);
			CHECK((r.mr_sizes & sizebit(777)) != 0 &&
			    sizebit(777) == (uint64_t)1 << 10);
		}
		ntypes++;
	}
	CHECK(ntypes == 9 + 4 + 1 && len == 24 + ntypes * 88);
	free_libc(buf);
	free(p, M_USBDEV);
	malloc_type_setlimit(M_USBDEV, 0);
	CHECK(stats("USB device").found && stats("devbuf").found &&
	    stats("mrt").found && stats("Export Host").found);
}

int
main(void)
{

	test_init();
	test_basics();
	test_percpu();
	test_sizes();
	test_sizeclasses();
	test_big();
	test_realloc();
	test_limit();
	test_hwm();
	test_interrupts();
	test_preemption();
	test_module();
	test_panics();
	test_helpers();
	test_strfree();
	test_recorded();
	test_alignment();
	test_sized();
	test_debug_types();
	test_sysctl();
	harness_quarantine_flush();
	return T_REPORT();
}
