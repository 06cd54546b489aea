/*
 * nbsys.h: just enough of NetBSD's amd64 user ABI to write a static
 * program with Debian's gcc and no NetBSD libc: raw system calls, the ELF
 * note that makes the kernel take the binary for a native one, _start, and
 * the few string functions gcc may emit calls to.
 *
 * Numbers and layouts are NetBSD-current's (10.99): sys/sys/syscall.h,
 * sys/sys/fcntl.h, sys/sys/mount.h, ...  They are written out here, not
 * included, so that the program builds without a NetBSD tree;
 * boottest checks the system call numbers against the tree it boots.
 */

#ifndef _K2M_NBSYS_H_
#define _K2M_NBSYS_H_

typedef unsigned long	size_t;
typedef long		ssize_t;
typedef unsigned int	uint32_t;
typedef int		int32_t;
typedef unsigned long	uint64_t;
typedef long		int64_t;
typedef unsigned short	uint16_t;
typedef unsigned char	uint8_t;

#define NULL	((void *)0)

/* sys/sys/syscall.h */
#define NB_SYS_exit		1
#define NB_SYS_fork		2
#define NB_SYS_read		3
#define NB_SYS_write		4
#define NB_SYS_open		5
#define NB_SYS_close		6
#define NB_SYS_unlink		10
#define NB_SYS_getpid		20
#define NB_SYS_unmount		22
#define NB_SYS_accept		30
#define NB_SYS_sync		36
#define NB_SYS_ioctl		54
#define NB_SYS_execve		59
#define NB_SYS_dup2		90
#define NB_SYS_fsync		95
#define NB_SYS_connect		98
#define NB_SYS_bind		104
#define NB_SYS_listen		106
#define NB_SYS_mkdir		136
#define NB_SYS_rmdir		137
#define NB_SYS___sysctl		202
#define NB_SYS_reboot		208
#define NB_SYS_modctl		246
#define NB_SYS_swapctl		271
#define NB_SYS___socket30	394
#define NB_SYS___mount50	410
#define NB_SYS___wait450	449
#define NB_SYS___mknod50	450
#define NB_SYS___statvfs190	484

/* sys/sys/fcntl.h: not Linux's values */
#define NB_O_RDONLY	0x0000
#define NB_O_WRONLY	0x0001
#define NB_O_RDWR	0x0002
#define NB_O_CREAT	0x0200
#define NB_O_TRUNC	0x0400
#define NB_O_EXCL	0x0800

#define NB_S_IFCHR	0020000
#define NB_MNT_RDONLY	0x00000001
#define NB_MNT_UPDATE	0x00010000
#define NB_MNT_LOG	0x02000000
#define NB_RB_POWERDOWN	0x00000808	/* RB_HALT | 0x800 */

/*
 * One system call.  NetBSD returns the error number in %rax with the
 * carry flag set; here it comes back negated, Linux-style, so that a
 * caller tests "< 0".  The kernel may clobber %rcx and %r11 (syscall
 * itself) and returns a second value in %rdx (fork).
 */
static inline long
nb_syscall2(long n, long a1, long a2, long a3, long a4, long a5, long a6,
    long *rv2)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long rdx = a3;
	unsigned char cf;

	__asm__ volatile("syscall; setc %1"
	    : "+a" (n), "=r" (cf), "+D" (a1), "+S" (a2), "+d" (rdx),
	      "+r" (r10), "+r" (r8), "+r" (r9)
	    :
	    : "rcx", "r11", "memory", "cc");
	if (rv2 != NULL)
		*rv2 = rdx;
	return cf ? -n : n;
}

#define nb_sys6(n, a, b, c, d, e, f) \
	nb_syscall2((n), (long)(a), (long)(b), (long)(c), (long)(d), \
	    (long)(e), (long)(f), NULL)
#define nb_sys3(n, a, b, c)	nb_sys6(n, a, b, c, 0, 0, 0)

static inline void __attribute__((__noreturn__))
nb_exit(int status)
{
	for (;;)
		nb_sys3(NB_SYS_exit, status, 0, 0);
}

/* fork(2): the child is told by a second return value of 1 in %rdx. */
static inline long
nb_fork(void)
{
	long rv2 = 0, pid;

	pid = nb_syscall2(NB_SYS_fork, 0, 0, 0, 0, 0, 0, &rv2);
	if (pid >= 0 && rv2 != 0)
		return 0;
	return pid;
}

static inline size_t
nb_strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

/* gcc emits calls to these for struct copies and zeroing, even freestanding. */
void	*memset(void *, int, size_t);
void	*memcpy(void *, const void *, size_t);
int	 memcmp(const void *, const void *, size_t);

#ifdef NB_DEFINE_STRING
void *
memset(void *d, int c, size_t n)
{
	volatile unsigned char *p = d;	/* volatile: not turned into memset */

	while (n-- > 0)
		*p++ = (unsigned char)c;
	return d;
}

void *
memcpy(void *d, const void *s, size_t n)
{
	volatile unsigned char *p = d;
	const unsigned char *q = s;

	while (n-- > 0)
		*p++ = *q++;
	return d;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n > 0; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}
#endif

/*
 * The NetBSD ident note: without it exec(2) does not take the binary for
 * a native one (ENOEXEC).  The version is NetBSD 10.0's: a 10.99 kernel
 * runs 10.0 binaries natively.
 */
#define NB_ELF_NOTE_AND_START(main)					\
__asm__(".section .note.netbsd.ident, \"a\", @note\n"			\
	"\t.long 7, 4, 1\n"						\
	"\t.ascii \"NetBSD\\0\\0\"\n"					\
	"\t.long 1000000000\n"						\
	"\t.previous\n"							\
	"\t.text\n"							\
	"\t.globl _start\n"						\
	"_start:\n"							\
	"\tmovq %rsp, %rdi\n"		/* argc, argv[], envp[] */	\
	"\tandq $-16, %rsp\n"						\
	"\tcall " #main "\n"						\
	"\tmovl %eax, %edi\n"						\
	"\tmovl $1, %eax\n"		/* SYS_exit */			\
	"\tsyscall\n"							\
	"\thlt\n")

#endif /* _K2M_NBSYS_H_ */
