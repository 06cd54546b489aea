/*
 * What the harness's kernel stand-in (kernel.c) offers the tests, and a
 * little test bookkeeping.
 */
#ifndef _HARNESS_H_
#define	_HARNESS_H_
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/cpu.h>
#include <sys/sysctl.h>

#define	HARNESS_MAXCPUS	64

extern _Thread_local jmp_buf *harness_panic_jmp;
extern _Thread_local char harness_panic_msg[256];
extern char harness_printed[4096];
extern sysctlfn harness_sysctl_fn;	/* the first node created */
extern char harness_sysctl_name[64];	/* and its name */
sysctlfn harness_sysctl_find(const char *);	/* any node, by name */
extern unsigned long harness_kmem_live;	/* kmem blocks not yet freed */
extern unsigned long harness_kmem_calls;	/* kmem_intr_alloc calls */
extern _Thread_local size_t harness_kmem_last;	/* its last size, here */
extern int harness_kmem_fail;		/* fail the next N KM_NOSLEEP allocs */
extern size_t harness_kmem_fail_from;	/* fail KM_NOSLEEP allocs this big */
extern struct cpu_info harness_cpus[HARNESS_MAXCPUS];
void	harness_quarantine_flush(void);
size_t	harness_kmem_align(size_t);	/* kmem's alignment guarantee */
/* preemption (<sys/lwp.h>): where it moves a thread, what it calls then */
void	harness_cpu_roam(u_int, u_int);
void	harness_preempt(void);
extern void (*harness_migrate_hook)(u_int, u_int);
void	harness_sysctl_init(void);

/* A type's index, 0 if not attached (the tests see __MALLOC_PRIVATE). */
#define	IDX(t)	((t)->ks_handle != NULL ? (t)->ks_handle->mti_index : 0u)

/* libc's malloc and free, which <sys/malloc.h> hides behind the kernel's. */
void	*malloc_libc(size_t);
void	free_libc(void *);

/*
 * Every check counts; a program's last line is "N passed, N failed" and
 * its exit status says whether anything failed.  CHECK may be used from
 * several threads.
 */
extern int t_passed, t_failed;
#define	CHECK(cond) do {						\
	if (cond)							\
		__atomic_add_fetch(&t_passed, 1, __ATOMIC_RELAXED);	\
	else {								\
		__atomic_add_fetch(&t_failed, 1, __ATOMIC_RELAXED);	\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)
#define	T_REPORT()	(printf("%d passed, %d failed\n", t_passed, t_failed), \
			 fflush(stdout), t_failed != 0)

/* Run stmt; true if it panicked (the message is in harness_panic_msg). */
#define	PANICS(stmt) ({							\
	jmp_buf __jb;							\
	volatile bool __p = false;					\
	harness_panic_msg[0] = '\0';					\
	harness_panic_jmp = &__jb;					\
	if (setjmp(__jb) == 0) {					\
		stmt;							\
	} else								\
		__p = true;						\
	harness_panic_jmp = NULL;					\
	__p;								\
})
#endif
