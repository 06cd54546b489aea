"""The size a legacy free(p, T) can be given, free(p, T, n), for retag.

A header-less type (MALLOC_DEFINE_SIZED: every free of it passes the size,
so its converted code keeps kmem's alignment) takes a legacy caller's
memory only if each of the caller's frees can pass the size too.  The
shim's DIAGNOSTIC build checks that size against the block's, so a wrong
one panics; it is written only where it cannot be wrong:

- every allocation of the memory (its pairing component: every
  allocation a free may release) is a malloc() of one fixed size:
  `sizeof` of a type or of the object its pointer points to, integer
  constants and constant macros (names in capitals: MAXPATHLEN,
  SAVEBUF_SIZE), casts and arithmetic of those; no variable, since a
  variable may change between the allocation and the free; no struct
  with no members (GNU C gives it size 0, and a header-less type
  allocates no 0-byte block: aic7xxx's empty struct ahc_platform_data);
- the free is in a file that holds one of those allocations, so what
  the size names (a macro, a struct's definition) is known there too.

The size is written as the object's `sizeof(*p)` where the free's
pointer is a plain name or member chain of that type (OpenBSD's
`free(sc, M_DEVBUF, sizeof(*sc))`), else as the allocations write it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..allocators import Role
from ..c import brackets, cdecl
from ..c.cscan import Site


def _is_type(text: str) -> bool:
    """text names a type as `sizeof(...)` or a cast may: a struct, union
    or enum tag, or scalar words and typedef names (cdecl's, and NetBSD's
    _t convention), with `const` and `*`s."""
    words = [w for w in text.replace("*", " ").split() if w != "const"]
    if len(words) == 2 and words[0] in ("struct", "union", "enum"):
        return re.fullmatch(r"[A-Za-z_]\w*", words[1]) is not None
    return bool(words) and all(cdecl.is_scalar(w) or re.fullmatch(r"\w+_t", w) is not None
                               for w in words)


_TOKEN = re.compile(r"\s*(?:(sizeof)\b|([A-Za-z_]\w*)|((?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*)|(\S))")
_ZERO = re.compile(r"[\s(]*0[uUlL]*[\s)]*")
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_OPERATORS = set("+-*/<>|&~^")
# the object a pointer points to: sizeof(*p), sizeof *sc->sc_q
_OBJECT = re.compile(r"^sizeof\s*(?:\(\s*\*\s*[A-Za-z_][\w.>\-\s]*\)|\*\s*[A-Za-z_][\w.>\-]*)$")
# a pointer expression that names no call and changes nothing
_PLAIN = re.compile(r"^[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class FixedSize:
    """One fixed allocation size: the type of the object (sizeof(*p)
    forms), or None with the constant expression as written."""
    objtype: str | None
    text: str


def constant(text: str) -> bool:
    """text is an integer constant expression that names no variable."""
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:                               # trailing space
            return not text[i:].strip()
        kw, name, number, op = m.groups()
        if kw or (op == "(" and _cast_at(text, m.end())):
            start = text.index("(", m.end() - 1 if op else m.end())
            end = brackets.match(text, start)
            if not _is_type(text[start + 1:end - 1]):
                return False
            i = end
            continue
        if name and not _CONSTANT_NAME.match(name):
            return False
        if op and op not in _OPERATORS and op not in "()":
            return False
        i = m.end()
    return True


def _cast_at(text: str, i: int) -> bool:
    """A '(' ending at i opens a cast: a type name and ')'."""
    end = brackets.match(text, i - 1)
    return _is_type(text[i:end - 1]) and not \
        _CONSTANT_NAME.match(text[i:end - 1].strip())


def of_allocation(s: Site) -> FixedSize | None:
    """The fixed size malloc() call s asks for, or None."""
    size = s.size
    if s.callee != "malloc" or size is None or s.size_zero:
        return None
    if s.size_type and (_OBJECT.match(size) or re.fullmatch(r"sizeof\s*\(" + re.escape(
            s.size_type) + r"\)", size)) and _is_type(s.size_type):
        return FixedSize(s.size_type, f"sizeof({s.size_type})")
    return FixedSize(None, size) if constant(size) and not _ZERO.fullmatch(size) else None


def for_free(fixed: FixedSize, free: Site) -> str:
    """The size argument free() call `free` is to pass."""
    ptr = " ".join(free.args[0].split())
    if fixed.objtype and free.objtype == fixed.objtype and _PLAIN.match(ptr):
        return f"sizeof(*{ptr})"
    return fixed.text


def plan(comp: list[int], sites: list[Site], unsized: list[int]) -> dict[int, str] | str:
    """{site: its size} for the unsized frees of a component (indexes in
    sites), or why they cannot have one."""
    allocs = [i for i in comp if sites[i].role == Role.ALLOC and sites[i].counted]
    fixed: FixedSize | None = None
    for i in allocs:
        f = of_allocation(sites[i])
        if f is None:
            return (f"{sites[i].callee} at {sites[i].where} asks for "
                    f"`{sites[i].size}`, not a fixed size a free could pass")
        if fixed is not None and f != fixed:
            return (f"its allocations ask for `{fixed.text}` and `{f.text}` "
                    f"({sites[i].where}): a free cannot know which")
        fixed = f
    assert fixed is not None, "a component with a retyped free has an allocation"
    files = {sites[i].path for i in allocs}
    out: dict[int, str] = {}
    for i in unsized:
        s = sites[i]
        if s.callee != "free":
            return f"{s.callee} at {s.where} needs a header type"
        if s.path not in files:
            return (f"free at {s.where} is in another file than its allocations: "
                    f"`{fixed.text}` may not be known there")
        out[i] = for_free(fixed, s)
    return out
