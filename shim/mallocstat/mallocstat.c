/*-
 * Copyright (c) 2026 The kmem2malloc project.  All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions
 * are met:
 * 1. Redistributions of source code must retain the above copyright
 *    notice, this list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright
 *    notice, this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 *
 * THIS SOFTWARE IS PROVIDED BY THE AUTHOR AND CONTRIBUTORS ``AS IS'' AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED.  IN NO EVENT SHALL THE AUTHOR OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS
 * OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION)
 * HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
 * LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY
 * OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF
 * SUCH DAMAGE.
 */

/*
 * mallocstat: malloc(9) statistics by type, as vmstat -m printed them,
 * or by call site (-S, kernels with option MALLOC_SITES), and what
 * changed, for leak hunting (see mallocstat.1).
 *
 *	mallocstat [-aS] [-n count] [-s key] [-f file]
 *	mallocstat [-S] -j | -r [-f file]
 *	mallocstat [-S] -w seconds [-c count] [-a] [-n count] [-f file]
 *	mallocstat [-S] -d snapshot [-a] [-n count] [-f file]
 *
 * Reads kern.malloc_stats (with -S kern.malloc_sites), or with -f a file
 * holding that blob ("-" is standard input; where there is no such
 * sysctl node, standard input is the default).  The blobs are described
 * in <sys/mallocvar.h>; any version from 1 on is read, through the
 * header's sizes.  With -w, each report reads the next blob: from the
 * sysctl after the interval, or the next one in the file, which may hold
 * several one after the other (a stream paces itself: no sleep); the end
 * of the file ends the reports.  A snapshot for -d is such a blob too,
 * as -r writes it: one reader, any version.  Bad usage or input: exit
 * status 2; a failing sysctl: 1.  -s is the sort key, so call sites are
 * -S.
 */

#include <sys/types.h>
#include <stdint.h>			/* not in every <sys/types.h> */
#include <sys/mallocvar.h>
#ifdef __NetBSD__
#include <sys/sysctl.h>
#endif

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef __dead
#define	__dead	__attribute__((__noreturn__))
#endif
#ifndef __arraycount
#define	__arraycount(a)	(sizeof(a) / sizeof(a[0]))
#endif

/* One type's statistics, from any version of the blob or a snapshot. */
struct rec {
	char		name[MALLOC_STATS_NAMELEN];
	uint64_t	inuse, limit, requests, fails, sizes;
	int64_t		bytes, hwm;
	bool		hassizes;	/* version 2 and later */
};

/* One call site's statistics (-S), from any version of the blob. */
struct site {
	char		file[MALLOC_SITE_FILELEN];
	char		func[MALLOC_SITE_FUNCLEN];
	char		type[MALLOC_STATS_NAMELEN];
	uint32_t	line, flags;
	uint64_t	requests, frees, inuse;
	int64_t		bytes;
};

/*
 * A whole reading, by type (r) or by call site (st), and the blob it
 * was read from (for -r).
 */
struct snap {
	struct rec	*r;
	struct site	*st;
	size_t		n;
	uint32_t	version, ncpu, fold, linked, lost;
	char		*raw;
	size_t		rawlen;
};

/* What a blob's header says of its layout. */
struct layout {
	uint32_t	hdrsize, recsize, count;
};

/* A type's or a site's change between two readings. */
struct delta {
	const struct rec *now;
	const struct site *snow;
	int64_t		dinuse, dbytes, drequests, dfrees;
};

enum sortkey { S_NAME, S_INUSE, S_BYTES, S_HWM, S_REQUESTS, S_FAILS };

static const char *const sortnames[] = {
	[S_NAME] = "name", [S_INUSE] = "inuse", [S_BYTES] = "bytes",
	[S_HWM] = "hwm", [S_REQUESTS] = "requests", [S_FAILS] = "fails",
};

static enum sortkey sortkey = S_BYTES;
static bool bysite;			/* -S: call sites, not types */

static void __dead
usage(void)
{

	fprintf(stderr,
	    "usage: mallocstat [-aS] [-n count] [-s key] [-f file]\n"
	    "       mallocstat [-S] -j | -r [-f file]\n"
	    "       mallocstat [-S] -w seconds [-c count] [-a] [-n count] "
	    "[-f file]\n"
	    "       mallocstat [-S] -d snapshot [-a] [-n count] [-f file]\n"
	    "key: name, inuse, bytes, requests; by type also hwm, fails\n");
	exit(2);
}

static int
cmpnum(uint64_t x, uint64_t y)
{

	return x > y ? -1 : x < y ? 1 : 0;	/* largest first */
}

static int
cmpsigned(int64_t x, int64_t y)
{

	return x > y ? -1 : x < y ? 1 : 0;	/* largest first */
}

static int
cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int d;

	switch (sortkey) {
	case S_INUSE:
		d = cmpnum(x->inuse, y->inuse);
		break;
	case S_BYTES:
		d = cmpsigned(x->bytes, y->bytes);
		break;
	case S_HWM:
		d = cmpsigned(x->hwm, y->hwm);
		break;
	case S_REQUESTS:
		d = cmpnum(x->requests, y->requests);
		break;
	case S_FAILS:
		d = cmpnum(x->fails, y->fails);
		break;
	default:
		d = 0;
		break;
	}
	return d != 0 ? d : strcmp(x->name, y->name);
}

/* Sites by place: file, line, function. */
static int
cmpplace(const struct site *x, const struct site *y)
{
	int d;

	if ((d = strcmp(x->file, y->file)) != 0)
		return d;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->func, y->func);
}

static int
cmpsite(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	int d;

	switch (sortkey) {
	case S_INUSE:
		d = cmpnum(x->inuse, y->inuse);
		break;
	case S_BYTES:
		d = cmpsigned(x->bytes, y->bytes);
		break;
	case S_REQUESTS:
		d = cmpnum(x->requests, y->requests);
		break;
	default:
		d = 0;
		break;
	}
	return d != 0 ? d : cmpplace(x, y);
}

/* By growth: bytes in use, then blocks in use, requests, name. */
static int
cmpgrowth(const void *a, const void *b)
{
	const struct delta *x = a, *y = b;
	int d;

	if ((d = cmpsigned(x->dbytes, y->dbytes)) != 0 ||
	    (d = cmpsigned(x->dinuse, y->dinuse)) != 0 ||
	    (d = cmpsigned(x->drequests, y->drequests)) != 0)
		return d;
	if (x->snow != NULL)
		return cmpplace(x->snow, y->snow);
	return strcmp(x->now->name, y->now->name);
}

/* Ever allocated from, or failed to. */
static bool
used(const struct rec *r)
{

	return r->requests != 0 || r->fails != 0 || r->inuse != 0 ||
	    r->bytes != 0;
}

/* Read len bytes, or as many as there are: how many. */
static size_t
readfull(FILE *fp, const char *file, void *buf, size_t len)
{
	size_t n = fread(buf, 1, len, fp);

	if (ferror(fp))
		err(2, "%s", file);
	return n;
}

/* The records of a blob by type, any version from 1 on. */
static void
decode(struct snap *s, const struct layout *lo, const char *recs)
{
	struct malloc_stats_record mr;
	size_t i, rs;

	if ((s->r = calloc(lo->count + 1, sizeof(*s->r))) == NULL)
		err(1, NULL);
	rs = lo->recsize < sizeof(mr) ? lo->recsize : sizeof(mr);
	for (i = 0; i < s->n; i++) {
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr, recs + i * lo->recsize, rs);
		memcpy(s->r[i].name, mr.mr_name, sizeof(s->r[i].name));
		s->r[i].name[sizeof(s->r[i].name) - 1] = '\0';
		s->r[i].inuse = mr.mr_inuse;
		s->r[i].bytes = mr.mr_bytes;
		s->r[i].hwm = mr.mr_hwm;
		s->r[i].limit = mr.mr_limit;
		s->r[i].requests = mr.mr_requests;
		s->r[i].fails = mr.mr_fails;
		s->r[i].sizes = mr.mr_sizes;
		s->r[i].hassizes = lo->recsize >= sizeof(mr);
	}
}

/* The records of a blob by call site, any version from 1 on. */
static void
decodesites(struct snap *s, const struct layout *lo, const char *recs)
{
	struct malloc_site_record mr;
	struct site *st;
	size_t i;

	if ((s->st = calloc(lo->count + 1, sizeof(*s->st))) == NULL)
		err(1, NULL);
	for (i = 0; i < s->n; i++) {
		memcpy(&mr, recs + i * lo->recsize, sizeof(mr));
		st = &s->st[i];
		memcpy(st->file, mr.msr_file, sizeof(st->file));
		st->file[sizeof(st->file) - 1] = '\0';
		memcpy(st->func, mr.msr_func, sizeof(st->func));
		st->func[sizeof(st->func) - 1] = '\0';
		memcpy(st->type, mr.msr_type, sizeof(st->type));
		st->type[sizeof(st->type) - 1] = '\0';
		st->line = mr.msr_line;
		st->flags = mr.msr_flags;
		st->requests = mr.msr_requests;
		st->frees = mr.msr_frees;
		st->inuse = mr.msr_inuse;
		st->bytes = mr.msr_bytes;
	}
}

/* The header a blob starts with: by type, or by call site. */
static size_t
hdrlen(void)
{

	return bysite ? sizeof(struct malloc_sites_header) :
	    sizeof(struct malloc_stats_header);
}

/*
 * Check a blob's header, hdrlen() bytes at buf; keep what it says in s,
 * and its layout in lo.  A blob of the other kind is named as such.
 */
static void
checkheader(const char *file, const char *buf, struct snap *s,
    struct layout *lo)
{
	struct malloc_stats_header h;
	struct malloc_sites_header sh;

	memset(s, 0, sizeof(*s));
	if (bysite) {
		memcpy(&sh, buf, sizeof(sh));
		if (sh.mss_magic != MALLOC_SITES_MAGIC && sh.mss_magic >= 1 &&
		    sh.mss_magic <= 65536)
			errx(2, "%s: statistics by type (version %u): read "
			    "them without -S", file, sh.mss_magic);
		if (sh.mss_magic != MALLOC_SITES_MAGIC)
			errx(2, "%s: not statistics by call site (magic %#x, "
			    "expected %#x)", file, sh.mss_magic,
			    MALLOC_SITES_MAGIC);
		if (sh.mss_version < 1)
			errx(2, "%s: site statistics version %u, expected 1 "
			    "to %d or later", file, sh.mss_version,
			    MALLOC_SITES_VERSION);
		if (sh.mss_hdrsize < sizeof(sh) ||
		    sh.mss_recsize < sizeof(struct malloc_site_record) ||
		    sh.mss_hdrsize > 65536 || sh.mss_recsize > 65536)
			errx(2, "%s: bad site statistics blob (header %u, "
			    "record %u bytes)", file, sh.mss_hdrsize,
			    sh.mss_recsize);
		s->version = sh.mss_version;
		s->ncpu = sh.mss_ncpu;
		s->linked = sh.mss_linked;
		s->lost = sh.mss_lost;
		lo->hdrsize = sh.mss_hdrsize;
		lo->recsize = sh.mss_recsize;
		lo->count = sh.mss_count;
	} else {
		memcpy(&h, buf, sizeof(h));
		if (h.ms_version == MALLOC_SITES_MAGIC)
			errx(2, "%s: statistics by call site: read them with "
			    "-S", file);
		if (h.ms_version < 1)
			errx(2, "%s: statistics version %u, expected 1 to %d "
			    "or later", file, h.ms_version,
			    MALLOC_STATS_VERSION);
		if (h.ms_hdrsize < sizeof(h) ||
		    h.ms_recsize < MALLOC_STATS_RECSIZE_V1 ||
		    h.ms_hdrsize > 65536 || h.ms_recsize > 65536)
			errx(2, "%s: bad statistics blob (header %u, record %u "
			    "bytes)", file, h.ms_hdrsize, h.ms_recsize);
		s->version = h.ms_version;
		s->ncpu = h.ms_ncpu;
		s->fold = h.ms_fold;
		lo->hdrsize = h.ms_hdrsize;
		lo->recsize = h.ms_recsize;
		lo->count = h.ms_count;
	}
	s->n = lo->count;
}

/* The records of a whole blob, len bytes at buf, checked: s keeps it. */
static void
decodeblob(struct snap *s, const struct layout *lo, char *buf, size_t len)
{

	if (bysite)
		decodesites(s, lo, buf + lo->hdrsize);
	else
		decode(s, lo, buf + lo->hdrsize);
	s->raw = buf;
	s->rawlen = len;
}

/*
 * The next blob of a stream into s: false at the end of the stream
 * (only where first is false: the first blob must be there).
 */
static bool
readstream(FILE *fp, const char *file, bool first, struct snap *s)
{
	char h[sizeof(struct malloc_sites_header) +
	    sizeof(struct malloc_stats_header)];
	struct layout lo;
	size_t got, len, hl = hdrlen();
	char *buf;

	if ((got = readfull(fp, file, h, hl)) != hl) {
		if (got == 0 && !first)
			return false;
		errx(2, "%s: short statistics blob (%zu bytes)", file, got);
	}
	checkheader(file, h, s, &lo);
	len = lo.hdrsize + (size_t)lo.count * lo.recsize;
	if ((buf = malloc(len)) == NULL)
		err(1, NULL);
	memcpy(buf, h, hl);
	if ((got = readfull(fp, file, buf + hl, len - hl)) != len - hl)
		errx(2, "%s: truncated statistics blob (%zu of %zu bytes after "
		    "the header, %u records)", file, got, len - hl, lo.count);
	decodeblob(s, &lo, buf, len);
	return true;
}

#ifdef __NetBSD__
static void
readsysctl(struct snap *s)
{
	const char *node = bysite ? "kern.malloc_sites" : "kern.malloc_stats";
	size_t need, len;
	struct layout lo;
	char *buf;

	if (sysctlbyname(node, NULL, &need, NULL, 0) == -1)
		err(1, "sysctl %s", node);
	for (;;) {
		len = need + 16 * (bysite ? sizeof(struct malloc_site_record) :
		    sizeof(struct malloc_stats_record));
		if ((buf = malloc(len)) == NULL)
			err(1, NULL);
		need = len;
		if (sysctlbyname(node, buf, &need, NULL, 0) == 0)
			break;
		if (errno != ENOMEM)
			err(1, "sysctl %s", node);
		free(buf);
	}
	if (need < hdrlen())
		errx(1, "sysctl %s: %zu bytes", node, need);
	checkheader(node, buf, s, &lo);
	if (need < lo.hdrsize + (size_t)lo.count * lo.recsize)
		errx(1, "sysctl %s: truncated", node);
	decodeblob(s, &lo, buf, lo.hdrsize + (size_t)lo.count * lo.recsize);
}
#endif

/* Where readings come from: the sysctl, or a stream of blobs. */
struct source {
	FILE		*fp;		/* NULL: kern.malloc_stats */
	const char	*name;
};

static void
opensource(struct source *src, const char *file)
{

#ifdef __NetBSD__
	if (file == NULL) {
		src->fp = NULL;
		src->name = bysite ? "kern.malloc_sites" : "kern.malloc_stats";
		return;
	}
#endif
	if (file == NULL || strcmp(file, "-") == 0) {
		src->fp = stdin;
		src->name = "stdin";
	} else if ((src->fp = fopen(file, "rb")) == NULL)
		err(2, "%s", file);
	else
		src->name = file;
}

static bool
readsource(struct source *src, bool first, struct snap *s)
{

#ifdef __NetBSD__
	if (src->fp == NULL) {
		readsysctl(s);
		return true;
	}
#endif
	return readstream(src->fp, src->name, first, s);
}

/* A type name as a JSON string. */
static void
jsonstr(const char *s)
{

	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
printjson(const struct snap *s)
{
	const char *sep;
	size_t i;
	u_int k;

	printf("{\"version\": %u, \"ncpu\": %u, \"fold\": %u, \"types\": [",
	    s->version, s->ncpu, s->fold);
	for (i = 0; i < s->n; i++) {
		const struct rec *r = &s->r[i];

		printf("%s\n  {\"type\": ", i ? "," : "");
		jsonstr(r->name);
		printf(", \"inuse\": %" PRIu64 ", \"bytes\": %" PRId64
		    ", \"hwm\": %" PRId64 ", \"limit\": %" PRIu64
		    ", \"requests\": %" PRIu64 ", \"fails\": %" PRIu64,
		    r->inuse, r->bytes, r->hwm, r->limit, r->requests, r->fails);
		if (r->hassizes) {
			printf(", \"sizes\": [");
			for (k = 0, sep = ""; k < 64; k++)
				if (r->sizes & ((uint64_t)1 << k)) {
					printf("%s%" PRIu64, sep,
					    (uint64_t)1 << k);
					sep = ", ";
				}
			printf("]");
		}
		printf("}");
	}
	printf("\n]}\n");
}

static void
printsitesjson(const struct snap *s)
{
	size_t i;

	printf("{\"version\": %u, \"ncpu\": %u, \"linked\": %u, "
	    "\"lost\": %u, \"sites\": [", s->version, s->ncpu, s->linked,
	    s->lost);
	for (i = 0; i < s->n; i++) {
		const struct site *st = &s->st[i];

		printf("%s\n  {\"file\": ", i ? "," : "");
		jsonstr(st->file);
		printf(", \"line\": %u, \"function\": ", st->line);
		jsonstr(st->func);
		printf(", \"type\": ");
		jsonstr(st->type);
		printf(", \"several_types\": %s, \"frees_seen\": %s, "
		    "\"requests\": %" PRIu64 ", \"frees\": %" PRIu64
		    ", \"inuse\": %" PRIu64 ", \"bytes\": %" PRId64 "}",
		    (st->flags & MALLOC_SITE_TYPES) ? "true" : "false",
		    (st->flags & MALLOC_SITE_NOFREE) ? "false" : "true",
		    st->requests, st->frees, st->inuse, st->bytes);
	}
	printf("\n]}\n");
}

/* Bytes as vmstat -m printed them: kilobytes, rounded up. */
static void
kbytes(char *buf, size_t size, int64_t n)
{

	snprintf(buf, size, "%" PRId64 "K",
	    n > 0 ? (n + 1023) / 1024 : n / 1024);
}

/* The size classes: 16,32,...,512,1K,...,512K,1M,...; "-": none, or unknown. */
static void
sizelist(char *buf, size_t size, const struct rec *r)
{
	static const char suffix[] = " KMGTPE";
	size_t len = 0;
	u_int k;

	buf[0] = '\0';
	if (!r->hassizes || r->sizes == 0) {
		snprintf(buf, size, "-");
		return;
	}
	for (k = 0; k < 64 && len + 8 < size; k++) {
		if ((r->sizes & ((uint64_t)1 << k)) == 0)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%" PRIu64 "%.*s",
		    len ? "," : "", (uint64_t)1 << (k % 10), k >= 10 ? 1 : 0,
		    &suffix[k / 10]);
	}
}

static void
printtable(const struct snap *s, bool all, unsigned long top)
{
	char mem[24], high[24], lim[24], sizes[512];
	unsigned long shown = 0;
	size_t i;

	printf("Memory statistics by type\n");
	printf("%20s %8s %10s %10s %10s %10s %8s  %s\n", "Type", "InUse",
	    "MemUse", "HighUse", "Limit", "Requests", "Fails", "Size(s)");
	for (i = 0; i < s->n; i++) {
		const struct rec *r = &s->r[i];

		if (!all && !used(r))
			continue;
		if (top != 0 && shown++ == top)
			break;
		kbytes(mem, sizeof(mem), r->bytes);
		kbytes(high, sizeof(high), r->hwm);
		if (r->limit != 0)
			kbytes(lim, sizeof(lim), (int64_t)r->limit);
		else
			snprintf(lim, sizeof(lim), "-");
		sizelist(sizes, sizeof(sizes), r);
		printf("%20s %8" PRIu64 " %10s %10s %10s %10" PRIu64 " %8"
		    PRIu64 "  %s\n", r->name, r->inuse, mem, high, lim,
		    r->requests, r->fails, sizes);
	}
	printf("\nHighUse is exact to within %u CPUs x %u bytes\n",
	    s->ncpu, s->fold);
}

/*
 * What changed from then to now, by growth.  A type is matched by name
 * (the k-th of a name with the k-th); one that is new counts from zero,
 * one that is gone (detached: its memory moved to "(detached)") is left
 * out.  Without all, only the types that changed (grew, if grewonly).
 */
static void
printdelta(const struct snap *then, const struct snap *now, bool all,
    bool grewonly, unsigned long top)
{
	static const struct rec zero;
	struct delta *d;
	size_t i, j, nd, seen;
	char mem[24];

	if ((d = calloc(now->n + 1, sizeof(*d))) == NULL)
		err(1, NULL);
	for (i = nd = 0; i < now->n; i++) {
		const struct rec *r = &now->r[i], *o = &zero;

		for (j = seen = 0; j < i; j++)
			seen += strcmp(now->r[j].name, r->name) == 0;
		for (j = 0; j < then->n; j++)
			if (strcmp(then->r[j].name, r->name) == 0 &&
			    seen-- == 0) {
				o = &then->r[j];
				break;
			}
		d[nd].now = r;
		d[nd].dinuse = (int64_t)(r->inuse - o->inuse);
		d[nd].dbytes = r->bytes - o->bytes;
		d[nd].drequests = (int64_t)(r->requests - o->requests);
		d[nd].dfrees = (int64_t)((r->requests - r->inuse) -
		    (o->requests - o->inuse));
		if (all ? used(r) : grewonly ?
		    d[nd].dbytes > 0 || d[nd].dinuse > 0 :
		    d[nd].dbytes != 0 || d[nd].dinuse != 0 ||
		    d[nd].drequests != 0 || d[nd].dfrees != 0)
			nd++;
	}
	qsort(d, nd, sizeof(*d), cmpgrowth);
	if (top != 0 && nd > top)
		nd = top;
	printf("%20s %8s %8s %10s %10s %10s %10s\n", "Type", "InUse",
	    "+InUse", "MemUse", "+Bytes", "+Requests", "+Frees");
	for (i = 0; i < nd; i++) {
		kbytes(mem, sizeof(mem), d[i].now->bytes);
		printf("%20s %8" PRIu64 " %+8" PRId64 " %10s %+10" PRId64
		    " %+10" PRId64 " %+10" PRId64 "\n", d[i].now->name,
		    d[i].now->inuse, d[i].dinuse, mem, d[i].dbytes,
		    d[i].drequests, d[i].dfrees);
	}
	if (nd == 0)
		printf("%20s\n", grewonly ? "(nothing grew)" : "(no change)");
	free(d);
}

/* A site's place, as the tables print it: file:line function. */
static const char *
place(const struct site *st)
{
	static char buf[MALLOC_SITE_FILELEN + MALLOC_SITE_FUNCLEN + 16];

	snprintf(buf, sizeof(buf), "%s:%u %s", st->file, st->line, st->func);
	return buf;
}

/*
 * A site's type, marked "+" if it allocated several (the first shown),
 * and its bytes and blocks in use, marked "*" if frees of some of its
 * header-less blocks were not seen (the kernel's table of them was
 * full: those count as in use); whether any mark was made goes to
 * *marks.
 */
static void
sitecols(const struct site *st, char *type, size_t tsize, char *bytes,
    size_t bsize, char *inuse, size_t isize, u_int *marks)
{
	const char *nofree = (st->flags & MALLOC_SITE_NOFREE) ? "*" : "";

	snprintf(type, tsize, "%s%s", st->type,
	    (st->flags & MALLOC_SITE_TYPES) ? "+" : "");
	snprintf(bytes, bsize, "%" PRId64 "%s", st->bytes, nofree);
	snprintf(inuse, isize, "%" PRIu64 "%s", st->inuse, nofree);
	*marks |= st->flags & (MALLOC_SITE_TYPES | MALLOC_SITE_NOFREE);
}

static void
sitenotes(u_int marks)
{

	if (marks & MALLOC_SITE_TYPES)
		printf("+ the site allocated several types; the first is "
		    "shown\n");
	if (marks & MALLOC_SITE_NOFREE)
		printf("* frees of some of its header-less blocks were not "
		    "counted (the table of them was full: "
		    "MALLOC_DEBUG_TYPES_SLOTS): they count as in use\n");
}

/* The sites, sorted, at most top (0: all) of them. */
static void
printsites(const struct snap *s, unsigned long top)
{
	char type[MALLOC_STATS_NAMELEN + 2], bytes[24], inuse[24];
	u_int marks = 0;
	size_t i;

	printf("Memory statistics by call site\n");
	printf("%14s %9s %10s %10s  %-20s %s\n", "Bytes", "InUse",
	    "Requests", "Frees", "Type", "Site");
	for (i = 0; i < s->n && (top == 0 || i < top); i++) {
		const struct site *st = &s->st[i];

		sitecols(st, type, sizeof(type), bytes, sizeof(bytes), inuse,
		    sizeof(inuse), &marks);
		printf("%14s %9s %10" PRIu64 " %10" PRIu64 "  %-20s %s\n",
		    bytes, inuse, st->requests, st->frees, type, place(st));
	}
	printf("\n%zu call sites have allocated; the kernel has %u\n",
	    s->n, s->linked);
	if (s->lost != 0)
		printf("%u allocations have no site (no memory to number "
		    "their sites)\n", s->lost);
	sitenotes(marks);
}

/*
 * What changed from then to now at each call site, by growth, as
 * printdelta() does it for types.  A site is matched by its place (the
 * k-th of a place with the k-th: a module loaded again numbers its sites
 * again); a new one counts from zero.
 */
static void
printsitedelta(const struct snap *then, const struct snap *now, bool all,
    bool grewonly, unsigned long top)
{
	static const struct site zero;
	char type[MALLOC_STATS_NAMELEN + 2], bytes[24], inuse[24];
	struct delta *d;
	size_t i, j, nd, seen;
	u_int marks = 0;

	if ((d = calloc(now->n + 1, sizeof(*d))) == NULL)
		err(1, NULL);
	for (i = nd = 0; i < now->n; i++) {
		const struct site *st = &now->st[i], *o = &zero;

		for (j = seen = 0; j < i; j++)
			seen += cmpplace(&now->st[j], st) == 0;
		for (j = 0; j < then->n; j++)
			if (cmpplace(&then->st[j], st) == 0 && seen-- == 0) {
				o = &then->st[j];
				break;
			}
		d[nd].snow = st;
		d[nd].dinuse = (int64_t)(st->inuse - o->inuse);
		d[nd].dbytes = st->bytes - o->bytes;
		d[nd].drequests = (int64_t)(st->requests - o->requests);
		d[nd].dfrees = (int64_t)(st->frees - o->frees);
		if (all || (grewonly ? d[nd].dbytes > 0 || d[nd].dinuse > 0 :
		    d[nd].dbytes != 0 || d[nd].dinuse != 0 ||
		    d[nd].drequests != 0 || d[nd].dfrees != 0))
			nd++;
	}
	qsort(d, nd, sizeof(*d), cmpgrowth);
	if (top != 0 && nd > top)
		nd = top;
	printf("%14s %14s %9s %9s %10s %10s  %-20s %s\n", "Bytes", "+Bytes",
	    "InUse", "+InUse", "+Requests", "+Frees", "Type", "Site");
	for (i = 0; i < nd; i++) {
		sitecols(d[i].snow, type, sizeof(type), bytes, sizeof(bytes),
		    inuse, sizeof(inuse), &marks);
		printf("%14s %+14" PRId64 " %9s %+9" PRId64 " %+10" PRId64
		    " %+10" PRId64 "  %-20s %s\n", bytes, d[i].dbytes, inuse,
		    d[i].dinuse, d[i].drequests, d[i].dfrees, type,
		    place(d[i].snow));
	}
	if (nd == 0)
		printf("%14s\n", grewonly ? "(nothing grew)" : "(no change)");
	sitenotes(marks);
	free(d);
}

/* A snapshot for -d: a blob, as -r or -f read it. */
static void
readsnapshot(const char *file, struct snap *s)
{
	FILE *fp;

	if ((fp = fopen(file, "rb")) == NULL)
		err(2, "%s", file);
	(void)readstream(fp, file, true, s);
	fclose(fp);
}

static void
freesnap(struct snap *s)
{

	free(s->r);
	free(s->st);
	free(s->raw);
	s->r = NULL;
	s->st = NULL;
	s->raw = NULL;
	s->n = 0;
}

/* A whole number of seconds, or of reports, from an option argument. */
static unsigned long
number(const char *arg, unsigned long min)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)arg[0]))
		usage();
	v = strtoul(arg, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > UINT_MAX)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	const char *file = NULL, *snapshot = NULL;
	const char *what;
	unsigned long wait = 0, count = 0, top = 0, i;
	bool all = false, json = false, raw = false, watch = false;
	struct snap now, then;
	struct source src;
	int ch;
	u_int k;

	while ((ch = getopt(argc, argv, "Sac:d:f:jn:rs:w:")) != -1) {
		switch (ch) {
		case 'S':
			bysite = true;
			break;
		case 'a':
			all = true;
			break;
		case 'c':
			count = number(optarg, 1);
			break;
		case 'd':
			snapshot = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			top = number(optarg, 1);
			break;
		case 'r':
			raw = true;
			break;
		case 's':
			for (k = 0; k < __arraycount(sortnames); k++)
				if (strcmp(optarg, sortnames[k]) == 0)
					break;
			if (k == __arraycount(sortnames))
				usage();
			sortkey = (enum sortkey)k;
			break;
		case 'w':
			wait = number(optarg, 0);
			watch = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (count != 0 && !watch) ||
	    ((json || raw) && (watch || snapshot != NULL || top != 0)) ||
	    (json && raw) || (watch && snapshot != NULL) ||
	    (bysite && (sortkey == S_HWM || sortkey == S_FAILS)))
		usage();
	what = bysite ? "call site" : "type";

	if (snapshot != NULL)
		readsnapshot(snapshot, &then);
	opensource(&src, file);
	(void)readsource(&src, true, &now);
	if (raw) {
		if (fwrite(now.raw, 1, now.rawlen, stdout) != now.rawlen ||
		    fflush(stdout) != 0)
			err(1, "standard output");
		freesnap(&now);
		return 0;
	}
	if (json) {
		if (bysite)
			printsitesjson(&now);
		else
			printjson(&now);
		freesnap(&now);
		return 0;
	}
	if (snapshot != NULL) {
		printf("Memory statistics by %s, changes since %s\n", what,
		    snapshot);
		if (bysite)
			printsitedelta(&then, &now, all, true, top);
		else
			printdelta(&then, &now, all, true, top);
		freesnap(&then);
		freesnap(&now);
		return 0;
	}
	if (bysite) {
		qsort(now.st, now.n, sizeof(*now.st), cmpsite);
		printsites(&now, top);
	} else {
		qsort(now.r, now.n, sizeof(*now.r), cmp);
		printtable(&now, all, top);
	}
	for (i = 1; watch && (count == 0 || i < count); i++) {
		then = now;
		if (wait > 0 && src.fp == NULL)
			sleep((unsigned)wait);
		if (!readsource(&src, false, &now)) {
			now = then;		/* the end of the file */
			break;
		}
		printf("\nMemory statistics by %s, report %lu: changes "
		    "since report %lu\n", what, i + 1, i);
		if (bysite)
			printsitedelta(&then, &now, all, false, top);
		else
			printdelta(&then, &now, all, false, top);
		freesnap(&then);
		fflush(stdout);
	}
	freesnap(&now);
	return 0;
}
