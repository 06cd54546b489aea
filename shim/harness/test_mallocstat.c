/*
 * mallocstat(1) end to end: kern_malloc.c (in the harness) allocates
 * known amounts, the test reads kern.malloc_stats through the sysctl
 * node, writes the blob to a file and runs the built mallocstat on it:
 * the table, its sort orders, JSON, standard input.  Then hand-made blobs:
 * a later version with longer records, names that need escaping in JSON,
 * and bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define	__MALLOC_PRIVATE		/* the tests look inside */
#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/malloc.h>

#include "harness.h"

int t_passed, t_failed;

MALLOC_DEFINE(M_TEST1, "test1", "unused here");
MALLOC_DEFINE(M_TEST2, "test2", "unused here");
MALLOC_DEFINE(M_USBDEV, "USB device", "USB device memory");

static const char *prog = "obj/mallocstat", *blob = "obj/test-blob.bin";

static char *
run(const char *args, int *status)
{
	static char out[16384];
	char cmd[512];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", prog, args);
	p = popen(cmd, "r");
	if (p == NULL) {
		*status = -1;
		out[0] = '\0';
		return out;
	}
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	*status = pclose(p);
	return out;
}

/* a before b before c in s, all present */
static bool
inorder(const char *s, const char *a, const char *b, const char *c)
{
	const char *x = strstr(s, a), *y = strstr(s, b), *z = strstr(s, c);

	return x != NULL && y != NULL && z != NULL && x < y && y < z;
}

static void
write_file(const void *buf, size_t len)
{
	FILE *fp = fopen(blob, "wb");

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	CHECK(fwrite(buf, 1, len, fp) == len);
	fclose(fp);
}

/* Each sort key, and three types in the order it must print them. */
static const struct {
	const char *key, *a, *b, *c;
} orders[] = {
	{ "requests", "temp", "devbuf", "USB device" },
	{ "inuse", "temp", "devbuf", "USB device" },
	{ "name", "USB device", "devbuf", "temp" },
	{ "hwm", "USB device", "devbuf", "temp" },
	{ "fails", "USB device", "(detached)", "temp" },
};

static void
from_kernel(void)
{
	void *dev[10], *usb[2], *tmp[50];
	char args[256], *buf, *out;
	size_t len = 0;
	int i, st;

	/* the kernel's sysctl_init() sets malloc up, before any malloc() */
	CHECK(IDX(M_DEVBUF) == 0);
	harness_sysctl_init();
	CHECK(IDX(M_DEVBUF) != 0 && IDX(M_USBDEV) != 0);
	for (i = 0; i < 10; i++)
		dev[i] = malloc(400, M_DEVBUF, M_WAITOK);
	malloc_type_setlimit(M_USBDEV, 4 << 20);
	for (i = 0; i < 2; i++)
		usb[i] = malloc(512 * 1024, M_USBDEV, M_WAITOK);
	harness_kmem_fail = 2;
	CHECK(malloc(100, M_USBDEV, M_NOWAIT) == NULL);
	CHECK(malloc(100, M_USBDEV, M_NOWAIT) == NULL);
	for (i = 0; i < 4950; i++)
		free(malloc(2, M_TEMP, M_WAITOK), M_TEMP);
	for (i = 0; i < 50; i++)
		tmp[i] = malloc(2, M_TEMP, M_WAITOK);	/* left allocated */

	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	buf = malloc_libc(len);
	CHECK(harness_sysctl_fn(NULL, 0, buf, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	write_file(buf, len);
	free_libc(buf);

	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strncmp(out, "Memory statistics by type\n", 26) == 0);
	CHECK(strstr(out, "                Type    InUse     MemUse    HighUse"
	    "      Limit   Requests    Fails\n") != NULL);
	CHECK(strstr(out, "\n          USB device        2      1024K      "
	    "1024K      4096K          2        2\n") != NULL);
	CHECK(strstr(out, "\n              devbuf       10         4K         "
	    "4K          -         10        0\n") != NULL);
	CHECK(strstr(out, "\n                temp       50         1K ") != NULL);
	CHECK(strstr(out, "5000        0\n") != NULL);
	CHECK(strstr(out, "\n          (detached)        0         0K         "
	    "0K          -          0        0\n") != NULL);
	CHECK(strstr(out, "within 64 CPUs x 65536 bytes") != NULL);
	CHECK(inorder(out, "USB device", "devbuf", "temp"));	/* by bytes */

	for (i = 0; i < (int)(sizeof(orders) / sizeof(orders[0])); i++) {
		snprintf(args, sizeof(args), "-s %s -f %s", orders[i].key, blob);
		out = run(args, &st);
		CHECK(st == 0 && inorder(out, orders[i].a, orders[i].b, orders[i].c));
	}
	snprintf(args, sizeof(args), "-s name -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && inorder(out, "(detached)", "DMA map", "mrt"));

	snprintf(args, sizeof(args), "-j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strncmp(out, "{\"version\": 1, \"ncpu\": 64, \"fold\": 65536, "
	    "\"types\": [\n", 53) == 0);
	CHECK(strstr(out, "{\"type\": \"USB device\", \"inuse\": 2, "
	    "\"bytes\": 1048576, \"hwm\": 1048576, \"limit\": 4194304, "
	    "\"requests\": 2, \"fails\": 2},\n") != NULL);
	CHECK(strstr(out, "{\"type\": \"devbuf\", \"inuse\": 10, \"bytes\": "
	    "4000, \"hwm\": 4000, \"limit\": 0, \"requests\": 10, "
	    "\"fails\": 0}") != NULL);
	CHECK(strlen(out) >= 4 && strcmp(out + strlen(out) - 4, "\n]}\n") == 0);

	snprintf(args, sizeof(args), "< %s", blob);	/* standard input */
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "USB device        2      1024K") != NULL);
	snprintf(args, sizeof(args), "-j -f - < %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "\"bytes\": 1048576") != NULL);

	for (i = 0; i < 10; i++)
		free(dev[i], M_DEVBUF);
	for (i = 0; i < 2; i++)
		free(usb[i], M_USBDEV);
	for (i = 0; i < 50; i++)
		free(tmp[i], M_TEMP);
	harness_quarantine_flush();
}

/* A version 2 blob: a longer header and records with a new field. */
struct hdr2 {
	struct malloc_stats_header h;
	uint32_t	extra[2];
};
struct rec2 {
	struct malloc_stats_record r;
	uint64_t	newfield;
};

static void
hand_made(void)
{
	struct hdr2 h;
	struct rec2 r[2];
	char args[256], *out;
	int st;

	memset(&h, 0, sizeof(h));
	memset(r, 0, sizeof(r));
	h.h.ms_version = 2;
	h.h.ms_hdrsize = sizeof(h);
	h.h.ms_recsize = sizeof(r[0]);
	h.h.ms_count = 2;
	h.h.ms_ncpu = 4;
	h.h.ms_fold = 1024;
	strcpy(r[0].r.mr_name, "quote\"back\\slash");
	r[0].r.mr_inuse = 3;
	r[0].r.mr_bytes = 3000;
	r[0].r.mr_hwm = 5000;
	r[0].r.mr_requests = 9;
	r[0].newfield = 0xffffffffffffffffULL;
	strcpy(r[1].r.mr_name, "second");
	r[1].r.mr_bytes = 1;
	r[1].r.mr_hwm = 1;
	{
		char buf[sizeof(h) + sizeof(r)];

		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), r, sizeof(r));
		write_file(buf, sizeof(buf));
	}
	snprintf(args, sizeof(args), "-j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strstr(out, "{\"type\": \"quote\\\"back\\\\slash\", \"inuse\": 3, "
	    "\"bytes\": 3000, \"hwm\": 5000, \"limit\": 0, \"requests\": 9, "
	    "\"fails\": 0},\n  {\"type\": \"second\", \"inuse\": 0, \"bytes\": 1,"
	    " \"hwm\": 1,") != NULL);
	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "quote\"back\\slash        3         3K"
	    "         5K          -          9        0\n") != NULL);

	/* bad input */
	out = run("-s am -f /dev/null", &st);
	CHECK(st != 0 && strstr(out, "usage") != NULL);
	out = run("-x", &st);
	CHECK(st != 0 && strstr(out, "usage") != NULL);
	out = run("-f /dev/null", &st);
	CHECK(st != 0 && strstr(out, "short statistics blob (0 bytes)") != NULL);
	out = run("-f /nonexistent/blob", &st);
	CHECK(st != 0 && strstr(out, "/nonexistent/blob") != NULL);
	h.h.ms_version = 0;
	write_file(&h, sizeof(h));
	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st != 0 && strstr(out, "statistics version 0") != NULL);
	h.h.ms_version = 1;
	write_file(&h, sizeof(h));		/* header only: records missing */
	out = run(args, &st);
	CHECK(st != 0 && strstr(out, "truncated statistics blob") != NULL);
	h.h.ms_recsize = 40;			/* shorter than version 1's */
	write_file(&h, sizeof(h));
	out = run(args, &st);
	CHECK(st != 0 && strstr(out, "bad statistics blob") != NULL);
}

int
main(int argc, char **argv)
{

	if (argc > 1)
		prog = argv[1];
	from_kernel();
	hand_made();
	return T_REPORT();
}
