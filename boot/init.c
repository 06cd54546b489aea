/*
 * init: boottest's /sbin/init.  The first user process of a freshly built
 * NetBSD-current kernel under qemu; it runs a fixed workload through the
 * kernel's allocators and reports each step on the console, then powers
 * the machine off.  No libc: raw system calls (nbsys.h).
 *
 * Console protocol, one line each (boottest's console.py reads it):
 *	k2m-init: begin
 *	k2m-step: NAME ok|FAIL|skip DETAIL
 *	k2m-stats: begin LEN / k2m-stats: HEX... / k2m-stats: end
 *	k2m-init: end pass=N fail=N skip=N
 *
 * Optional steps are driven by /etc/k2mtest.conf, lines of
 *	log MNT			remount the FFS at MNT with "log" (WAPBL)
 *	module PATH NAME	load PATH with modctl(2), then unload NAME
 *	detach DEV BUS IFATTR	detach DEV (a child of BUS) with drvctl(4),
 *				rescan BUS's IFATTR, see DEV back
 *	swap PATH KIB		write a swap file of KIB KiB, swap on it
 *	devices NAME ...	each NAME is in the device tree (drvctl(4))
 * so that the image, not this program, knows what the kernel offers.
 * What a NetBSD install keeps after boot (kernfs, procfs, the journal,
 * swap) stays so: the stats step sees the kernel as a running system's.
 *
 * Before the console is open nothing can be printed: a failure there
 * exits with 100 + the stage, which the kernel reports as "init died
 * (signal 0, exit N)".
 */

#define NB_DEFINE_STRING
#include "nbsys.h"

#define NB_AF_INET		2
#define NB_SOCK_STREAM		1
#define NB_CTL_KERN		1
#define NB_CTL_QUERY		(-2)
#define NB_SYSCTL_VERSION	0x01000000
#define NB_SYSCTL_NAMELEN	32
#define NB_MODCTL_LOAD		0
#define NB_MODCTL_UNLOAD	1
#define NB_SWAP_ON		1	/* sys/sys/swap.h */
#define NB_SWAP_NSWAP		3
#define NB_ST_WAIT		1	/* sys/sys/statvfs.h */
#define NB_EEXIST		17

/* _IOW/_IOWR of sys/sys/ioccom.h, sizes of the structures below */
#define NB_IOC(io, g, n, len) \
	((unsigned long)(io) | (((unsigned long)(len) & 0x1fff) << 16) | \
	    ((g) << 8) | (n))
#define NB_IOC_IN		0x80000000UL
#define NB_IOC_INOUT		0xc0000000UL
#define NB_SIOCAIFADDR		NB_IOC(NB_IOC_IN, 'i', 26, 64)
#define NB_DRVDETACHDEV		NB_IOC(NB_IOC_IN, 'D', 123, 16)
#define NB_DRVRESCANBUS		NB_IOC(NB_IOC_IN, 'D', 124, 48)
#define NB_DRVLISTDEV		NB_IOC(NB_IOC_INOUT, 'D', 127, 32)
#define NB_TIOCDRAIN		NB_IOC(0x20000000UL, 't', 94, 0)	/* _IO */

#define NB_MAKEDEV(x, y) \
	((((uint64_t)(x) << 8) & 0xfff00) | (((uint64_t)(y) << 12) & 0xfff00000) | \
	    ((uint64_t)(y) & 0xff))
#define CONS_MAJOR	0	/* sys/arch/amd64/conf/majors.amd64 */
#define DRVCTL_MAJOR	167	/* sys/conf/majors */

struct nb_sockaddr_in {
	uint8_t		sin_len;
	uint8_t		sin_family;
	uint16_t	sin_port;
	uint32_t	sin_addr;
	char		sin_zero[8];
};

struct nb_ifaliasreq {			/* sys/net/if.h */
	char			ifra_name[16];
	struct nb_sockaddr_in	ifra_addr;
	struct nb_sockaddr_in	ifra_dstaddr;
	struct nb_sockaddr_in	ifra_mask;
};

struct nb_tmpfs_args {			/* sys/fs/tmpfs/tmpfs_args.h */
	int		ta_version;
	uint64_t	ta_nodes_max;
	int64_t		ta_size_max;
	uint32_t	ta_root_uid;
	uint32_t	ta_root_gid;
	uint32_t	ta_root_mode;
};

struct nb_ufs_args {			/* sys/ufs/ufs/ufsmount.h */
	char		*fspec;
};

struct nb_modctl_load {			/* sys/sys/module.h */
	const char	*ml_filename;
	int		ml_flags;
	const char	*ml_props;
	size_t		ml_propslen;
};

struct nb_devlistargs {			/* sys/sys/drvctlio.h */
	char		l_devname[16];
	char		(*l_childname)[16];
	size_t		l_children;
};

struct nb_devrescanargs {
	char		busname[16];
	char		ifattr[16];
	unsigned int	numlocators;
	int		*locators;
};

struct nb_sysctlnode {			/* sys/sys/sysctl.h, struct sysctlnode */
	uint32_t	nb_flags;
	int32_t		nb_num;
	char		nb_name[NB_SYSCTL_NAMELEN];
	uint32_t	nb_ver;
	uint32_t	nb_rsvd;
	uint64_t	nb_un[2];
	uint64_t	nb_size;
	uint64_t	nb_func;
	uint64_t	nb_parent;
	uint64_t	nb_desc;
};

struct nb_procfs_args {			/* sys/miscfs/procfs/procfs.h */
	int		version;
	int		flags;
};

#define MAXWORDS	16		/* words of one k2mtest.conf line */

static int npass, nfail, nskip;
static char conf[4096];
static char devs[256][16];		/* the device tree, breadth first */
static unsigned char iobuf[65536], iobuf2[65536];

static void
put(const char *s)
{

	nb_sys3(NB_SYS_write, 1, s, nb_strlen(s));
}

/*
 * Wait until the console has sent what we wrote.  Our output goes through
 * the tty's queue, the kernel's printf straight to the UART: without this
 * a kernel message (a module's, a detach's, "syncing disks") can land in
 * the middle of one of our lines.  The kernel may lose the wakeup of this
 * wait (tty.c's ttypull() runs without tty_lock); a byte on the serial
 * line wakes it, and boottest sends one when we go silent.
 */
static void
drain(void)
{

	nb_sys3(NB_SYS_ioctl, 1, NB_TIOCDRAIN, 0);
}

static void
putnum(long v)
{
	char b[24];
	int i = sizeof(b) - 1;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	b[i] = '\0';
	do {
		b[--i] = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	if (v < 0)
		b[--i] = '-';
	put(b + i);
}

/* Append s (at most 24 bytes) at d: the end. */
static char *
cat(char *d, const char *s)
{
	int i;

	for (i = 0; i < 24 && s[i] != '\0'; i++)
		*d++ = s[i];
	*d = '\0';
	return d;
}

static char *
catnum(char *d, long v)
{
	char b[24];
	int i = sizeof(b) - 1;

	b[i] = '\0';
	do {
		b[--i] = '0' + v % 10;
		v /= 10;
	} while (v > 0);
	return cat(d, b + i);
}

static int
streq(const char *a, const char *b)
{

	while (*a != '\0' && *a == *b)
		a++, b++;
	return *a == *b;
}

static long
atol(const char *s)
{
	long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

static void
strlcpy16(char *d, const char *s)
{
	int i;

	for (i = 0; i < 15 && s[i] != '\0'; i++)
		d[i] = s[i];
	d[i] = '\0';
}

/* Report a step; err is a negated errno (nb_syscall) or 0. */
static int
step(const char *name, int ok, const char *what, long err)
{

	put("k2m-step: ");
	put(name);
	if (ok) {
		npass++;
		put(" ok ");
		put(what);
	} else {
		nfail++;
		put(" FAIL ");
		put(what);
		if (err < 0) {
			put(" errno=");
			putnum(-err);
		}
	}
	put("\n");
	drain();
	return ok;
}

static void
skip(const char *name, const char *why)
{

	nskip++;
	put("k2m-step: ");
	put(name);
	put(" skip ");
	put(why);
	put("\n");
	drain();
}

#define TRY(name, expr, what) do {					\
	long r_ = (expr);						\
	if (r_ < 0)							\
		return step(name, 0, what, r_);				\
} while (0)

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

/* Write n bytes of pattern seed to path, read them back, compare. */
/* Read path into iobuf2: the bytes read, or a negative errno. */
static long
read_back(const char *path)
{
	long fd, r;

	fd = nb_sys3(NB_SYS_open, path, NB_O_RDONLY, 0);
	if (fd < 0)
		return fd;
	r = nb_sys3(NB_SYS_read, fd, iobuf2, sizeof(iobuf2));
	nb_sys3(NB_SYS_close, fd, 0, 0);
	return r;
}

static long
file_roundtrip(const char *path, size_t n, unsigned seed, int keep)
{
	long fd, r;

	fill(iobuf, n, seed);
	fd = nb_sys3(NB_SYS_open, path, NB_O_RDWR | NB_O_CREAT | NB_O_TRUNC, 0644);
	if (fd < 0)
		return fd;
	r = nb_sys3(NB_SYS_write, fd, iobuf, n);
	if (r >= 0 && (size_t)r != n)
		r = -5;
	if (r >= 0)
		r = nb_sys3(NB_SYS_fsync, fd, 0, 0);
	nb_sys3(NB_SYS_close, fd, 0, 0);
	if (r < 0)
		return r;
	if ((r = read_back(path)) < 0)
		return r;
	if ((size_t)r != n || memcmp(iobuf, iobuf2, n) != 0)
		return -5;			/* EIO: the data did not survive */
	if (!keep)
		return nb_sys3(NB_SYS_unlink, path, 0, 0);
	return 0;
}

static int
test_rootrw(void)
{
	struct nb_ufs_args ua = { NULL };	/* no fspec: change flags only */

	TRY("rootrw", nb_sys6(NB_SYS___mount50, "ffs", "/", NB_MNT_UPDATE, &ua,
	    sizeof(ua), 0), "mount -u -w /");
	return step("rootrw", 1, "/ read-write", 0);
}

static int
test_exec(void)
{
	static char *const argv[] = { "hello", "from", "k2m-init", NULL };
	static char *const envp[] = { "K2M=1", NULL };
	long pid, r;
	int status = -1;

	pid = nb_fork();
	if (pid == 0) {
		nb_sys3(NB_SYS_execve, "/bin/hello", argv, envp);
		nb_exit(127);
	}
	TRY("exec", pid, "fork");
	TRY("exec", r = nb_sys6(NB_SYS___wait450, pid, &status, 0, 0, 0, 0),
	    "wait4");
	if (r != pid || (status & 0x7f) != 0 || ((status >> 8) & 0xff) != 42)
		return step("exec", 0, "/bin/hello did not exit 42", 0);
	return step("exec", 1, "fork, exec /bin/hello, wait4: exit 42", 0);
}

static int
test_tmpfs(void)
{
	struct nb_tmpfs_args ta;
	char path[] = "/tmp/f00";
	unsigned i;

	memset(&ta, 0, sizeof(ta));
	ta.ta_version = 1;
	ta.ta_root_mode = 01777;
	TRY("tmpfs", nb_sys6(NB_SYS___mount50, "tmpfs", "/tmp", 0, &ta,
	    sizeof(ta), 0), "mount /tmp");
	TRY("tmpfs", nb_sys3(NB_SYS_mkdir, "/tmp/d", 0755, 0), "mkdir");
	for (i = 0; i < 64; i++) {
		path[6] = '0' + i / 10 % 10;
		path[7] = '0' + i % 10;
		TRY("tmpfs", file_roundtrip(path, 512 + i * 977, i, 0),
		    "create/write/read/remove");
	}
	TRY("tmpfs", nb_sys3(NB_SYS_rmdir, "/tmp/d", 0, 0), "rmdir");
	TRY("tmpfs", nb_sys3(NB_SYS_unmount, "/tmp", 0, 0), "unmount /tmp");
	return step("tmpfs", 1, "mount, 64 files written, read, removed, unmount",
	    0);
}

static int
test_ffs(void)
{
	static const char motd[] = "kmem2malloc boottest\n";
	long fd, r;

	fd = nb_sys3(NB_SYS_open, "/etc/k2m-motd", NB_O_RDONLY, 0);
	TRY("ffs", fd, "open /etc/k2m-motd");
	r = nb_sys3(NB_SYS_read, fd, iobuf2, sizeof(iobuf2));
	nb_sys3(NB_SYS_close, fd, 0, 0);
	TRY("ffs", r, "read /etc/k2m-motd");
	if ((size_t)r != sizeof(motd) - 1 || memcmp(iobuf2, motd, r) != 0)
		return step("ffs", 0, "/etc/k2m-motd is not what makefs wrote", 0);
	TRY("ffs", file_roundtrip("/k2m-ffs.dat", sizeof(iobuf), 7, 0),
	    "64 KiB file on the root");
	return step("ffs", 1, "image file read; 64 KiB written, read, removed",
	    0);
}

static int
test_tcp(void)
{
	struct nb_ifaliasreq ifra;
	struct nb_sockaddr_in sin;
	unsigned int len;
	long s, l, c, a, r;
	size_t got;

	memset(&ifra, 0, sizeof(ifra));
	strlcpy16(ifra.ifra_name, "lo0");
	ifra.ifra_addr.sin_len = ifra.ifra_mask.sin_len = 16;
	ifra.ifra_addr.sin_family = ifra.ifra_mask.sin_family = NB_AF_INET;
	ifra.ifra_addr.sin_addr = 0x0100007f;		/* 127.0.0.1 */
	ifra.ifra_mask.sin_addr = 0x000000ff;		/* 255.0.0.0 */
	TRY("tcp", s = nb_sys3(NB_SYS___socket30, NB_AF_INET, NB_SOCK_STREAM, 0),
	    "socket");
	/* adding the address brings lo0 up (SIOCINITIFADDR in if_loop.c) */
	TRY("tcp", nb_sys3(NB_SYS_ioctl, s, NB_SIOCAIFADDR, &ifra),
	    "lo0 127.0.0.1");
	nb_sys3(NB_SYS_close, s, 0, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = NB_AF_INET;
	sin.sin_port = 0x3930;				/* 12345, big-endian */
	sin.sin_addr = 0x0100007f;
	TRY("tcp", l = nb_sys3(NB_SYS___socket30, NB_AF_INET, NB_SOCK_STREAM, 0),
	    "socket");
	TRY("tcp", nb_sys3(NB_SYS_bind, l, &sin, sizeof(sin)), "bind");
	TRY("tcp", nb_sys3(NB_SYS_listen, l, 4, 0), "listen");
	TRY("tcp", c = nb_sys3(NB_SYS___socket30, NB_AF_INET, NB_SOCK_STREAM, 0),
	    "socket");
	/* the handshake completes in the kernel before accept */
	TRY("tcp", nb_sys3(NB_SYS_connect, c, &sin, sizeof(sin)), "connect");
	len = sizeof(sin);
	TRY("tcp", a = nb_sys3(NB_SYS_accept, l, &sin, &len), "accept");
	fill(iobuf, 8192, 3);
	TRY("tcp", r = nb_sys3(NB_SYS_write, c, iobuf, 8192), "send");
	for (got = 0; got < 8192; got += r)
		TRY("tcp", r = nb_sys3(NB_SYS_read, a, iobuf2 + got, 8192 - got),
		    "receive");
	if (memcmp(iobuf, iobuf2, 8192) != 0)
		return step("tcp", 0, "received data differ", 0);
	TRY("tcp", r = nb_sys3(NB_SYS_write, a, "pong", 4), "send back");
	TRY("tcp", r = nb_sys3(NB_SYS_read, c, iobuf2, 4), "receive back");
	nb_sys3(NB_SYS_close, a, 0, 0);
	nb_sys3(NB_SYS_close, c, 0, 0);
	nb_sys3(NB_SYS_close, l, 0, 0);
	if (r != 4 || memcmp(iobuf2, "pong", 4) != 0)
		return step("tcp", 0, "reply differs", 0);
	return step("tcp", 1, "lo0 up; 8 KiB and a reply over 127.0.0.1:12345", 0);
}

/* The next whitespace-separated word of the line at *p, NUL-terminated. */
static char *
word(char **p)
{
	char *w;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p == '\0' || **p == '\n')
		return NULL;
	w = *p;
	while (**p != '\0' && **p != ' ' && **p != '\t' && **p != '\n')
		(*p)++;
	if (**p == ' ' || **p == '\t') {
		**p = '\0';
		(*p)++;
	}
	return w;
}

static void
read_conf(void)
{
	long fd, r;

	conf[0] = '\0';
	fd = nb_sys3(NB_SYS_open, "/etc/k2mtest.conf", NB_O_RDONLY, 0);
	if (fd < 0)
		return;
	r = nb_sys3(NB_SYS_read, fd, conf, sizeof(conf) - 1);
	nb_sys3(NB_SYS_close, fd, 0, 0);
	conf[r > 0 ? r : 0] = '\0';
}

/*
 * The words after key on the conf line starting with it, in place (the
 * file is read again each time: the words cut the buffer up); how many.
 */
static int
conf_line(const char *key, char **w, int max)
{
	char *p = conf, *nl, *k;
	int n;

	read_conf();
	while (*p != '\0') {
		for (nl = p; *nl != '\0' && *nl != '\n'; nl++)
			continue;
		if (*nl == '\n')
			*nl++ = '\0';
		k = word(&p);
		if (k != NULL && streq(k, key)) {
			for (n = 0; n < max && (w[n] = word(&p)) != NULL; n++)
				continue;
			return n;
		}
		p = nl;
	}
	return 0;
}

static int
test_module(const char *path, const char *name)
{
	struct nb_modctl_load ml;

	memset(&ml, 0, sizeof(ml));
	ml.ml_filename = path;
	TRY("module", nb_sys3(NB_SYS_modctl, NB_MODCTL_LOAD, &ml, 0), path);
	TRY("module", nb_sys3(NB_SYS_modctl, NB_MODCTL_UNLOAD, name, 0), name);
	return step("module", 1, "loaded and unloaded", 0);
}

/* Does bus have a child named dev?  Negative errno, 0 no, 1 yes. */
static long
has_child(long fd, const char *bus, const char *dev)
{
	static char names[32][16];
	struct nb_devlistargs la;
	long r;
	size_t i;

	memset(&la, 0, sizeof(la));
	strlcpy16(la.l_devname, bus);
	la.l_childname = names;
	la.l_children = 32;
	r = nb_sys3(NB_SYS_ioctl, fd, NB_DRVLISTDEV, &la);
	if (r < 0)
		return r;
	for (i = 0; i < la.l_children && i < 32; i++)
		if (streq(names[i], dev))
			return 1;
	return 0;
}

/* /dev/drvctl, its node made on first use. */
static long
drvctl_open(void)
{
	long r;

	r = nb_sys3(NB_SYS___mknod50, "/dev/drvctl", NB_S_IFCHR | 0600,
	    NB_MAKEDEV(DRVCTL_MAJOR, 0));
	if (r < 0 && r != -NB_EEXIST)
		return r;
	return nb_sys3(NB_SYS_open, "/dev/drvctl", NB_O_RDWR, 0);
}

static int
test_drvctl(const char *dev, const char *bus, const char *ifattr)
{
	struct nb_devdetach { char devname[16]; } dd;
	struct nb_devrescanargs ra;
	long fd, r;

	TRY("drvctl", fd = drvctl_open(), "open /dev/drvctl");
	if ((r = has_child(fd, bus, dev)) != 1)
		return step("drvctl", 0, "not a child of the bus named", r);
	memset(&dd, 0, sizeof(dd));
	strlcpy16(dd.devname, dev);
	TRY("drvctl", nb_sys3(NB_SYS_ioctl, fd, NB_DRVDETACHDEV, &dd), "detach");
	if (has_child(fd, bus, dev) != 0)
		return step("drvctl", 0, "still attached after detach", 0);
	memset(&ra, 0, sizeof(ra));
	strlcpy16(ra.busname, bus);
	strlcpy16(ra.ifattr, ifattr);
	TRY("drvctl", nb_sys3(NB_SYS_ioctl, fd, NB_DRVRESCANBUS, &ra), "rescan");
	r = has_child(fd, bus, dev);
	nb_sys3(NB_SYS_close, fd, 0, 0);
	if (r != 1)
		return step("drvctl", 0, "not re-attached by the rescan", r);
	return step("drvctl", 1, "detached and re-attached", 0);
}

/* The journal, as "/ ffs rw,log" in a NetBSD install's fstab. */
static int
test_log(const char *mnt)
{
	static unsigned long sv[512];	/* struct statvfs, f_flag first */
	struct nb_ufs_args ua = { NULL };

	TRY("log", nb_sys6(NB_SYS___mount50, "ffs", mnt,
	    NB_MNT_UPDATE | NB_MNT_LOG, &ua, sizeof(ua), 0), "mount -u -o log");
	TRY("log", nb_sys3(NB_SYS___statvfs190, mnt, sv, NB_ST_WAIT), "statvfs");
	if ((sv[0] & NB_MNT_LOG) == 0)
		return step("log", 0, "no log flag after the mount", 0);
	return step("log", 1, "FFS journaled (WAPBL)", 0);
}

/* Read path, compare its first bytes with want. */
static long
starts_with(const char *path, const char *want)
{
	long r;
	size_t n = nb_strlen(want);

	if ((r = read_back(path)) < 0)
		return r;
	return (size_t)r >= n && memcmp(iobuf2, want, n) == 0 ? 0 : -5;
}

/* kernfs and procfs, mounted as a NetBSD install's fstab has them. */
static int
test_mounts(void)
{
	struct nb_procfs_args pa = { 1, 0 };	/* PROCFS_ARGSVERSION */

	TRY("mounts", nb_sys6(NB_SYS___mount50, "kernfs", "/kern", 0, NULL,
	    0, 0), "mount kernfs /kern");
	TRY("mounts", nb_sys6(NB_SYS___mount50, "procfs", "/proc", 0, &pa,
	    sizeof(pa), 0), "mount procfs /proc");
	TRY("mounts", starts_with("/kern/version", "NetBSD"), "/kern/version");
	TRY("mounts", starts_with("/proc/curproc/status", "init "),
	    "/proc/curproc/status");
	return step("mounts", 1, "kernfs on /kern, procfs on /proc, both read",
	    0);
}

/* A swap file, swapped on, as swapctl -A does at boot. */
static int
test_swap(const char *path, long kib)
{
	long fd, r = 0, i;

	fill(iobuf, sizeof(iobuf), 11);
	fd = nb_sys3(NB_SYS_open, path, NB_O_WRONLY | NB_O_CREAT | NB_O_TRUNC,
	    0600);
	TRY("swap", fd, path);
	for (i = 0; i < kib / 64 && r >= 0; i++)
		r = nb_sys3(NB_SYS_write, fd, iobuf, sizeof(iobuf));
	if (r >= 0)
		r = nb_sys3(NB_SYS_fsync, fd, 0, 0);
	nb_sys3(NB_SYS_close, fd, 0, 0);
	TRY("swap", r, "write the swap file");
	TRY("swap", nb_sys3(NB_SYS_swapctl, NB_SWAP_ON, path, 0), "swap on");
	TRY("swap", r = nb_sys3(NB_SYS_swapctl, NB_SWAP_NSWAP, NULL, 0),
	    "swap count");
	if (r != 1)
		return step("swap", 0, "not one swap device", 0);
	return step("swap", 1, "swapping on a file of the root", 0);
}

/* The device tree, breadth first from the root (an empty name): how many. */
static long
device_tree(long fd)
{
	static char kids[64][16];
	struct nb_devlistargs la;
	long r;
	int i, j, n = 0;

	for (i = -1; i < n; i++) {
		memset(&la, 0, sizeof(la));
		if (i >= 0)
			strlcpy16(la.l_devname, devs[i]);
		la.l_childname = kids;
		la.l_children = 64;
		r = nb_sys3(NB_SYS_ioctl, fd, NB_DRVLISTDEV, &la);
		if (r < 0)
			return r;
		for (j = 0; j < (int)la.l_children && j < 64 && n < 256; j++)
			memcpy(devs[n++], kids[j], 16);
	}
	return n;
}

/* Each device the image expects is attached (kernel config and qemu agree). */
static int
test_devices(char **want, int nwant)
{
	static char what[80];
	char *p;
	long fd, n;
	int i, k;

	TRY("devices", fd = drvctl_open(), "open /dev/drvctl");
	n = device_tree(fd);
	nb_sys3(NB_SYS_close, fd, 0, 0);
	TRY("devices", n, "list the device tree");
	for (i = 0; i < nwant; i++) {
		for (k = 0; k < n && !streq(devs[k], want[i]); k++)
			continue;
		if (k == n)
			return step("devices", 0, want[i], 0);
	}
	p = cat(what, "");
	p = catnum(p, n);
	p = cat(p, " attached, the ");
	p = catnum(p, nwant);
	cat(p, " expected among them");
	return step("devices", 1, what, 0);
}

/* The mib of a name (a.b.c) by CTL_QUERY, as sysctlnametomib does. */
static long
sysctl_mib(const char *name, int *mib, unsigned *len)
{
	static struct nb_sysctlnode nodes[512];
	struct nb_sysctlnode q;
	const char *p = name;
	size_t sz, i, k;
	unsigned depth = 0;
	long r;

	while (*p != '\0') {
		for (k = 0; p[k] != '\0' && p[k] != '.'; k++)
			continue;
		if (k >= NB_SYSCTL_NAMELEN || depth + 2 > 12)
			return -22;
		memset(&q, 0, sizeof(q));
		q.nb_flags = NB_SYSCTL_VERSION;
		mib[depth] = NB_CTL_QUERY;
		sz = sizeof(nodes);
		r = nb_sys6(NB_SYS___sysctl, mib, depth + 1, nodes, &sz, &q,
		    sizeof(q));
		if (r < 0)
			return r;
		for (i = 0; i < sz / sizeof(nodes[0]); i++)
			if (memcmp(nodes[i].nb_name, p, k) == 0 &&
			    nodes[i].nb_name[k] == '\0')
				break;
		if (i == sz / sizeof(nodes[0]))
			return -2;			/* ENOENT */
		mib[depth++] = nodes[i].nb_num;
		p += k + (p[k] == '.');
	}
	*len = depth;
	return 0;
}

/* kern.malloc_stats to the console in hex, for mallocstat -f on the host. */
static int
test_stats(void)
{
	static const char hex[] = "0123456789abcdef";
	static unsigned char blob[1 << 20];
	char line[80];
	int mib[12];
	unsigned len;
	size_t sz, i, j;

	if (sysctl_mib("kern.malloc_stats", mib, &len) < 0) {
		skip("stats", "no kern.malloc_stats in this kernel");
		return 1;
	}
	sz = sizeof(blob);
	TRY("stats", nb_sys6(NB_SYS___sysctl, mib, len, blob, &sz, NULL, 0),
	    "read kern.malloc_stats");
	put("k2m-stats: begin ");
	putnum(sz);
	put("\n");
	for (i = 0; i < sz; i += 32) {
		for (j = 0; j < 32 && i + j < sz; j++) {
			line[2 * j] = hex[blob[i + j] >> 4];
			line[2 * j + 1] = hex[blob[i + j] & 15];
		}
		line[2 * j] = '\n';
		line[2 * j + 1] = '\0';
		put("k2m-stats: ");
		put(line);
	}
	put("k2m-stats: end\n");
	drain();
	return step("stats", 1, "kern.malloc_stats written", 0);
}

int	init_main(long *);

int
init_main(long *sp)
{
	struct nb_tmpfs_args ta;
	char *w[MAXWORDS];
	long fd;
	int n;

	(void)sp;
	/* A console: /dev on tmpfs (the root is read-only yet), one node. */
	memset(&ta, 0, sizeof(ta));
	ta.ta_version = 1;
	ta.ta_root_mode = 0755;
	if (nb_sys6(NB_SYS___mount50, "tmpfs", "/dev", 0, &ta, sizeof(ta), 0) < 0)
		nb_exit(101);
	if (nb_sys3(NB_SYS___mknod50, "/dev/console", NB_S_IFCHR | 0600,
	    NB_MAKEDEV(CONS_MAJOR, 0)) < 0)
		nb_exit(102);
	if ((fd = nb_sys3(NB_SYS_open, "/dev/console", NB_O_RDWR, 0)) < 0)
		nb_exit(103);
	nb_sys3(NB_SYS_dup2, fd, 0, 0);
	nb_sys3(NB_SYS_dup2, fd, 1, 0);
	nb_sys3(NB_SYS_dup2, fd, 2, 0);

	put("k2m-init: begin\n");
	drain();
	step("console", 1, "/dev on tmpfs, /dev/console open", 0);
	test_rootrw();
	if (conf_line("log", w, MAXWORDS) >= 1)
		test_log(w[0]);
	else
		skip("log", "no log line in /etc/k2mtest.conf");
	test_exec();
	test_tmpfs();
	test_ffs();
	test_tcp();
	if (conf_line("module", w, MAXWORDS) >= 2)
		test_module(w[0], w[1]);
	else
		skip("module", "no module line in /etc/k2mtest.conf");
	if (conf_line("detach", w, MAXWORDS) >= 3)
		test_drvctl(w[0], w[1], w[2]);
	else
		skip("drvctl", "no detach line in /etc/k2mtest.conf");
	test_mounts();
	if (conf_line("swap", w, MAXWORDS) >= 2)
		test_swap(w[0], atol(w[1]));
	else
		skip("swap", "no swap line in /etc/k2mtest.conf");
	if ((n = conf_line("devices", w, MAXWORDS)) >= 1)
		test_devices(w, n);
	else
		skip("devices", "no devices line in /etc/k2mtest.conf");
	test_stats();
	nb_sys3(NB_SYS_sync, 0, 0, 0);
	put("k2m-init: end pass=");
	putnum(npass);
	put(" fail=");
	putnum(nfail);
	put(" skip=");
	putnum(nskip);
	put("\n");
	drain();
	nb_sys3(NB_SYS_reboot, NB_RB_POWERDOWN, NULL, 0);
	put("k2m-init: reboot returned\n");
	for (;;)
		continue;
}

NB_ELF_NOTE_AND_START(init_main);
