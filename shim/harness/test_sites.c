/*
 * Option MALLOC_SITES (this program is built with it only): call sites
 * in this file allocate known amounts, and the records of
 * kern.malloc_sites must name them (file, line, function, type) and
 * count them (requests, frees, blocks and bytes in use), frees charged
 * to the allocating site whoever frees, on whichever CPU; realloc(),
 * recorded types, every helper, big blocks, a detached type, a site
 * several types share, a header-less type (its free charged to its site
 * through the table of header-less blocks, with or without
 * MALLOC_DEBUG_TYPES; without, a full table flags the site), a record
 * that goes away as a module's would, a site no memory could be had for
 * (M_NOWAIT), a header with a site number no site has (DIAGNOSTIC), and
 * the memory the sites keep.  Then the blob through mallocstat -S: the
 * table, its orders, -n, JSON, -r, -w over a stream, -d, a later
 * version, and bad input.  Built plain, with DIAGNOSTIC and
 * MALLOC_DEBUG_TYPES, and with DIAGNOSTIC under ASan+UBSan.
 */
#include <sys/wait.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define	__MALLOC_PRIVATE		/* the tests look inside */
#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/kmem.h>
#include <sys/malloc.h>

#include "harness.h"

#ifndef MALLOC_SITES
#error "test_sites.c is built with -DMALLOC_SITES"
#endif

int t_passed, t_failed;

MALLOC_DEFINE(M_SITEA, "sitea", "site A's type");
MALLOC_DEFINE(M_SITEB, "siteb", "site B's type");
MALLOC_DEFINE_SIZED(M_SITESZ, "sitesz", "a header-less type");
static MALLOC_JUSTDEFINE(M_SITEMOD, "sitemod", "a module's type");

__link_set_decl(malloc_sites, struct malloc_site);

#define	SITE_CHUNK	64	/* kern_malloc.c's MALLOC_SITE_CHUNK */

static const char *prog = "obj/mallocstat";
#include "mallocstat_run.h"

static const char *blob = "obj/test-sites.bin";
static const char *stream = "obj/test-sites-stream.bin";
static const char *snap = "obj/test-sites-snap.bin";

/* call, and the line it is on in line (one macro expansion: one line) */
#define	AT(line, call)	((line) = __LINE__, (call))

/* The kernel's blob: *lenp bytes, from libc's malloc. */
static char *
sites_blob(size_t *lenp)
{
	sysctlfn fn = harness_sysctl_find("malloc_sites");
	char *buf;

	*lenp = 0;
	CHECK(fn != NULL);
	if (fn == NULL)
		return NULL;
	CHECK(fn(NULL, 0, NULL, lenp, NULL, 0, NULL, NULL, NULL) == 0);
	buf = malloc_libc(*lenp);
	CHECK(fn(NULL, 0, buf, lenp, NULL, 0, NULL, NULL, NULL) == 0);
	return buf;
}

static struct malloc_sites_header last;

/*
 * The record of the site at func:line, which must be the only one;
 * *found says whether there was one.
 */
static struct malloc_site_record
site(const char *func, u_int line, bool *found)
{
	struct malloc_site_record r, got;
	size_t len, i;
	char *buf = sites_blob(&len);

	memset(&got, 0, sizeof(got));
	*found = false;
	if (buf == NULL)
		return got;
	memcpy(&last, buf, sizeof(last));
	CHECK(last.mss_magic == MALLOC_SITES_MAGIC &&
	    last.mss_version == MALLOC_SITES_VERSION &&
	    last.mss_hdrsize == sizeof(last) && last.mss_recsize == sizeof(r));
	CHECK(len == sizeof(last) + last.mss_count * sizeof(r));
	for (i = 0; i < last.mss_count; i++) {
		memcpy(&r, buf + sizeof(last) + i * sizeof(r), sizeof(r));
		CHECK(r.msr_inuse == r.msr_requests - r.msr_frees);
		if (strcmp(r.msr_func, func) == 0 && r.msr_line == line) {
			CHECK(!*found);
			*found = true;
			got = r;
		}
	}
	free_libc(buf);
	return got;
}

/* A site's record is there and counts this; its place is this file's. */
static bool
counts(const char *func, u_int line, const char *type, uint64_t requests,
    uint64_t frees, int64_t bytes, uint32_t flags)
{
	bool found;
	struct malloc_site_record r = site(func, line, &found);

	if (!found) {
		fprintf(stderr, "no site %s:%u\n", func, line);
		return false;
	}
	if (strcmp(r.msr_file, "test_sites.c") != 0 ||
	    strcmp(r.msr_type, type) != 0 || r.msr_requests != requests ||
	    r.msr_frees != frees || r.msr_bytes != bytes ||
	    r.msr_flags != flags) {
		fprintf(stderr, "site %s:%u: %s %s, %ju requests, %ju frees, "
		    "%jd bytes, flags %#x\n", func, line, r.msr_file,
		    r.msr_type, (uintmax_t)r.msr_requests,
		    (uintmax_t)r.msr_frees, (intmax_t)r.msr_bytes,
		    r.msr_flags);
		return false;
	}
	return true;
}

static u_int line_a, line_b, line_any, line_sized;

static void * __noinline
site_a(size_t n)
{

	return AT(line_a, malloc(n, M_SITEA, M_WAITOK));
}

static void * __noinline
site_b(size_t n)
{

	return AT(line_b, malloc(n, M_SITEB, M_WAITOK | M_ZERO));
}

/* One site, its type the caller's. */
static void * __noinline
site_any(struct malloc_type *ks, size_t n)
{

	return AT(line_any, malloc(n, ks, M_WAITOK));
}

/* Frees in functions of their own, and on another CPU. */
static void __noinline
release(void *p, struct malloc_type *ks)
{

	free(p, ks);
}

static void *
release_elsewhere(void *p)
{

	harness_cpu_enter();
	free(p, M_SITEA, 100);			/* sized, a header type */
	return NULL;
}

static void *a[3], *b[2];

/* Two sites; frees charge the allocating one, wherever they happen. */
static void
test_two_sites(void)
{
	struct malloc_site * const *msp;
	pthread_t th;
	u_int linked = 0;
	bool found;
	int i;

	for (i = 0; i < 3; i++)
		a[i] = site_a(100);
	for (i = 0; i < 2; i++)
		b[i] = site_b(1000);
	CHECK(counts("site_a", line_a, "sitea", 3, 0, 300, 0));
	CHECK(counts("site_b", line_b, "siteb", 2, 0, 2000, 0));
	/* every record of this program is in the link set, and kern_malloc.c's */
	__link_set_foreach(msp, malloc_sites)
		linked++;
	(void)site("site_a", line_a, &found);
	CHECK(linked > 20 && last.mss_linked == linked - 1);
	CHECK(last.mss_ncpu == maxcpus && last.mss_lost == 0);
	CHECK(last.mss_count == 2);		/* only sites that allocated */

	release(a[0], M_SITEA);			/* another function */
	CHECK(counts("site_a", line_a, "sitea", 3, 1, 200, 0));
	CHECK(pthread_create(&th, NULL, release_elsewhere, a[1]) == 0);
	CHECK(pthread_join(th, NULL) == 0);	/* another CPU */
	CHECK(counts("site_a", line_a, "sitea", 3, 2, 100, 0));
	free(b[0], M_ASALLOCATED);		/* type 0: as allocated */
	CHECK(counts("site_b", line_b, "siteb", 2, 1, 1000, 0));
	CHECK(counts("site_a", line_a, "sitea", 3, 2, 100, 0));
	/* a[2] and b[1] stay for mallocstat */
}

/* realloc(): a new block is the realloc's site's; a kept one is not. */
static void
test_realloc(void)
{
	u_int l1, l2, l3;
	bool found;
	void *p, *q;

	p = AT(l1, realloc(NULL, 50, M_SITEA, M_WAITOK));
	CHECK(p != NULL && counts("test_realloc", l1, "sitea", 1, 0, 50, 0));
	q = AT(l2, realloc(p, 200, M_SITEA, M_WAITOK));	/* grows: moves */
	CHECK(q != NULL && q != p);
	CHECK(counts("test_realloc", l1, "sitea", 1, 1, 0, 0));
	CHECK(counts("test_realloc", l2, "sitea", 1, 0, 200, 0));
	p = AT(l3, realloc(q, 20, M_SITEA, M_WAITOK));	/* shrinks: stays */
	CHECK(p == q);
	(void)site("test_realloc", l3, &found);
	CHECK(!found);				/* never allocated */
	CHECK(counts("test_realloc", l2, "sitea", 1, 0, 200, 0));
	free(p, M_SITEA);
	CHECK(counts("test_realloc", l2, "sitea", 1, 1, 0, 0));
	p = AT(l3, realloc(NULL, 8, M_SITEB, M_WAITOK));
	CHECK(AT(l1, realloc(p, 0, M_SITEB, M_WAITOK)) == NULL);	/* free */
	CHECK(counts("test_realloc", l3, "siteb", 1, 1, 0, 0));
}

#ifdef DIAGNOSTIC
/* A header whose site number no site has: caught before it is used. */
static void
test_badsite(void)
{
	uint64_t buf[4];

	memset(buf, 0, sizeof(buf));
	buf[0] = (uint64_t)(16 + 8) | (uint64_t)IDX(M_SITEA) << 32 |
	    (uint64_t)0x6d61 << 48;		/* size, type, magic */
	buf[1] = 60000;				/* the site */
	CHECK(PANICS(free((char *)&buf[2], M_SITEA)));
	CHECK(strstr(harness_panic_msg, "header corrupt (site 60000)") != NULL);
}
#endif

/* A recorded type's block, freed as allocated; a big block. */
static void
test_recorded_big(void)
{
	u_int l1, l2;
	void *p;

	p = AT(l1, malloc(64, M_RECORDED(M_SITEB), M_WAITOK));
	CHECK(counts("test_recorded_big", l1, "siteb", 1, 0, 64, 0));
	free(p, M_ASALLOCATED);
	CHECK(counts("test_recorded_big", l1, "siteb", 1, 1, 0, 0));
	p = AT(l2, malloc(3 * PAGE_SIZE + 5, M_SITEA, M_WAITOK));
	CHECK(((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
	CHECK(counts("test_recorded_big", l2, "sitea", 1, 0,
	    3 * PAGE_SIZE + 5, 0));
	free(p, M_SITEA, 3 * PAGE_SIZE + 5);
	CHECK(counts("test_recorded_big", l2, "sitea", 1, 1, 0, 0));
}

/* The helpers, each its caller's site. */
static void
test_helpers(void)
{
	u_int l1, l2, l3, l4, l5, l6, l7, l8;
	char stackbuf[16], *s1, *s2, *s3, *s4, *s5, *s8;
	void *q;
	size_t len = 0;
	bool found;

	s1 = AT(l1, malloc_strdup("hello", M_SITEB, M_WAITOK));
	s2 = AT(l2, malloc_strdupsize("abc", &len, M_SITEB, M_NOWAIT));
	s3 = AT(l3, malloc_strndup("abcdef", 3, M_SITEB, M_WAITOK));
	s4 = AT(l4, malloc_asprintf(M_SITEB, "%d-%s", 42, "x"));
	s5 = AT(l5, malloc_asprintf(M_SITEA, "a%cb", 0));	/* 4 bytes */
	CHECK(strcmp(s1, "hello") == 0 && strcmp(s2, "abc") == 0 &&
	    len == 4 && strcmp(s3, "abc") == 0 && strcmp(s4, "42-x") == 0);
	CHECK(counts("test_helpers", l1, "siteb", 1, 0, 6, 0));
	CHECK(counts("test_helpers", l2, "siteb", 1, 0, 4, 0));
	CHECK(counts("test_helpers", l3, "siteb", 1, 0, 4, 0));
	CHECK(counts("test_helpers", l4, "siteb", 1, 0, 5, 0));
	CHECK(counts("test_helpers", l5, "sitea", 1, 0, 4, 0));
	q = AT(l6, malloc_tmpbuf_alloc(8, stackbuf, sizeof(stackbuf),
	    M_SITEB, M_WAITOK));
	CHECK(q == stackbuf);
	(void)site("test_helpers", l6, &found);
	CHECK(!found);				/* the stack: no allocation */
	q = AT(l7, malloc_tmpbuf_alloc(100, stackbuf, sizeof(stackbuf),
	    M_SITEB, M_WAITOK));
	CHECK(q != stackbuf && counts("test_helpers", l7, "siteb", 1, 0, 100,
	    0));
	malloc_tmpbuf_free(q, 100, stackbuf, M_SITEB);
	malloc_strfree(s1, M_SITEB);
	free(s2, M_SITEB, len);
	malloc_strfree(s3, M_SITEB);
	free(s4, M_SITEB);
	free(s5, M_SITEA, 4);
	CHECK(counts("test_helpers", l7, "siteb", 1, 1, 0, 0));
	CHECK(counts("test_helpers", l1, "siteb", 1, 1, 0, 0));
	CHECK(counts("test_helpers", l2, "siteb", 1, 1, 0, 0));
	CHECK(counts("test_helpers", l3, "siteb", 1, 1, 0, 0));
	CHECK(counts("test_helpers", l4, "siteb", 1, 1, 0, 0));
	CHECK(counts("test_helpers", l5, "sitea", 1, 1, 0, 0));
	/* a header-less type's string */
	s8 = AT(l8, malloc_strdup("xyz", M_SITESZ, M_WAITOK));
	CHECK(counts("test_helpers", l8, "sitesz", 1, 0, 4, 0));
	malloc_strfree(s8, M_SITESZ);
	CHECK(counts("test_helpers", l8, "sitesz", 1, 1, 0, 0));
}

static void *
release_sized_elsewhere(void *p)
{

	harness_cpu_enter();
	free(p, M_SITESZ, 64);
	return NULL;
}

/*
 * A header-less type (no header to keep the site's number: the table of
 * header-less blocks keeps it, with or without MALLOC_DEBUG_TYPES), its
 * frees charged to the allocating site here and on another CPU; a site
 * used with several types.
 */
static void
test_sized_mixed(void)
{
	pthread_t th;
	void *p, *q, *r, *v[2];
	int i;

	for (i = 0; i < 2; i++)
		v[i] = AT(line_sized, malloc(64, M_SITESZ, M_WAITOK));
	CHECK(counts("test_sized_mixed", line_sized, "sitesz", 2, 0, 128, 0));
	free(v[0], M_SITESZ, 64);
	CHECK(counts("test_sized_mixed", line_sized, "sitesz", 2, 1, 64, 0));
	CHECK(pthread_create(&th, NULL, release_sized_elsewhere, v[1]) == 0);
	CHECK(pthread_join(th, NULL) == 0);	/* another CPU */
	CHECK(counts("test_sized_mixed", line_sized, "sitesz", 2, 2, 0, 0));

	p = site_any(M_SITEA, 10);
	CHECK(counts("site_any", line_any, "sitea", 1, 0, 10, 0));
	q = site_any(M_SITEB, 20);
	CHECK(counts("site_any", line_any, "sitea", 2, 0, 30,
	    MALLOC_SITE_TYPES));
	r = site_any(M_SITESZ, 30);
	CHECK(counts("site_any", line_any, "sitea", 3, 0, 60,
	    MALLOC_SITE_TYPES));
	free(p, M_SITEA);
	free(q, M_SITEB);
	free(r, M_SITESZ, 30);
	CHECK(counts("site_any", line_any, "sitea", 3, 3, 0,
	    MALLOC_SITE_TYPES));
}

#ifndef MALLOC_DEBUG_TYPES
#ifndef MALLOC_DEBUG_TYPES_SLOTS
#define	MALLOC_DEBUG_TYPES_SLOTS	(1 << 18)	/* kern_malloc.c's */
#endif
#define	TABLE_MAX	(MALLOC_DEBUG_TYPES_SLOTS / 8 * 7)
#define	TABLE_OVER	3

static void *full[TABLE_MAX + TABLE_OVER];
static u_int line_full;

static void * __noinline
site_full(void)
{

	return AT(line_full, malloc(1, M_SITESZ, M_WAITOK));
}

/*
 * MALLOC_SITES alone, the table of header-less blocks full (no other
 * site's header-less block is live here): the blocks it cannot take are
 * allocated all the same, and their site says MALLOC_SITE_NOFREE and
 * keeps them in use after their frees; the recorded ones are
 * discharged.  With room again, a site is exact.  The flagged site's
 * TABLE_OVER bytes in use stay, for mallocstat's "*".
 */
static void
test_full(void)
{
	struct malloc_site_record r;
	bool found;
	u_int i, l2;
	void *p;

	for (i = 0; i < TABLE_MAX + TABLE_OVER; i++)
		full[i] = site_full();
	CHECK(counts("site_full", line_full, "sitesz", TABLE_MAX + TABLE_OVER,
	    0, TABLE_MAX + TABLE_OVER, MALLOC_SITE_NOFREE));
	for (i = 0; i < TABLE_MAX + TABLE_OVER; i++)
		free(full[i], M_SITESZ, 1);
	CHECK(counts("site_full", line_full, "sitesz", TABLE_MAX + TABLE_OVER,
	    TABLE_MAX, TABLE_OVER, MALLOC_SITE_NOFREE));
	p = AT(l2, malloc(24, M_SITESZ, M_WAITOK));
	free(p, M_SITESZ, 24);
	CHECK(counts("test_full", l2, "sitesz", 1, 1, 0, 0));
	p = site_full();
	free(p, M_SITESZ, 1);			/* recorded: discharged */
	r = site("site_full", line_full, &found);
	CHECK(found && r.msr_inuse == TABLE_OVER);
}
#endif

/* A type detached with memory in use: its site still counts it. */
static void
test_detached(void)
{
	u_int l1;
	void *p;

	malloc_type_attach(M_SITEMOD);
	p = AT(l1, malloc(300, M_SITEMOD, M_WAITOK));
	harness_printed[0] = '\0';
	malloc_type_detach(M_SITEMOD);
	CHECK(strstr(harness_printed, "type sitemod detached with 1 "
	    "allocations") != NULL);
	CHECK(counts("test_detached", l1, "sitemod", 1, 0, 300, 0));
	free(p, M_SITEMOD);
	CHECK(counts("test_detached", l1, "sitemod", 1, 1, 0, 0));
}

/*
 * A site's file is kept as the kernel's sources name it, whatever
 * directory the compiler was given it from.
 */
static void
test_path(void)
{
	static const struct {
		const char *file, *kept;
	} cases[] = {
		{ "../../../../kern/subr_hash.c", "kern/subr_hash.c" },
		{ "/w/src/lib/librump/../../sys/rump/../kern/subr_hash.c",
		    "kern/subr_hash.c" },
		{ "/w/src/lib/librump/../../sys/rump/librump/rumpkern/lwproc.c",
		    "rump/librump/rumpkern/lwproc.c" },
		{ "/usr/src/sys/dev/pci/if_wm.c", "dev/pci/if_wm.c" },
		{ "sys/net/if.c", "net/if.c" },
		{ "if_xyz.c", "if_xyz.c" },
	};
	static struct malloc_site ms[(sizeof(cases) / sizeof(cases[0]))];
	struct malloc_site_record r;
	bool found;
	size_t i;
	void *p;

	for (i = 0; i < (sizeof(cases) / sizeof(cases[0])); i++) {
		ms[i] = (struct malloc_site){ .ms_file = cases[i].file,
		    .ms_func = "path_case", .ms_line = 7000 + i };
		p = malloc_site_alloc(&ms[i], 8, M_SITEB, M_WAITOK);
		r = site("path_case", 7000 + i, &found);
		CHECK(found && strcmp(r.msr_file, cases[i].kept) == 0);
		if (found && strcmp(r.msr_file, cases[i].kept) != 0)
			fprintf(stderr, "%s: kept %s\n", cases[i].file,
			    r.msr_file);
		free(p, M_SITEB);
	}
}

/*
 * A record that goes away, as a module's on unload, and a path longer
 * than the record keeps: the kernel's copy of the name stays, and a
 * free reads nothing of the record.
 */
static void
test_gone(void)
{
	static const char tail[] = "/dev/pci/a_long_driver_name_if_xyz.c";
	struct malloc_site *ms = malloc_libc(sizeof(*ms));
	char *file = malloc_libc(200), *func = malloc_libc(16);
	bool found;
	void *p;

	memset(file, 'd', 120);
	strcpy(file + 120, tail);
	strcpy(func, "xyz_attach");
	*ms = (struct malloc_site){ .ms_file = file, .ms_func = func,
	    .ms_line = 4242 };
	p = malloc_site_alloc(ms, 77, M_SITEB, M_WAITOK);
	CHECK(p != NULL && ms->ms_index != 0 && ms->ms_type == M_SITEB);
	memset(file, 'X', 199);
	memset(func, 'X', 15);
	free_libc(file);
	free_libc(func);
	free_libc(ms);
	{
		struct malloc_site_record r = site("xyz_attach", 4242, &found);

		CHECK(found && strlen(r.msr_file) == MALLOC_SITE_FILELEN - 1);
		CHECK(strcmp(r.msr_file + strlen(r.msr_file) -
		    strlen(tail), tail) == 0 && r.msr_file[0] == 'd');
		CHECK(r.msr_requests == 1 && r.msr_bytes == 77);
	}
	free(p, M_SITEB);
	CHECK(site("xyz_attach", 4242, &found).msr_bytes == 0 && found);
}

/*
 * Sites of records made here, so that the next new site needs a new
 * chunk; how many sites there are then.
 */
static struct malloc_site fill_rec[SITE_CHUNK];

static u_int
fill_to_chunk(void)
{
	bool found;
	u_int n, i;

	(void)site("", 0, &found);
	n = last.mss_count;
	for (i = 0; (n + 1) % SITE_CHUNK != 0; i++, n++) {
		fill_rec[i] = (struct malloc_site){ .ms_file = "fill.c",
		    .ms_func = "fill", .ms_line = i + 1 };
		free(malloc_site_alloc(&fill_rec[i], 1, M_SITEA, M_WAITOK),
		    M_SITEA);
	}
	(void)site("", 0, &found);
	CHECK(last.mss_count == n);
	return n;
}

/*
 * A new site whose chunk cannot be had (M_NOWAIT): the allocation
 * succeeds without a site, counted as lost, and the site is numbered
 * at its next allocation; a chunk is kmem's until the end.
 */
static void
test_lost(void)
{
	static struct malloc_site ms = { .ms_file = "lost.c",
	    .ms_func = "lost", .ms_line = 7 };
	unsigned long live;
	bool found;
	void *p;
	u_int n;

	n = fill_to_chunk();
	harness_kmem_fail_from = PAGE_SIZE;	/* the chunk, not the block */
	p = malloc_site_alloc(&ms, 10, M_SITEA, M_NOWAIT);
	harness_kmem_fail_from = 0;
	CHECK(p != NULL && ms.ms_index == 0);
	(void)site("lost", 7, &found);
	CHECK(!found && last.mss_lost == 1 && last.mss_count == n);
	free(p, M_SITEA);			/* no site to charge */
	live = harness_kmem_live;
	p = malloc_site_alloc(&ms, 10, M_SITEA, M_NOWAIT);
	CHECK(p != NULL && ms.ms_index == n + 1);
	CHECK(harness_kmem_live == live + 2);	/* the block and a chunk */
	{
		struct malloc_site_record r = site("lost", 7, &found);

		CHECK(found && strcmp(r.msr_file, "lost.c") == 0 &&
		    r.msr_requests == 1 && r.msr_bytes == 10 &&
		    last.mss_lost == 1);
	}
	free(p, M_SITEA);
}


static void
dump(const char *file, const char *mode)
{
	size_t len;
	char *buf = sites_blob(&len);

	write_file(file, mode, buf, len);
	free_libc(buf);
}

/* a before b in s, both there */
static bool
before(const char *s, const char *x, const char *y)
{
	const char *p = strstr(s, x), *q = strstr(s, y);

	return p != NULL && q != NULL && p < q;
}

/* The table row mallocstat -S prints for a site of this file. */
static const char *
row(const char *bytes, const char *inuse, uint64_t requests, uint64_t frees,
    const char *type, u_int line, const char *func)
{
	static char buf[2][256];
	static int k;
	char place[128];

	k = !k;
	snprintf(place, sizeof(place), "test_sites.c:%u %s", line, func);
	snprintf(buf[k], sizeof(buf[k]), "\n%14s %9s %10ju %10ju  %-20s %s\n",
	    bytes, inuse, (uintmax_t)requests, (uintmax_t)frees, type, place);
	return buf[k];
}

/* The blob through mallocstat -S. */
static void
test_mallocstat(void)
{
	char args[512], want[512], *out;
	void *c[4];
	int st, i;

	/* a[2]: 100 B at site_a; b[1]: 1000 B at site_b */
	dump(blob, "wb");
	snprintf(args, sizeof(args), "-S -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strncmp(out, "Memory statistics by call site\n", 31) == 0);
	CHECK(strstr(out, "\n         Bytes     InUse   Requests      Frees"
	    "  Type                 Site\n") != NULL);
	CHECK(strstr(out, row("1000", "1", 2, 1, "siteb", line_b, "site_b")));
	CHECK(strstr(out, row("100", "1", 3, 2, "sitea", line_a, "site_a")));
	CHECK(before(out, "site_b", "site_a"));		/* by bytes */
	snprintf(want, sizeof(want), "sites have allocated; the kernel has "
	    "%u\n", last.mss_linked);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "1 allocations have no site") != NULL);
	CHECK(strstr(out, "\n+ the site allocated several types") != NULL);
	snprintf(want, sizeof(want), "sitea+               test_sites.c:%u "
	    "site_any\n", line_any);
	CHECK(strstr(out, want) != NULL);
	/* a header-less type's site: exact; "*" only where the table was full */
	CHECK(strstr(out, row("0", "0", 2, 2, "sitesz", line_sized,
	    "test_sized_mixed")) != NULL);
#ifdef MALLOC_DEBUG_TYPES
	CHECK(strstr(out, "*") == NULL);
#else
	CHECK(strstr(out, "\n* frees of some of its header-less blocks were "
	    "not counted") != NULL);
	CHECK(strstr(out, row("3*", "3*", TABLE_MAX + TABLE_OVER + 1,
	    TABLE_MAX + 1, "sitesz", line_full, "site_full")) != NULL);
	CHECK(before(out, "site_full\n", "test_sized_mixed\n"));
#endif
	/* -n: the top rows only; the orders */
	snprintf(args, sizeof(args), "-S -n 1 -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "site_b") != NULL &&
	    strstr(out, "site_a\n") == NULL);
	snprintf(args, sizeof(args), "-S -s requests -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && before(out, "site_a\n", "site_b\n"));
	snprintf(args, sizeof(args), "-S -s inuse -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && before(out, "site_a\n", "fill.c:1 fill\n"));
	snprintf(args, sizeof(args), "-S -s inuse -n 2 -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "fill") == NULL);	/* 0 in use: last */
	snprintf(args, sizeof(args), "-S -s name -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && before(out, "fill.c:1 fill\n", "fill.c:2 fill\n") &&
	    before(out, "lost.c:7", "test_sites.c:") &&
	    before(out, "site_a\n", "site_b\n"));
	/* -j: exact values, every record */
	snprintf(args, sizeof(args), "-S -j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strncmp(out, "{\"version\": 1, \"ncpu\": 64, ", 27) == 0);
	snprintf(want, sizeof(want), "{\"file\": \"test_sites.c\", \"line\": %u, "
	    "\"function\": \"site_a\", \"type\": \"sitea\", \"several_types\": "
	    "false, \"frees_seen\": true, \"requests\": 3, \"frees\": 2, "
	    "\"inuse\": 1, \"bytes\": 100}", line_a);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "\"function\": \"site_any\", \"type\": \"sitea\", "
	    "\"several_types\": true, ") != NULL);
	CHECK(strstr(out, "\"function\": \"xyz_attach\"") != NULL &&
	    strstr(out, "\"lost\": 1, ") != NULL);
	CHECK(strlen(out) >= 4 && strcmp(out + strlen(out) - 4, "\n]}\n") == 0);
	/* -r: the blob as read */
	snprintf(args, sizeof(args), "-S -r -f %s > %s; cmp %s %s && echo "
	    "same", blob, snap, blob, snap);
	out = run(args, &st);
	CHECK(st == 0 && strcmp(out, "same\n") == 0);
	snprintf(args, sizeof(args), "-S < %s", blob);	/* standard input */
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "site_b\n") != NULL);

	/* a stream of three readings: -w reports what changed, by growth */
	dump(stream, "wb");
	for (i = 0; i < 4; i++)
		c[i] = site_a(1000);		/* grows most */
	free(b[1], M_SITEB);			/* shrinks */
	dump(stream, "ab");
	dump(blob, "wb");
	for (i = 0; i < 4; i++)
		free(c[i], M_SITEA);
	dump(stream, "ab");
	snprintf(args, sizeof(args), "-S -w 0 -f %s", stream);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "report 3:") != NULL &&
	    strstr(out, "report 4:") == NULL);
	CHECK(strstr(out, "\nMemory statistics by call site, report 2: "
	    "changes since report 1\n         Bytes         +Bytes     InUse"
	    "    +InUse  +Requests     +Frees  Type                 Site\n")
	    != NULL);
	snprintf(want, sizeof(want), "\n          4100          +4000         5"
	    "        +4         +4         +0  sitea                "
	    "test_sites.c:%u site_a\n", line_a);
	CHECK(strstr(out, want) != NULL);
	snprintf(want, sizeof(want), "\n             0          -1000         0"
	    "        -1         +0         +1  siteb                "
	    "test_sites.c:%u site_b\n", line_b);
	CHECK(strstr(out, want) != NULL);
	CHECK(before(out, "report 2:", "+4000") &&
	    before(out, "+4000", "-1000") && before(out, "-1000", "report 3:"));
	snprintf(want, sizeof(want), "\n           100          -4000         1"
	    "        -4         +0         +4  sitea                "
	    "test_sites.c:%u site_a\n", line_a);
	CHECK(strstr(out, want) != NULL);
	snprintf(args, sizeof(args), "-S -w 0 -c 2 -n 1 -f %s", stream);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "+4000") != NULL &&
	    strstr(out, "-1000") == NULL && strstr(out, "report 3:") == NULL);
	/* -d: what grew since a snapshot */
	snprintf(args, sizeof(args), "-S -d %s -f %s", snap, blob);
	out = run(args, &st);
	CHECK(st == 0 && strncmp(out, "Memory statistics by call site, "
	    "changes since obj/test-sites-snap.bin\n", 69) == 0);
	CHECK(strstr(out, "+4000") != NULL && strstr(out, "site_b") == NULL);
	snprintf(args, sizeof(args), "-S -d %s -f %s", snap, snap);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "(nothing grew)") != NULL);
}

/* A later version: longer header and records; and bad input. */
struct hdr2 {
	struct malloc_sites_header h;
	uint32_t	extra[2];
};
struct rec2 {
	struct malloc_site_record r;
	uint64_t	newfield;
};

static void
test_blobs(void)
{
	struct hdr2 h;
	struct rec2 r;
	char args[256], buf[sizeof(h) + sizeof(r)], *out;
	int st;

	memset(&h, 0, sizeof(h));
	memset(&r, 0, sizeof(r));
	h.h.mss_magic = MALLOC_SITES_MAGIC;
	h.h.mss_version = 2;
	h.h.mss_hdrsize = sizeof(h);
	h.h.mss_recsize = sizeof(r);
	h.h.mss_count = 1;
	h.h.mss_ncpu = 4;
	h.h.mss_linked = 9;
	strcpy(r.r.msr_file, "sys/kern/\"q\".c");
	strcpy(r.r.msr_func, "f");
	strcpy(r.r.msr_type, "t");
	r.r.msr_line = 12;
	r.r.msr_requests = 5;
	r.r.msr_frees = 2;
	r.r.msr_inuse = 3;
	r.r.msr_bytes = 30;
	r.newfield = ~0ULL;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &r, sizeof(r));
	write_file(blob, "wb", buf, sizeof(buf));
	snprintf(args, sizeof(args), "-S -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "\n            30         3          5 "
	    "         2  t                    sys/kern/\"q\".c:12 f\n") != NULL);
	CHECK(strstr(out, "1 call sites have allocated; the kernel has 9\n")
	    != NULL && strstr(out, "no site") == NULL);
	snprintf(args, sizeof(args), "-S -j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "{\"file\": \"sys/kern/\\\"q\\\".c\", "
	    "\"line\": 12, ") != NULL);

	/* bad input: one line, exit status 2 */
	out = run("-S -s hwm -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-S -j -n 3 -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-n 0 -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-S -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "short statistics blob (0 bytes)") != NULL);
	write_file(blob, "wb", buf, sizeof(h) + 10);
	snprintf(args, sizeof(args), "-S -f %s", blob);
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "truncated statistics blob") != NULL);
	h.h.mss_recsize = 100;			/* shorter than version 1's */
	write_file(blob, "wb", &h, sizeof(h));
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "bad site statistics blob") != NULL);
	h.h.mss_version = 0;
	write_file(blob, "wb", &h, sizeof(h));
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "site statistics version 0") != NULL);
	h.h.mss_magic = 0x12345678;
	write_file(blob, "wb", &h, sizeof(h));
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "not statistics by call site (magic "
	    "0x12345678") != NULL);
	/* each kind of blob, read as the other */
	{
		size_t len = 0;
		char *tb;

		CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL,
		    NULL, NULL) == 0);
		tb = malloc_libc(len);
		CHECK(harness_sysctl_fn(NULL, 0, tb, &len, NULL, 0, NULL,
		    NULL, NULL) == 0);
		write_file(blob, "wb", tb, len);
		free_libc(tb);
	}
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "statistics by type (version 2): read "
	    "them without -S") != NULL);
	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "sitea") != NULL);
	snprintf(args, sizeof(args), "-f %s", snap);
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "statistics by call site: read them "
	    "with -S") != NULL);
}

int
main(int argc, char **argv)
{
	unsigned long base;
	bool found;

	if (argc > 1)
		prog = argv[1];
	malloc_init();
	harness_sysctl_init();
	CHECK(harness_sysctl_find("malloc_stats") == harness_sysctl_fn &&
	    harness_sysctl_fn != NULL);
	base = harness_kmem_live;		/* the types' counters */
	test_two_sites();
	test_realloc();
	test_recorded_big();
#ifdef DIAGNOSTIC
	test_badsite();
#endif
	test_helpers();
	test_sized_mixed();
#ifndef MALLOC_DEBUG_TYPES
	test_full();
#endif
	test_detached();
	test_gone();
	test_path();
	test_lost();
	test_mallocstat();
	test_blobs();

	free(a[2], M_SITEA);
	(void)site("", 0, &found);
	/* everything freed; the sites' chunks stay, and nothing else */
	harness_quarantine_flush();
	CHECK(harness_kmem_live == base +
	    (last.mss_count + 1 + SITE_CHUNK - 1) / SITE_CHUNK);
	return T_REPORT();
}
