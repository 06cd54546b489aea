"""Pairing: which kmem sites may be converted, and with which type.

The rule is "a pair is converted together or not at all", and a free is
converted only when every allocation that can reach it is.

Where an allocation's pointer can go is followed through keys (keys.py):
from the place the allocation is stored, along assignments (right to
left), returns (into callers' left-hand sides) and calls to functions
defined in the scanned files (argument to parameter, and back for `&p`
when the callee assigns `*param`).  A typed place is its memory's type, so
`pi = kmem_alloc(sizeof(*pi))` in open and `pi = fp->f_data;
kmem_free(pi, ...)` in close meet at t:struct putter_instance without
following f_data at all.  A generic place (void *, char *, ...) is
followed, and the memory's type travels with the pointer: from a generic
place it enters a typed place only of its own type (the type at each end
of a void * hand-off: putter's instance stored in f_data is never paired
with vhci's read back from f_data); an assignment between two typed places
of different types is followed (a cast).  A free whose size names an
object type (sizeof(struct foo)) releases only memory of that type.

Sites joined by pairs form a component, converted whole with one type or
kept whole.  A free no allocation reaches is kept unless its memory's type
is known and every allocation of that type in its driver is converted.
Files that implement an allocator (allocators.IMPLEMENTS) take no part.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field, replace

from . import allocators, findings
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


def allocator_files(facts: list[FileFacts]) -> dict[str, list[str]]:
    """{path: the allocator functions it defines} (allocators.IMPLEMENTS)."""
    out = {}
    for ff in facts:
        names = sorted({f.name for f in ff.functions} & allocators.IMPLEMENTS)
        if names:
            out[ff.path] = names
    return out


def scoped(key: str, unit: str) -> tuple[str, str | None]:
    """A file's key as a node of the flow graph: memory of a type is kept
    apart by owner, the unit (the malloc type its file gets), so that
    putter's and vhci's instances, or two drivers' struct envsys_data,
    are not one thing; and the member or global it is found in, if any."""
    if not key.startswith("t:"):
        return key, None
    ty, _, via = key[2:].partition("@")
    return f"t:{unit}|{ty}", via or None


def type_of_node(node: str) -> str:
    return node[2:].split("|", 1)[-1]


def _scope_facts(facts: list[FileFacts], unit_of) -> tuple[list[FileFacts], dict[str, set[str]]]:
    """The facts with every key scoped (scoped()), and the edges between a
    typed node and the member or global it was found in, both ways."""
    out, via_edges = [], defaultdict(set)

    def sc(k, unit):
        if k is None:
            return None
        node, via = scoped(k, unit)
        if via:
            via_edges[node].add(via)
            via_edges[via].add(node)
        return node

    for ff in facts:
        u = unit_of(ff.path)
        n = FileFacts(ff.path)
        n.includes = ff.includes
        n.links = [(sc(a, u), sc(b, u)) for a, b in ff.links]
        n.calls = [(c, i, sc(k, u), by) for c, i, k, by in ff.calls]
        n.functions = [replace(f, param_keys=[sc(k, u) for k in f.param_keys],
                               ret_key=sc(f.ret_key, u) or "") for f in ff.functions]
        n.sites = [replace(s, key=sc(s.key, u)) for s in ff.sites]
        out.append(n)
    return out, via_edges


def _open_units(sites: list[Site], g: dict[str, set[str]]) -> None:
    """A unit that allocates memory of a type but never frees it (or frees
    but never allocates) hands it to, or takes it from, other units by a
    way we do not see (a function pointer, most often): link its node of
    that type to every other unit's."""
    nodes: dict[str, set[str]] = defaultdict(set)      # type -> t: nodes
    allocs, frees = set(), set()
    for s in sites:
        if s.key.startswith("t:") and "|" in s.key:
            nodes[type_of_node(s.key)].add(s.key)
            (allocs if s.role == "alloc" else frees).add(s.key)
    for ty, ns in nodes.items():
        for n in ns:
            if n in allocs and n not in frees:
                g[n] |= ns - {n}
            elif n in frees and n not in allocs:
                for m in ns - {n}:
                    g[m].add(n)


def _keys_of(ff: FileFacts):
    yield from (s.key for s in ff.sites)
    for a, b in ff.links:
        yield a
        yield b
    yield from (c[2] for c in ff.calls)


def flow_graph(facts: list[FileFacts], clusters: list[set[str]] = ()) -> dict[str, set[str]]:
    """key -> keys its value flows into.

    A member we could not type is stored into as f:DIR:NAME and read as
    fr:DIR:NAME (cscan.read_key): a store may reach every typed member of
    that name used in DIR (m:AGG.NAME) and an untyped read of the name, a
    read may come from any of them.  The files of one driver in several
    directories (a cluster: dev/ic and dev/pci) count as one directory."""
    g: dict[str, set[str]] = defaultdict(set)
    groups: list[list[FileFacts]] = [[ff] for ff in facts]
    by_path = {ff.path: ff for ff in facts}
    groups += [[by_path[p] for p in cl if p in by_path] for cl in clusters]
    per_dir: dict[str, list[FileFacts]] = defaultdict(list)
    for ff in facts:
        per_dir[os.path.dirname(ff.path)].append(ff)
    for group in list(per_dir.values()) + groups[len(facts):]:
        stores: dict[str, set[str]] = defaultdict(set)      # NAME -> f: keys
        reads: dict[str, set[str]] = defaultdict(set)       # NAME -> fr: keys
        typed: dict[str, set[str]] = defaultdict(set)       # NAME -> m: keys
        for ff in group:
            for k in _keys_of(ff):
                if k.startswith("f:"):
                    stores[k.rsplit(":", 1)[1]].add(k)
                elif k.startswith("fr:"):
                    reads[k.rsplit(":", 1)[1]].add(k)
                elif k.startswith("m:"):
                    typed[k.rsplit(".", 1)[1]].add(k)
        for name in set(stores) | set(reads):
            for fk in stores.get(name, ()):
                g[fk] |= typed.get(name, set()) | reads.get(name, set())
            for mk in typed.get(name, ()):
                g[mk] |= reads.get(name, set())
    defs: dict[str, list] = defaultdict(list)
    for ff in facts:
        for f in ff.functions:
            defs[f.name].append((ff.path, f))
    for ff in facts:
        for dst, src in ff.links:
            if dst != src:
                g[src].add(dst)
        for callee, argno, key, by_addr in ff.calls:
            targets = defs.get(callee)
            if not targets:
                continue
            local = [t for t in targets if t[0] == ff.path]
            for _, f in (local or targets):
                if argno < 0:
                    if f.ret_key != key:
                        g[f.ret_key].add(key)
                elif argno < len(f.param_keys) and f.param_keys[argno]:
                    pk = f.param_keys[argno]
                    if pk != key:
                        g[key].add(pk)
                        if by_addr and argno in f.outparams:    # f(&p), *param = ...
                            g[pk].add(key)
    return g


def reach(g: dict[str, set[str]], start: str, objtype: str | None,
          limit: int = 20000) -> dict[str, set[str | None]]:
    """Where memory of objtype (None: not known) stored at start can go:
    {key: the types it is known to have there}."""
    seen: dict[str, set[str | None]] = defaultdict(set)
    first = objtype if objtype is not None or not start.startswith("t:") else type_of_node(start)
    seen[start].add(first)
    todo = deque([(start, first)])
    n = 1
    while todo and n < limit:
        k, ty = todo.popleft()
        for nk in g.get(k, ()):
            nty = ty
            if nk.startswith("t:"):
                t = type_of_node(nk)
                if ty is not None and ty != t and not k.startswith("t:"):
                    continue        # a void * hand-off: the type at each end
                nty = t
            if nty not in seen[nk]:
                seen[nk].add(nty)
                todo.append((nk, nty))
                n += 1
    return seen


@dataclass
class Pairs:
    """Which allocation sites each free site may release."""
    sites: list[Site]
    edges: list[tuple[int, int]]            # (alloc index, free index)
    unpaired_frees: set[int] = field(default_factory=set)
    allocators: dict[str, list[str]] = field(default_factory=dict)   # path -> what it defines


def pair(facts: list[FileFacts], clusters: list[set[str]] = (), unit_of=None) -> Pairs:
    """unit_of(path): the owner a file's typed memory belongs to (the
    malloc type it gets; None: one owner for all)."""
    impl = allocator_files(facts)
    scoped_facts, via = _scope_facts(facts, unit_of or (lambda p: ""))
    callers = [ff for ff in scoped_facts if ff.path not in impl]
    g = flow_graph(callers, clusters)
    for k, vs in via.items():
        g[k] |= vs
    skeys = [s.key for ff in scoped_facts for s in ff.sites]
    _open_units([s for ff in callers for s in ff.sites], g)
    sites = [s for ff in facts for s in ff.sites]
    frees_by_key: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if s.role == "free" and s.path not in impl:
            frees_by_key[skeys[i]].append(i)
    edges = []
    paired = set()
    cache: dict[tuple[str, str | None], dict] = {}
    for i, s in enumerate(sites):
        if s.role != "alloc" or s.path in impl:
            continue
        k = (skeys[i], s.objtype)
        r = cache.get(k)
        if r is None:
            r = cache[k] = reach(g, skeys[i], s.objtype)
        for key, types in r.items():
            for j in frees_by_key.get(key, ()):
                want = sites[j].objtype
                if want is None or None in types or want in types:
                    edges.append((i, j))
                    paired.add(j)
    unpaired = {j for js in frees_by_key.values() for j in js if j not in paired}
    return Pairs(sites, edges, unpaired, impl)


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


def decide(pairs: Pairs, targets: set[str], tag_of, forced: dict | None = None,
           driver_of=None) -> Plan:
    """tag_of(path) -> malloc type; driver_of(path) -> driver (for frees
    no allocation reaches).  forced: {(path, line): reason} for sites found
    unconvertible after a spatch run."""
    forced = forced or {}
    driver_of = driver_of or os.path.dirname
    plan = Plan()
    sites = pairs.sites
    dec: dict[int, Decision] = {}
    unpaired = pairs.unpaired_frees
    comps = components(pairs)
    # a free no allocation reaches blocks its component (kept) unless an
    # object type is known and every allocation of it in the driver converts
    blocked = _unpaired_blockers(pairs, comps, targets, forced, driver_of)
    for comp in comps.values():
        if sites[comp[0]].path in pairs.allocators:
            for i in comp:
                s = sites[i]
                if s.path in targets and s.counted:
                    dec[i] = Decision(s, reason=(
                        "allocator implementation (defines "
                        f"{', '.join(pairs.allocators[s.path][:3])}): not a caller"))
            continue
        reasons = {i: own_reason(sites[i], targets, forced) or blocked.get(i)
                   for i in comp}
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
        _one_type(plan, [i for i in comp if i in dec and dec[i].tag], pairs, dec)
    for j in sorted(unpaired):
        if j in dec:
            plan.findings.append(findings.unpaired_free(sites[j], dec[j].tag is not None))
    plan.decisions = sorted(dec.values(), key=lambda d: (d.site.path, d.site.offset))
    for d in plan.decisions:
        plan.by_path.setdefault(d.site.path, []).append(d)
    return plan


def _unpaired_blockers(pairs: Pairs, comps, targets, forced, driver_of) -> dict[int, str]:
    """{free index: why it stays kmem} for the frees no allocation reaches."""
    sites = pairs.sites
    kept_types: set[tuple[str, str]] = set()     # (driver, object type) of kept allocations
    for comp in comps.values():
        if any(own_reason(sites[i], targets, forced) for i in comp):
            for i in comp:
                s = sites[i]
                if s.role == "alloc" and s.objtype:
                    kept_types.add((driver_of(s.path), s.objtype))
    out = {}
    for j in pairs.unpaired_frees:
        s = sites[j]
        if not s.is_kmem:
            continue
        if s.objtype is None:
            out[j] = ("no allocation reaches it and what it frees is not known: "
                      "kept (check where it is allocated)")
        elif (driver_of(s.path), s.objtype) in kept_types:
            out[j] = (f"no allocation reaches it, and an allocation of {s.objtype} "
                      f"in {driver_of(s.path)} stays kmem")
    return out


def _one_type(plan: Plan, conv: list[int], pairs: Pairs, dec: dict[int, Decision]) -> None:
    """One malloc type for a converted component (DIAGNOSTIC kernels check
    that free() names the type malloc() was given): the type of its
    allocations when they agree; when they do not (a release site shared by
    several owners, such as a generic free in sys/kern), the type most of
    them have, every site given another file's type being a finding."""
    if not conv:
        return
    sites = pairs.sites
    allocs = [i for i in conv if sites[i].role == "alloc"]
    counts = Counter(dec[i].tag for i in (allocs or conv))
    tag = min(counts, key=lambda t: (-counts[t], t))
    first = next((sites[i] for i in allocs if dec[i].tag == tag), None)
    for i in conv:
        d = dec[i]
        if d.tag != tag:
            if len(counts) > 1 and sites[i].role == "alloc":
                plan.findings.append(findings.shared_type(d.site, tag, d.tag))
            elif first is not None:
                plan.findings.append(findings.cross_type(d.site, tag, first, d.tag))
            d.tag = tag


def pair_id(s: Site) -> tuple:
    """Names a site independently of line numbers (which conversion shifts)."""
    return (s.path, s.func, s.anchor, s.role)


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
