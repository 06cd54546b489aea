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
 * ANY EXPRESS OR IMPLIED WARRANTIES ARE DISCLAIMED.
 */

/*
 * mallocstat: malloc(9) statistics by type, as vmstat -m printed them.
 *
 *	mallocstat [-j] [-s name|inuse|bytes|hwm|requests|fails] [-f file]
 *
 * Reads kern.malloc_stats (or, with -f, a file holding that blob) and
 * prints one line per type; -j prints JSON.  The blob is described in
 * <sys/mallocvar.h> (version 1).
 */

#include <sys/types.h>

#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __NetBSD__
#include <sys/sysctl.h>
#endif

#ifndef __dead
#define	__dead	__attribute__((__noreturn__))
#endif

#define	MALLOC_STATS_VERSION	1
#define	NAMELEN			32

struct hdr {				/* struct malloc_stats_header */
	uint32_t	version, hdrsize, recsize, count, ncpu, fold;
};

struct rec {				/* struct malloc_stats_record */
	char		name[NAMELEN];
	uint64_t	inuse;
	int64_t		bytes, hwm;
	uint64_t	limit, requests, fails;
};

static const char *sortkey = "bytes";

static void __dead
usage(void)
{

	fprintf(stderr, "usage: mallocstat [-j] [-s name|inuse|bytes|hwm|"
	    "requests|fails] [-f file]\n");
	exit(2);
}

static int
cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int64_t d;

	if (strcmp(sortkey, "name") == 0)
		return strcmp(x->name, y->name);
	if (strcmp(sortkey, "inuse") == 0)
		d = (int64_t)(y->inuse - x->inuse);
	else if (strcmp(sortkey, "hwm") == 0)
		d = y->hwm - x->hwm;
	else if (strcmp(sortkey, "requests") == 0)
		d = (int64_t)(y->requests - x->requests);
	else if (strcmp(sortkey, "fails") == 0)
		d = (int64_t)(y->fails - x->fails);
	else
		d = y->bytes - x->bytes;
	return d < 0 ? -1 : d > 0 ? 1 : strcmp(x->name, y->name);
}

static char *
readblob(const char *file, size_t *lenp)
{
	char *buf;
	size_t len = 0, cap = 65536;
	FILE *fp;

	if (file == NULL) {
#ifdef __NetBSD__
		if (sysctlbyname("kern.malloc_stats", NULL, lenp, NULL, 0) == -1)
			err(1, "kern.malloc_stats");
		*lenp += 8 * sizeof(struct rec);
		if ((buf = malloc(*lenp)) == NULL)
			err(1, NULL);
		if (sysctlbyname("kern.malloc_stats", buf, lenp, NULL, 0) == -1)
			err(1, "kern.malloc_stats");
		return buf;
#else
		errx(2, "no kern.malloc_stats here: use -f file");
#endif
	}
	if ((fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb")) == NULL)
		err(1, "%s", file);
	if ((buf = malloc(cap)) == NULL)
		err(1, NULL);
	while (!feof(fp)) {
		if (len == cap && (buf = realloc(buf, cap *= 2)) == NULL)
			err(1, NULL);
		len += fread(buf + len, 1, cap - len, fp);
		if (ferror(fp))
			err(1, "%s", file);
	}
	if (fp != stdin)
		fclose(fp);
	*lenp = len;
	return buf;
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	struct hdr h;
	struct rec *r;
	size_t len, i, rs;
	char *buf;
	int ch, json = 0;

	while ((ch = getopt(argc, argv, "f:js:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			sortkey = optarg;
			if (strstr(" name inuse bytes hwm requests fails ",
			    sortkey) == NULL || strchr(sortkey, ' ') != NULL)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	buf = readblob(file, &len);
	if (len < sizeof(h))
		errx(1, "short statistics blob (%zu bytes)", len);
	memcpy(&h, buf, sizeof(h));
	if (h.version != MALLOC_STATS_VERSION)
		errx(1, "statistics version %u, expected %d", h.version,
		    MALLOC_STATS_VERSION);
	rs = h.recsize < sizeof(*r) ? h.recsize : sizeof(*r);
	if (h.hdrsize < sizeof(h) || len < h.hdrsize + (size_t)h.count * h.recsize)
		errx(1, "truncated statistics blob");
	if ((r = calloc(h.count + 1, sizeof(*r))) == NULL)
		err(1, NULL);
	for (i = 0; i < h.count; i++) {
		memcpy(&r[i], buf + h.hdrsize + i * h.recsize, rs);
		r[i].name[NAMELEN - 1] = '\0';
	}
	qsort(r, h.count, sizeof(*r), cmp);

	if (json) {
		printf("{\"version\": %u, \"ncpu\": %u, \"fold\": %u, \"types\": [",
		    h.version, h.ncpu, h.fold);
		for (i = 0; i < h.count; i++)
			printf("%s\n  {\"type\": \"%s\", \"inuse\": %" PRIu64
			    ", \"bytes\": %" PRId64 ", \"hwm\": %" PRId64
			    ", \"limit\": %" PRIu64 ", \"requests\": %" PRIu64
			    ", \"fails\": %" PRIu64 "}", i ? "," : "", r[i].name,
			    r[i].inuse, r[i].bytes, r[i].hwm, r[i].limit,
			    r[i].requests, r[i].fails);
		printf("\n]}\n");
		return 0;
	}
	printf("Memory statistics by type\n");
	printf("%20s %8s %10s %10s %10s %10s %8s\n", "Type", "InUse", "MemUse",
	    "HighUse", "Limit", "Requests", "Fails");
	for (i = 0; i < h.count; i++) {
		char lim[24];

		if (r[i].limit)
			snprintf(lim, sizeof(lim), "%" PRIu64 "K",
			    (r[i].limit + 1023) / 1024);
		else
			strcpy(lim, "-");
		printf("%20s %8" PRIu64 " %9" PRId64 "K %9" PRId64 "K %10s %10"
		    PRIu64 " %8" PRIu64 "\n", r[i].name, r[i].inuse,
		    (r[i].bytes + 1023) / 1024, (r[i].hwm + 1023) / 1024, lim,
		    r[i].requests, r[i].fails);
	}
	return 0;
}
