/* What the harness's kernel stand-in (kernel.c) offers the tests. */
#ifndef _HARNESS_H_
#define	_HARNESS_H_
#include <setjmp.h>
#include <sys/sysctl.h>

#define	HARNESS_MAXCPUS	64

extern _Thread_local jmp_buf *harness_panic_jmp;
extern _Thread_local char harness_panic_msg[256];
extern char harness_printed[4096];
extern sysctlfn harness_sysctl_fn;
extern char harness_sysctl_name[64];
extern unsigned long harness_kmem_live;
extern int harness_kmem_fail;
void	harness_quarantine_flush(void);
void	sysctl_kern_malloc_setup(struct sysctllog **);

/* Minimal test bookkeeping: every check counts; the last line is the verdict. */
extern int t_passed, t_failed;
#define	CHECK(cond) do {						\
	if (cond)							\
		t_passed++;						\
	else {								\
		t_failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)
#define	T_REPORT()	(printf("%d passed, %d failed\n", t_passed, t_failed), \
			 t_failed != 0)

/* Run stmt; true if it panicked (and the message is in harness_panic_msg). */
#define	PANICS(stmt) ({							\
	jmp_buf __jb; bool __p = false;					\
	harness_panic_msg[0] = '\0';					\
	harness_panic_jmp = &__jb;					\
	if (setjmp(__jb) == 0) { stmt; } else __p = true;		\
	harness_panic_jmp = NULL;					\
	__p;								\
})
#endif

/* libc's malloc and free, which <sys/malloc.h> hides behind the kernel's. */
void	*malloc_libc(size_t);
void	free_libc(void *);
