/*
 * kmem2malloc rumptest: a rump kernel component of ours, built with the
 * kernel's own flags (rumpmake) and linked into the workload.  It runs
 * inside the rump kernel: the real subr_kmem.c, subr_pool.c and the shim's
 * kern_malloc.c.
 *
 * rumpk2m_bench()  times kmem_alloc+kmem_free against malloc+free of the
 *                  same sizes, interleaved in one run; the best of
 *                  K2M_BENCH_ROUNDS rounds counts (a shared machine is noisy).
 * rumpk2m_align()  for each size of the sweep, the least alignment of many
 *                  live blocks from kmem and from malloc (enough blocks to
 *                  span three pages, so pool colouring and the item stride
 *                  show): what each allocator really gives that size.
 *
 * malloc is measured with two types: M_K2MSIZED, header-less, freed with
 * its size as converted code frees (install-shim defines such types
 * MALLOC_DEFINE_SIZED), which must keep kmem's alignment; and M_K2MTEST,
 * with headers, freed as legacy free(p, T) callers free.
 * kern_free_sized() is what free(p, T, n) expands to under
 * MALLOC_SIZED_FREE; called by name, the component builds either way.
 *
 * Built with K2M_NOSHIM (rumpmake K2M_NOSHIM=1: a tree without the shim)
 * it holds only the compile-time checks of the workload's structures.
 */

#include <sys/cdefs.h>
__KERNEL_RCSID(0, "kmem2malloc rumptest component");

#include <sys/param.h>
#include <sys/types.h>
#include <sys/systm.h>
#include <sys/kmem.h>
#include <sys/malloc.h>
#include <sys/sysctl.h>

#include <sys/device.h>
#include <sys/disk.h>
#include <net/zlib.h>
#include <dev/vndvar.h>
#include <dev/md.h>
#include <sys/buf.h>
#include <sys/bufq.h>
#include <sys/mutex.h>
#include <dev/dkvar.h>		/* before cgdvar.h on 7.99 */
#include <dev/cgdvar.h>
#include <fs/tmpfs/tmpfs_args.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <rump/rumpuser.h>

#include "k2mtest.h"


/* The workload's hand-written NetBSD structures are the kernel's. */
CTASSERT(sizeof(struct nb_sysctlnode) == sizeof(struct sysctlnode));
CTASSERT(offsetof(struct nb_sysctlnode, nb_num) == offsetof(struct sysctlnode, sysctl_num));
CTASSERT(offsetof(struct nb_sysctlnode, nb_name) == offsetof(struct sysctlnode, sysctl_name));
CTASSERT(offsetof(struct nb_sysctlnode, nb_ver) == offsetof(struct sysctlnode, sysctl_ver));
CTASSERT(NB_CTL_QUERY == CTL_QUERY && NB_SYSCTL_VERSION == SYSCTL_VERSION);
CTASSERT(NB_CTL_KERN == CTL_KERN && NB_KERN_HOSTNAME == KERN_HOSTNAME);
CTASSERT(NB_KERN_OSTYPE == KERN_OSTYPE && NB_SYSCTL_NAMELEN == SYSCTL_NAMELEN);
CTASSERT(sizeof(struct nb_tmpfs_args) == sizeof(struct tmpfs_args));
CTASSERT(offsetof(struct nb_tmpfs_args, ta_size_max) == offsetof(struct tmpfs_args, ta_size_max));
CTASSERT(offsetof(struct nb_tmpfs_args, ta_root_mode) == offsetof(struct tmpfs_args, ta_root_mode));
CTASSERT(NB_TMPFS_ARGS_VERSION == TMPFS_ARGS_VERSION);
CTASSERT(sizeof(struct nb_vnd_ioctl) == sizeof(struct vnd_ioctl));
CTASSERT(offsetof(struct nb_vnd_ioctl, vnd_size) == offsetof(struct vnd_ioctl, vnd_size));
CTASSERT(NB_VNDIOCSET == VNDIOCSET && NB_VNDIOCCLR == VNDIOCCLR);
CTASSERT(sizeof(struct nb_sockaddr_in) == sizeof(struct sockaddr_in));
CTASSERT(NB_IPPROTO_TCP == IPPROTO_TCP && NB_TCP_NODELAY == TCP_NODELAY);
CTASSERT(offsetof(struct nb_sockaddr_in, sin_addr) == offsetof(struct sockaddr_in, sin_addr));
CTASSERT(sizeof(struct nb_md_conf) == sizeof(struct md_conf));
CTASSERT(offsetof(struct nb_md_conf, md_type) == offsetof(struct md_conf, md_type));
CTASSERT(NB_MD_GETCONF == MD_GETCONF && NB_MD_SETCONF == MD_SETCONF);
CTASSERT(NB_MD_KMEM_ALLOCATED == MD_KMEM_ALLOCATED);
CTASSERT(sizeof(struct nb_cgd_ioctl) == sizeof(struct cgd_ioctl));
CTASSERT(offsetof(struct nb_cgd_ioctl, ci_keylen) == offsetof(struct cgd_ioctl, ci_keylen));
CTASSERT(offsetof(struct nb_cgd_ioctl, ci_blocksize) ==
    offsetof(struct cgd_ioctl, ci_blocksize));
CTASSERT(NB_CGDIOCSET == CGDIOCSET && NB_CGDIOCCLR == CGDIOCCLR);

#ifndef K2M_NOSHIM
MALLOC_DEFINE(M_K2MTEST, "k2mtest", "kmem2malloc rumptest workload");
MALLOC_DEFINE_SIZED(M_K2MSIZED, "k2mtest-sized",
    "kmem2malloc rumptest workload, header-less");

static const size_t bench_sizes[K2M_BENCH_SIZES] = { 16, 64, 256, 1024 };

static void * volatile sink;		/* keeps the compiler from eliding a pair */

/*
 * The host's monotonic clock, by hypercall: a rump kernel's own timecounter
 * ticks at 100 Hz, too coarse for a round of a millisecond.
 */
static uint64_t
now_ns(void)
{
	int64_t sec;
	long nsec;

	rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &sec, &nsec);
	return (uint64_t)sec * 1000000000 + (uint64_t)nsec;
}

static uint64_t
round_kmem(size_t size)
{
	uint64_t t0;
	int i;

	t0 = now_ns();
	for (i = 0; i < K2M_BENCH_PAIRS; i++) {
		sink = kmem_alloc(size, KM_SLEEP);
		kmem_free(sink, size);
	}
	return now_ns() - t0;
}

static uint64_t
round_kmem_intr(size_t size)
{
	uint64_t t0;
	int i;

	t0 = now_ns();
	for (i = 0; i < K2M_BENCH_PAIRS; i++) {
		sink = kmem_intr_alloc(size, KM_SLEEP);
		kmem_intr_free(sink, size);
	}
	return now_ns() - t0;
}

static uint64_t
round_malloc(size_t size)
{
	uint64_t t0;
	int i;

	t0 = now_ns();
	for (i = 0; i < K2M_BENCH_PAIRS; i++) {
		sink = malloc(size, M_K2MSIZED, M_WAITOK);
		kern_free_sized(sink, M_K2MSIZED, size);
	}
	return now_ns() - t0;
}

static uint64_t
round_malloc_hdr(size_t size)
{
	uint64_t t0;
	int i;

	t0 = now_ns();
	for (i = 0; i < K2M_BENCH_PAIRS; i++) {
		sink = malloc(size, M_K2MTEST, M_WAITOK);
		free(sink, M_K2MTEST);
	}
	return now_ns() - t0;
}

int
rumpk2m_bench(struct k2m_bench *kb)
{
	uint64_t k, m, mh, ki;
	int i, r;

	memset(kb, 0, sizeof(*kb));
	kb->kb_pairs = K2M_BENCH_PAIRS;
	for (i = 0; i < K2M_BENCH_SIZES; i++) {
		kb->kb_size[i] = bench_sizes[i];
		kb->kb_kmem_ns[i] = kb->kb_malloc_ns[i] = UINT64_MAX;
		kb->kb_malloc_hdr_ns[i] = kb->kb_kmem_intr_ns[i] = UINT64_MAX;
		(void)round_kmem(bench_sizes[i]);	/* warm the caches */
		(void)round_malloc(bench_sizes[i]);
		(void)round_malloc_hdr(bench_sizes[i]);
		for (r = 0; r < K2M_BENCH_ROUNDS; r++) {
			k = round_kmem(bench_sizes[i]);
			m = round_malloc(bench_sizes[i]);
			mh = round_malloc_hdr(bench_sizes[i]);
			ki = round_kmem_intr(bench_sizes[i]);
			kb->kb_kmem_ns[i] = MIN(kb->kb_kmem_ns[i], k);
			kb->kb_malloc_ns[i] = MIN(kb->kb_malloc_ns[i], m);
			kb->kb_malloc_hdr_ns[i] = MIN(kb->kb_malloc_hdr_ns[i], mh);
			kb->kb_kmem_intr_ns[i] = MIN(kb->kb_kmem_intr_ns[i], ki);
		}
	}
	return 0;
}

/* The least alignment of the blocks p[0..n-1], at most a page. */
static uint32_t
least_align(void **p, u_int n)
{
	uintptr_t bits = PAGE_SIZE;
	u_int i;

	for (i = 0; i < n; i++)
		bits |= (uintptr_t)p[i];
	return (uint32_t)(bits & -bits);
}

int
rumpk2m_align(struct k2m_align *ka)
{
	void **p;
	size_t size;
	u_int i, j, n;

	memset(ka, 0, sizeof(*ka));
	ka->ka_pagesize = PAGE_SIZE;
	p = kmem_alloc(K2M_ALIGN_MAXSAMPLES * sizeof(*p), KM_SLEEP);
	for (i = 0; i < K2M_ALIGN_NSIZES; i++) {
		size = (i + 1) * K2M_ALIGN_STEP;
		n = MIN(MAX(3 * PAGE_SIZE / size + 2, 16), K2M_ALIGN_MAXSAMPLES);
		ka->ka_samples[i] = n;
		for (j = 0; j < n; j++)
			p[j] = kmem_alloc(size, KM_SLEEP);
		ka->ka_kmem[i] = least_align(p, n);
		for (j = 0; j < n; j++)
			kmem_free(p[j], size);
		for (j = 0; j < n; j++)
			p[j] = malloc(size, M_K2MSIZED, M_WAITOK);
		ka->ka_malloc[i] = least_align(p, n);
		for (j = 0; j < n; j++)
			kern_free_sized(p[j], M_K2MSIZED, size);
		for (j = 0; j < n; j++)
			p[j] = malloc(size, M_K2MTEST, M_WAITOK);
		ka->ka_malloc_hdr[i] = least_align(p, n);
		for (j = 0; j < n; j++)
			free(p[j], M_K2MTEST);
	}
	kmem_free(p, K2M_ALIGN_MAXSAMPLES * sizeof(*p));
	return 0;
}
#endif /* !K2M_NOSHIM */
