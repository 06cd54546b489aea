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
 * mallocstat: malloc(9) statistics by type, as vmstat -m printed them.
 *
 *	mallocstat [-j] [-s name|inuse|bytes|hwm|requests|fails] [-f file]
 *
 * Reads kern.malloc_stats, or with -f a file holding that blob ("-" is
 * standard input; where there is no kern.malloc_stats, standard input is
 * the default).  The blob is described in <sys/mallocvar.h>; any version
 * from 1 on is read, through the header's record size.
 */

#include <sys/types.h>
#include <stdint.h>			/* not in every <sys/types.h> */
#include <sys/mallocvar.h>
#ifdef __NetBSD__
#include <sys/sysctl.h>
#endif

#include <err.h>
#include <errno.h>
#include <inttypes.h>
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

enum sortkey { S_NAME, S_INUSE, S_BYTES, S_HWM, S_REQUESTS, S_FAILS };

static const char *const sortnames[] = {
	[S_NAME] = "name", [S_INUSE] = "inuse", [S_BYTES] = "bytes",
	[S_HWM] = "hwm", [S_REQUESTS] = "requests", [S_FAILS] = "fails",
};

static enum sortkey sortkey = S_BYTES;

static void __dead
usage(void)
{

	fprintf(stderr, "usage: mallocstat [-j] [-s name|inuse|bytes|hwm|"
	    "requests|fails] [-f file]\n");
	exit(2);
}

static int
cmpnum(uint64_t x, uint64_t y)
{

	return x > y ? -1 : x < y ? 1 : 0;	/* largest first */
}

static int
cmp(const void *a, const void *b)
{
	const struct malloc_stats_record *x = a, *y = b;
	int d;

	switch (sortkey) {
	case S_INUSE:
		d = cmpnum(x->mr_inuse, y->mr_inuse);
		break;
	case S_BYTES:
		d = cmpnum((uint64_t)x->mr_bytes, (uint64_t)y->mr_bytes);
		break;
	case S_HWM:
		d = cmpnum((uint64_t)x->mr_hwm, (uint64_t)y->mr_hwm);
		break;
	case S_REQUESTS:
		d = cmpnum(x->mr_requests, y->mr_requests);
		break;
	case S_FAILS:
		d = cmpnum(x->mr_fails, y->mr_fails);
		break;
	default:
		d = 0;
		break;
	}
	return d != 0 ? d : strcmp(x->mr_name, y->mr_name);
}

static char *
readblob(const char *file, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf;
	FILE *fp;

#ifdef __NetBSD__
	if (file == NULL) {
		size_t need;

		if (sysctlbyname("kern.malloc_stats", NULL, &need, NULL,
		    0) == -1)
			err(1, "sysctl kern.malloc_stats");
		for (;;) {
			len = need + 16 * sizeof(struct malloc_stats_record);
			if ((buf = malloc(len)) == NULL)
				err(1, NULL);
			need = len;
			if (sysctlbyname("kern.malloc_stats", buf, &need, NULL,
			    0) == 0)
				break;
			if (errno != ENOMEM)
				err(1, "sysctl kern.malloc_stats");
			free(buf);
		}
		*lenp = need;
		return buf;
	}
#endif
	if (file == NULL || strcmp(file, "-") == 0) {
		fp = stdin;
		file = "stdin";
	} else if ((fp = fopen(file, "rb")) == NULL)
		err(1, "%s", file);
	if ((buf = malloc(cap)) == NULL)
		err(1, NULL);
	for (;;) {
		if (len == cap) {
			if ((buf = realloc(buf, cap *= 2)) == NULL)
				err(1, NULL);
		}
		len += fread(buf + len, 1, cap - len, fp);
		if (ferror(fp))
			err(1, "%s", file);
		if (feof(fp))
			break;
	}
	if (fp != stdin)
		fclose(fp);
	*lenp = len;
	return buf;
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

/* Bytes as vmstat -m printed them: kilobytes, rounded up. */
static void
kbytes(char *buf, size_t size, int64_t n)
{

	snprintf(buf, size, "%" PRId64 "K",
	    n > 0 ? (n + 1023) / 1024 : n / 1024);
}

int
main(int argc, char **argv)
{
	struct malloc_stats_header h;
	struct malloc_stats_record *r;
	const char *file = NULL;
	size_t len, i, rs;
	char *buf;
	int ch, json = 0;
	u_int k;

	while ((ch = getopt(argc, argv, "f:js:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			for (k = 0; k < __arraycount(sortnames); k++)
				if (strcmp(optarg, sortnames[k]) == 0)
					break;
			if (k == __arraycount(sortnames))
				usage();
			sortkey = (enum sortkey)k;
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
	if (h.ms_version < 1)
		errx(1, "statistics version %u, expected %d or later",
		    h.ms_version, MALLOC_STATS_VERSION);
	if (h.ms_hdrsize < sizeof(h) ||
	    h.ms_recsize < sizeof(struct malloc_stats_record))
		errx(1, "bad statistics blob (header %u, record %u bytes)",
		    h.ms_hdrsize, h.ms_recsize);
	if (len < h.ms_hdrsize + (size_t)h.ms_count * h.ms_recsize)
		errx(1, "truncated statistics blob (%zu bytes, %u records)",
		    len, h.ms_count);
	if ((r = calloc(h.ms_count + 1, sizeof(*r))) == NULL)
		err(1, NULL);
	rs = sizeof(*r);			/* newer fields are skipped */
	for (i = 0; i < h.ms_count; i++) {
		memcpy(&r[i], buf + h.ms_hdrsize + i * h.ms_recsize, rs);
		r[i].mr_name[sizeof(r[i].mr_name) - 1] = '\0';
	}
	free(buf);
	qsort(r, h.ms_count, sizeof(*r), cmp);

	if (json) {
		printf("{\"version\": %u, \"ncpu\": %u, \"fold\": %u, "
		    "\"types\": [", h.ms_version, h.ms_ncpu, h.ms_fold);
		for (i = 0; i < h.ms_count; i++) {
			printf("%s\n  {\"type\": ", i ? "," : "");
			jsonstr(r[i].mr_name);
			printf(", \"inuse\": %" PRIu64 ", \"bytes\": %" PRId64
			    ", \"hwm\": %" PRId64 ", \"limit\": %" PRIu64
			    ", \"requests\": %" PRIu64 ", \"fails\": %" PRIu64
			    "}", r[i].mr_inuse, r[i].mr_bytes, r[i].mr_hwm,
			    r[i].mr_limit, r[i].mr_requests, r[i].mr_fails);
		}
		printf("\n]}\n");
		free(r);
		return 0;
	}
	printf("Memory statistics by type\n");
	printf("%20s %8s %10s %10s %10s %10s %8s\n", "Type", "InUse",
	    "MemUse", "HighUse", "Limit", "Requests", "Fails");
	for (i = 0; i < h.ms_count; i++) {
		char mem[24], high[24], lim[24];

		kbytes(mem, sizeof(mem), r[i].mr_bytes);
		kbytes(high, sizeof(high), r[i].mr_hwm);
		if (r[i].mr_limit != 0)
			kbytes(lim, sizeof(lim), (int64_t)r[i].mr_limit);
		else
			snprintf(lim, sizeof(lim), "-");
		printf("%20s %8" PRIu64 " %10s %10s %10s %10" PRIu64 " %8"
		    PRIu64 "\n", r[i].mr_name, r[i].mr_inuse, mem, high, lim,
		    r[i].mr_requests, r[i].mr_fails);
	}
	printf("\nHighUse is exact to within %u CPUs x %u bytes\n",
	    h.ms_ncpu, h.ms_fold);
	free(r);
	return 0;
}
