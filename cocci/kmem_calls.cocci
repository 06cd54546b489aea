/// kmem_calls.cocci -- kmem(9) allocations and frees to malloc(9) and free(9).
///
// Confidence: High
// Options: --no-includes --max-width 10000 --macro-file netbsd_macros.h
//
// (Options, as Linux's coccicheck reads them: spatch.py passes them, a
// relative --macro-file being in cocci/.  --max-width: spatch breaks no
// line of its own; restyle.py breaks the rewritten statements in style(9).)
//
//   kmem_alloc(n, KM_SLEEP)             -> malloc(n, T, M_WAITOK)
//   kmem_zalloc(n, KM_NOSLEEP)          -> malloc(n, T, M_NOWAIT | M_ZERO)
//   kmem_intr_alloc, kmem_intr_zalloc   -> the same (malloc(9) with M_NOWAIT
//                                          is safe in interrupt context)
//   flags c ? KM_SLEEP : KM_NOSLEEP     -> c ? M_WAITOK : M_NOWAIT (either order)
//   kmem_free(p, n), kmem_intr_free     -> free(p, T)
//
// Only the call sites the driver planned are touched, and the plan reaches
// spatch in the text itself: before spatch runs, scripts/k2m/textual.py
// renames each planned call k2m_<name> and puts its malloc type T in front
// of the last argument,
//
//   kmem_zalloc(n, KM_SLEEP)  ->  k2m_kmem_zalloc(n, T, KM_SLEEP)
//   kmem_free(p, n)           ->  k2m_kmem_free(p, T, n)
//
// so these rules need no script and no position, and a kmem call the plan
// keeps (the other half of its pair is under #if 0, in a macro, a kmem
// string helper such as kmem_asprintf freed with kmem_free, a flags
// expression not translated here, a function spatch cannot parse) is never
// matched.  T is normally the file's type from tag-map.yaml; a free takes
// the type of the allocation it releases.  A marked call spatch leaves
// alone (it could not parse the function) is put back as it was, and the
// driver keeps the pair.  The flags forms here are exactly those
// scripts/k2m/flags.py translates, which is what the planner converts.
// The first argument is context, so line breaks and comments inside a size
// expression survive.
//
// Why the confidence is high: KM_SLEEP and M_WAITOK both never return NULL;
// KM_NOSLEEP and M_NOWAIT both may.  malloc(0) and free(NULL) are legal
// where kmem(9) forbids them, so no correct caller can break.  The size
// given to kmem_free is dropped (malloc(9) records it); a size expression
// with side effects would lose them -- none is known in NetBSD.

@alloc_to_malloc@
identifier fn = {k2m_kmem_alloc, k2m_kmem_intr_alloc};
expression N, T, C;
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
)
  )

@zalloc_to_malloc_zero@
identifier fn = {k2m_kmem_zalloc, k2m_kmem_intr_zalloc};
expression N, T, C;
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
)
  )

@free_to_free@
identifier fn = {k2m_kmem_free, k2m_kmem_intr_free};
expression P, T, N;
@@
- fn
+ free
  (P, T
- , N
  )
