"""The allocator functions: the one table of who allocates and who frees.

Every module that looks for allocator calls (the scanner, install-shim's
survey of malloc types) reads this table.  For each function: its family
(kmem(9), kmem's string and scratch helpers, malloc(9)), whether it
allocates or releases, how many arguments a call has, and which argument
is the pointer released, the size, the flags and the malloc type.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

KMEM, KMEM_STR, MALLOC = "kmem", "kmem-str", "malloc"


class Role(enum.StrEnum):
    """What a call does (a str: it prints and compares as its value)."""
    ALLOC = "alloc"     # allocates (or reallocates)
    FREE = "free"       # releases


@dataclass(frozen=True)
class Allocator:
    name: str
    family: str             # KMEM, KMEM_STR or MALLOC
    role: Role
    arity: tuple[int, ...]  # the argument counts of a real call (): any
    ptr: int | None = None  # argument released (frees), or reallocated
    size: int | None = None
    flags: int | None = None
    mtype: int | None = None    # the malloc type argument
    # kmem(9) only: the malloc(9) function a call becomes, and where the
    # malloc type goes among its arguments (type_at == the kmem call's
    # argument count: after the last)
    becomes: str | None = None
    type_at: int | None = None


TABLE = {a.name: a for a in (
    Allocator("kmem_alloc", KMEM, Role.ALLOC, (2,), size=0, flags=1, becomes="malloc", type_at=1),
    Allocator("kmem_zalloc", KMEM, Role.ALLOC, (2,), size=0, flags=1, becomes="malloc", type_at=1),
    Allocator("kmem_intr_alloc", KMEM, Role.ALLOC, (2,), size=0, flags=1, becomes="malloc",
              type_at=1),
    Allocator("kmem_intr_zalloc", KMEM, Role.ALLOC, (2,), size=0, flags=1, becomes="malloc",
              type_at=1),
    Allocator("kmem_free", KMEM, Role.FREE, (2,), ptr=0, size=1, becomes="free", type_at=1),
    Allocator("kmem_intr_free", KMEM, Role.FREE, (2,), ptr=0, size=1, becomes="free", type_at=1),
    # kmem's string and scratch helpers, and the shim's typed twins
    # (kmem_asprintf(fmt, ...) always sleeps; kmem_strdup(s, flags) is a
    # macro over kmem_strdupsize in NetBSD-current, called as written)
    Allocator("kmem_asprintf", KMEM_STR, Role.ALLOC, (), becomes="malloc_asprintf", type_at=0),
    Allocator("kmem_strdup", KMEM_STR, Role.ALLOC, (2,), flags=1, becomes="malloc_strdup",
              type_at=1),
    Allocator("kmem_strdupsize", KMEM_STR, Role.ALLOC, (3,), flags=2,
              becomes="malloc_strdupsize", type_at=2),
    Allocator("kmem_strndup", KMEM_STR, Role.ALLOC, (3,), flags=2, becomes="malloc_strndup",
              type_at=2),
    # kmem_strfree(NULL) does nothing (subr_kmem.c), so it is not
    # free(s, T, strlen(s) + 1): kern_exec.c frees proc0's NULL p_path
    Allocator("kmem_strfree", KMEM_STR, Role.FREE, (1,), ptr=0, becomes="malloc_strfree",
              type_at=1),
    Allocator("kmem_tmpbuf_alloc", KMEM_STR, Role.ALLOC, (4,), size=0, flags=3,
              becomes="malloc_tmpbuf_alloc", type_at=3),
    Allocator("kmem_tmpbuf_free", KMEM_STR, Role.FREE, (3,), ptr=0, size=1,
              becomes="malloc_tmpbuf_free", type_at=3),
    Allocator("malloc", MALLOC, Role.ALLOC, (3,), size=0, mtype=1, flags=2),
    Allocator("realloc", MALLOC, Role.ALLOC, (4,), ptr=0, size=1, mtype=2, flags=3),
    # OpenBSD's and FreeBSD's mallocarray(nmemb, size, type, flags), which
    # drivers ported from them call (mfii.c, if_mcx.c): its memory is
    # free(9)'s, and retag must follow it
    Allocator("mallocarray", MALLOC, Role.ALLOC, (4,), mtype=2, flags=3),
    Allocator("free", MALLOC, Role.FREE, (2, 3), ptr=0, mtype=1, size=2),
    Allocator("malloc_asprintf", MALLOC, Role.ALLOC, (), mtype=0),
    Allocator("malloc_strdup", MALLOC, Role.ALLOC, (3,), mtype=1, flags=2),
    Allocator("malloc_strdupsize", MALLOC, Role.ALLOC, (4,), mtype=2, flags=3),
    Allocator("malloc_strndup", MALLOC, Role.ALLOC, (4,), mtype=2, flags=3),
    Allocator("malloc_tmpbuf_alloc", MALLOC, Role.ALLOC, (5,), size=0, mtype=3, flags=4),
    Allocator("malloc_tmpbuf_free", MALLOC, Role.FREE, (4,), ptr=0, size=1, mtype=3),
    Allocator("malloc_strfree", MALLOC, Role.FREE, (2,), ptr=0, mtype=1),
    # the functions behind <sys/malloc.h>'s free(): called by name where a
    # header has taken the macro away (includes.takes_free_away); with one
    # argument (NetBSD-current's kern_free(addr)) not a call of this interface
    Allocator("kern_free", MALLOC, Role.FREE, (2,), ptr=0, mtype=1),
    Allocator("kern_free_sized", MALLOC, Role.FREE, (3,), ptr=0, mtype=1, size=2),
)}

# Memory several owners allocate and one release site frees (pairing's
# shared release): each allocation records its type with the block,
# malloc(n, M_RECORDED(T), f), and every free of that memory names no
# type, free(p, M_ASALLOCATED, n): the shim charges the recorded one.
RECORDED, AS_ALLOCATED = "M_RECORDED", "M_ASALLOCATED"
_RECORDED_RE = re.compile(RECORDED + r"\(\s*([A-Za-z_]\w*)\s*\)\Z")


def recorded(tag: str) -> str:
    return f"{RECORDED}({tag})"


def type_arg(text: str) -> str | None:
    """The malloc type a type argument names: T of T and of M_RECORDED(T);
    None for anything else (M_ASALLOCATED, an expression)."""
    t = " ".join(text.split())
    m = _RECORDED_RE.match(t)
    if m:
        return m.group(1)
    return t if re.fullmatch(r"[A-Za-z_]\w*", t) and t != AS_ALLOCATED else None


KMEM_NAMES = frozenset(n for n, a in TABLE.items() if a.family != MALLOC)
MALLOC_NAMES = frozenset(n for n, a in TABLE.items() if a.family == MALLOC)


def fits(name: str, nargs: int) -> bool:
    """Whether nargs is an argument count of name's interface."""
    a = TABLE[name]
    return not a.arity or nargs in a.arity


def is_call(name: str, nargs: int) -> bool:
    """Whether a call of name with nargs arguments is a call site to
    account for.  Every kmem call counts, whatever its arguments (a
    3-argument kmem_free of the old uvm interface is a site to report);
    malloc, realloc and free only with the kernel's arguments, a malloc
    type among them (a libc-style malloc(n) in a user-space file is not
    malloc(9))."""
    a = TABLE.get(name)
    if a is None:
        return False
    return a.family != MALLOC or fits(name, nargs)


# A file that defines one of these is an allocator's implementation, not a
# caller: kmem(9), malloc(9), pools, and the vmem and uvm_km back ends kmem
# runs on (rump's stand-ins define the same names).  Its calls are never
# converted (malloc() would call itself, kmem_free() free(9)) and never
# paired with a caller's.
IMPLEMENTS = frozenset(KMEM_NAMES | {
    "kmem_init", "kern_malloc", "kern_free", "kern_realloc", "kern_free_sized",
    "pool_init", "pool_get", "pool_put", "pool_cache_init", "pool_cache_get_paddr",
    "pool_cache_put_paddr", "vmem_alloc", "vmem_xalloc", "vmem_free", "vmem_create",
    "uvm_km_alloc", "uvm_km_free", "uvm_km_kmem_alloc", "uvm_km_kmem_free",
    "kmem_intr_alloc", "kmem_intr_free",
})
