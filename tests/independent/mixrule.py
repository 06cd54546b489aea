"""The mixed-pair rule: which allocations a free can release, and when a
family differs.

RULE.  A free and an allocation are linked when they share a key (see
cfacts.py).  The free looks for allocations of each of its keys first in
its own file; if there are some there, those are its allocations, and
any of the other family is a mixed pair ("file" tier).  If its file has
none, it looks at the whole tree, and reports a mixed pair only when
every allocation of that key is of the other family ("tree" tier); when
both families allocate that key elsewhere it cannot say which memory
reaches it, and counts the free as ambiguous instead.

A member reached through embedded structs (x->a.m) is keyed by its path
in the outer record (M:X::a.m).  Its own record and member (M:A::m) is a
weak key ("~"): looked up only at the tree tier, and by a free only when
its other keys linked nothing.  So a framework that frees t->m finds the
allocation a driver made into sc->sc_t.m, while in one file two embedded
copies of one struct (track->usrbuf.mem, track->outbuf.mem) stay apart.  So one object type
(or one generic member, local, global, return value) must have one
family within a file; across files only an unambiguous mismatch counts,
which keeps unrelated drivers that share a type apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def site(e: dict) -> str:
    return f"{e['file']}:{e['line']}"


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
    strong: dict[str, list[dict]] = {}
    weak: dict[str, list[dict]] = {}
    for a in allocs:
        for k in a["keys"]:
            if k.startswith("~"):
                weak.setdefault(k[1:], []).append(a)
            else:
                strong.setdefault(k, []).append(a)
    found: dict[tuple, Finding] = {}
    linked = 0
    ambiguous, unlinked = [], []
    flagged: set[int] = set()
    for f in frees:
        hit = amb = False
        keys = [k for k in f["keys"] if not k.startswith("~")]
        for k in keys + [k for k in f["keys"] if k.startswith("~")]:
            if k.startswith("~"):
                if hit:
                    break           # weak keys only for a free nothing else linked
                k = k[1:]
                local = []
            else:
                local = [a for a in strong.get(k, []) if a["file"] == f["file"]]
            cands = strong.get(k, []) + weak.get(k, [])
            if local:
                tier, bad = "file", [a for a in local if a["family"] != f["family"]]
            elif cands:
                families = {a["family"] for a in cands}
                tier, bad = "tree", []
                if f["family"] not in families:
                    bad = cands
                elif len(families) > 1:
                    amb = True
            else:
                continue
            hit = True
            if bad:
                flagged.add(id(f))
            for a in bad:
                fi = found.get((id(a), id(f)))
                if fi is None:
                    fi = found[(id(a), id(f))] = Finding(a, f, tier)
                elif tier == "file":
                    fi.tier = "file"
                if k not in fi.keys:
                    fi.keys.append(k)
        if hit:
            linked += 1
            if amb and id(f) not in flagged:
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
