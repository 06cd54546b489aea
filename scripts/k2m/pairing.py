"""Pairing: which kmem sites may be converted, and with which type.

The rule is "a pair is converted together or not at all".

Where an allocation's pointer can go is followed by name (see cscan: a
struct member name, a variable in a function or file, a function's return
value): from the place the allocation is stored, along plain assignments
(right to left), returns (into callers' left-hand sides) and calls to
functions defined in the scanned files (argument to parameter, and back
for `&p` when the callee assigns `*param`).  A free whose argument names a place the
allocation can reach is paired with it.  Sites joined by pairs form a
component; a component is converted whole or kept whole.

Following flow in one direction keeps unrelated data apart (two drivers
both copying `aa->aa_iot` are not linked), while errs towards linking too
much where pointers do flow: a wrong link only keeps one more site.  What
naming cannot see -- memory passed through void * callbacks, memcpy, an
array under another name -- is the residual risk the report states; a free
whose allocation is nowhere in sight is listed as a finding.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from . import findings
from .cscan import FileFacts, Site
from .findings import Finding
from .flags import translate


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        p = self.parent.setdefault(x, x)
        while p != self.parent[p]:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        self.parent[x] = p
        return p

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _fields(ff: FileFacts) -> set[str]:
    keys = [s.key for s in ff.sites] + [k for l in ff.links for k in l] + \
        [c[2] for c in ff.calls]
    return {k for k in keys if k and k.startswith("f:")}


def flow_graph(facts: list[FileFacts], clusters: list[set[str]] = (),
               boundary: set[str] = frozenset()) -> dict[str, set[str]]:
    """key -> keys its value flows into.

    A cluster is a set of files that make one driver across directories
    (dev/ic/foo.c, dev/pci/foo_pci.c): its struct member names are linked
    across those directories.  boundary: files outside the converted paths;
    a struct member they free is fed by that member name in every directory
    (and one they allocate feeds it), so memory crossing the boundary is
    seen even when the struct is passed by pointer."""
    g: dict[str, set[str]] = defaultdict(set)
    by_path = {ff.path: ff for ff in facts}
    by_name: dict[str, set[str]] = defaultdict(set)
    for ff in facts:
        for k in _fields(ff):
            by_name[k.rsplit(":", 1)[1]].add(k)
    for p in boundary:
        for s in by_path[p].sites if p in by_path else ():
            if s.is_kmem and s.key.startswith("f:"):
                for k in by_name[s.key.rsplit(":", 1)[1]]:
                    if s.role == "free":    # what is stored there may be freed there
                        g[k].add(s.key)
                    else:                   # what is allocated there may be read here
                        g[s.key].add(k)
    for cl in clusters:
        names: dict[str, set[str]] = defaultdict(set)     # name -> keys
        for p in cl:
            if p in by_path:
                for k in _fields(by_path[p]):
                    names[k.rsplit(":", 1)[1]].add(k)
        for keys in names.values():
            for a in keys:
                g[a] |= keys - {a}
    defs: dict[str, list[tuple[str, list[str], set[int]]]] = defaultdict(list)
    for ff in facts:
        for f in ff.functions:
            defs[f.name].append((ff.path, f.params, f.outparams))
    for ff in facts:
        for dst, src in ff.links:
            g[src].add(dst)
        for callee, argno, key, by_addr in ff.calls:
            targets = defs.get(callee)
            if not targets:
                continue
            local = [t for t in targets if t[0] == ff.path]
            for path, params, outparams in (local or targets):
                if argno < 0:
                    g[f"r:{path}:{callee}"].add(key)
                elif argno < len(params) and params[argno]:
                    pk = f"v:{path}:{callee}:{params[argno]}"
                    g[key].add(pk)
                    if by_addr and argno in outparams:  # f(&p) with *param = ...
                        g[pk].add(key)
    return g


def reach(g: dict[str, set[str]], start: str, limit: int = 20000) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo and len(seen) < limit:
        for n in g.get(todo.popleft(), ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


@dataclass
class Pairs:
    """Which allocation sites each free site may release."""
    sites: list[Site]
    edges: list[tuple[int, int]]            # (alloc index, free index)
    unpaired_frees: set[int] = field(default_factory=set)


def pair(facts: list[FileFacts], clusters: list[set[str]] = (),
         boundary: set[str] = frozenset()) -> Pairs:
    g = flow_graph(facts, clusters, boundary)
    sites = [s for ff in facts for s in ff.sites]
    frees_by_key: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if s.role == "free":
            frees_by_key[s.key].append(i)
    edges = []
    paired = set()
    cache: dict[str, set[str]] = {}
    for i, s in enumerate(sites):
        if s.role != "alloc":
            continue
        r = cache.get(s.key)
        if r is None:
            r = cache[s.key] = reach(g, s.key)
        for k in r:
            for j in frees_by_key.get(k, ()):
                edges.append((i, j))
                paired.add(j)
    unpaired = {j for js in frees_by_key.values() for j in js if j not in paired}
    return Pairs(sites, edges, unpaired)


@dataclass
class Decision:
    site: Site
    tag: str | None = None          # set when converted
    reason: str | None = None       # set when kept


@dataclass
class Plan:
    decisions: list[Decision] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    by_path: dict[str, list[Decision]] = field(default_factory=dict)

    def for_file(self, path: str) -> list[Decision]:
        return self.by_path.get(path, [])


def own_reason(s: Site, targets: set[str], forced: dict) -> str | None:
    """Why a site cannot be converted on its own, or None."""
    if (s.path, s.line) in forced:
        return forced[(s.path, s.line)]
    if s.macro:
        return f"allocates or frees through macro {s.macro}, which stays kmem"
    if s.path not in targets:
        return "outside the converted paths"
    if s.family == "kmem-str":
        return (f"{s.callee}: kmem string/tmpbuf helper, kept with every "
                "release of its memory")
    if s.context == "macro":
        return "inside a macro definition"
    if s.func is None:
        return "not inside a function body"
    if len(s.args) != 2:
        return f"{s.callee} with {len(s.args)} arguments is not kmem(9)"
    if s.role == "alloc" and translate(s.callee, s.flags) is None:
        return f"flags '{s.flags}' not translated (review by hand)"
    return None


def components(pairs: Pairs) -> dict[int, list[int]]:
    """Sites joined by pairs, kmem sites only: {root: [site index]}."""
    uf = UnionFind()
    sites = pairs.sites
    for a, f in pairs.edges:
        if sites[a].is_kmem and sites[f].is_kmem:
            uf.union(a, f)
    comps: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if s.is_kmem:
            comps[uf.find(i)].append(i)
    return comps


def decide(pairs: Pairs, targets: set[str], tag_of,
           forced: dict | None = None) -> Plan:
    """tag_of(path) -> malloc type.  forced: {(path, line): reason} for
    sites found unconvertible after a spatch run."""
    forced = forced or {}
    plan = Plan()
    sites = pairs.sites
    dec: dict[int, Decision] = {}
    for comp in components(pairs).values():
        reasons = {i: own_reason(sites[i], targets, forced) for i in comp}
        blockers = [i for i in comp if reasons[i] is not None]
        for i in comp:
            s = sites[i]
            if s.path not in targets or not s.counted:
                continue
            r = reasons[i]
            if r is None and blockers:
                b = sites[blockers[0]]
                r = (f"pairs with {b.callee} at {b.where} "
                     f"({b.scope}), which stays kmem: "
                     f"{reasons[blockers[0]]}")
            dec[i] = Decision(s, reason=r) if r else Decision(s, tag=tag_of(s.path))
        outside = [i for i in blockers if sites[i].path not in targets]
        inside = [i for i in comp if sites[i].path in targets and sites[i].counted]
        if outside and inside:
            plan.findings.append(findings.boundary(sites[inside[0]], sites[outside[0]]))
    _harmonise_types(plan, pairs, dec)
    for j in pairs.unpaired_frees:
        s = sites[j]
        if j in dec and dec[j].tag:
            plan.findings.append(findings.unpaired_free(s))
    plan.decisions = sorted(dec.values(), key=lambda d: (d.site.path, d.site.offset))
    for d in plan.decisions:
        plan.by_path.setdefault(d.site.path, []).append(d)
    return plan


def _harmonise_types(plan: Plan, pairs: Pairs, dec: dict[int, Decision]) -> None:
    """free() must name the type malloc() was given (DIAGNOSTIC checks it):
    a converted free takes the type of the allocations it is paired with
    when they agree, and is a finding when they do not."""
    allocs_of: dict[int, set[str]] = defaultdict(set)
    first: dict[int, Site] = {}
    for a, f in pairs.edges:
        if a in dec and f in dec and dec[a].tag and dec[f].tag:
            allocs_of[f].add(dec[a].tag)
            first.setdefault(f, pairs.sites[a])
    for f, tags in allocs_of.items():
        d = dec[f]
        if len(tags) == 1:
            (t,) = tags
            if t != d.tag:
                plan.findings.append(findings.cross_type(d.site, t, first[f], d.tag))
                d.tag = t
        else:
            plan.findings.append(findings.ambiguous_type(d.site, tags, d.tag))


def pair_id(s: Site) -> tuple:
    """Names a site independently of line numbers (which conversion shifts)."""
    return (s.path, s.func, s.key, s.role)


def mixed_pairs(pairs: Pairs) -> dict[tuple, str]:
    """Pairs whose allocation and free are of different families (kmem(9),
    string helpers included, versus malloc(9)): {id: description}."""
    out = {}
    for a, f in pairs.edges:
        sa, sf = pairs.sites[a], pairs.sites[f]
        if sa.is_kmem != sf.is_kmem:
            out[(pair_id(sa), pair_id(sf))] = (
                f"{sa.where} {sa.callee} -> {sf.where} {sf.callee}")
    return out
