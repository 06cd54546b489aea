// kmem_calls.cocci -- kmem(9) allocations and frees to malloc(9) and free(9).
//
//   kmem_alloc(n, KM_SLEEP)             -> malloc(n, T, M_WAITOK)
//   kmem_zalloc(n, KM_NOSLEEP)          -> malloc(n, T, M_NOWAIT | M_ZERO)
//   kmem_intr_alloc, kmem_intr_zalloc   -> the same (malloc(9) with M_NOWAIT
//                                          is safe in interrupt context)
//   flags c ? KM_SLEEP : KM_NOSLEEP     -> c ? M_WAITOK : M_NOWAIT (either order)
//   kmem_free(p, n), kmem_intr_free     -> free(p, T)
//
// T is the malloc type the plan gives the site (normally the file's type
// from tag-map.yaml; a free takes the type of the allocation it releases).
// Only sites the plan lists are touched: the driver keeps a whole pair as
// kmem when one half cannot be converted (under #if 0, in a macro, a kmem
// string helper such as kmem_asprintf freed with kmem_free, a flags
// expression it does not translate, a function spatch cannot parse).
//
// Allocations and frees are one rule on purpose: spatch re-numbers the
// lines of a function once a rule has changed it, so every site must be
// matched against the plan before anything is rewritten, and a position
// cannot be inherited over a modification.  The first argument is left as
// written, so line breaks and comments inside a size expression survive.
//
// Confidence: high.  KM_SLEEP and M_WAITOK both never return NULL;
// KM_NOSLEEP and M_NOWAIT both may.  malloc(0) and free(NULL) are legal
// where kmem(9) forbids them, so no correct caller can break.  The size
// given to kmem_free is dropped (malloc(9) records it); a size expression
// with side effects would lose them -- none is known in NetBSD.

@site@
identifier fn = {kmem_alloc, kmem_zalloc, kmem_intr_alloc, kmem_intr_zalloc,
                 kmem_free, kmem_intr_free};
expression A, B;
position p : script:python() { k2m_convert(p) };
@@
fn@p(A, B)

@script:python site_new@
p << site.p;
fn << site.fn;
B << site.B;
newfn;
rest;
@@
if fn in ("kmem_free", "kmem_intr_free"):
    coccinelle.newfn = cocci.make_ident("free")
    coccinelle.rest = cocci.make_expr(k2m_tag(p))
else:
    flags = k2m_flags(fn, B)
    if flags is None:
        cocci.include_match(False)
    else:
        coccinelle.newfn = cocci.make_ident("malloc")
        coccinelle.rest = cocci.make_expr(k2m_tag(p) + ", " + flags)

@@
identifier site.fn;
expression site.A, site.B;
position site.p;
identifier site_new.newfn;
expression site_new.rest;
@@
- fn@p
+ newfn
  (A,
- B
+ rest
  )
