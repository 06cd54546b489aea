/*
 * kmem2malloc rumptest workload: boots a rump kernel built from a converted
 * and shimmed NetBSD tree and exercises what a running kernel allocates
 * for: tmpfs, FFS on a vnd(4) disk, TCP and UDP over lo0, sysctl.  It frees
 * what it allocated (unmounts, unconfigures, closes), then has our kernel
 * component (k2mtest.c) time kmem against malloc and sweep alignments,
 * and reads kern.malloc_stats from the running kernel.
 *
 *   workload FFS_IMAGE OUTDIR
 *
 * Built with -DK2M_SHIM for a shimmed tree: without it (a pristine tree)
 * the component's timing and alignment sweep are skipped (they need the
 * shim's malloc types), and a kernel without kern.malloc_stats is
 * reported, not failed.  -DK2M_MD, -DK2M_CGD: also md(4), and cgd(4) on
 * md(4) (the workload is linked with those components).  -DK2M_SITES (a
 * kernel with the shim's option MALLOC_SITES): also kern.malloc_sites, into
 * OUTDIR/malloc_sites.bin.
 *
 * FFS_IMAGE is a host file holding an FFS file system with /hello.txt
 * (HELLO below).  Writes OUTDIR/malloc_stats.bin (the sysctl blob) and
 * OUTDIR/workload.json (results and raw measurements).  Prints PASS/FAIL
 * per test, SKIP (with the reason) for each test not run, and a last line
 * "N passed, N failed, N skipped"; exits non-zero if any failed.  A panic
 * in the kernel aborts the process.
 */

#include <sys/types.h>
#include <sys/wait.h>		/* idtype_t: NetBSD 10's rump_syscalls.h uses it */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include "k2mtest.h"

#define HELLO	"kmem2malloc rumptest\n"
#define NFILES	64

static int npass, nfail, nskip;
static FILE *json;
static const char *sep = "";
static double last;			/* when the last test ended */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
check(int ok, const char *test, const char *fmt, ...)
{
	va_list ap;
	double t = now();

	if (ok) {
		printf("PASS %s (%.1f s)\n", test, t - last);
		npass++;
		fprintf(json, "%s\n    \"%s\": \"passed\"", sep, test);
	} else {
		printf("FAIL %s: ", test);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(" (errno %d; %.1f s)\n", errno, t - last);
		nfail++;
		fprintf(json, "%s\n    \"%s\": \"failed\"", sep, test);
	}
	sep = ",";
	fflush(stdout);
	last = t;
	return ok;
}

static void
skip(const char *test, const char *why)
{
	printf("SKIP %s: %s\n", test, why);
	nskip++;
	fprintf(json, "%s\n    \"%s\": \"skipped\"", sep, test);
	sep = ",";
	fflush(stdout);
}

#define TRY(cond, test, ...) \
	do { if (!(cond)) return check(0, test, __VA_ARGS__); } while (0)

/* Write len bytes of a pattern seeded by seed; read them back. */
static int
write_file(const char *path, size_t len, int seed)
{
	char buf[4096];
	size_t off, n, i;
	int fd;

	fd = rump_sys_open(path, RUMP_O_RDWR | RUMP_O_CREAT | RUMP_O_TRUNC, 0644);
	if (fd == -1)
		return -1;
	for (off = 0; off < len; off += n) {
		n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (char)(seed + off + i);
		if (rump_sys_write(fd, buf, n) != (ssize_t)n) {
			rump_sys_close(fd);
			return -1;
		}
	}
	return rump_sys_close(fd);
}

static int
read_file(const char *path, size_t len, int seed)
{
	char buf[4096];
	size_t off, i;
	ssize_t n;
	int fd, bad = 0;

	fd = rump_sys_open(path, RUMP_O_RDONLY, 0);
	if (fd == -1)
		return -1;
	for (off = 0; (n = rump_sys_read(fd, buf, sizeof(buf))) > 0; off += n)
		for (i = 0; i < (size_t)n; i++)
			bad |= buf[i] != (char)(seed + off + i);
	rump_sys_close(fd);
	return bad || n < 0 || off != len ? -1 : 0;
}

/* Files of 1..NFILES KiB in four directories, renamed, linked, removed. */
static int
file_tree(const char *top, const char *test)
{
	char path[256], other[256], dents[8192];
	int i, fd, nent;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/d%d", top, i);
		TRY(rump_sys_mkdir(path, 0755) == 0, test, "mkdir %s", path);
	}
	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/d%d/f%d", top, i % 4, i);
		TRY(write_file(path, (size_t)(i + 1) * 1024, i) == 0, test, "write %s", path);
	}
	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/d%d/f%d", top, i % 4, i);
		snprintf(other, sizeof(other), "%s/d%d/g%d", top, (i + 1) % 4, i);
		TRY(rump_sys_rename(path, other) == 0, test, "rename %s", path);
		TRY(read_file(other, (size_t)(i + 1) * 1024, i) == 0, test, "read %s", other);
	}
	snprintf(path, sizeof(path), "%s/d0/g3", top);
	snprintf(other, sizeof(other), "%s/link", top);
	TRY(rump_sys_symlink(path, other) == 0, test, "symlink");
	TRY(read_file(other, 4 * 1024, 3) == 0, test, "read through symlink");
	TRY(rump_sys_unlink(other) == 0, test, "unlink symlink");
	snprintf(path, sizeof(path), "%s/d1", top);
	TRY((fd = rump_sys_open(path, RUMP_O_RDONLY | RUMP_O_DIRECTORY, 0)) != -1, test, "open dir");
	nent = rump_sys_getdents(fd, dents, sizeof(dents));
	rump_sys_close(fd);
	TRY(nent > 0, test, "getdents");
	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/d%d/g%d", top, (i + 1) % 4, i);
		TRY(rump_sys_unlink(path) == 0, test, "unlink %s", path);
	}
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/d%d", top, i);
		TRY(rump_sys_rmdir(path) == 0, test, "rmdir %s", path);
	}
	return 1;
}

static int
test_tmpfs(void)
{
	struct nb_tmpfs_args ta;

	memset(&ta, 0, sizeof(ta));
	ta.ta_version = NB_TMPFS_ARGS_VERSION;
	ta.ta_root_mode = 0777;
	TRY(rump_sys_mkdir("/tmp", 0777) == 0 || errno == EEXIST, "tmpfs", "mkdir /tmp");
	TRY(rump_sys_mount(RUMP_MOUNT_TMPFS, "/tmp", 0, &ta, sizeof(ta)) == 0,
	    "tmpfs", "mount tmpfs");
	if (!file_tree("/tmp", "tmpfs"))
		return 0;
	TRY(rump_sys_unmount("/tmp", 0) == 0, "tmpfs", "unmount");
	return check(1, "tmpfs", "");
}

/* FFS from a host image, through vnd(4) over an etfs-mapped file. */
static int
test_ffs_vnd(const char *image)
{
	struct nb_vnd_ioctl vio;
	struct rump_ufs_args ua;
	char buf[64];
	int fd, n;

	TRY(rump_pub_etfs_register("/ffs.img", image, RUMP_ETFS_REG) == 0,
	    "ffs_vnd", "etfs_register %s", image);
	TRY((fd = rump_sys_open("/dev/rvnd0d", RUMP_O_RDWR, 0)) != -1,
	    "ffs_vnd", "open /dev/rvnd0d");
	memset(&vio, 0, sizeof(vio));
	vio.vnd_file = (char *)"/ffs.img";
	TRY(rump_sys_ioctl(fd, NB_VNDIOCSET, &vio) == 0, "ffs_vnd", "VNDIOCSET");
	TRY(rump_sys_mkdir("/mnt", 0755) == 0 || errno == EEXIST, "ffs_vnd", "mkdir /mnt");
	ua.fspec = (char *)"/dev/vnd0d";
	TRY(rump_sys_mount(RUMP_MOUNT_FFS, "/mnt", 0, &ua, sizeof(ua)) == 0,
	    "ffs_vnd", "mount ffs /dev/vnd0d");
	n = -1;
	if ((fd = rump_sys_open("/mnt/hello.txt", RUMP_O_RDONLY, 0)) != -1) {
		n = (int)rump_sys_read(fd, buf, sizeof(buf) - 1);
		rump_sys_close(fd);
	}
	TRY(n == (int)strlen(HELLO) && memcmp(buf, HELLO, n) == 0, "ffs_vnd",
	    "read /mnt/hello.txt (%d bytes)", n);
	if (!file_tree("/mnt", "ffs_vnd"))
		return 0;
	TRY(write_file("/mnt/big", 1024 * 1024, 7) == 0, "ffs_vnd", "write 1 MiB");
	rump_sys_sync();
	TRY(read_file("/mnt/big", 1024 * 1024, 7) == 0, "ffs_vnd", "read 1 MiB");
	TRY(rump_sys_unlink("/mnt/big") == 0, "ffs_vnd", "unlink");
	TRY(rump_sys_unmount("/mnt", 0) == 0, "ffs_vnd", "unmount");
	TRY((fd = rump_sys_open("/dev/rvnd0d", RUMP_O_RDWR, 0)) != -1,
	    "ffs_vnd", "reopen /dev/rvnd0d");
	TRY(rump_sys_ioctl(fd, NB_VNDIOCCLR, &vio) == 0, "ffs_vnd", "VNDIOCCLR");
	rump_sys_close(fd);
	TRY(rump_pub_etfs_remove("/ffs.img") == 0, "ffs_vnd", "etfs_remove");
	return check(1, "ffs_vnd", "");
}

static void
pattern(char *buf, size_t n, size_t off, int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (char)(seed + (off + i) / 512 + i);
}

/*
 * A raw disk, 64 KiB at a time: write len bytes of a pattern and read them
 * back (0: all read back); with compare only, whether the first len bytes
 * hold that pattern (1) or not (0).  -1 on an error.
 */
static int
raw_io(const char *dev, size_t len, int seed, int compare_only)
{
	static char want[65536], got[65536];
	size_t off;
	int fd, rv = 0;

	if ((fd = rump_sys_open(dev, compare_only ? RUMP_O_RDONLY : RUMP_O_RDWR, 0)) == -1)
		return -1;
	for (off = 0; !compare_only && rv == 0 && off < len; off += sizeof(want)) {
		pattern(want, sizeof(want), off, seed);
		if (rump_sys_pwrite(fd, want, sizeof(want), (off_t)off) != (ssize_t)sizeof(want))
			rv = -1;
	}
	for (off = 0; rv == 0 && off < len; off += sizeof(got)) {
		pattern(want, sizeof(want), off, seed);
		if (rump_sys_pread(fd, got, sizeof(got), (off_t)off) != (ssize_t)sizeof(got))
			rv = -1;
		else if (memcmp(want, got, sizeof(got)) != 0)
			rv = compare_only ? 2 : -1;
	}
	rump_sys_close(fd);
	if (compare_only && rv >= 0)
		return rv == 0;
	return rv;
}

#if defined(K2M_MD) || defined(K2M_CGD)
#define MD_BYTES	(2 * 1024 * 1024)

/* md(4): a disk in kernel memory (MD_KMEM_ALLOCATED); it stays configured. */
static int
test_md(void)
{
	struct nb_md_conf mc;
	int fd;

	TRY((fd = rump_sys_open("/dev/rmd0d", RUMP_O_RDWR, 0)) != -1, "md", "open /dev/rmd0d");
	memset(&mc, 0, sizeof(mc));
	mc.md_size = MD_BYTES;
	mc.md_type = NB_MD_KMEM_ALLOCATED;
	TRY(rump_sys_ioctl(fd, NB_MD_SETCONF, &mc) == 0, "md", "MD_SETCONF");
	memset(&mc, 0, sizeof(mc));
	TRY(rump_sys_ioctl(fd, NB_MD_GETCONF, &mc) == 0 && mc.md_size == MD_BYTES &&
	    mc.md_type == NB_MD_KMEM_ALLOCATED, "md", "MD_GETCONF");
	rump_sys_close(fd);
	TRY(raw_io("/dev/rmd0d", MD_BYTES, 3, 0) == 0, "md", "write and read /dev/rmd0d");
	return check(1, "md", "");
}
#endif

#ifdef K2M_CGD
/* cgd(4), AES-CBC, on md0: what it writes reads back; md0 holds ciphertext. */
static int
test_cgd(void)
{
	struct nb_cgd_ioctl ci;
	char key[64];
	int fd, i;

	for (i = 0; i < (int)sizeof(key); i++)
		key[i] = (char)(i * 7 + 1);
	memset(&ci, 0, sizeof(ci));
	ci.ci_disk = "/dev/md0d";
	ci.ci_alg = "aes-cbc";
	ci.ci_ivmethod = "encblkno1";
	ci.ci_keylen = 256;			/* bits */
	ci.ci_key = key;
	ci.ci_blocksize = (size_t)-1;		/* the cipher's */
	TRY((fd = rump_sys_open("/dev/rcgd0d", RUMP_O_RDWR, 0)) != -1, "cgd", "open /dev/rcgd0d");
	TRY(rump_sys_ioctl(fd, NB_CGDIOCSET, &ci) == 0, "cgd", "CGDIOCSET on /dev/md0d");
	TRY(raw_io("/dev/rcgd0d", 512 * 1024, 5, 0) == 0, "cgd", "write and read /dev/rcgd0d");
	TRY(raw_io("/dev/rmd0d", 512 * 1024, 5, 1) == 0, "cgd",
	    "md0 under cgd0 holds plaintext (or unreadable)");
	TRY(rump_sys_ioctl(fd, NB_CGDIOCCLR, &ci) == 0, "cgd", "CGDIOCCLR");
	rump_sys_close(fd);
	return check(1, "cgd", "");
}
#endif

static void
sin_loopback(struct nb_sockaddr_in *sin, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_len = sizeof(*sin);
	sin->sin_family = RUMP_AF_INET;
	sin->sin_port = (uint16_t)((port >> 8) | (port << 8));	/* network order */
	sin->sin_addr = 0x0100007f;	/* 127.0.0.1, little-endian host */
}

/* TCP and UDP over lo0 (configured 127.0.0.1 by the netinet component). */
static int
test_net(void)
{
	struct nb_sockaddr_in sin;
	char out[4096], in[4096];
	int ls, cs, as, us, ur, i, j, one = 1;
	ssize_t n, got;

	sin_loopback(&sin, 7777);
	TRY((ls = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_STREAM, 0)) != -1, "net", "socket");
	TRY(rump_sys_bind(ls, (void *)&sin, sizeof(sin)) == 0, "net", "bind");
	TRY(rump_sys_listen(ls, 4) == 0, "net", "listen");
	TRY((cs = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_STREAM, 0)) != -1, "net", "socket");
	/* no Nagle: else each 4 KiB write waits for the delayed ACK of the last */
	TRY(rump_sys_setsockopt(cs, NB_IPPROTO_TCP, NB_TCP_NODELAY, &one, sizeof(one)) == 0,
	    "net", "TCP_NODELAY");
	TRY(rump_sys_connect(cs, (void *)&sin, sizeof(sin)) == 0, "net", "connect");
	TRY((as = rump_sys_accept(ls, NULL, NULL)) != -1, "net", "accept");
	for (i = 0; i < 256; i++) {		/* 1 MiB, 4 KiB at a time */
		memset(out, i, sizeof(out));
		TRY(rump_sys_write(cs, out, sizeof(out)) == (ssize_t)sizeof(out), "net", "send");
		for (got = 0; got < (ssize_t)sizeof(in); got += n)
			TRY((n = rump_sys_read(as, in + got, sizeof(in) - got)) > 0, "net", "recv");
		TRY(memcmp(in, out, sizeof(in)) == 0, "net", "data %d", i);
	}
	rump_sys_close(cs);
	TRY(rump_sys_read(as, in, sizeof(in)) == 0, "net", "EOF after close");
	rump_sys_close(as);
	rump_sys_close(ls);

	sin_loopback(&sin, 7778);
	TRY((ur = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0)) != -1, "net", "udp socket");
	TRY(rump_sys_bind(ur, (void *)&sin, sizeof(sin)) == 0, "net", "udp bind");
	TRY((us = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0)) != -1, "net", "udp socket");
	for (i = 0; i < 100; i++) {
		for (j = 0; j < 512; j++)
			out[j] = (char)(i + j);
		TRY(rump_sys_sendto(us, out, 512, 0, (void *)&sin, sizeof(sin)) == 512,
		    "net", "sendto");
		TRY(rump_sys_recvfrom(ur, in, sizeof(in), 0, NULL, NULL) == 512, "net", "recvfrom");
		TRY(memcmp(in, out, 512) == 0, "net", "datagram %d", i);
	}
	rump_sys_close(us);
	rump_sys_close(ur);
	return check(1, "net", "");
}

/* The mib of a name (a.b.c) by CTL_QUERY, as sysctlnametomib does. */
static int
sysctl_mib(const char *name, int *mib, u_int *len)
{
	struct nb_sysctlnode q, nodes[512];
	char part[NB_SYSCTL_NAMELEN + 1];
	const char *p = name, *dot;
	size_t sz;
	u_int depth = 0, i, k;

	while (*p) {
		dot = strchr(p, '.');
		k = dot ? (u_int)(dot - p) : (u_int)strlen(p);
		if (k > NB_SYSCTL_NAMELEN || depth + 2 > 12)
			return -1;
		memcpy(part, p, k);
		part[k] = '\0';
		memset(&q, 0, sizeof(q));
		q.nb_flags = NB_SYSCTL_VERSION;
		mib[depth] = NB_CTL_QUERY;
		sz = sizeof(nodes);
		if (rump_sys___sysctl(mib, depth + 1, nodes, &sz, &q, sizeof(q)) == -1)
			return -1;
		for (i = 0; i < sz / sizeof(nodes[0]); i++)
			if (strcmp(nodes[i].nb_name, part) == 0)
				break;
		if (i == sz / sizeof(nodes[0]))
			return -1;
		mib[depth++] = nodes[i].nb_num;
		p += k + (dot != NULL);
	}
	*len = depth;
	return 0;
}

static int
test_sysctl(void)
{
	int mib[2] = { NB_CTL_KERN, NB_KERN_OSTYPE }, qmib[12];
	char buf[256];
	const char *host = "k2m-rumptest";
	size_t sz = sizeof(buf);
	u_int qlen;

	TRY(rump_sys___sysctl(mib, 2, buf, &sz, NULL, 0) == 0 && strcmp(buf, "NetBSD") == 0,
	    "sysctl", "kern.ostype");
	mib[1] = NB_KERN_HOSTNAME;
	TRY(rump_sys___sysctl(mib, 2, NULL, NULL, host, strlen(host) + 1) == 0,
	    "sysctl", "set kern.hostname");
	sz = sizeof(buf);
	TRY(rump_sys___sysctl(mib, 2, buf, &sz, NULL, 0) == 0 && strcmp(buf, host) == 0,
	    "sysctl", "kern.hostname");
	TRY(sysctl_mib("kern.hostname", qmib, &qlen) == 0 && qlen == 2 &&
	    qmib[0] == NB_CTL_KERN && qmib[1] == NB_KERN_HOSTNAME,
	    "sysctl", "CTL_QUERY kern.hostname");
	TRY(sysctl_mib("kern.no_such_node", qmib, &qlen) == -1, "sysctl", "CTL_QUERY miss");
	return check(1, "sysctl", "");
}

/*
 * Write the blob of sysctl node `node` (kern.malloc_stats, kern.malloc_sites)
 * to OUTDIR/FILE, as the test `test`.
 */
static int
read_blob(const char *outdir, const char *node, const char *file, const char *test)
{
	int mib[12];
	u_int len;
	size_t sz = 0;
	char path[1024], *buf;
	FILE *fp;

	TRY(sysctl_mib(node, mib, &len) == 0, test, "no %s", node);
	TRY(rump_sys___sysctl(mib, len, NULL, &sz, NULL, 0) == 0 && sz > 0,
	    test, "size of %s", node);
	sz += 16384;				/* room for records added meanwhile */
	TRY((buf = malloc(sz)) != NULL, test, "host malloc");
	TRY(rump_sys___sysctl(mib, len, buf, &sz, NULL, 0) == 0, test, "read");
	snprintf(path, sizeof(path), "%s/%s", outdir, file);
	TRY((fp = fopen(path, "wb")) != NULL && fwrite(buf, 1, sz, fp) == sz &&
	    fclose(fp) == 0, test, "write %s", path);
	free(buf);
	return check(1, test, "");
}

static int
read_stats(const char *outdir)
{
#ifndef K2M_SHIM
	int mib[12];
	u_int len;

	if (sysctl_mib("kern.malloc_stats", mib, &len) == -1) {
		skip("malloc_stats", "no kern.malloc_stats in this kernel (a tree without the shim)");
		return 1;
	}
#endif
	return read_blob(outdir, "kern.malloc_stats", "malloc_stats.bin", "malloc_stats");
}

static void
put_array(const char *name, const uint64_t *v, int n)
{
	int i;

	fprintf(json, "    \"%s\": [", name);
	for (i = 0; i < n; i++)
		fprintf(json, "%s%" PRIu64, i ? ", " : "", v[i]);
	fprintf(json, "]");
}

static void
put_array32(const char *name, const uint32_t *v, int n)
{
	int i;

	fprintf(json, "    \"%s\": [", name);
	for (i = 0; i < n; i++)
		fprintf(json, "%s%s%" PRIu32, i ? "," : "", i % 16 ? "" : "\n      ", v[i]);
	fprintf(json, "]");
}

int
main(int argc, char *argv[])
{
#ifdef K2M_SHIM
	static struct k2m_bench kb;
	static struct k2m_align ka;
	int rv;
#endif
	char path[1024];

	if (argc != 3) {
		fprintf(stderr, "usage: workload FFS_IMAGE OUTDIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/workload.json", argv[2]);
	if ((json = fopen(path, "w")) == NULL) {
		perror(path);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	last = now();
	fprintf(json, "{\n  \"tests\": {");
	if (!check(rump_init() == 0, "boot", "rump_init")) {
		fprintf(json, "\n  }\n}\n");
		fclose(json);
		printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
		return 1;
	}
	test_sysctl();
	test_tmpfs();
	test_ffs_vnd(argv[1]);
	test_net();
#if defined(K2M_MD) || defined(K2M_CGD)
	if (test_md()) {
#ifdef K2M_CGD
		test_cgd();
#endif
	}
#ifdef K2M_CGD
	else
		skip("cgd", "md0, its disk, failed");
#endif
#endif

#ifdef K2M_SHIM
	rump_schedule();
	rv = rumpk2m_bench(&kb);
	rump_unschedule();
	check(rv == 0, "bench", "rumpk2m_bench: %d", rv);
	rump_schedule();
	rv = rumpk2m_align(&ka);
	rump_unschedule();
	check(rv == 0, "alignment_sweep", "rumpk2m_align: %d", rv);
#else
	skip("bench", "kmem against malloc needs the shim's malloc types (a tree without the shim)");
	skip("alignment_sweep", "needs the shim's header-less malloc type (a tree without the shim)");
#endif
	read_stats(argv[2]);
#ifdef K2M_SITES
	read_blob(argv[2], "kern.malloc_sites", "malloc_sites.bin", "malloc_sites");
#endif

#ifdef K2M_SHIM
	fprintf(json, "\n  },\n  \"bench\": {\n    \"pairs\": %" PRIu64 ",\n", kb.kb_pairs);
	put_array("sizes", kb.kb_size, K2M_BENCH_SIZES);
	fprintf(json, ",\n");
	put_array("kmem_ns", kb.kb_kmem_ns, K2M_BENCH_SIZES);
	fprintf(json, ",\n");
	put_array("malloc_ns", kb.kb_malloc_ns, K2M_BENCH_SIZES);
	fprintf(json, ",\n");
	put_array("malloc_hdr_ns", kb.kb_malloc_hdr_ns, K2M_BENCH_SIZES);
	fprintf(json, ",\n");
	put_array("kmem_intr_ns", kb.kb_kmem_intr_ns, K2M_BENCH_SIZES);
	fprintf(json, "\n  },\n  \"alignment\": {\n    \"pagesize\": %" PRIu32
	    ",\n    \"step\": %d,\n", ka.ka_pagesize, K2M_ALIGN_STEP);
	put_array32("kmem", ka.ka_kmem, K2M_ALIGN_NSIZES);
	fprintf(json, ",\n");
	put_array32("malloc", ka.ka_malloc, K2M_ALIGN_NSIZES);
	fprintf(json, ",\n");
	put_array32("malloc_hdr", ka.ka_malloc_hdr, K2M_ALIGN_NSIZES);
	fprintf(json, ",\n");
	put_array32("samples", ka.ka_samples, K2M_ALIGN_NSIZES);
	fprintf(json, "\n  }\n}\n");
#else
	fprintf(json, "\n  }\n}\n");
#endif
	if (fclose(json) != 0) {
		perror(path);
		return 2;
	}
	printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
	fflush(stdout);
	rump_sys_reboot(0, NULL);		/* halts: shutdown runs, the process exits */
	return 1;
}
