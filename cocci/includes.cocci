// includes.cocci -- #include <sys/malloc.h> where malloc(9) is now used.
//
// The plan says, per file, one of:
//   replace      <sys/kmem.h> -> <sys/malloc.h> (nothing from kmem.h is left)
//   after-kmem   add <sys/malloc.h> after <sys/kmem.h> (kmem is still used)
//   after-param  add it after <sys/param.h> (kmem.h came in another way)
//   after-systm  add it after <sys/systm.h>
//   after-types  add it after <sys/types.h>
// and nothing when the file includes <sys/malloc.h> already, or has no
// converted site.  Every malloc type is declared by <sys/malloc.h> (through
// the generated <sys/malloc_types.h>), so no per-file declaration is added.
//
// Confidence: high.

@@
position p : script:python() { k2m_include(p, "replace") };
@@
- #include <sys/kmem.h>@p
+ #include <sys/malloc.h>

@@
position p : script:python() { k2m_include(p, "after-kmem") };
@@
  #include <sys/kmem.h>@p
+ #include <sys/malloc.h>

@@
position p : script:python() { k2m_include(p, "after-param") };
@@
  #include <sys/param.h>@p
+ #include <sys/malloc.h>

@@
position p : script:python() { k2m_include(p, "after-systm") };
@@
  #include <sys/systm.h>@p
+ #include <sys/malloc.h>

@@
position p : script:python() { k2m_include(p, "after-types") };
@@
  #include <sys/types.h>@p
+ #include <sys/malloc.h>
