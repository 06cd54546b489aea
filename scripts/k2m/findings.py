"""Findings: what a run tells the reviewer, made in one place.

Each kind has one function here that makes its message, so report.md,
report.json and the README list the same kinds:

  boundary        pairs with kmem memory outside the converted paths
  cross-type      a free given the type of its allocation in another file
  ambiguous-type  a free whose allocations have several types
  unpaired-free   a free whose allocation was not found
  spatch          a function spatch did not convert (its pairs kept)
  spatch-error    spatch failed on the file (the file is kept whole)
  count           the output's call sites do not add up to the plan
  include         no header to put <sys/malloc.h> after
"""

from __future__ import annotations

from dataclasses import dataclass


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
        f"frees memory allocated as {tag} at {other.where}: "
        f"uses {tag}, not this file's {own}"))


def ambiguous_type(site, tags, own: str) -> Finding:
    return Finding(site.path, site.line, "ambiguous-type", (
        f"may free memory allocated as {', '.join(sorted(tags))}; "
        f"uses {own}: check by hand"))


def unpaired_free(site) -> Finding:
    arg = site.args[0] if site.args else "?"
    return Finding(site.path, site.line, "unpaired-free", (
        f"no allocation of `{arg}` found by name; "
        f"converted on the file's word: check where it is allocated"))


def spatch(path: str, line: int, reason: str) -> Finding:
    return Finding(path, line, "spatch", reason)


def spatch_error(path: str, message: str) -> Finding:
    return Finding(path, 1, "spatch-error", message)


def count(path: str, problem: str) -> Finding:
    return Finding(path, 1, "count", problem)


def include(path: str) -> Finding:
    return Finding(path, 1, "include", (
        "uses malloc(9) now but has no <sys/param.h>, <sys/systm.h>, "
        "<sys/types.h> or <sys/kmem.h> to put <sys/malloc.h> after: "
        "its includer must provide <sys/malloc.h>"))
