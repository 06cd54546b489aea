/*
 * Unit tests of shim/kern/kern_malloc.c, built unmodified against the
 * harness's kernel stand-in.  Built twice: plain and with -DDIAGNOSTIC
 * (the type check on free); both under ASan+UBSan too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/malloc.h>


#include "harness.h"

int t_passed, t_failed;

MALLOC_DEFINE(M_TEST1, "test1", "first test type");
MALLOC_DEFINE(M_TEST2, "test2", "second test type");
MALLOC_DEFINE(M_USBDEV, "USB device", "a type the tag map names");
static MALLOC_JUSTDEFINE(M_MODULE, "module", "a type of a loadable module");

struct stat1 {
	uint64_t inuse, requests, fails, limit;
	int64_t bytes, hwm;
	bool found;
};

/* Read a type's record through the sysctl node, as mallocstat does. */
static struct stat1
stats(const char *name)
{
	struct malloc_stats_header h;
	struct malloc_stats_record r;
	struct stat1 s = { 0 };
	size_t len = 0;
	char *buf;
	u_int i;

	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL, NULL) == 0);
	buf = malloc_libc(len);
	CHECK(harness_sysctl_fn(NULL, 0, buf, &len, NULL, 0, NULL, NULL, NULL) == 0);
	memcpy(&h, buf, sizeof(h));
	CHECK(h.ms_version == MALLOC_STATS_VERSION);
	CHECK(h.ms_recsize == sizeof(r) && h.ms_hdrsize == sizeof(h));
	CHECK(len == sizeof(h) + h.ms_count * sizeof(r));
	for (i = 0; i < h.ms_count; i++) {
		memcpy(&r, buf + sizeof(h) + i * sizeof(r), sizeof(r));
		if (strcmp(r.mr_name, name) == 0) {
			s.found = true;
			s.inuse = r.mr_inuse;
			s.requests = r.mr_requests;
			s.fails = r.mr_fails;
			s.bytes = r.mr_bytes;
			s.hwm = r.mr_hwm;
			s.limit = r.mr_limit;
		}
	}
	free_libc(buf);
	return s;
}

static void
test_basics(void)
{
	struct stat1 s0 = stats("test1"), s;
	unsigned char *p, *z;
	size_t i;
	bool zero = true;

	CHECK(s0.found);
	p = malloc(100, M_TEST1, M_WAITOK);
	CHECK(p != NULL && ((uintptr_t)p & ALIGNBYTES) == 0);
	memset(p, 0xa5, 100);
	z = malloc(300, M_TEST1, M_NOWAIT | M_ZERO);
	for (i = 0; i < 300; i++)
		zero &= z[i] == 0;
	CHECK(zero);
	s = stats("test1");
	CHECK(s.inuse == s0.inuse + 2);
	CHECK(s.bytes == s0.bytes + 400);
	CHECK(s.requests == s0.requests + 2);
	free(p, M_TEST1);
	free(z, M_TEST1);
	free(NULL, M_TEST1);			/* a no-op */
	s = stats("test1");
	CHECK(s.inuse == s0.inuse && s.bytes == s0.bytes);
	/* small amounts stay in the CPU's unfolded share: hwm lags by < FOLD */
	CHECK(s.hwm >= s0.bytes && s.hwm < s0.bytes + 400 + 64 * 1024);
	/* a request of FOLD bytes or more is folded at once: hwm is exact */
	p = malloc(100 * 1024, M_TEST1, M_WAITOK);
	free(p, M_TEST1);
	s = stats("test1");
	CHECK(s.hwm >= s0.bytes + 100 * 1024);
	CHECK(s.bytes == s0.bytes);
}

static void
test_sizes(void)
{
	size_t sizes[] = { 0, 1, 7, 8, PAGE_SIZE - 9, PAGE_SIZE - 8, PAGE_SIZE,
	    PAGE_SIZE + 1, 3 * PAGE_SIZE, 1 << 20 };
	struct stat1 s0 = stats("test2"), s;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = malloc(sizes[i], M_TEST2, M_WAITOK | M_ZERO);

		CHECK(p != NULL);
		if (sizes[i] >= PAGE_SIZE)
			CHECK(((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
		if (sizes[i] > 0) {
			CHECK(p[sizes[i] - 1] == 0);
			p[sizes[i] - 1] = 1;
		}
		s = stats("test2");
		CHECK(s.bytes == s0.bytes + (int64_t)sizes[i]);
		free(p, M_TEST2);
	}
	s = stats("test2");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);
}

static void
test_big(void)
{
	/* more than 32 bits of size: the header cannot hold it */
	size_t big = ((size_t)1 << 32) + 123;
	struct stat1 s0 = stats("test2"), s;
	char *p;

	p = malloc(big, M_TEST2, M_NOWAIT);	/* libc may refuse: fine either way */
	s = stats("test2");
	if (p != NULL) {
		CHECK(s.bytes == s0.bytes + (int64_t)big);
		p[big - 1] = 1;
		free(p, M_TEST2);
		s = stats("test2");
		CHECK(s.bytes == s0.bytes);
	} else
		CHECK(s.fails == s0.fails + 1);
	/* impossible sizes fail cleanly with M_NOWAIT */
	CHECK(malloc(SIZE_MAX - 10, M_TEST2, M_NOWAIT) == NULL);
	CHECK(malloc((size_t)1 << 41, M_TEST2, M_NOWAIT) == NULL);
	s = stats("test2");
	CHECK(s.fails >= s0.fails + 2);
}

static void
test_realloc(void)
{
	struct stat1 s0 = stats("test1"), s;
	char *p, *q;
	int i;

	p = realloc(NULL, 10, M_TEST1, M_WAITOK);	/* = malloc */
	CHECK(p != NULL);
	memcpy(p, "0123456789", 10);
	q = realloc(p, 5, M_TEST1, M_WAITOK);		/* shrink: same block */
	CHECK(q == p);
	q = realloc(p, 5000, M_TEST1, M_WAITOK | M_ZERO);	/* grow: copied */
	CHECK(q != NULL && memcmp(q, "0123456789", 10) == 0);
	for (i = 10; i < 5000 && q[i] == 0; i++)
		continue;
	CHECK(i == 5000);
	s = stats("test1");
	CHECK(s.bytes == s0.bytes + 5000 && s.inuse == s0.inuse + 1);
	p = realloc(q, 20, M_TEST2, M_WAITOK);		/* change of type */
	CHECK(p != NULL && memcmp(p, "0123456789", 10) == 0);
	s = stats("test1");
	CHECK(s.bytes == s0.bytes && s.inuse == s0.inuse);
	s = stats("test2");
	CHECK(realloc(p, 0, M_TEST2, M_WAITOK) == NULL);	/* = free */
	CHECK(stats("test2").inuse == s.inuse - 1);
	harness_kmem_fail = 1;
	p = malloc(8, M_TEST1, M_WAITOK);
	q = realloc(p, 100, M_TEST1, M_NOWAIT);		/* fails: p stays */
	CHECK(q == NULL);
	harness_kmem_fail = 0;
	free(p, M_TEST1);
	s = stats("test1");
	CHECK(s.bytes == s0.bytes && s.fails == s0.fails + 1);
}

static void
test_limit(void)
{
	struct stat1 s;
	void *a, *b, *c;

	malloc_type_setlimit(M_TEST2, 1000);
	a = malloc(600, M_TEST2, M_NOWAIT);
	CHECK(a != NULL);
	/* per-CPU shares fold at MALLOC_FOLD bytes: a big one folds at once */
	b = malloc(200 * 1024, M_TEST2, M_NOWAIT);
	CHECK(b == NULL);
	c = malloc(200 * 1024, M_TEST2, M_WAITOK);	/* M_WAITOK is never refused */
	CHECK(c != NULL);
	s = stats("test2");
	CHECK(s.limit == 1000 && s.fails >= 1);
	free(a, M_TEST2);
	free(c, M_TEST2);
	malloc_type_setlimit(M_TEST2, 0);
	b = malloc(200 * 1024, M_TEST2, M_NOWAIT);	/* no limit: fine */
	CHECK(b != NULL);
	free(b, M_TEST2);
}

static void
test_module(void)
{
	struct stat1 s;
	void *p, *q;

	CHECK(!stats("module").found);
	malloc_type_attach(M_MODULE);
	CHECK(stats("module").found);
	p = malloc(64, M_MODULE, M_WAITOK);
	q = malloc(32, M_MODULE, M_WAITOK);
	free(q, M_MODULE);
	harness_printed[0] = '\0';
	malloc_type_detach(M_MODULE);		/* unloaded with p in use */
	CHECK(strstr(harness_printed, "module detached with 1 allocations, "
	    "64 bytes in use") != NULL);
	CHECK(!stats("module").found);
	s = stats("(detached)");
	CHECK(s.found);
	free(p, M_MODULE);			/* charged to (detached) */
	CHECK(stats("(detached)").bytes == s.bytes - 64);
	/* a clean unload says nothing */
	malloc_type_attach(M_MODULE);
	p = malloc(10, M_MODULE, M_WAITOK);
	free(p, M_MODULE);
	harness_printed[0] = '\0';
	malloc_type_detach(M_MODULE);
	CHECK(harness_printed[0] == '\0');
	/* used before attach: attached on first use */
	p = malloc(10, M_MODULE, M_WAITOK);
	CHECK(stats("module").inuse == 1);
	free(p, M_MODULE);
	malloc_type_detach(M_MODULE);
}

static void
test_panics(void)
{
	char *p = malloc(16, M_TEST1, M_WAITOK);
	char buf[64] __aligned(8);

	memset(buf, 0, sizeof(buf));
	CHECK(PANICS(free(buf + 16, M_TEST1)));		/* not from malloc */
	CHECK(strstr(harness_panic_msg, "not allocated by malloc") != NULL);
#ifdef DIAGNOSTIC
	CHECK(PANICS(free(p, M_TEST2)));		/* wrong type */
	CHECK(strstr(harness_panic_msg, "free(") != NULL &&
	    strstr(harness_panic_msg, "test2): allocated as test1") != NULL);
#else
	CHECK(!PANICS(free(p, M_TEST2)));		/* charged to test1 anyway */
	p = malloc(16, M_TEST1, M_WAITOK);
#endif
	free(p, M_TEST1);
	CHECK(PANICS(free(p, M_TEST1)));		/* double free */
	CHECK(strstr(harness_panic_msg, "double free (allocated as test1)") != NULL);
	p = malloc(16, M_TEST1, M_WAITOK);
	CHECK(PANICS(kern_free_sized(p, M_TEST1, 15)));	/* sized free, wrong size */
	CHECK(strstr(harness_panic_msg, "allocated with size 16") != NULL);
	kern_free_sized(p, M_TEST1, 16);
	curcpu()->ci_intr = true;
#ifdef DIAGNOSTIC
	CHECK(PANICS(malloc(8, M_TEST1, M_WAITOK)));	/* may sleep in interrupt */
#endif
	p = malloc(8, M_TEST1, M_NOWAIT);
	CHECK(p != NULL);
	curcpu()->ci_intr = false;
	free(p, M_TEST1);
}

static void
test_sysctl(void)
{
	struct malloc_stats_header h;
	size_t len = 0, small = sizeof(h);
	char *buf;

	CHECK(strcmp(harness_sysctl_name, "malloc_stats") == 0);
	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL, NULL) == 0);
	CHECK(len > sizeof(h));
	buf = malloc_libc(len);
	CHECK(harness_sysctl_fn(NULL, 0, buf, &small, NULL, 0, NULL, NULL, NULL) == ENOMEM);
	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, buf, 4, NULL, NULL, NULL) == EPERM);
	free_libc(buf);
	CHECK(stats("USB device").found && stats("devbuf").found);
}

int
main(void)
{

	malloc_init();
	sysctl_kern_malloc_setup(NULL);
	test_basics();
	test_sizes();
	test_big();
	test_realloc();
	test_limit();
	test_module();
	test_panics();
	test_sysctl();
	harness_quarantine_flush();
	return T_REPORT();
}
