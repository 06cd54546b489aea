"""The size rule: a sized free(p, T, n) must pass the size its memory was
allocated with.

The shim's kern_free_sized() checks n against the block's size (a
header-less type's footer, a header's request size) in a DIAGNOSTIC
kernel and panics when they differ; n 0 means "unknown" and is not
checked.  This rule reads the links typerule.py made (the same
allocations a free is checked against for its type) and compares the
sizes clang folds to constants (cfacts.py: Event.size):

- a sized free linked to an allocation of another constant size is a
  ``wrong-size`` free (one finding per pair);
- a sized free whose every linked allocation has its own constant size
  is ``right``;
- any other is ``unchecked``, for the first reason of Unchecked that
  holds: its own size or an allocation's is not a constant (a variable,
  a string's length), or nothing is linked to it.

A linked allocation's size is what it asked for: malloc's size, a
realloc's new size (so memory that a realloc resized links both sizes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

# free(p, T, n) after macro expansion (the shim's kern_free_sized), or a
# free no header defines as a macro
SIZED_CALLS = ("free", "kern_free_sized")


class Unchecked(Enum):
    FREE_SIZE = "the free's size is not a constant"
    UNLINKED = "linked to no allocation"
    AMBIGUOUS = "ambiguous (typecheck's: which allocations reach it is not known)"
    ALLOC_SIZE = "a linked allocation's size is not a constant"
    ALLOC_NO_SIZE = "a linked allocation has no size argument (a string, printf)"


@dataclass
class SizeFinding:
    free: dict
    alloc: dict
    tier: str
    keys: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"kind": "wrong-size", "tier": self.tier, "keys": self.keys,
                "free_size": self.free["size"], "alloc_size": self.alloc["size"],
                "free": self.free, "alloc": self.alloc}


@dataclass
class SizeResult:
    sized: list[dict]             # free(p, T, n), n not 0
    # free(p, T, n) with n 0: "unknown" to the shim, which panics if T is
    # header-less; listed where n is not a literal 0 (sizeof of an empty
    # struct, GNU C's 0: aic7xxx's platform_data)
    zero: list[dict]
    right: list[dict]
    wrong: list[SizeFinding]      # by pair
    unchecked: dict[Unchecked, list[dict]]
    pairs_right: int = 0          # pairs of one constant size (of any free)

    def wrong_frees(self) -> int:
        return len({id(f.free) for f in self.wrong})


def sized(f: dict) -> bool:
    """free(p, T, n): a free(9) call with a size argument."""
    return f["kind"] == "free" and f["call"] in SIZED_CALLS and bool(f.get("sizetext"))


def check(links: list[tuple[dict, list[tuple]]], ambiguous: list[dict]) -> SizeResult:
    """links: each free with its linked (alloc, tier, key), typerule.Result.links;
    ambiguous: typerule.Result.frees_ambiguous."""
    unsure = {id(f) for f in ambiguous}
    res = SizeResult([], [], [], [], {u: [] for u in Unchecked})
    for f, fl in links:
        if not sized(f):
            continue
        if f["size"] == 0:
            res.zero.append(f)
            continue
        res.sized.append(f)
        # one allocation linked by several keys is one pair
        pairs: dict[int, tuple[dict, str, list[str]]] = {}
        for a, tier, key in fl:
            _, _, keys = pairs.setdefault(id(a), (a, tier, []))
            if key and key not in keys:
                keys.append(key)
        why = None
        if f["size"] is None:
            why = Unchecked.FREE_SIZE
        elif not pairs:
            why = Unchecked.AMBIGUOUS if id(f) in unsure else Unchecked.UNLINKED
        wrong = []
        right = 0
        for a, tier, keys in pairs.values():
            if a["size"] is None:
                why = why or (Unchecked.ALLOC_SIZE if a.get("sizetext")
                              else Unchecked.ALLOC_NO_SIZE)
            elif f["size"] is not None and a["size"] != f["size"]:
                wrong.append(SizeFinding(f, a, tier, keys))
            elif f["size"] is not None:
                right += 1
        if wrong:
            res.wrong += wrong
        elif why:
            res.unchecked[why].append(f)
        else:
            res.right.append(f)
        res.pairs_right += right
    res.wrong.sort(key=lambda x: (x.free["file"], x.free["line"], x.alloc["file"],
                                  x.alloc["line"]))
    return res
