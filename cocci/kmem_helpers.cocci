/// kmem_helpers.cocci -- kmem(9)'s string and scratch-buffer helpers to the
/// shim's typed malloc(9) ones.
///
// Confidence: High
// Options: --no-includes --max-width 10000 --macro-file-builtins netbsd_macros.h
//
//   kmem_asprintf(fmt, ...)              -> malloc_asprintf(T, fmt, ...)
//   kmem_strdup(s, KM_SLEEP)             -> malloc_strdup(s, T, M_WAITOK)
//   kmem_strdupsize(s, &n, KM_SLEEP)     -> malloc_strdupsize(s, &n, T, M_WAITOK)
//   kmem_strndup(s, n, KM_SLEEP)         -> malloc_strndup(s, n, T, M_WAITOK)
//   kmem_strfree(s)                      -> malloc_strfree(s, T)
//   kmem_tmpbuf_alloc(n, b, bs, KM_SLEEP)
//                              -> malloc_tmpbuf_alloc(n, b, bs, T, M_WAITOK)
//   kmem_tmpbuf_free(p, n, b)            -> malloc_tmpbuf_free(p, n, b, T)
//
// and KM_NOSLEEP, c ? KM_SLEEP : KM_NOSLEEP in either order, as in
// kmem_calls.cocci.  Like kmem_calls.cocci, these rules are convert's check
// of its text rewrite (scripts/k2m/spatchcheck.py), runnable by hand on
// marked input with the options above.  The calls are marked as kmem_calls.cocci says, the
// type T already where the malloc(9) helper takes it.  A string of
// kmem_asprintf freed with kmem_free(p, strlen(p) + 1) is kmem_calls.cocci's
// free.
//
// Why the confidence is high: the shim's helpers (shim/sys/malloc.h) are
// kmem's with a type: the same semantics, M_WAITOK for KM_SLEEP, and their
// memory is freed with free(9); malloc_tmpbuf_free of the stack buffer does
// nothing, as kmem_tmpbuf_free.

virtual sized_free

@asprintf_to_malloc_asprintf@
expression list ES;
@@
- k2m_kmem_asprintf
+ malloc_asprintf
  (ES)

@strdup_to_malloc_strdup@
expression S, T, C;
@@
- k2m_kmem_strdup
+ malloc_strdup
  (S, T,
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

@strdupsize_to_malloc_strdupsize@
expression S, P, T, C;
@@
- k2m_kmem_strdupsize
+ malloc_strdupsize
  (S, P, T,
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

@strndup_to_malloc_strndup@
expression S, N, T, C;
@@
- k2m_kmem_strndup
+ malloc_strndup
  (S, N, T,
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

@tmpbuf_alloc_to_malloc_tmpbuf_alloc@
expression N, B, BS, T, C;
@@
- k2m_kmem_tmpbuf_alloc
+ malloc_tmpbuf_alloc
  (N, B, BS, T,
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

@tmpbuf_free_to_malloc_tmpbuf_free@
expression list ES;
@@
- k2m_kmem_tmpbuf_free
+ malloc_tmpbuf_free
  (ES)

@strfree_to_malloc_strfree@
expression list ES;
@@
- k2m_kmem_strfree
+ malloc_strfree
  (ES)
