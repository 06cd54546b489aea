"""Pairs: which free sites each allocation site's memory may reach (the
middle layer of pairing; it gets the flow graph and reach() from flow.py).

An allocation is paired with the frees its memory reaches in the flow
graph; a free whose size names an object type (sizeof(struct foo))
releases only memory of that type.  A free no allocation reaches is
joined with the allocations that may be its memory's, and an allocation
that reaches no free with the frees that may release it (_guess,
_guess_frees: guesses, not flows); a macro's uses are joined with the
calls in its definition (_macro_edges).  Sites joined by pairs form a
component (components, by union-find), converted whole or kept whole by
the plan (plan.py).  Pairs of two families (kmem(9) and malloc(9)) are
told here too (mixed_pairs): the input's, and those a conversion must
not create.  Files that implement an allocator (allocators.IMPLEMENTS)
take no part.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import allocators
from ..allocators import Role
from ..c.cscan import Context, FileFacts, Site
from ..c.keys import Key
from .flow import (Ports, flow_graph, members_follow, open_units, reach, scope_facts, seen_flows,
                   site_key, typed_stores)


class UnionFind:
    """Site indices joined into sets (components); a set's root is its
    smallest index."""

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
    """{path: the allocator functions it defines} (allocators.IMPLEMENTS),
    as functions (not static ones: i915_gpu_error.c's own pool_init is no
    pool(9)) or, for kmem(9)'s own names, as macros (NetBSD-current's
    sys/kmem.h: #define kmem_strdup(s, f) kmem_strdupsize((s), NULL, (f)))."""
    out = {}
    for ff in facts:
        names = sorted(({f.name for f in ff.functions if not f.static} & allocators.IMPLEMENTS) |
                       ({s.define for s in ff.sites if s.context == Context.MACRO and s.define}
                        & allocators.KMEM_NAMES))
        if names:
            out[ff.path] = names
    return out


def malloc_type(s: Site) -> str | None:
    """The malloc type a malloc(9) call names, or a use of a macro whose
    type is its parameter (udf's MPFREE(p, M_TEMP)); None: not a name, or
    none here."""
    i = s.type_arg if s.macro else allocators.TABLE[s.callee].mtype
    return allocators.type_arg(s.args[i]) if i is not None and i < len(s.args) else None


def malloc_types(sites: list[Site]) -> list[str | None]:
    """The malloc type of each site: a call's (malloc_type), a macro use's
    its own argument's or else its definition's (the one in its own file,
    else a header's: _macro_edges)."""
    own: dict[tuple[str, str], str | None] = {}
    headers: dict[str, str | None] = {}
    for s in sites:
        if s.define and s.counted and not s.is_kmem:
            own.setdefault((s.path, s.define), malloc_type(s))
            if s.path.endswith(".h"):
                headers.setdefault(s.define, malloc_type(s))
    return [own.get((s.path, s.macro), headers.get(s.macro))
            if s.macro and s.type_arg is None else malloc_type(s) for s in sites]


@dataclass
class Pairs:
    """Which allocation sites each free site may release."""
    sites: list[Site]
    edges: list[tuple[int, int]]            # (alloc index, free index)
    unpaired_frees: set[int] = field(default_factory=set)   # no allocation reaches them
    allocators: dict[str, list[str]] = field(default_factory=dict)   # path -> what it defines
    orphans: set[int] = field(default_factory=set)  # unpaired, and nothing in the driver either
    joined: set[tuple[int, int]] = field(default_factory=set)   # edges that are no flow
    size_confirmed: int = 0         # pairs whose sizes agree
    size_mismatched: list[tuple[int, int]] = field(default_factory=list)
    guessed: set[tuple[int, int]] = field(default_factory=set)  # joined for the unpaired
    # pairs of two families (kmem and malloc(9)) joined by a flow we see,
    # not by open_units' guess at one we do not
    seen_mixes: set[tuple[int, int]] = field(default_factory=set)
    # of those, the ones a flow shows from one site to the other (_witnessed)
    input_mixes: set[tuple[int, int]] = field(default_factory=set)
    _index: dict[str, dict[int, set]] = field(default_factory=dict, repr=False, compare=False)

    @functools.cached_property
    def types(self) -> list[str | None]:
        """The malloc type each site names (malloc_types)."""
        return malloc_types(self.sites)

    def around(self, name: str, sites: set[int]) -> list[tuple[int, int]]:
        """The pairs of self.<name> (edges, guessed, seen_mixes) with a site
        in sites, sorted: per component, not every pair of the tree (the
        pairs must not change after the first call)."""
        index = self._index.get(name)
        if index is None:
            index = self._index[name] = defaultdict(set)
            for e in getattr(self, name):
                index[e[0]].add(e)
                index[e[1]].add(e)
        return sorted({e for i in sites for e in index.get(i, ())})

    @functools.cached_property
    def flowing(self) -> set[int]:
        """The allocations a free is seen to reach (not by a guess)."""
        return {a for a, f in self.edges if (a, f) not in self.guessed and
                self.sites[f].role == Role.FREE}


def pair(facts: list[FileFacts], clusters: Sequence[set[str]] = (), unit_of=None,
         kernels: dict[str, frozenset[str]] | None = None) -> Pairs:
    """unit_of(path): the owner a file's typed memory belongs to (the
    malloc type it gets; None: one owner for all).  kernels: Tree.kernels,
    the ports that build each sys/arch directory."""
    impl = allocator_files(facts)
    unit_of = unit_of or (lambda p: "")
    ports = Ports(facts, unit_of, kernels or {})
    g, seen, skeys, stored = _graphs(facts, clusters, unit_of, impl, ports)
    owners: dict[str, set[str]] = defaultdict(set)
    for k in skeys:
        if k.holds is not None and k.unit is not None:     # an owner's t: node
            owners[k.holds].add(k.unit)
    sites = [s for ff in facts for s in ff.sites]
    # a call with another interface's arguments links nothing (it is kept
    # for its own reason): bktr's kmem_free(kernel_map, ...) frees no
    # struct vm_map, and must not hold uvm's vmspace as kmem
    frees_by_key: dict[Key, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if s.role == Role.FREE and s.path not in impl and s.fits_api:
            frees_by_key[skeys[i]].append(i)
    by_flow = _Reach(g, sites, skeys, ports, owners, frees_by_key, stored)
    edges = [(i, j) for i, s in enumerate(sites)
             if s.role == Role.ALLOC and s.path not in impl and s.fits_api
             for j in sorted(by_flow.frees(i))]
    paired = {j for _, j in edges}
    # where the families meet, whether a flow we see joins them
    mixed = defaultdict(set)
    for i, j in edges:
        if sites[i].is_kmem != sites[j].is_kmem:
            mixed[i].add(j)
    by_seen = _Reach(seen, sites, skeys, ports, owners, frees_by_key, stored)
    seen_mixes = {(i, j) for i, js in mixed.items() for j in js & by_seen.frees(i)}
    input_mixes = _witnessed(seen_mixes, sites, facts, unit_of, seen, owners)
    # a free in a macro's definition is paired through the macro's uses
    # (joined to them below): it is not unpaired for itself
    used = {s.macro for s in sites if s.macro}
    unpaired = {j for js in frees_by_key.values() for j in js
                if j not in paired and
                not (sites[j].context == Context.MACRO and sites[j].define in used)}
    guessed, orphans = _guess(sites, edges, unpaired, impl, unit_of, ports)
    confirmed, mismatched = _sizes(sites, edges)
    macro = _macro_edges(sites)
    return Pairs(sites, edges + guessed + macro, unpaired, impl, orphans,
                 set(guessed) | set(macro), confirmed, mismatched, set(guessed), seen_mixes,
                 input_mixes)


def _graphs(facts: list[FileFacts], clusters: Sequence[set[str]], unit_of,
            impl: dict[str, list[str]], ports: Ports
            ) -> tuple[dict[Key, set[Key]], dict[Key, set[Key]], list[Key],
                       dict[Key, frozenset[str]]]:
    """The flow graph of the callers' facts (not those of allocator
    files), with open_units' and members_follow's joins; the flows in it
    we see (seen_flows, taken before those joins); each site's node; and
    the types each generic member is stored from (typed_stores, before
    the edges of typed members)."""
    scoped_facts, via = scope_facts(facts, unit_of)
    callers = [ff for ff in scoped_facts if ff.path not in impl]
    g = flow_graph(callers, clusters)
    stored = typed_stores(g)
    for k, vs in via.items():
        g[k] |= vs
    skeys = [site_key(s) for ff in scoped_facts for s in ff.sites]
    seen = seen_flows(g)
    open_units(callers, g, ports, unit_of)
    members_follow(g, ports)
    return g, seen, skeys, stored


@dataclass
class _Reach:
    """The frees each allocation's memory can reach in one graph (pair)."""
    graph: dict[Key, set[Key]]
    sites: list[Site]
    keys: list[Key]                         # each site's node
    ports: Ports
    owners: dict[str, set[str]]             # reach's
    frees_by_key: dict[Key, list[int]]      # the frees that count
    stored: dict[Key, frozenset[str]]       # reach's
    cache: dict[tuple[Key, str | None, frozenset[str] | None], dict] = \
        field(default_factory=dict)

    def frees(self, i: int) -> set[int]:
        """The frees allocation i's memory can reach."""
        s, key = self.sites[i], self.keys[i]
        ks = Ports.meet(self.ports.of_path(s.path), self.ports.of_key(key))
        k = (key, s.objtype, ks)
        r = self.cache.get(k)
        if r is None:
            r = self.cache[k] = reach(self.graph, key, s.objtype, self.owners,
                                      ports=self.ports, kernels=ks, stored=self.stored)
        return {j for node, types in r.items() for j in self.frees_by_key.get(node, ())
                if self.sites[j].objtype is None or None in types or
                self.sites[j].objtype in types}


def _witnessed(mixes: set[tuple[int, int]], sites: list[Site], facts: list[FileFacts],
               unit_of, seen: dict[Key, set[Key]], owners) -> set[tuple[int, int]]:
    """The mixes whose memory we can show going from the allocation to
    the free: in one function, or from place to place (locals, calls,
    returns, members, globals) without a type between them, nor the
    expressions of a file we cannot name (u:, one bucket).  A type alone
    joins every place of it in one owner: kern_hook.c's two lists of
    struct hook_desc, one kmem's and one malloc's, are one type, and
    tulip.c's media entries allocated in one function and freed with
    free(9) in another (through ifmedia's list, which we do not follow)
    cannot be told from them."""
    places: list[Key | None] = []      # the place a site's pointer is in, not a bare type
    for ff in facts:
        u = unit_of(ff.path)
        for st in ff.sites:
            node, via = site_key(st).scoped(u)
            places.append(via or (None if node.is_type else node))
    strict = {a: {b for b in bs if not (b.is_type or b.is_unnamed)}
              for a, bs in seen.items() if not (a.is_type or a.is_unnamed)}
    out: set[tuple[int, int]] = set()
    cache: dict[Key, dict[Key, set[str | None]]] = {}
    for i, j in mixes:
        si, sj = sites[i], sites[j]
        pi, pj = places[i], places[j]
        if (si.path, si.func) == (sj.path, sj.func) and si.func:
            out.add((i, j))
        elif pi and pj and not pi.is_unnamed:
            r = cache.get(pi)
            if r is None:
                r = cache[pi] = reach(strict, pi, None, owners)
            if pj in r:
                out.add((i, j))
    return out


def _macro_edges(sites: list[Site]) -> list[tuple[int, int]]:
    """A use of an allocator macro (#define FREE(p, n) kmem_free(p, n))
    is converted with the call in the macro's definition, and every call in
    one definition with the others: join them (not flows: not pairs)."""
    defs: dict[tuple[str, str], list[int]] = defaultdict(list)   # (path, name)
    in_headers: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if s.context == Context.MACRO and s.define:
            defs[(s.path, s.define)].append(i)
            if s.path.endswith(".h"):
                in_headers[s.define].append(i)
    out = []
    for ds in defs.values():
        out += [(ds[0], d) for d in ds[1:]]
    for i, s in enumerate(sites):
        if s.macro and s.type_arg is None:
            # the definition in the file itself, else those of its name in
            # headers (two files' own MALLOC are two macros); a use that
            # names its own malloc type is a call of its own (udf's MPFREE)
            ds = defs.get((s.path, s.macro)) or in_headers.get(s.macro) or []
            out += [(d, i) for d in ds]
    return out


def _sizes(sites: list[Site], edges) -> tuple[int, list[tuple[int, int]]]:
    """kmem_free's size must be the allocation's: the pairs whose sizes
    say the same (sizeof(*pi) and sizeof(struct putter_instance) do), and
    those whose sizes disagree in a way no value can make right: a count
    given where the allocation multiplied it by a sizeof (kmem_free(p, n)
    of kmem_zalloc(n * sizeof(*p))), or sizes of two different types."""
    def missing_sizeof(big: set, small: set) -> bool:
        return small < big and all(x.startswith("sizeof<") for x in big - small)

    def comparable(i: int, j: int) -> bool:
        """A local's name means the same only in one function: netbsd32's
        `iovlen` counts elements where the iovec is allocated, bytes where
        it is freed.  Members (sc->sc_n), macros and sizeofs compare."""
        if (sites[i].path, sites[i].func) == (sites[j].path, sites[j].func):
            return True
        fi, fj = sites[i].size_factors, sites[j].size_factors
        assert fi is not None and fj is not None    # asked of sized pairs only
        return not any(re.fullmatch(r"[a-z_]\w*", x) for x in fi + fj)

    confirmed, bad = 0, []
    frees_of: dict[int, list[int]] = defaultdict(list)
    for a, f in edges:
        fa, ff = sites[a].size_factors, sites[f].size_factors
        if not fa or not ff or sites[a].family != "kmem" or sites[f].family != "kmem" \
                or not comparable(a, f):
            continue
        frees_of[a].append(f)
        if fa == ff:
            confirmed += 1
            continue
        sa, sf = set(fa), set(ff)
        szs_a = {x for x in sa if x.startswith("sizeof<")}
        szs_f = {x for x in sf if x.startswith("sizeof<")}
        if missing_sizeof(sa, sf) or missing_sizeof(sf, sa) or \
                (sa - szs_a == sf - szs_f and len(szs_a) == len(szs_f) == 1 and
                 _pointer_for_pointee(szs_a.pop(), szs_f.pop())):
            bad.append((a, f))
    # two frees of one allocation, one size the other's times a sizeof:
    # the one without it gave a count for bytes (apple_smc_temp.c)
    for a, fs in frees_of.items():
        for f in fs:
            sf = set(sites[f].size_factors or ())      # all sized (frees_of)
            if (a, f) not in bad and any(missing_sizeof(set(sites[g].size_factors or ()), sf)
                                         for g in fs if comparable(f, g)):
                bad.append((a, f))
    return confirmed, bad


def _pointer_for_pointee(x: str, y: str) -> bool:
    """sizeof<struct foo *> against sizeof<struct foo>: sizeof(p) written
    for sizeof(*p) (two unrelated types say nothing: a cast between them
    joined two places, the pair may not be a real one)."""
    x, y = x[7:-1], y[7:-1]
    return x != y and (x.rstrip(" *") == y or y.rstrip(" *") == x)


def _guess(sites: list[Site], edges, unpaired: set[int], impl, unit_of, ports: Ports):
    """Pairs for the frees no allocation reaches: the allocations that may
    be its memory's -- of its object type (or the type its size names) in
    its driver (unit) when that is known, or in the whole tree those that
    reach no free if the driver has none; else every allocation of its
    file and those of its driver that no free reaches -- so that they
    convert together or stay kmem together.  A free in a macro's body
    (with no uses: subr_extent.c's user-space pool_put) goes with the
    allocations in its file's macro bodies, and those with nothing else:
    their memory is their uses'.
    Returns the pairs and the frees with no candidate at all (orphans, kept
    as kmem)."""
    reached = {a for a, _ in edges}
    by_type: dict[tuple, list[int]] = defaultdict(list)
    lonely: dict[str, list[int]] = defaultdict(list)
    lonely_by_type: dict[str, list[int]] = defaultdict(list)
    by_file: dict[str, list[int]] = defaultdict(list)
    in_macros: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if s.role != Role.ALLOC or s.path in impl or not s.fits_api:
            continue
        if s.context == Context.MACRO:
            in_macros[s.path].append(i)
        else:
            u = unit_of(s.path)
            for ty in {t for t in (s.objtype, s.size_type) if t is not None}:
                by_type[(u, ty)].append(i)
                if i not in reached:
                    lonely_by_type[ty].append(i)
            if i not in reached:
                lonely[u].append(i)
            by_file[s.path].append(i)
    guessed, orphans = [], set()
    for j in sorted(unpaired):
        s = sites[j]
        u = unit_of(s.path)
        cands: list[int] = []
        if s.context == Context.MACRO:    # its memory is its uses': a partner
            cands = in_macros.get(s.path, [])   # macro's (pool_get, pool_put)
        elif s.objtype:     # its type, and the type its size names (sizeof)
            types = {t for t in (s.objtype, s.size_type) if t is not None}
            cands = sorted({i for ty in types for i in by_type.get((u, ty), [])})
            if not cands:   # nothing of it in the driver: the tree's that reach no
                ks = ports.of_path(s.path)      # free, in a kernel with this one
                cands = sorted({i for ty in types for i in lonely_by_type.get(ty, [])
                                if Ports.meet(ks, ports.of_path(sites[i].path)) != frozenset()})
        if not cands and s.context != Context.MACRO:
            # no type to go by, or nothing of its type anywhere (pmax's
            # bus_dma.c frees a struct mips_bus_dmamap it allocated as a
            # struct pmax_bus_dmamap): its file's allocations and those
            # of its driver that no free reaches
            cands = sorted(set(by_file.get(s.path, [])) | set(lonely.get(u, [])))
        guessed += [(i, j) for i in cands]
        if not cands:
            orphans.add(j)
    return guessed + _guess_frees(sites, reached, impl, unit_of), orphans


def _guess_frees(sites: list[Site], reached: set[int], impl, unit_of) -> list[tuple[int, int]]:
    """Pairs for the allocations that reach no free: their memory goes
    where the flows do not show (a function pointer: subr_kobj.c's
    kobj_read_mem(), called as ko->ko_read, hands its buffer to
    kobj_free(); a member of a struct that crosses units: netbsd32's
    fa->fae, freed by kern_exec.c's posix_spawn_fa_free()), and whatever
    frees it must name the same malloc type (a DIAGNOSTIC kernel checks
    it).  The frees that may be its memory's: of its object type in its
    unit; with no type known, its file's frees of no known type.  (Not
    of its type anywhere: a pseudo-device keeps its struct cfdata for
    good, and would join every unit's; memory hung on a struct that
    crosses units goes with it: members_follow.)  Joined, not flows:
    they convert together or stay kmem together, with one type."""
    by_type: dict[tuple, list[int]] = defaultdict(list)
    untyped: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(sites):
        if s.role != Role.FREE or s.path in impl or not s.fits_api or s.context == Context.MACRO:
            continue
        types = {s.objtype, s.size_type} - {None}
        for ty in types:
            by_type[(unit_of(s.path), ty)].append(j)
        if not types:
            untyped[s.path].append(j)
    out = []
    for i, s in enumerate(sites):
        if s.role != Role.ALLOC or i in reached or s.path in impl or not s.fits_api or \
                s.context == Context.MACRO:
            continue
        types = {s.objtype, s.size_type} - {None}
        u = unit_of(s.path)
        cands = sorted({j for ty in types for j in by_type.get((u, ty), [])})
        if not types:
            cands = untyped.get(s.path, [])
        out += [(i, j) for j in cands]
    return out


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


def pair_id(s: Site) -> tuple:
    """Names a site independently of line numbers (which conversion shifts)."""
    return (s.path, s.func, s.anchor, s.role)


def mixed_pairs(pairs: Pairs, nearest: bool = False) -> dict[tuple | str, str]:
    """Pairs whose allocation and free are of different families (kmem(9),
    string helpers included, versus malloc(9)): {id: description}.  All
    of them (what a conversion must not create); or, nearest, the mixes
    the input really has: shown by a flow (Pairs.input_mixes: in one
    function, or place to place; not by a type alone, nor by a guess),
    and where the free's own file does not allocate its memory in its own
    family (tulip.c's kmem_zalloc freed with free(9), not two front ends
    of one driver, sdhc_acpi.c with kmem and sdhc_pci.c with malloc)."""
    own = set()
    if nearest:
        for a, f in pairs.edges:
            sa, sf = pairs.sites[a], pairs.sites[f]
            if sa.path == sf.path and sa.is_kmem == sf.is_kmem:
                own.add(f)
    out: dict[tuple | str, str] = {}
    by_free: dict[int, list[int]] = defaultdict(list)
    for a, f in pairs.edges:
        if (a, f) in pairs.joined or (nearest and (a, f) not in pairs.input_mixes):
            continue            # not a flow we saw
        sa, sf = pairs.sites[a], pairs.sites[f]
        if sa.is_kmem != sf.is_kmem and not (f in own and sa.path != sf.path):
            by_free[f].append(a)
            # all of them by pair_id, to be compared with the output's,
            # whose lines the rewrite shifts
            out[(pair_id(sa), pair_id(sf))] = (
                f"{sa.where} {sa.callee} -> {sf.where} {sf.callee}")
    if not nearest:
        return out
    # the input's, one entry per free (the call that mixes): the
    # allocation nearest before it, and how many more reach it (tulip.c
    # allocates tm in each case of a switch, and frees it with free(9) in
    # three of them: which case's memory a free gets, we do not follow)
    out = {}
    for f, allocs in by_free.items():
        sf = pairs.sites[f]
        a = min(allocs, key=lambda i: _distance(pairs.sites[i], sf))
        sa = pairs.sites[a]
        more = f" (and {len(allocs) - 1} more)" if len(allocs) > 1 else ""
        out[sf.where] = f"{sa.where} {sa.callee} -> {sf.where} {sf.callee}{more}"
    return out


def _distance(a: Site, f: Site) -> tuple:
    """How far allocation a is from free f: another file, another
    function, then lines (after the free counts as further)."""
    d = f.line - a.line
    return (a.path != f.path, a.func != f.func, d < 0, abs(d))
