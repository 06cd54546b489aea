/*
 * The kernel services kern_malloc.c uses, in user space.
 *
 * kmem_intr_alloc/free are libc's allocator with kmem's rules checked:
 * size 0 and kmem_free(NULL) panic, the size given to kmem_intr_free must
 * be the allocation's, KM_SLEEP never fails (a test can make the next N
 * KM_NOSLEEP allocations fail), and blocks are aligned exactly as
 * NetBSD-current's kmem guarantees (harness_kmem_align), no more.  Blocks of 256 MiB or more are mmap'd without reserve, so
 * a test can allocate more than 4 GiB.  Freed blocks sit in a small
 * quarantine before libc gets them back, so that a double free() is seen
 * by kern_malloc.c's header check instead of by libc.
 *
 * Each thread is a CPU running one LWP (<sys/lwp.h>), which interrupts
 * may preempt, moving it to another CPU slot; panic() longjmps to the
 * test when one is waiting.
 * Interrupts are signals (<sys/intr.h>); kmem_intr_alloc/free run libc's
 * allocator at IPL_VM, as pool_cache(9) runs its per-CPU caches, so an
 * interrupt handler may allocate.
 *
 * With HARNESS_BENCH the quarantine and the live-block counter (a shared
 * atomic, which would blur the per-CPU comparison) are left out.
 */
#include <sys/param.h>
#include <sys/cpu.h>
#include <sys/intr.h>
#include <sys/kmem.h>
#include <sys/lwp.h>
#include <sys/sysctl.h>
#include <sys/systm.h>
#include <sys/xcall.h>

#include <sys/mman.h>

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

#include "harness.h"

u_int maxcpus = HARNESS_MAXCPUS;
int physmem = 1 << 26;			/* 256 GiB of pages */
HARNESS_TLS struct cpu_info *harness_curcpu;
HARNESS_TLS int harness_ilevel;
HARNESS_TLS volatile sig_atomic_t harness_ipending;
HARNESS_TLS struct lwp *harness_curlwp;
static _Thread_local struct lwp harness_lwp;	/* the thread's LWP */
static _Thread_local bool harness_preempt_wanted;
static _Thread_local u_int harness_roam_first, harness_roam_n;
void (*harness_migrate_hook)(u_int, u_int);
static void (*harness_intr_fn)(void);
struct cpu_info harness_cpus[HARNESS_MAXCPUS];
static unsigned harness_ncpu;

_Thread_local jmp_buf *harness_panic_jmp;
_Thread_local char harness_panic_msg[256];
char harness_printed[4096];
sysctlfn harness_sysctl_fn;
char harness_sysctl_name[64];
static struct {
	char		name[64];
	sysctlfn	fn;
} harness_sysctl_nodes[4];
static u_int harness_nsysctl;
unsigned long harness_kmem_live;
unsigned long harness_kmem_calls;
_Thread_local size_t harness_kmem_last;
int harness_kmem_fail;
size_t harness_kmem_fail_from;

/* A thread going away leaves no pointer to its IPL or LWP behind. */
static pthread_key_t harness_cpu_key;
static pthread_once_t harness_cpu_once = PTHREAD_ONCE_INIT;

static void
harness_cpu_exit(void *arg)
{
	struct lwp *l;
	int *np;
	u_int i;

	for (i = 0; i < HARNESS_MAXCPUS; i++) {
		np = arg;
		l = harness_curlwp;
		__atomic_compare_exchange_n(&harness_cpus[i].ci_ilevel, &np,
		    NULL, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
		__atomic_compare_exchange_n(&harness_cpus[i].ci_curlwp, &l,
		    NULL, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
}

static void
harness_cpu_key_init(void)
{

	pthread_key_create(&harness_cpu_key, harness_cpu_exit);
}

static void
harness_cpu_bind(u_int i)
{

	pthread_once(&harness_cpu_once, harness_cpu_key_init);
	pthread_setspecific(harness_cpu_key, &harness_ilevel);
	harness_curlwp = &harness_lwp;
	harness_cpus[i].ci_index = i;
	__atomic_store_n(&harness_cpus[i].ci_curlwp, harness_curlwp,
	    __ATOMIC_RELEASE);
	__atomic_store_n(&harness_cpus[i].ci_ilevel, &harness_ilevel,
	    __ATOMIC_RELEASE);
	harness_curcpu = &harness_cpus[i];
	harness_lwp.l_cpu = harness_curcpu;
}

struct cpu_info *
harness_cpu_enter(void)
{
	unsigned i = __atomic_fetch_add(&harness_ncpu, 1, __ATOMIC_RELAXED);

	if (i >= HARNESS_MAXCPUS) {
		fprintf(stderr, "harness: more than %d CPUs\n", HARNESS_MAXCPUS);
		abort();
	}
	harness_cpu_bind(i);
	return harness_curcpu;
}

/* The main thread is CPU 0 before main() runs. */
static void __attribute__((__constructor__))
harness_cpu_main(void)
{

	(void)harness_cpu_enter();
}

void
harness_cpu_unbound(void)
{

	fprintf(stderr, "harness: a thread used curcpu() without a CPU "
	    "(harness_cpu_enter or harness_cpu_set first)\n");
	abort();
}

void
harness_cpu_set(u_int i)
{

	if (harness_ilevel != IPL_NONE)
		panic("harness_cpu_set: migrating with the IPL raised");
	if (harness_curlwp != NULL && harness_curlwp->l_nopreempt != 0)
		panic("harness_cpu_set: migrating with preemption disabled");
	if (i >= HARNESS_MAXCPUS)
		panic("harness_cpu_set: no CPU %u", i);
	harness_cpu_bind(i);
}

bool
kpreempt_disabled(void)
{
	const struct cpu_info *ci = harness_curcpu_get();

	return harness_ilevel != IPL_NONE || harness_curlwp->l_nopreempt != 0 ||
	    ci->ci_intr;
}

/*
 * Preemption moves the calling thread to the next CPU slot of its roaming
 * set (harness_cpu_roam), then calls harness_migrate_hook(from, to).
 */
void
harness_cpu_roam(u_int first, u_int n)
{

	if (first + n > HARNESS_MAXCPUS)
		panic("harness_cpu_roam: no CPU %u", first + n - 1);
	harness_roam_first = first;
	harness_roam_n = n;
}

/* An interrupt handler asks for the interrupted LWP to be preempted. */
void
harness_preempt(void)
{

	harness_preempt_wanted = true;
}

/*
 * Preempt the LWP if it may be: at IPL_NONE, preemption enabled, not in
 * interrupt context (as x86's cpu_kpreempt_enter()); else it stays
 * pending.  The "scheduler" runs it next on another CPU slot.
 */
bool
kpreempt(uintptr_t where __unused)
{
	struct lwp *l = harness_curlwp;
	u_int from, to;
	int s;

	if (l->l_dopreempt == 0 || l->l_nopreempt != 0 ||
	    harness_ilevel != IPL_NONE || harness_curcpu->ci_intr)
		return false;
	l->l_dopreempt = 0;
	if (harness_roam_n == 0)
		return true;
	/* a context switch: interrupts wait (the kernel's is at IPL_SCHED) */
	s = splraise(IPL_VM);
	from = harness_curcpu->ci_index;
	to = from >= harness_roam_first &&
	    from < harness_roam_first + harness_roam_n ?
	    harness_roam_first + (from - harness_roam_first + 1) %
	    harness_roam_n : harness_roam_first;
	harness_cpu_bind(to);
	if (harness_migrate_hook != NULL)
		harness_migrate_hook(from, to);
	splx(s);
	return true;
}

/*
 * An interrupt: run the handler at IPL_VM, in interrupt context.
 */
static void
harness_intr_run(void)
{
	struct cpu_info *ci = harness_curcpu;
	bool wasintr = ci->ci_intr;
	int s;

	s = splraise(IPL_VM);
	ci->ci_intr = true;
	harness_intr_fn();
	ci->ci_intr = wasintr;
	harness_ilevel = s;		/* no splx(): no recursion */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (harness_preempt_wanted) {	/* the return from the interrupt */
		harness_preempt_wanted = false;
		harness_curlwp->l_dopreempt = 1;
		(void)kpreempt(0);
	}
}

/* Signals taken by a handler (run, held pending, or ignored): see send. */
static unsigned long harness_intr_taken;

static void
harness_intr_signal(int sig __unused)
{

	if (harness_curcpu == NULL)	/* not a CPU (yet): nothing to run on */
		;
	else if (harness_ilevel >= IPL_VM)
		harness_ipending = 1;
	else
		harness_intr_run();
	__atomic_add_fetch(&harness_intr_taken, 1, __ATOMIC_RELEASE);
}

int __noinline
splraise(int ipl)
{
	int s = harness_ilevel;

	if (ipl > s)
		harness_ilevel = ipl;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return s;
}

void __noinline
splx(int s)
{

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	harness_ilevel = s;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__predict_false(harness_ipending) && s < IPL_VM)
		harness_intr_dispatch();
}

/* splx() lowered the level below IPL_VM: run what was held. */
void
harness_intr_dispatch(void)
{

	while (harness_ipending) {
		harness_ipending = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		harness_intr_run();
	}
}

/* Signal sig to a CPU's thread is an interrupt that runs fn. */
void
harness_intr_establish(int sig, void (*fn)(void))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	harness_intr_fn = fn;
	sa.sa_handler = harness_intr_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, NULL) != 0)
		panic("harness_intr_establish: sigaction");
}

/*
 * Interrupt th with sig and wait until its handler has taken the signal.
 * POSIX keeps one pending signal per number: a sender that does not wait
 * sees its signals merge whenever the target is off a CPU, so how many
 * interrupts a test got depended on the load of the machine.  With one
 * signal in flight at a time every send is one delivery; *stop (may be
 * NULL) ends the wait, for a target that will not run again.  One sender
 * at a time.
 */
void
harness_intr_send(pthread_t th, int sig, const bool *stop)
{
	unsigned long n = __atomic_load_n(&harness_intr_taken, __ATOMIC_ACQUIRE);

	if (pthread_kill(th, sig) != 0)
		panic("harness_intr_send: pthread_kill");
	while (__atomic_load_n(&harness_intr_taken, __ATOMIC_ACQUIRE) == n &&
	    (stop == NULL || !__atomic_load_n(stop, __ATOMIC_RELAXED)))
		sched_yield();
}

void
harness_intr_disestablish(int sig)
{

	signal(sig, SIG_DFL);
	harness_intr_fn = NULL;
}

/*
 * Every CPU has been seen at IPL_NONE with preemption enabled, as the
 * thread a low-priority cross call runs in would see it (threads that
 * exited must not have left a CPU at a raised IPL).
 */
uint64_t
xc_broadcast(u_int flags, xcfunc_t fn, void *a1, void *a2)
{
	struct lwp *l;
	int *np;
	u_int i;

	(void)flags;
	fn(a1, a2);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < HARNESS_MAXCPUS; i++) {
		np = __atomic_load_n(&harness_cpus[i].ci_ilevel,
		    __ATOMIC_ACQUIRE);
		l = __atomic_load_n(&harness_cpus[i].ci_curlwp,
		    __ATOMIC_ACQUIRE);
		if (np != NULL && np != &harness_ilevel)
			while (__atomic_load_n(np, __ATOMIC_ACQUIRE) != 0 ||
			    (l != NULL && l->l_nopreempt != 0))
				sched_yield();
	}
	return 1;
}

void
xc_wait(uint64_t where)
{

	(void)where;
}

/* Blocks carry their size KM_HDR bytes in front, to check kmem_free's. */
#define	KM_HDR		16
#define	KM_MMAP		((size_t)256 << 20)
#ifndef HARNESS_BENCH
#define	QUARANTINE	64
static void *quarantine[QUARANTINE];
static unsigned qnext;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
#endif

/*
 * kmem's alignment guarantee for a request (NetBSD-current, amd64,
 * subr_kmem.c): the request rounded up to 8, plus the size footer of a
 * DIAGNOSTIC kernel (KMEM_SIZE), picks a cache: up to 32 bytes the 8,
 * 16 and 32 caches, aligned to KMEM_ALIGN (8); up to 2048 a multiple of
 * COHERENCY_UNIT, aligned to it; the 4096 cache, and anything larger
 * (uvm_km_kmem_alloc), to a page.
 */
size_t
harness_kmem_align(size_t size)
{
	size_t s = roundup2(size, 8);

#ifdef DIAGNOSTIC
	s += sizeof(size_t);
#endif
	if (s <= 32)
		return 8;
	if (s <= 2048)
		return COHERENCY_UNIT;
	return PAGE_SIZE;
}

/*
 * The libc kmem places a block at this offset into a libc allocation
 * aligned to twice the guarantee (a page from a page up), so that the
 * block is aligned to kmem's guarantee and, below a page, to no more:
 * code that relies on more than kmem gives is caught.  At least KM_HDR,
 * for the size record in front.
 */
static size_t __unused
kmem_libc_offset(size_t size)
{
	size_t a = harness_kmem_align(size), off = a;

	if (a >= PAGE_SIZE)
		return PAGE_SIZE;
	while (off < KM_HDR)
		off += 2 * a;
	return off;
}

static void *
kmem_libc_alloc(size_t size, km_flag_t f)
{
	char *p;

	if ((f & (KM_SLEEP | KM_NOSLEEP)) != KM_SLEEP &&
	    (f & (KM_SLEEP | KM_NOSLEEP)) != KM_NOSLEEP)
		panic("kmem_intr_alloc: bad flags %#x", f);
	if (size == 0)
		panic("kmem_intr_alloc: size 0");
	if ((f & KM_NOSLEEP) &&
	    __atomic_load_n(&harness_kmem_fail, __ATOMIC_RELAXED) > 0) {
		__atomic_sub_fetch(&harness_kmem_fail, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	if ((f & KM_NOSLEEP) && harness_kmem_fail_from != 0 &&
	    size >= harness_kmem_fail_from)
		return NULL;
	if (size >= KM_MMAP) {
		void *v = mmap(NULL, size + PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (v == MAP_FAILED)
			p = NULL;
		else
			p = (char *)v + PAGE_SIZE - KM_HDR;
	} else {
#ifdef HARNESS_BENCH			/* plain glibc, the baseline */
		void *v;

		if (size < PAGE_SIZE)
			v = malloc(size + KM_HDR);
		else if (posix_memalign(&v, PAGE_SIZE, size + PAGE_SIZE) != 0)
			v = NULL;
		p = v == NULL ? NULL :
		    size < PAGE_SIZE ? v : (char *)v + PAGE_SIZE - KM_HDR;
#else
		size_t off = kmem_libc_offset(size);
		void *v;

		if (posix_memalign(&v, MIN(2 * harness_kmem_align(size),
		    PAGE_SIZE), off + size) != 0)
			v = NULL;
		p = v == NULL ? NULL : (char *)v + off - KM_HDR;
#endif
	}
	if (p == NULL) {
		if (f & KM_NOSLEEP)
			return NULL;
		panic("kmem_intr_alloc(%zu, KM_SLEEP): out of memory", size);
	}
	*(size_t *)p = size;
#ifndef HARNESS_BENCH
	harness_kmem_last = size;
	__atomic_add_fetch(&harness_kmem_live, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&harness_kmem_calls, 1, __ATOMIC_RELAXED);
#endif
	return p + KM_HDR;
}

#ifdef HARNESS_BENCH
/*
 * The benchmark's second kmem: one that works as pool_cache(9) does under
 * kmem_intr_alloc(), so that a ratio against it means something.  kmem's
 * caches (NetBSD-current, amd64: 8 .. 1024, 2048, 4096), each with a free
 * list per CPU, popped and pushed at IPL_VM (splvm, the list, splx);
 * an empty list is refilled from a fresh 64 KiB slab.  Items are aligned
 * as kmem's: to their size up to 32 bytes, to 64 from 64 bytes, to a page
 * at 4096.  Larger requests are page-aligned blocks of their own, as
 * uvm_km_kmem_alloc() gives.  No checks: the tests use the libc kmem.
 */
bool harness_kmem_pool;

static const uint16_t pool_sizes[] = {
	8, 16, 32, 64, 128, 192, 256, 320, 384, 448, 512, 768, 1024, 2048, 4096,
};
#define	POOL_NSIZES	(sizeof(pool_sizes) / sizeof(pool_sizes[0]))
#define	POOL_SLAB	(64 * 1024)

struct pool_cpu {
	void	*pc_free[POOL_NSIZES];		/* this CPU's free lists */
} __attribute__((__aligned__(64)));
static struct pool_cpu pool_cpu[HARNESS_MAXCPUS];
static uint8_t pool_class8[1024 / 8 + 1];	/* (size + 7) / 8 -> class */

static void __attribute__((__constructor__))
pool_init(void)
{
	u_int c = 0, g;

	for (g = 0; g <= 1024 / 8; g++) {
		while (pool_sizes[c] < g * 8)
			c++;
		pool_class8[g] = (uint8_t)c;
	}
}

static u_int
pool_class(size_t size)
{

	if (size <= 1024)
		return pool_class8[(size + 7) >> 3];
	return size <= 2048 ? POOL_NSIZES - 2 : POOL_NSIZES - 1;
}

static void * __noinline
pool_refill(u_int c, km_flag_t f)
{
	struct pool_cpu *pc = &pool_cpu[cpu_index(curcpu())];
	size_t sz = pool_sizes[c], i;
	char *slab;
	int s;

	if (posix_memalign((void **)&slab, PAGE_SIZE, POOL_SLAB) != 0) {
		if (f & KM_NOSLEEP)
			return NULL;
		panic("kmem_intr_alloc: out of memory");
	}
	s = splvm();
	for (i = POOL_SLAB / sz - 1; i > 0; i--) {
		*(void **)(slab + i * sz) = pc->pc_free[c];
		pc->pc_free[c] = slab + i * sz;
	}
	splx(s);
	return slab;
}

static inline void *
kmem_pool_alloc(size_t size, km_flag_t f)
{
	struct pool_cpu *pc;
	void *p, *v;
	u_int c;
	int s;

	if (size > 4096) {
		if (posix_memalign(&v, PAGE_SIZE, roundup2(size, PAGE_SIZE)) != 0)
			v = NULL;
		return v;
	}
	c = pool_class(size);
	s = splvm();
	pc = &pool_cpu[cpu_index(curcpu())];
	if (__predict_true((p = pc->pc_free[c]) != NULL)) {
		pc->pc_free[c] = *(void **)p;
		splx(s);
		return p;
	}
	splx(s);
	return pool_refill(c, f);
}

static inline void
kmem_pool_free(void *p, size_t size)
{
	struct pool_cpu *pc;
	u_int c;
	int s;

	if (size > 4096) {
		free(p);
		return;
	}
	c = pool_class(size);
	s = splvm();
	pc = &pool_cpu[cpu_index(curcpu())];
	*(void **)p = pc->pc_free[c];
	pc->pc_free[c] = p;
	splx(s);
}
#endif

/*
 * In the benchmark the libc kmem runs without spl (the bare baseline),
 * the pool_cache-like one with.
 */
void *
kmem_intr_alloc(size_t size, km_flag_t f)
{
#ifdef HARNESS_BENCH
	if (harness_kmem_pool)
		return kmem_pool_alloc(size, f);
	return kmem_libc_alloc(size, f);
#else
	void *p;
	int s;

	s = splvm();
	p = kmem_libc_alloc(size, f);
	splx(s);
	return p;
#endif
}

void *
kmem_intr_zalloc(size_t size, km_flag_t f)
{
	void *p = kmem_intr_alloc(size, f);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

static void
kmem_libc_free(void *v, size_t size)
{
	char *p = (char *)v - KM_HDR;

	if (v == NULL)
		panic("kmem_intr_free: NULL");
	if (*(size_t *)p != size)
		panic("kmem_intr_free(%p, %zu): allocated with %zu", v, size,
		    *(size_t *)p);
	*(size_t *)p = 0;
	if (size >= KM_MMAP) {
		munmap(p - (PAGE_SIZE - KM_HDR), size + PAGE_SIZE);
		__atomic_sub_fetch(&harness_kmem_live, 1, __ATOMIC_RELAXED);
		return;
	}
#ifdef HARNESS_BENCH
	if (size >= PAGE_SIZE)
		p -= PAGE_SIZE - KM_HDR;
	free(p);
#else
	p -= kmem_libc_offset(size) - KM_HDR;
	__atomic_sub_fetch(&harness_kmem_live, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&qlock);
	v = quarantine[qnext];
	quarantine[qnext] = p;
	qnext = (qnext + 1) % QUARANTINE;
	pthread_mutex_unlock(&qlock);
	free(v);
#endif
}

void
kmem_intr_free(void *v, size_t size)
{
#ifdef HARNESS_BENCH
	if (harness_kmem_pool)
		kmem_pool_free(v, size);
	else
		kmem_libc_free(v, size);
#else
	int s;

	s = splvm();
	kmem_libc_free(v, size);
	splx(s);
#endif
}

void *
kmem_alloc(size_t s, km_flag_t f)
{

	return kmem_intr_alloc(s, f);
}

void *
kmem_zalloc(size_t s, km_flag_t f)
{

	return kmem_intr_zalloc(s, f);
}

void
kmem_free(void *p, size_t s)
{

	kmem_intr_free(p, s);
}

void
harness_quarantine_flush(void)
{
#ifndef HARNESS_BENCH
	unsigned i;

	pthread_mutex_lock(&qlock);
	for (i = 0; i < QUARANTINE; i++) {
		free(quarantine[i]);
		quarantine[i] = NULL;
	}
	pthread_mutex_unlock(&qlock);
#endif
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(harness_panic_msg, sizeof(harness_panic_msg), fmt, ap);
	va_end(ap);
	if (harness_panic_jmp != NULL) {
		/* the test resumes where it left off: at IPL_NONE */
		harness_ilevel = IPL_NONE;
		harness_curlwp->l_nopreempt = 0;
		harness_curlwp->l_dopreempt = 0;
		longjmp(*harness_panic_jmp, 1);
	}
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
	n = vsnprintf(harness_printed + len, sizeof(harness_printed) - len,
	    fmt, ap);
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
    const char *desc, sysctlfn fn, u_quad_t qv, void *data, size_t sz, ...)
{

	(void)log; (void)cflags; (void)r; (void)c; (void)flags;
	(void)desc; (void)qv; (void)data; (void)sz;
	if (type != CTLTYPE_STRUCT)
		panic("sysctl_createv(%s): type %d", name, type);
	if (harness_nsysctl == sizeof(harness_sysctl_nodes) / sizeof(harness_sysctl_nodes[0]))
		panic("sysctl_createv(%s): more than %zu nodes", name,
		    sizeof(harness_sysctl_nodes) / sizeof(harness_sysctl_nodes[0]));
	strlcpy(harness_sysctl_nodes[harness_nsysctl].name, name,
	    sizeof(harness_sysctl_nodes[harness_nsysctl].name));
	harness_sysctl_nodes[harness_nsysctl++].fn = fn;
	if (harness_sysctl_fn == NULL) {	/* the first: kern.malloc_stats */
		strlcpy(harness_sysctl_name, name, sizeof(harness_sysctl_name));
		harness_sysctl_fn = fn;
	}
	return 0;
}

sysctlfn
harness_sysctl_find(const char *name)
{
	u_int i;

	for (i = 0; i < harness_nsysctl; i++)
		if (strcmp(harness_sysctl_nodes[i].name, name) == 0)
			return harness_sysctl_nodes[i].fn;
	return NULL;
}

/* What a NetBSD kernel's sysctl_init() does with the link set. */
__link_set_decl(sysctl_funcs, sysctl_setup_func);

void
harness_sysctl_init(void)
{
	sysctl_setup_func * const *f;

	__link_set_foreach(f, sysctl_funcs)
		(**f)(NULL);
}

/*
 * libc's allocator for the tests' own buffers (this file does not see
 * <sys/malloc.h>, so malloc and free are libc's here).
 */
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
