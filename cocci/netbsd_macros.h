/*
 * netbsd_macros.h -- parsing hints for spatch (spatch.py passes it as
 * --macro-file-builtins, in place of Coccinelle's Linux-minded
 * standard.h: as a mere --macro-file its definitions are tried only when
 * a parse fails, and a declaration such as
 * `struct x * const p __diagused = ...` failed anyway).
 *
 * Coccinelle does not read a file's headers here (--no-includes), so it
 * guesses at macros it cannot see.  These are NetBSD's common ones whose
 * shape confuses it; a function it cannot parse is skipped, and the
 * converter then keeps that function's kmem calls (and their pairs).
 */
#define CPU_INFO_FOREACH(cii, ci) cii = 0, ci = curcpu(); ci != NULL; ci = NULL
#define TAILQ_ENTRY(type) struct { struct type *tqe_next; struct type **tqe_prev; }
#define TAILQ_HEAD(name, type) struct name { struct type *tqh_first; struct type **tqh_last; }
#define LIST_ENTRY(type) struct { struct type *le_next; struct type **le_prev; }
#define LIST_HEAD(name, type) struct name { struct type *lh_first; }
#define SLIST_ENTRY(type) struct { struct type *sle_next; }
#define SLIST_HEAD(name, type) struct name { struct type *slh_first; }
#define SIMPLEQ_ENTRY(type) struct { struct type *sqe_next; }
#define SIMPLEQ_HEAD(name, type) struct name { struct type *sqh_first; struct type **sqh_last; }
#define STAILQ_ENTRY(type) struct { struct type *stqe_next; }
#define STAILQ_HEAD(name, type) struct name { struct type *stqh_first; struct type **stqh_last; }
#define CIRCLEQ_ENTRY(type) struct { struct type *cqe_next; struct type *cqe_prev; }
#define TAILQ_FOREACH(var, head, field) for ((var) = ((head)->tqh_first); (var); (var) = ((var)->field.tqe_next))
#define TAILQ_FOREACH_SAFE(var, head, field, next) for ((var) = ((head)->tqh_first); (var) && ((next) = (var)->field.tqe_next, 1); (var) = (next))
#define TAILQ_FOREACH_REVERSE(var, head, headname, field) for ((var) = 0; (var); (var) = 0)
#define LIST_FOREACH(var, head, field) for ((var) = ((head)->lh_first); (var); (var) = ((var)->field.le_next))
#define LIST_FOREACH_SAFE(var, head, field, next) for ((var) = ((head)->lh_first); (var) && ((next) = (var)->field.le_next, 1); (var) = (next))
#define SLIST_FOREACH(var, head, field) for ((var) = (head)->slh_first; (var); (var) = (var)->field.sle_next)
#define SIMPLEQ_FOREACH(var, head, field) for ((var) = ((head)->sqh_first); (var); (var) = ((var)->field.sqe_next))
#define SIMPLEQ_FOREACH_SAFE(var, head, field, next) for ((var) = ((head)->sqh_first); (var) && ((next) = (var)->field.sqe_next, 1); (var) = (next))
#define STAILQ_FOREACH(var, head, field) for ((var) = ((head)->stqh_first); (var); (var) = ((var)->field.stqe_next))
#define RB_ENTRY(type) struct { struct type *rbe_left; struct type *rbe_right; struct type *rbe_parent; int rbe_color; }
#define __KERNEL_RCSID(n, s)
#define __link_set_add_text(set, sym)
#define __link_set_add_data(set, sym)
#define __unused
#define __used
#define __packed
#define __aligned(x)
#define __dead
#define __printflike(a, b)
#define __predict_true(x) (x)
#define __predict_false(x) (x)
#define __diagused
#define __debugused
#define __KASSERT_USED
#define __cacheline_aligned
#define __read_mostly
#define Static static
/* BSD debug macros take a parenthesised printf argument list: printf x */
#define DPRINTF(x) do { } while (0)
#define DPRINTFN(n, x) do { } while (0)
#define DDPRINTF(x) do { } while (0)
#define DDPRINTFN(n, x) do { } while (0)
/* functions named by a macro (sys/kern/core_elf32.c, compat/linux's exec) */
#define ELFNAMEEND(x) x
#define ELFNAME(x) x
#define ELFNAME2(x, y) x ## _ ## y
/* sys/net/rtsock_shared.c, compiled as rtsock.c and compat's rtsock_50.c */
#define COMPATNAME(x) x
/* case labels a port may add (procfs_vnops.c) */
#define PROCFS_MACHDEP_PROTECT_CASES
