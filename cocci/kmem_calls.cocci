/// kmem_calls.cocci -- kmem(9) allocations and frees to malloc(9) and free(9).
///
// These rules are now the CHECK of the rewrite, not the rewrite: convert
// rewrites every planned call by text (scripts/k2m/textual.py, driven by
// the allocator table, scripts/k2m/allocators.py), then runs these rules
// over the same plan and requires the same output, file by file
// (scripts/k2m/spatchcheck.py; README: convert, step 4).  A difference is a
// bug in one of the two.  They stay plain SmPL, runnable by hand on marked
// input (Linux's coccicheck model), with the options below:
//
//   spatch --sp-file cocci/kmem_calls.cocci --no-includes --max-width 10000 \
//       --macro-file-builtins cocci/netbsd_macros.h -D sized_free marked.c
//
// Confidence: High
// Options: --no-includes --max-width 10000 --macro-file-builtins netbsd_macros.h
//
// (Options, as Linux's coccicheck reads them: spatch.py passes them, a
// relative macro file being in cocci/.  --max-width: spatch breaks no
// line of its own; restyle.py breaks the rewritten statements in style(9).)
//
//   kmem_alloc(n, KM_SLEEP)             -> malloc(n, T, M_WAITOK)
//   kmem_zalloc(n, KM_NOSLEEP)          -> malloc(n, T, M_NOWAIT | M_ZERO)
//   kmem_intr_alloc, kmem_intr_zalloc   -> the same (malloc(9) with M_NOWAIT
//                                          is safe in interrupt context)
//   flags c ? KM_SLEEP : KM_NOSLEEP     -> c ? M_WAITOK : M_NOWAIT (either order)
//   flags v, a km_flag_t variable       -> (v & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK
//                                          (the planner marks only calls whose
//                                          flags are one of these forms; so the
//                                          last branch of each rule, any F, sees
//                                          only the variables)
//   kmem_free(p, n), kmem_intr_free     -> free(p, T)
//
// Two virtual rules choose other forms (spatch -D NAME; convert's options):
//
//   sized_free   kmem_free(p, n)          -> free(p, T, n), OpenBSD's form,
//                                            the size as written (the shim's
//                                            MALLOC_SIZED_FREE checks it)
//   intr_flag    kmem_intr_alloc(n, KM_NOSLEEP)
//                                         -> malloc(n, T, M_NOWAIT | M_INTR)
//                                            (the shim's MALLOC_CHECK_INTR
//                                            keeps kmem's interrupt check)
//
// Only the call sites the driver planned are touched, and the plan reaches
// spatch in the text itself: before spatch runs, scripts/k2m/textual.py
// renames each planned call k2m_<name> and puts its malloc type T where the
// malloc(9) call takes it,
//
//   kmem_zalloc(n, KM_SLEEP)  ->  k2m_kmem_zalloc(n, T, KM_SLEEP)
//   kmem_free(p, n)           ->  k2m_kmem_free(p, T, n)
//
// so these rules need no script and no position, and a kmem call the plan
// keeps (the other half of its pair is kept for a reason: a flags
// expression not translated, a size that disagrees with the
// allocation's ...) is never matched.  T is normally the file's type from
// tag-map.yaml; a free takes the type of the allocation it releases.  A
// marked call spatch leaves alone (it could not parse the function) is
// converted by the text rewrite all the same, and reported as not
// checked.  The flags forms here are exactly those scripts/k2m/flags.py
// translates, which is what the planner converts.  The first argument is
// context, so line breaks and comments inside a size expression survive.
// kmem's string and scratch-buffer helpers are kmem_helpers.cocci's.
//
// Why the confidence is high: KM_SLEEP and M_WAITOK both never return NULL;
// KM_NOSLEEP and M_NOWAIT both may.  malloc(0) and free(NULL) are legal
// where kmem(9) forbids them, so no correct caller can break.  The size
// given to kmem_free is dropped (malloc(9) records it) unless sized_free; a
// size expression with side effects would lose them -- none is known in
// NetBSD.

virtual sized_free
virtual intr_flag

@alloc_to_malloc@
identifier fn = {k2m_kmem_alloc};
expression N, T, C, F;
@@
- fn
+ malloc
  (N, T,
(
- KM_SLEEP
+ M_WAITOK
|
- KM_NOSLEEP
+ M_NOWAIT
|
  C ?
- KM_SLEEP : KM_NOSLEEP
+ M_WAITOK : M_NOWAIT
|
  C ?
- KM_NOSLEEP : KM_SLEEP
+ M_NOWAIT : M_WAITOK
|
- F
+ (F & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK
)
  )

@intr_alloc_to_malloc depends on !intr_flag@
identifier fn = {k2m_kmem_intr_alloc};
expression N, T, C, F;
@@
- fn
+ malloc
  (N, T,
(
- KM_SLEEP
+ M_WAITOK
|
- KM_NOSLEEP
+ M_NOWAIT
|
  C ?
- KM_SLEEP : KM_NOSLEEP
+ M_WAITOK : M_NOWAIT
|
  C ?
- KM_NOSLEEP : KM_SLEEP
+ M_NOWAIT : M_WAITOK
|
- F
+ (F & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK
)
  )

@intr_alloc_to_malloc_intr depends on intr_flag@
identifier fn = {k2m_kmem_intr_alloc};
expression N, T, C, F;
@@
- fn
+ malloc
  (N, T,
(
- KM_SLEEP
+ M_WAITOK
|
- KM_NOSLEEP
+ M_NOWAIT | M_INTR
|
  C ?
- KM_SLEEP : KM_NOSLEEP
+ M_WAITOK : (M_NOWAIT | M_INTR)
|
  C ?
- KM_NOSLEEP : KM_SLEEP
+ (M_NOWAIT | M_INTR) : M_WAITOK
|
- F
+ (F & KM_NOSLEEP) ? (M_NOWAIT | M_INTR) : M_WAITOK
)
  )

@zalloc_to_malloc_zero@
identifier fn = {k2m_kmem_zalloc};
expression N, T, C, F;
@@
- fn
+ malloc
  (N, T,
(
- KM_SLEEP
+ M_WAITOK | M_ZERO
|
- KM_NOSLEEP
+ M_NOWAIT | M_ZERO
|
- C ? KM_SLEEP : KM_NOSLEEP
+ (C ? M_WAITOK : M_NOWAIT) | M_ZERO
|
- C ? KM_NOSLEEP : KM_SLEEP
+ (C ? M_NOWAIT : M_WAITOK) | M_ZERO
|
- F
+ ((F & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) | M_ZERO
)
  )

@intr_zalloc_to_malloc_zero depends on !intr_flag@
identifier fn = {k2m_kmem_intr_zalloc};
expression N, T, C, F;
@@
- fn
+ malloc
  (N, T,
(
- KM_SLEEP
+ M_WAITOK | M_ZERO
|
- KM_NOSLEEP
+ M_NOWAIT | M_ZERO
|
- C ? KM_SLEEP : KM_NOSLEEP
+ (C ? M_WAITOK : M_NOWAIT) | M_ZERO
|
- C ? KM_NOSLEEP : KM_SLEEP
+ (C ? M_NOWAIT : M_WAITOK) | M_ZERO
|
- F
+ ((F & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) | M_ZERO
)
  )

@intr_zalloc_to_malloc_intr_zero depends on intr_flag@
identifier fn = {k2m_kmem_intr_zalloc};
expression N, T, C, F;
@@
- fn
+ malloc
  (N, T,
(
- KM_SLEEP
+ M_WAITOK | M_ZERO
|
- KM_NOSLEEP
+ M_NOWAIT | M_INTR | M_ZERO
|
- C ? KM_SLEEP : KM_NOSLEEP
+ (C ? M_WAITOK : (M_NOWAIT | M_INTR)) | M_ZERO
|
- C ? KM_NOSLEEP : KM_SLEEP
+ (C ? (M_NOWAIT | M_INTR) : M_WAITOK) | M_ZERO
|
- F
+ ((F & KM_NOSLEEP) ? (M_NOWAIT | M_INTR) : M_WAITOK) | M_ZERO
)
  )

@free_to_free depends on !sized_free@
identifier fn = {k2m_kmem_free, k2m_kmem_intr_free};
expression P, T, N;
@@
- fn
+ free
  (P, T
- , N
  )

@free_to_sized_free depends on sized_free@
identifier fn = {k2m_kmem_free, k2m_kmem_intr_free};
expression P, T, N;
@@
- fn
+ free
  (P, T, N)
