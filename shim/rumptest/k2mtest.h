/*
 * kmem2malloc rumptest: what the workload (a host program) and the kernel
 * component (k2mtest.c, built into the rump kernel) share.
 *
 * The includer provides the fixed-width integer types and size_t (<stdint.h>
 * and <sys/types.h> on the host, <sys/types.h> in the kernel).  The nb_* structures are NetBSD's
 * system-call ABI on LP64 as the workload must pass it to rump_sys_*();
 * k2mtest.c checks each against the kernel's own at compile time.
 */

#ifndef K2MTEST_H
#define K2MTEST_H

/*
 * In-kernel timing of kmem_alloc+kmem_free against malloc+free: of a
 * header-less type with the sized free(p, T, n), as converted code does,
 * and of a type with headers and free(p, T), as legacy callers do; and of
 * kmem_intr_alloc+kmem_intr_free (what kern_malloc.c calls; kmem_alloc
 * adds DIAGNOSTIC's interrupt-context assertions, which read curlwp).
 */
#define K2M_BENCH_SIZES		4
#define K2M_BENCH_PAIRS		20000	/* pairs per timed round */
#define K2M_BENCH_ROUNDS	40	/* interleaved rounds; the best counts */

struct k2m_bench {
	uint64_t	kb_size[K2M_BENCH_SIZES];
	uint64_t	kb_kmem_ns[K2M_BENCH_SIZES];	/* best round, whole round */
	uint64_t	kb_malloc_ns[K2M_BENCH_SIZES];	/* header-less, sized free */
	uint64_t	kb_malloc_hdr_ns[K2M_BENCH_SIZES];	/* header type */
	uint64_t	kb_kmem_intr_ns[K2M_BENCH_SIZES];	/* what malloc calls */
	uint64_t	kb_pairs;			/* pairs in a round */
};

/* Alignment sweep: sizes K2M_ALIGN_STEP, 2 * K2M_ALIGN_STEP, ... 3 pages. */
#define K2M_ALIGN_STEP		8
#define K2M_ALIGN_MAXSIZE	(3 * 4096)
#define K2M_ALIGN_NSIZES	(K2M_ALIGN_MAXSIZE / K2M_ALIGN_STEP)
#define K2M_ALIGN_MAXSAMPLES	1600

struct k2m_align {
	uint32_t	ka_pagesize;
	uint32_t	ka_kmem[K2M_ALIGN_NSIZES];	/* least alignment seen */
	uint32_t	ka_malloc[K2M_ALIGN_NSIZES];	/* header-less type */
	uint32_t	ka_malloc_hdr[K2M_ALIGN_NSIZES];	/* header type */
	uint32_t	ka_samples[K2M_ALIGN_NSIZES];	/* live blocks per size */
};

/* Entry points; their "rump" prefix keeps them out of the rumpns_ renaming. */
int	rumpk2m_bench(struct k2m_bench *);
int	rumpk2m_align(struct k2m_align *);

/* NetBSD ABI (LP64) for the workload's system calls. */
#define NB_CTL_KERN		1
#define NB_KERN_OSTYPE		1
#define NB_KERN_HOSTNAME	10
#define NB_CTL_QUERY		(-2)
#define NB_SYSCTL_VERSION	0x01000000
#define NB_SYSCTL_NAMELEN	32

struct nb_sysctlnode {		/* (not the kernel's names: those are macros) */
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

struct nb_tmpfs_args {
	int		ta_version;
	uint64_t	ta_nodes_max;
	int64_t		ta_size_max;
	uint32_t	ta_root_uid;
	uint32_t	ta_root_gid;
	uint32_t	ta_root_mode;
};
#define NB_TMPFS_ARGS_VERSION	1

struct nb_vndgeom {
	uint32_t	vng_secsize;
	uint32_t	vng_nsectors;
	uint32_t	vng_ntracks;
	uint32_t	vng_ncylinders;
};

struct nb_vnd_ioctl {
	char		*vnd_file;
	int		vnd_flags;
	struct nb_vndgeom vnd_geom;
	unsigned int	vnd_osize;
	uint64_t	vnd_size;
};

#define NB_IOC_IN	0x80000000UL
#define NB_IOC_OUT	0x40000000UL
#define NB_IOC(inout, g, n, len) \
	((inout) | (((len) & 0x1fffUL) << 16) | ((unsigned long)(g) << 8) | (n))
#define NB_VNDIOCSET	NB_IOC(NB_IOC_IN | NB_IOC_OUT, 'F', 0, sizeof(struct nb_vnd_ioctl))
#define NB_VNDIOCCLR	NB_IOC(NB_IOC_IN, 'F', 1, sizeof(struct nb_vnd_ioctl))

struct nb_md_conf {
	void		*md_addr;
	size_t		md_size;
	int		md_type;
};
#define NB_MD_KMEM_ALLOCATED	2
#define NB_MD_GETCONF	NB_IOC(NB_IOC_OUT, 'r', 0, sizeof(struct nb_md_conf))
#define NB_MD_SETCONF	NB_IOC(NB_IOC_IN, 'r', 1, sizeof(struct nb_md_conf))

struct nb_cgd_ioctl {
	const char	*ci_disk;
	int		ci_flags;
	int		ci_unit;
	size_t		ci_size;
	const char	*ci_alg;
	const char	*ci_ivmethod;
	size_t		ci_keylen;	/* bits */
	const char	*ci_key;
	size_t		ci_blocksize;
};
#define NB_CGDIOCSET	NB_IOC(NB_IOC_IN | NB_IOC_OUT, 'F', 18, sizeof(struct nb_cgd_ioctl))
#define NB_CGDIOCCLR	NB_IOC(NB_IOC_IN, 'F', 19, sizeof(struct nb_cgd_ioctl))

#define NB_IPPROTO_TCP	6
#define NB_TCP_NODELAY	1

struct nb_sockaddr_in {
	uint8_t		sin_len;
	uint8_t		sin_family;
	uint16_t	sin_port;
	uint32_t	sin_addr;
	char		sin_zero[8];
};

#endif /* K2MTEST_H */
