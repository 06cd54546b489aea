/*
 * Running mallocstat from a test (test_mallocstat.c, test_sites.c): the
 * includer has harness.h's CHECK and a `prog`, the mallocstat to run.
 */

/* Run mallocstat with args (a shell command line); its output, exit code. */
static char *
run(const char *args, int *code)
{
	static char out[65536];
	char cmd[512];
	size_t n;
	int st;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", prog, args);
	p = popen(cmd, "r");
	if (p == NULL) {
		*code = -1;
		out[0] = '\0';
		return out;
	}
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	*code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

/* Write len bytes of buf to file, opened with mode. */
static void
write_file(const char *file, const char *mode, const void *buf, size_t len)
{
	FILE *fp = fopen(file, mode);

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	CHECK(fwrite(buf, 1, len, fp) == len);
	fclose(fp);
}
