/*
 * The kernel services kern_malloc.c uses, in user space.
 *
 * kmem_intr_alloc/free are libc malloc/free with a size check (a size
 * given to kmem_intr_free that differs from the allocation's is a bug in
 * the code under test) and a small quarantine, so that a double free()
 * is seen by kern_malloc.c's header check instead of by libc.  Each
 * thread is a CPU.  panic() longjmps to the test when one is waiting.
 */
#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/kmem.h>
#include <sys/sysctl.h>
#include <sys/systm.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

#include "harness.h"

u_int maxcpus = HARNESS_MAXCPUS;
_Thread_local struct cpu_info *harness_curcpu;
static struct cpu_info harness_cpus[HARNESS_MAXCPUS];
static unsigned harness_ncpu;

_Thread_local jmp_buf *harness_panic_jmp;
_Thread_local char harness_panic_msg[256];
char harness_printed[4096];
sysctlfn harness_sysctl_fn;
char harness_sysctl_name[64];
unsigned long harness_kmem_live;	/* blocks from kmem, not yet freed */
int harness_kmem_fail;			/* fail the next N KM_NOSLEEP allocations */

struct cpu_info *
harness_cpu_enter(void)
{
	unsigned i = __atomic_fetch_add(&harness_ncpu, 1, __ATOMIC_RELAXED);

	if (i >= HARNESS_MAXCPUS)
		abort();
	harness_cpus[i].ci_index = i;
	harness_curcpu = &harness_cpus[i];
	return harness_curcpu;
}

/* Blocks carry their size 16 bytes in front, to check kmem_free's size. */
#define	KM_HDR	16
#define	QUARANTINE	64
static void *quarantine[QUARANTINE];
static unsigned qnext;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;

void *
kmem_intr_alloc(size_t size, km_flag_t f)
{
	char *p;

	if ((f & KM_NOSLEEP) && harness_kmem_fail > 0) {
		harness_kmem_fail--;
		return NULL;
	}
	if (size == 0)
		panic("kmem_intr_alloc: size 0");
	if (size > ((size_t)1 << 40))	/* pretend the kernel map is full */
		return NULL;
	/* like kmem: blocks of a page or more are page-aligned */
	if (size >= PAGE_SIZE) {
		void *v;

		if (posix_memalign(&v, PAGE_SIZE, size + PAGE_SIZE) != 0)
			abort();
		p = (char *)v + PAGE_SIZE - KM_HDR;
	} else if ((p = malloc(size + KM_HDR)) == NULL)
		abort();
	*(size_t *)p = size;
	__atomic_add_fetch(&harness_kmem_live, 1, __ATOMIC_RELAXED);
	return p + KM_HDR;
}

void *
kmem_intr_zalloc(size_t size, km_flag_t f)
{
	void *p = kmem_intr_alloc(size, f);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
kmem_intr_free(void *v, size_t size)
{
	char *p = (char *)v - KM_HDR;
	void *old;

	if (v == NULL)
		panic("kmem_intr_free: NULL");
	if (*(size_t *)p != size)
		panic("kmem_intr_free(%p, %zu): allocated with %zu", v, size,
		    *(size_t *)p);
	*(size_t *)p = 0;
#ifndef HARNESS_NO_QUARANTINE
	if (size >= PAGE_SIZE)
		p -= PAGE_SIZE - KM_HDR;
#endif
	__atomic_sub_fetch(&harness_kmem_live, 1, __ATOMIC_RELAXED);
#ifdef HARNESS_NO_QUARANTINE		/* the benchmarks: libc as it is */
	free(p - (size >= PAGE_SIZE ? PAGE_SIZE - KM_HDR : 0));
	return;
#endif
	pthread_mutex_lock(&qlock);
	old = quarantine[qnext];
	quarantine[qnext] = p;
	qnext = (qnext + 1) % QUARANTINE;
	pthread_mutex_unlock(&qlock);
	free(old);
}

void *kmem_alloc(size_t s, km_flag_t f) { return kmem_intr_alloc(s, f); }
void *kmem_zalloc(size_t s, km_flag_t f) { return kmem_intr_zalloc(s, f); }
void kmem_free(void *p, size_t s) { kmem_intr_free(p, s); }

void
harness_quarantine_flush(void)
{
	unsigned i;

	pthread_mutex_lock(&qlock);
	for (i = 0; i < QUARANTINE; i++) {
		free(quarantine[i]);
		quarantine[i] = NULL;
	}
	pthread_mutex_unlock(&qlock);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(harness_panic_msg, sizeof(harness_panic_msg), fmt, ap);
	va_end(ap);
	if (harness_panic_jmp != NULL)
		longjmp(*harness_panic_jmp, 1);
	fprintf(stderr, "panic: %s\n", harness_panic_msg);
	abort();
}

int
harness_printf(const char *fmt, ...)
{
	va_list ap;
	size_t len = strlen(harness_printed);
	int n;

	va_start(ap, fmt);
	n = vsnprintf(harness_printed + len, sizeof(harness_printed) - len, fmt, ap);
	va_end(ap);
	return n;
}

void
harness_assert_sleepable(void)
{

	if (curcpu()->ci_intr)
		panic("ASSERT_SLEEPABLE: in interrupt context");
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size != 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
copyout(const void *k, void *u, size_t len)
{

	memcpy(u, k, len);
	return 0;
}

int
sysctl_createv(struct sysctllog **log, int cflags, const struct sysctlnode **r,
    const struct sysctlnode **c, int flags, int type, const char *name,
    const char *desc, sysctlfn fn, uint64_t qv, void *data, size_t sz, ...)
{

	(void)log; (void)cflags; (void)r; (void)c; (void)flags; (void)type;
	(void)desc; (void)qv; (void)data; (void)sz;
	strlcpy(harness_sysctl_name, name, sizeof(harness_sysctl_name));
	harness_sysctl_fn = fn;
	return 0;
}

/* libc's allocator for the tests' own buffers (this file does not see
 * <sys/malloc.h>, so malloc and free are libc's here). */
void *
malloc_libc(size_t n)
{

	return malloc(n);
}

void
free_libc(void *p)
{

	free(p);
}
