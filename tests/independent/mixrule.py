"""The mixed-pair rule: which allocations a free can release, and when a
family differs.

RULE.  A free and an allocation are linked when they share a key (see
cfacts.py).  A free looks in its own file first, and the nearest
allocations decide: those whose value reaches the freed place in the
fewest assignments (counted from the allocation to the shared key and
from it to the free; for a freed value of a specific type, its own place
is at 0 and its type at 1).  Any of them of the other family is a mixed
pair ("file" tier).  If none finds one
in the file, it looks at the whole tree, and reports a mixed pair only
when every allocation of a key is of the other family ("tree" tier); when
both families allocate that key elsewhere it cannot say which memory
reaches it, and counts the free as ambiguous instead.  So one object (a
place, or a type where the place says nothing) has one family within a
file; across files only an unambiguous mismatch counts, which keeps
unrelated drivers that share a type or a framework member apart.

A member reached through embedded structs (x->a.m) is keyed by its path
in the outer record (M:X::a.m).  Its own record and member (M:A::m) is a
weak key: looked up only in the tree, after every other key.  So a
framework that frees t->m finds the allocation a driver made into
sc->sc_t.m, while in one file two embedded copies of one struct
(track->usrbuf.mem, track->outbuf.mem) stay apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def site_id(e: dict) -> tuple:
    """A site's identity that survives a conversion: lines move (an added
    #include, a call broken over two lines), the n-th allocation or free
    of a function does not."""
    return (e["kind"], e["file"], e["function"], e["ordinal"])


@dataclass
class Finding:
    alloc: dict
    free: dict
    tier: str                     # "file" or "tree"
    keys: list[str] = field(default_factory=list)
    origin: str | None = None     # "created", "input", or None without --before

    def ident(self) -> tuple:
        return (site_id(self.alloc), site_id(self.free))

    def to_json(self) -> dict:
        return {"origin": self.origin, "tier": self.tier, "keys": self.keys,
                "alloc": self.alloc, "free": self.free}


@dataclass
class Result:
    findings: list[Finding]
    allocs: int
    frees: int
    frees_linked: int             # linked to at least one allocation
    frees_ambiguous: list[dict]   # linked only tree-wide, to both families
    frees_unlinked: list[dict]    # no allocation shares a key
    allocs_unkeyed: list[dict]    # result not stored anywhere we can name


def unique_events(files: list[dict]) -> list[dict]:
    """Events of every file; a function defined in a header is read in
    every file that includes it and counted once."""
    seen = set()
    out = []
    for f in files:
        for e in f["events"]:
            k = (e["kind"], e["file"], e["line"], e["col"], e["call"])
            if k not in seen:
                seen.add(k)
                out.append(e)
    return out


def link(events: list[dict]) -> Result:
    allocs = [e for e in events if e["kind"] == "alloc"]
    frees = [e for e in events if e["kind"] == "free"]
    in_file: dict[tuple, list] = {}           # (file, key) -> [(allocation, distance)]
    in_tree: dict[str, list[dict]] = {}       # key -> allocations (weak included)
    for a in allocs:
        for k, d, scope in a["keys"]:
            if scope != "weak":
                in_file.setdefault((a["file"], k), []).append((a, d))
            if scope != "file":
                in_tree.setdefault(k, []).append(a)
    found: dict[tuple, Finding] = {}
    linked = 0
    ambiguous, unlinked = [], []

    def report(a, f, tier, k):
        fi = found.get((id(a), id(f)))
        if fi is None:
            fi = found[(id(a), id(f))] = Finding(a, f, tier)
        if k not in fi.keys:
            fi.keys.append(k)

    for f in frees:
        # this file: the nearest allocations decide, distance being the
        # assignments from the allocation to the key plus from the key to
        # the free
        near = {}
        for k, df, scope in f["keys"]:
            if scope != "weak":
                for a, da in in_file.get((f["file"], k), []):
                    near.setdefault(df + da, []).append((a, k))
        hit = bool(near)
        if hit:
            for a, k in near[min(near)]:
                if a["family"] != f["family"]:
                    report(a, f, "file", k)
        if hit:
            linked += 1
            continue
        # the tree: only a key all of whose allocations are of the other
        # family; weak keys last
        amb = bad = False
        for weak in (False, True):
            for k, _, scope in f["keys"]:
                if (scope == "weak") != weak or scope == "file":
                    continue
                cands = in_tree.get(k, [])
                if not cands:
                    continue
                hit = True
                families = {a["family"] for a in cands}
                if f["family"] not in families:
                    bad = True
                    for a in cands:
                        report(a, f, "tree", k)
                elif len(families) > 1:
                    amb = True
            if hit:
                break
        if hit:
            linked += 1
            if amb and not bad:
                ambiguous.append(f)
        else:
            unlinked.append(f)
    findings = sorted(found.values(), key=lambda x: (x.free["file"], x.free["line"],
                                                     x.alloc["file"], x.alloc["line"]))
    unkeyed = [a for a in allocs if not a["keys"]]
    return Result(findings, len(allocs), len(frees), linked, ambiguous, unlinked, unkeyed)


def classify(after: Result, before: Result) -> int:
    """Mark each finding of the converted tree as already in the input or
    created by the conversion; return how many input mixes are gone."""
    old = {f.ident() for f in before.findings}
    new = set()
    for f in after.findings:
        f.origin = "input" if f.ident() in old else "created"
        new.add(f.ident())
    return len(old - new)
