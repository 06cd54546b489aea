/*
 * mallocstat(1) end to end: kern_malloc.c (in the harness) allocates
 * known amounts, the test reads kern.malloc_stats through the sysctl
 * node, writes the blobs to files and runs the built mallocstat on them:
 * the table (used types only, or all with -a; Size(s)), its sort orders,
 * -n, JSON, standard input; the reports of -w over a stream of three blobs,
 * sorted by growth; -r's blob, byte for byte; -d against it.  Then
 * hand-made blobs: version 1 (no size classes), a later version with
 * longer header and records, names that need escaping in JSON, and bad
 * input.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define	__MALLOC_PRIVATE		/* the tests look inside */
#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/malloc.h>

#include "harness.h"

int t_passed, t_failed;

MALLOC_DEFINE(M_TEST1, "test1", "used later");
MALLOC_DEFINE(M_TEST2, "test2", "unused here");
MALLOC_DEFINE(M_USBDEV, "USB device", "USB device memory");

static const char *prog = "obj/mallocstat";
#include "mallocstat_run.h"

static const char *blob = "obj/test-blob.bin", *stream = "obj/test-stream.bin";
static const char *snap = "obj/test-snap.bin";

/* a before b before c in s, all present */
static bool
inorder(const char *s, const char *a, const char *b, const char *c)
{
	const char *x = strstr(s, a), *y = strstr(s, b), *z = strstr(s, c);

	return x != NULL && y != NULL && z != NULL && x < y && y < z;
}

/* The kernel's blob, written to file (mode "wb") or appended ("ab"). */
static void
dump(const char *file, const char *mode)
{
	size_t len = 0;
	char *buf;

	CHECK(harness_sysctl_fn(NULL, 0, NULL, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	buf = malloc_libc(len);
	CHECK(harness_sysctl_fn(NULL, 0, buf, &len, NULL, 0, NULL, NULL,
	    NULL) == 0);
	write_file(file, mode, buf, len);
	free_libc(buf);
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

static void *dev[10], *usb[2], *tmp[53], *t1;

static void
from_kernel(void)
{
	char args[256], *out;
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
	dump(blob, "wb");

	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strncmp(out, "Memory statistics by type\n", 26) == 0);
	CHECK(strstr(out, "                Type    InUse     MemUse    HighUse"
	    "      Limit   Requests    Fails  Size(s)\n") != NULL);
	CHECK(strstr(out, "\n          USB device        2      1024K      "
	    "1024K      4096K          2        2  512K\n") != NULL);
	CHECK(strstr(out, "\n              devbuf       10         4K         "
	    "4K          -         10        0  512\n") != NULL);
	CHECK(strstr(out, "\n                temp       50         1K ") != NULL);
	CHECK(strstr(out, "5000        0  16\n") != NULL);
	CHECK(strstr(out, "within 64 CPUs x 65536 bytes") != NULL);
	CHECK(inorder(out, "USB device", "devbuf", "temp"));	/* by bytes */
	/* only the types that were used, unless -a */
	CHECK(strstr(out, "(detached)") == NULL && strstr(out, "mrt") == NULL &&
	    strstr(out, "test2") == NULL);
	snprintf(args, sizeof(args), "-a -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "\n                 mrt        0 ") != NULL);
	CHECK(strstr(out, "\n          (detached)        0         0K         "
	    "0K          -          0        0  -\n") != NULL);

	for (i = 0; i < (int)(sizeof(orders) / sizeof(orders[0])); i++) {
		snprintf(args, sizeof(args), "-a -s %s -f %s", orders[i].key,
		    blob);
		out = run(args, &st);
		CHECK(st == 0 && inorder(out, orders[i].a, orders[i].b,
		    orders[i].c));
	}
	snprintf(args, sizeof(args), "-a -s name -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && inorder(out, "(detached)", "DMA map", "mrt"));
	/* -n: the first rows only */
	snprintf(args, sizeof(args), "-n 2 -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && inorder(out, "Type", "USB device", "devbuf") &&
	    strstr(out, "temp") == NULL && strstr(out, "within 64 CPUs") != NULL);

	/* -j: every type, exact values, the size classes in bytes */
	snprintf(args, sizeof(args), "-j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strncmp(out, "{\"version\": 2, \"ncpu\": 64, \"fold\": 65536, "
	    "\"types\": [\n", 53) == 0);
	CHECK(strstr(out, "{\"type\": \"USB device\", \"inuse\": 2, "
	    "\"bytes\": 1048576, \"hwm\": 1048576, \"limit\": 4194304, "
	    "\"requests\": 2, \"fails\": 2, \"sizes\": [524288]},\n") != NULL);
	CHECK(strstr(out, "{\"type\": \"devbuf\", \"inuse\": 10, \"bytes\": "
	    "4000, \"hwm\": 4000, \"limit\": 0, \"requests\": 10, "
	    "\"fails\": 0, \"sizes\": [512]}") != NULL);
	CHECK(strstr(out, "{\"type\": \"mrt\", ") != NULL);
	CHECK(strlen(out) >= 4 && strcmp(out + strlen(out) - 4, "\n]}\n") == 0);
	/* -r: the blob as it was read, a snapshot for -d */
	snprintf(args, sizeof(args), "-r -f %s > %s; cmp %s %s && echo same",
	    blob, snap, blob, snap);
	out = run(args, &st);
	CHECK(st == 0 && strcmp(out, "same\n") == 0);

	snprintf(args, sizeof(args), "< %s", blob);	/* standard input */
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "USB device        2      1024K") != NULL);
	snprintf(args, sizeof(args), "-j -f - < %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "\"bytes\": 1048576") != NULL);
}

/*
 * A stream of three blobs (what mallocstat -w reads report by report),
 * and -d against the -j snapshot of the first.
 */
static void
changes(void)
{
	char args[256], *out, *r2, *r3;
	int i, st;

	dump(stream, "wb");			/* the first blob again */
	for (i = 0; i < 5; i++)
		free(dev[i], M_DEVBUF);		/* shrinks */
	for (i = 50; i < 53; i++)
		tmp[i] = malloc(2, M_TEMP, M_WAITOK);	/* grows a little */
	t1 = malloc(3000, M_TEST1, M_WAITOK);	/* new, grows most */
	dump(stream, "ab");
	dump(blob, "wb");
	for (i = 0; i < 2; i++)
		free(usb[i], M_USBDEV);
	dump(stream, "ab");

	snprintf(args, sizeof(args), "-w 0 -c 3 -f %s", stream);
	out = run(args, &st);
	CHECK(st == 0 && strncmp(out, "Memory statistics by type\n", 26) == 0);
	r2 = strstr(out, "\nMemory statistics by type, report 2: changes since "
	    "report 1\n                Type    InUse   +InUse     MemUse     "
	    "+Bytes  +Requests     +Frees\n");
	r3 = strstr(out, "\nMemory statistics by type, report 3: changes since "
	    "report 2\n");
	CHECK(r2 != NULL && r3 != NULL && r2 < r3);
	if (r2 == NULL || r3 == NULL)
		return;
	/* report 2, by growth: test1, temp, devbuf; nothing else changed */
	CHECK(strstr(r2, "\n               test1        1       +1         3K"
	    "      +3000         +1         +0\n") != NULL);
	CHECK(strstr(r2, "\n                temp       53       +3         1K"
	    "         +6         +3         +0\n") != NULL);
	CHECK(strstr(r2, "\n              devbuf        5       -5         2K"
	    "      -2000         +0         +5\n") != NULL);
	CHECK(inorder(r2, "test1", "temp", "devbuf"));
	CHECK(strstr(r2, "USB device") == NULL || strstr(r2, "USB device") > r3);
	/* report 3: only USB device */
	CHECK(strstr(r3, "\n          USB device        0       -2         0K"
	    "   -1048576         +0         +2\n") != NULL);
	CHECK(strstr(r3, "test1") == NULL && strstr(r3, "devbuf") == NULL);
	/* to the end of the stream without -c; -c stops earlier */
	snprintf(args, sizeof(args), "-w 0 -f %s", stream);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "report 3:") != NULL &&
	    strstr(out, "report 4:") == NULL);
	snprintf(args, sizeof(args), "-w 0 -c 2 -f %s", stream);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "report 2:") != NULL &&
	    strstr(out, "report 3:") == NULL);
	snprintf(args, sizeof(args), "-w 0 -c 2 -n 1 -f %s", stream);
	out = run(args, &st);		/* the top row of each */
	r2 = strstr(out, "report 2:");
	CHECK(st == 0 && r2 != NULL && strstr(r2, "test1") != NULL &&
	    strstr(r2, "temp") == NULL && strstr(r2, "devbuf") == NULL);
	snprintf(args, sizeof(args), "-w 0 -c 1 -f %s", stream);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "report 2:") == NULL &&
	    strstr(out, "USB device") != NULL);
	/* nothing changed between a blob and itself; -a shows all used */
	snprintf(args, sizeof(args), "-w 0 -f - < %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "report 2:") == NULL);

	/* -d: what grew since the snapshot, by growth */
	snprintf(args, sizeof(args), "-d %s -f %s", snap, blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strncmp(out, "Memory statistics by type, changes since "
	    "obj/test-snap.bin\n", 59) == 0);
	CHECK(strstr(out, "\n               test1        1       +1         3K"
	    "      +3000         +1         +0\n") != NULL);
	CHECK(inorder(out, "+InUse", "test1", "temp"));
	CHECK(strstr(out, "devbuf") == NULL);		/* shrank */
	snprintf(args, sizeof(args), "-d %s -a -f %s", snap, blob);
	out = run(args, &st);
	CHECK(st == 0 && inorder(out, "test1", "temp", "devbuf"));
	snprintf(args, sizeof(args), "-d %s -f %s", snap, stream);
	out = run(args, &st);			/* the first blob: the same */
	CHECK(st == 0 && strstr(out, "(nothing grew)") != NULL);

	for (i = 0; i < 5; i++)
		free(dev[i + 5], M_DEVBUF);
	for (i = 0; i < 53; i++)
		free(tmp[i], M_TEMP);
	free(t1, M_TEST1);
	harness_quarantine_flush();
}

/* A version 3 blob: a longer header and records with a new field. */
struct hdr3 {
	struct malloc_stats_header h;
	uint32_t	extra[2];
};
struct rec3 {
	struct malloc_stats_record r;
	uint64_t	newfield;
};

static void
hand_made(void)
{
	struct hdr3 h;
	struct rec3 r[2];
	char args[256], buf[sizeof(h) + sizeof(r)], *out;
	size_t i;
	int st;

	memset(&h, 0, sizeof(h));
	memset(r, 0, sizeof(r));
	h.h.ms_version = 3;
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
	r[0].r.mr_sizes = (1ULL << 4) | (1ULL << 10) | (1ULL << 20) |
	    (1ULL << 33);
	r[0].newfield = 0xffffffffffffffffULL;
	strcpy(r[1].r.mr_name, "second");
	r[1].r.mr_bytes = 1;
	r[1].r.mr_hwm = 1;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), r, sizeof(r));
	write_file(blob, "wb", buf, sizeof(buf));
	snprintf(args, sizeof(args), "-j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strstr(out, "{\"type\": \"quote\\\"back\\\\slash\", \"inuse\": 3, "
	    "\"bytes\": 3000, \"hwm\": 5000, \"limit\": 0, \"requests\": 9, "
	    "\"fails\": 0, \"sizes\": [16, 1024, 1048576, 8589934592]},\n  "
	    "{\"type\": \"second\", \"inuse\": 0, \"bytes\": 1, \"hwm\": 1,")
	    != NULL);
	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "quote\"back\\slash        3         3K"
	    "         5K          -          9        0  16,1K,1M,8G\n") != NULL);
	/* a snapshot of a later version: matched by name */
	snprintf(args, sizeof(args), "-d %s -f %s", blob, blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "(nothing grew)") != NULL);

	/* version 1: 80-byte records, no size classes */
	h.h.ms_version = 1;
	h.h.ms_hdrsize = sizeof(h.h);
	h.h.ms_recsize = MALLOC_STATS_RECSIZE_V1;
	memcpy(buf, &h.h, sizeof(h.h));
	for (i = 0; i < 2; i++)
		memcpy(buf + sizeof(h.h) + i * MALLOC_STATS_RECSIZE_V1,
		    &r[i].r, MALLOC_STATS_RECSIZE_V1);
	write_file(blob, "wb", buf, sizeof(h.h) + 2 * MALLOC_STATS_RECSIZE_V1);
	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "quote\"back\\slash        3         3K"
	    "         5K          -          9        0  -\n") != NULL);
	snprintf(args, sizeof(args), "-j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0 && strstr(out, "\"version\": 1,") != NULL &&
	    strstr(out, "\"sizes\"") == NULL);

	/* bad input: a one-line message, exit status 2 */
	out = run("-s am -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-x", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-c 3 -f /dev/null", &st);		/* -c without -w */
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-w x -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-w -1 -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-w 0 -c 0 -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-j -w 1 -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "short statistics blob (0 bytes)") != NULL);
	out = run("-f /nonexistent/blob", &st);
	CHECK(st == 2 && strstr(out, "/nonexistent/blob") != NULL);
	snprintf(args, sizeof(args), "-d /nonexistent/snap -f %s", blob);
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "/nonexistent/snap") != NULL);
	/* a snapshot that is no blob: named, exit status 2 */
	write_file(snap, "wb", "{\"types\": [{\"inuse\": 3}]}", 25);
	snprintf(args, sizeof(args), "-d %s -f %s", snap, blob);
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "obj/test-snap.bin: bad statistics "
	    "blob") != NULL);
	write_file(snap, "wb", "Mem", 3);
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "obj/test-snap.bin: short statistics "
	    "blob (3 bytes)") != NULL);
	out = run("-j -r -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	out = run("-r -d x -f /dev/null", &st);
	CHECK(st == 2 && strstr(out, "usage") != NULL);
	h.h.ms_version = 0;
	write_file(blob, "wb", &h.h, sizeof(h.h));
	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "statistics version 0") != NULL);
	h.h.ms_version = 2;
	write_file(blob, "wb", &h.h, sizeof(h.h));	/* records missing */
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "truncated statistics blob") != NULL);
	h.h.ms_recsize = 40;			/* shorter than version 1's */
	write_file(blob, "wb", &h.h, sizeof(h.h));
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "bad statistics blob") != NULL);
	/* a stream whose second blob is cut short: the first report, then 2 */
	write_file(blob, "wb", buf, sizeof(h.h) + 2 * MALLOC_STATS_RECSIZE_V1);
	h.h.ms_version = 1;
	h.h.ms_recsize = MALLOC_STATS_RECSIZE_V1;
	write_file(blob, "ab", &h.h, sizeof(h.h));
	snprintf(args, sizeof(args), "-w 0 -f %s", blob);
	out = run(args, &st);
	CHECK(st == 2 && strstr(out, "Memory statistics by type") != NULL &&
	    strstr(out, "truncated statistics blob") != NULL);
}

int
main(int argc, char **argv)
{

	if (argc > 1)
		prog = argv[1];
	from_kernel();
	changes();
	hand_made();
	return T_REPORT();
}
