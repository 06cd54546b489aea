"""Findings: what a run tells the reviewer, made in one place.

Each kind has one function here that makes its message, so report.md,
report.json and the README list the same kinds:

  boundary        pairs with kmem memory outside the converted paths
  cross-type      a free given the type of its allocation in another file
  legacy-type     converted memory a malloc(9) caller of the input frees
                  (the input mixed the families): the type that free names
  shared-release  a free that releases memory several owners allocate:
                  each block records its type, the free names none
  unpaired-free   a free no allocation reaches (converted together with
                  the allocations of its driver that may be its memory's)
  spatch-differs  cocci/'s rules rewrote this line otherwise than the text
                  rewrite did: a bug in one of the two (spatchcheck.py)
  not-checked     a call spatch left alone (it could not parse the
                  function): the text rewrite converted it, the check
                  could not compare it (review it)
  spatch-error    spatch failed on the file: the check could not compare it
  size-mismatch   kmem_free's size disagrees with its allocation's: a bug
                  in the input, converted as written (--keep-size-mismatch:
                  the pair is kept as kmem)
  count           the output's call sites do not add up to the plan
  include         no header to put <sys/malloc.h> after
  kmem-comment    a comment of a file that no longer calls kmem(9)
                  names it: prose the tool does not rewrite (review it)
  outside-build   code outside sys/ compiles this converted file (an ATF
                  test with its own kmem stand-ins): it needs malloc(9)'s
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .c.cscan import Site


@dataclass
class Finding:
    path: str
    line: int
    kind: str
    message: str


def boundary(site, other) -> Finding:
    return Finding(site.path, site.line, "boundary", (
        f"pairs with {other.callee} at {other.where}, outside the converted "
        f"paths; the pair is kept as kmem"))


def cross_type(site, tag: str, other, own: str) -> Finding:
    return Finding(site.path, site.line, "cross-type", (
        f"frees memory allocated as {tag} at {other.where}: memory is "
        f"charged to the owner that allocates it, so {tag}, not this "
        f"file's {own}"))


def legacy_type(site, tag: str, free, own: str) -> Finding:
    return Finding(site.path, site.line, "legacy-type", (
        f"its memory is freed by a malloc(9) caller of the input, {free.callee} at "
        f"{free.where} as {tag} (a kmem/malloc mix in the input, mended): {tag}, "
        f"not this file's {own}"))


def shared_release(site, owners: list[tuple[str, Site]]) -> Finding:
    named = ", ".join(f"{t} (allocated at {a.where})" for t, a in owners)
    return Finding(site.path, site.line, "shared-release", (
        f"releases memory of several owners: {named}; each allocation of "
        f"that memory records its type, M_RECORDED(T), and its frees charge "
        f"the recorded one, M_ASALLOCATED"))


def unpaired_free(site, converted: bool) -> Finding:
    arg = site.args[0] if site.args else "?"
    what = f"memory of {site.objtype}" if site.objtype else f"`{arg}`"
    if converted:
        return Finding(site.path, site.line, "unpaired-free", (
            f"no allocation reaches this free of {what}: converted with the "
            f"allocations of its driver that may be its memory's; check where "
            f"it is allocated"))
    return Finding(site.path, site.line, "unpaired-free", (
        f"no allocation reaches this free of {what}: kept as kmem; check where "
        f"it is allocated"))


def size_mismatch(free, alloc, kept: bool) -> Finding:
    then = ("the pair stays kmem" if kept else
            "converted with the size as written: a DIAGNOSTIC kernel's size "
            "check panics on it as kmem's KMEM_SIZE check does today")
    return Finding(free.path, free.line, "size-mismatch", (
        f"{free.callee}(..., {free.size}) frees memory allocated at {alloc.where} "
        f"as {alloc.callee}({alloc.size}, ...): the sizes disagree, a bug in the "
        f"input; fix it in a commit of its own ({then})"))


def spatch_differs(path: str, line: int, what: str) -> Finding:
    return Finding(path, line, "spatch-differs", (
        f"cocci/'s rules and the text rewrite disagree here: {what} (a bug in "
        "one of the two: the output is the text rewrite's)"))


def not_checked(path: str, line: int, func: str | None) -> Finding:
    return Finding(path, line, "not-checked", (
        f"spatch could not parse {func or 'the function'}(): the text rewrite "
        "converted this call, the check by cocci/'s rules could not compare it"))


def spatch_error(path: str, message: str) -> Finding:
    return Finding(path, 1, "spatch-error",
                   f"{message} (the check could not compare this file)")


def count(path: str, problem: str) -> Finding:
    return Finding(path, 1, "count", problem)


def include(path: str) -> Finding:
    return Finding(path, 1, "include", (
        "uses malloc(9) now but has no <sys/param.h>, <sys/systm.h>, "
        "<sys/types.h> or <sys/kmem.h> to put <sys/malloc.h> after: "
        "its includer must provide <sys/malloc.h>"))


def outside_build(path: str, users: list[str]) -> Finding:
    named = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
    return Finding(path, 1, "outside-build", (
        f"compiled outside the kernel by {named}: it now calls malloc(9) and "
        f"free(9) (the sized free takes three arguments), so that build needs "
        f"stand-ins for them in place of its kmem(9) ones"))


def kmem_comment(path: str, lines: list[tuple[int, str]]) -> Finding:
    at = ", ".join(f"{n} ({w})" for n, w in lines[:6]) + \
        (f" and {len(lines) - 6} more" if len(lines) > 6 else "")
    return Finding(path, lines[0][0], "kmem-comment", (
        f"the file calls no kmem(9) now, but comments name it at line "
        f"{at}: update those that describe the converted code (a comment on "
        f"/dev/kmem, the kmem arena or boot before kmem(9) is up stays true)"))
