/*
 * mallocstat(1) on a statistics blob written the way kern_malloc.c writes
 * it: the table, its sort orders, JSON, and bad input.
 */
#include <sys/param.h>
#include <sys/mallocvar.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int t_passed, t_failed;
static const char *prog, *blob = "obj/test-blob.bin";

static char *
run(const char *args, int *status)
{
	static char out[8192];
	char cmd[512];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", prog, args);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	*status = pclose(p);
	return out;
}

static void
record(struct malloc_stats_record *r, const char *name, uint64_t inuse,
    int64_t bytes, int64_t hwm, uint64_t limit, uint64_t req, uint64_t fails)
{

	memset(r, 0, sizeof(*r));
	strcpy(r->mr_name, name);
	r->mr_inuse = inuse;
	r->mr_bytes = bytes;
	r->mr_hwm = hwm;
	r->mr_limit = limit;
	r->mr_requests = req;
	r->mr_fails = fails;
}

static void
write_blob(uint32_t version, int truncate)
{
	struct malloc_stats_header h = { version, sizeof(h),
	    sizeof(struct malloc_stats_record), 3, 2, 65536 };
	struct malloc_stats_record r[3];
	FILE *fp = fopen(blob, "wb");

	record(&r[0], "devbuf", 10, 4096, 8192, 0, 100, 0);
	record(&r[1], "USB device", 3, 1 << 20, 2 << 20, 4 << 20, 7, 2);
	record(&r[2], "temp", 50, 100, 300, 0, 5000, 0);
	fwrite(&h, sizeof(h), 1, fp);
	fwrite(r, sizeof(r[0]), truncate ? 2 : 3, fp);
	fclose(fp);
}

int
main(int argc, char **argv)
{
	char args[256], *out, *a, *b, *c;
	int st;

	prog = argc > 1 ? argv[1] : "obj/mallocstat";
	write_blob(MALLOC_STATS_VERSION, 0);

	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strstr(out, "Memory statistics by type") != NULL);
	CHECK(strstr(out, "Type") && strstr(out, "InUse") && strstr(out, "MemUse") &&
	    strstr(out, "HighUse") && strstr(out, "Limit") && strstr(out, "Requests"));
	CHECK(strstr(out, "          USB device        3      1024K      2048K      4096K          7        2") != NULL);
	a = strstr(out, "USB device"), b = strstr(out, "devbuf"), c = strstr(out, "temp");
	CHECK(a && b && c && a < b && b < c);	/* default: by bytes */

	snprintf(args, sizeof(args), "-s requests -f %s", blob);
	out = run(args, &st);
	a = strstr(out, "temp"), b = strstr(out, "devbuf"), c = strstr(out, "USB device");
	CHECK(st == 0 && a && b && c && a < b && b < c);

	snprintf(args, sizeof(args), "-s name -f %s", blob);
	out = run(args, &st);
	a = strstr(out, "USB device"), b = strstr(out, "devbuf"), c = strstr(out, "temp");
	CHECK(st == 0 && a && b && c && a < b && b < c);

	snprintf(args, sizeof(args), "-j -f %s", blob);
	out = run(args, &st);
	CHECK(st == 0);
	CHECK(strstr(out, "{\"type\": \"USB device\", \"inuse\": 3, \"bytes\": 1048576, "
	    "\"hwm\": 2097152, \"limit\": 4194304, \"requests\": 7, \"fails\": 2}") != NULL);
	CHECK(strstr(out, "\"version\": 1, \"ncpu\": 2") != NULL);

	out = run("-s colour -f /dev/null", &st);
	CHECK(st != 0 && strstr(out, "usage") != NULL);
	write_blob(2, 0);
	snprintf(args, sizeof(args), "-f %s", blob);
	out = run(args, &st);
	CHECK(st != 0 && strstr(out, "version 2") != NULL);
	write_blob(MALLOC_STATS_VERSION, 1);
	out = run(args, &st);
	CHECK(st != 0 && strstr(out, "truncated") != NULL);
	return T_REPORT();
}
