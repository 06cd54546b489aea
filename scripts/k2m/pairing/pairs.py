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

Sites joined by pairs form a component, converted whole or kept whole.
Types are the owners' (owner_types): a site keeps its file's type
unless a flow brings it memory another owner allocates; memory is
charged to the owner that allocates it, and where several owners' memory
meets at one free, each block records its type (M_RECORDED(T)) and the
frees name none (M_ASALLOCATED).  No kernel holds two ports
(Ports): memory never flows from one port's code into another's.
Files that implement an allocator (allocators.IMPLEMENTS) take no part.
"""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from .. import allocators, findings
from ..allocators import Role
from ..c.cscan import Context, FileFacts, Site
from ..findings import Finding
from ..rewrite.flags import translate
from ..c.keys import Key, Kind
from ..tree import port_of


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


class Ports:
    """Which kernels memory at a key can be in.  No kernel holds two ports
    (every port's struct intrhand, pmap or bus_dma map is its own), so
    memory of one port's code never reaches another port's; a port shares
    the directories its config files name (amd64 and i386 sys/arch/x86,
    evbarm sys/arch/arm: Tree.kernels).  None: machine-independent."""

    def __init__(self, facts: list[FileFacts], unit_of, kernels: dict[str, frozenset[str]]):
        self.kernels = kernels
        arches: dict[str, set[str | None]] = defaultdict(set)
        for ff in facts:
            arches[unit_of(ff.path)].add(port_of(ff.path))
        self.unit_arch = {u: a.pop() for u, a in arches.items() if len(a) == 1}
        self.cache: dict[Key, frozenset[str] | None] = {}

    def of_arch(self, arch: str | None) -> frozenset[str] | None:
        return None if arch is None else self.kernels.get(arch, frozenset((arch,)))

    def of_path(self, path: str) -> frozenset[str] | None:
        return self.of_arch(port_of(path))

    def of_key(self, key: Key) -> frozenset[str] | None:
        if key in self.cache:
            return self.cache[key]
        if key.unit is not None:        # an owner's t: or m: node
            out = self.of_arch(self.unit_arch.get(key.unit))
        elif key.path is not None:      # a file's place (v:, r:, u:)
            out = self.of_path(key.path)
        elif key.dir is not None:       # a directory's (f:, fr:): as a file in it
            out = self.of_path(key.dir + "/x")
        else:
            out = None
        self.cache[key] = out
        return out

    @staticmethod
    def meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
        """The kernels both can be in (empty: none)."""
        return b if a is None else a if b is None else a & b


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


def _key(s: Site) -> Key:
    """s.key: the scan gives every site one (cscan._site_place)."""
    assert s.key is not None
    return s.key


def _scope_facts(facts: list[FileFacts], unit_of) -> tuple[list[FileFacts], dict[Key, set[Key]]]:
    """The facts with every key a node of the flow graph (Key.scoped), and
    the edges between a typed node and the member or global it was found
    in, both ways.  Memory of a type, and a generic member of a struct, are
    kept apart by owner, the unit (the malloc type the file gets): putter's
    and vhci's instances, two drivers' struct envsys_data, or the buffers
    two subsystems hang on struct buf's b_data are not one thing
    (_open_units says when they are)."""
    out: list[FileFacts] = []
    via_edges: dict[Key, set[Key]] = defaultdict(set)

    def sc(k: Key, unit: str) -> Key:
        node, via = k.scoped(unit)
        if via:
            via_edges[node].add(via)
            via_edges[via].add(node)
        return node

    for ff in facts:
        u = unit_of(ff.path)
        n = FileFacts(ff.path)
        n.includes = ff.includes
        n.bases = ff.bases
        n.links = [(sc(a, u), sc(b, u)) for a, b in ff.links]
        n.calls = [(c, i, sc(k, u), by) for c, i, k, by in ff.calls]
        n.functions = [replace(f, param_keys=[None if k is None else sc(k, u)
                                              for k in f.param_keys],
                               ret_key=None if f.ret_key is None else sc(f.ret_key, u))
                       for f in ff.functions]
        n.sites = [replace(s, key=None if s.key is None else sc(s.key, u)) for s in ff.sites]
        out.append(n)
    return out, via_edges


def _open_units(facts: list[FileFacts], g: dict[Key, set[Key]], ports: Ports) -> None:
    """Where memory crosses from one unit to another by a way we do not see
    (a function pointer, most often), join their nodes.  A unit that frees
    memory of a type and never allocates it frees what others allocate:
    every unit that allocates it is linked to it.  A unit that frees from a
    generic member frees what others stored: every unit's node of that
    member is linked to it (when it stores there too, those of its own
    directory that store there: the member is then one place that several
    owners fill and empty, as struct proc's p_path, and each block records
    its owner's type, owner_types).  (A unit that allocates a
    type and never frees it hands it to one of those, or keeps it for good,
    as pseudo-devices do their struct cfdata; one that stores into a member
    lends the memory, b_data or f_data, and frees it through its own
    pointer; a unit that reads a member it never stores into and frees what
    it read through a pointer of its own is seen by _guess.)  Memory that
    starts with a struct of another type is memory of that type too (C's
    base struct: netipsec's struct keycb starts with the struct rawcb that
    net/raw_cb.c's raw_detach() frees, and keysock.c never tells it so)."""
    # t:TYPE or m:AGG.NAME -> its owners' nodes (t:UNIT|TYPE, m:UNIT|AGG.NAME)
    nodes: dict[Key, set[Key]] = defaultdict(set)
    allocs: set[Key] = set()
    frees: set[Key] = set()
    stores: set[Key] = set()
    derived: dict[str, set[str]] = defaultdict(set)    # TYPE -> types starting with one
    for ff in facts:
        for ty, bases in ff.bases.items():
            for b in bases:
                derived[b].add(ty)
        for s in ff.sites:
            k = _key(s)
            if k.unit is not None:
                nodes[k.unowned].add(k)
                (allocs if s.role == Role.ALLOC else frees).add(k)
        for dst, src in ff.links:
            for k in (dst, src):
                if k.is_member:
                    nodes[k.unowned].add(k)
            stores.add(dst)
    for what, ns in nodes.items():
        for n in ns:
            if n.is_type:
                if n in frees and n not in allocs:
                    assert what.objtype is not None     # a t: key's
                    for m in (ns | {k for d in derived.get(what.objtype, ())
                                    for k in nodes.get(Key.typed(d), ())}) & allocs:
                        if _same_kernel(ports, m, n):
                            g[m].add(n)
            elif n in frees:
                # a unit that frees from a member and never stores there
                # frees what every unit stores there; one that stores there
                # too frees what the other owners of its directory store
                # (sys/kern's fork1() copies struct proc's p_path as
                # M_PROC, exec frees that and puts its own as M_EXEC, exit
                # frees exec's), not what other directories do (every file
                # system stores and frees its own struct mount's mnt_data)
                for m in (ns - {n}) if n not in allocs | stores else \
                        {m for m in (ns - {n}) & (allocs | stores) if _same_unit(m, n)}:
                    if _same_kernel(ports, m, n):
                        g[m].add(n)


def _same_unit(a: Key, b: Key) -> bool:
    """Whether two scoped nodes are of one unit (directory or driver),
    whatever their owners' types (the owner is UNIT#TYPE: convert.owner_of)."""
    ua, ub = a.unit, b.unit
    return ua is not None and ub is not None and ua.split("#")[0] == ub.split("#")[0]


def _same_kernel(ports: Ports, a: Key, b: Key) -> bool:
    """Whether the code of keys a and b can be in one kernel."""
    ks = Ports.meet(ports.of_key(a), ports.of_key(b))
    return ks is None or bool(ks)


def _members_follow(g: dict[Key, set[Key]], ports: Ports) -> None:
    """Where a struct goes from one unit to another (t:U1|S -> t:U2|S:
    netbsd32's struct posix_spawn_file_actions handed to kern_exec.c's
    posix_spawn_fa_free()), what hangs on its members goes with it: each
    m:U1|S.x flows to m:U2|S.x, so fa->fae, allocated by netbsd32 and
    freed by kern_exec.c, is one memory."""
    members: dict[tuple[str, str | None], set[Key]] = defaultdict(set)    # (U, S) -> m:U|S.x
    for k in [*g, *(n for ns in g.values() for n in ns)]:
        if k.is_member and k.unit is not None:
            members[(k.unit, k.agg)].add(k)
    for k, ns in list(g.items()):
        if not k.is_type or k.unit is None:
            continue
        u1, ty = k.unit, k.holds
        for n in list(ns):
            if n.is_type and n.unit is not None and n.holds == ty and \
                    n.unit != u1 and _same_kernel(ports, k, n):
                u2 = n.unit
                for m in members.get((u1, ty), ()):
                    g[m].add(m.unowned.scoped(u2)[0])


def _seen_flows(g: dict[Key, set[Key]]) -> dict[Key, set[Key]]:
    """The flows we see, that a mix of the input can be told by (Pairs.
    seen_mixes): from place to place, call to parameter, return to caller,
    and within one owner by type or member; not where one owner's memory
    of a type or member is taken for another's by its name (a struct
    sockaddr of sys/net handed to sys/kern is not every sockaddr of
    sys/kern; struct fs's fs_csp is ffs_mountfs()'s and the snapshot's
    copy's), nor a member known by its name alone (f:, fr:), nor
    _open_units' guess at what we do not see.  Any of those keeps pairs
    together; none tells that the input frees one owner's memory with
    another family."""
    out: dict[Key, set[Key]] = defaultdict(set)
    for a, bs in g.items():
        if a.is_by_name:
            continue
        ua = a.unit
        for b in bs:
            ub = b.unit
            if not b.is_by_name and (ua is None or ub is None or ua == ub):
                out[a].add(b)
    return out


def _keys_of(ff: FileFacts) -> Iterator[Key]:
    yield from (_key(s) for s in ff.sites)
    for a, b in ff.links:
        yield a
        yield b
    yield from (c[2] for c in ff.calls)


def flow_graph(facts: list[FileFacts], clusters: Sequence[set[str]] = ()
               ) -> dict[Key, set[Key]]:
    """key -> keys its value flows into.

    A member we could not type is stored into as f:DIR:NAME and read as
    fr:DIR:NAME (cscan.read_key): a store may reach every typed member of
    that name used in DIR (m:AGG.NAME) and an untyped read of the name, a
    read may come from any of them.  The files of one driver in several
    directories (a cluster: dev/ic and dev/pci) count as one directory."""
    g: dict[Key, set[Key]] = defaultdict(set)
    groups: list[list[FileFacts]] = [[ff] for ff in facts]
    by_path = {ff.path: ff for ff in facts}
    groups += [[by_path[p] for p in cl if p in by_path] for cl in clusters]
    per_dir: dict[str, list[FileFacts]] = defaultdict(list)
    for ff in facts:
        per_dir[os.path.dirname(ff.path)].append(ff)
    for group in list(per_dir.values()) + groups[len(facts):]:
        # by NAME (and elements: NAME[] ...)
        stores: dict[tuple, set[Key]] = defaultdict(set)    # f: keys
        reads: dict[tuple, set[Key]] = defaultdict(set)     # fr: keys
        typed: dict[tuple, set[Key]] = defaultdict(set)     # m: keys
        for ff in group:
            for k in _keys_of(ff):
                if k.kind is Kind.STORE:
                    stores[(k.name, k.elems)].add(k)
                elif k.kind is Kind.READ:
                    reads[(k.name, k.elems)].add(k)
                elif k.is_member:
                    typed[(k.name, k.elems)].add(k)
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
            # a call reaches its own file's definition, else one another
            # file can call: not a static function of another .c file
            # (every port's fd.c has its own fdformat()).  Another port's
            # function stays a target: ports share code (amd64 calls
            # sys/arch/x86's, evbarm sys/arch/arm's)
            local = [t for t in targets if t[0] == ff.path]
            for _, f in (local or [t for t in targets
                                   if not (t[1].static and t[0].endswith(".c"))]):
                if argno < 0:
                    if f.ret_key is not None and f.ret_key != key:
                        g[f.ret_key].add(key)
                elif argno < len(f.param_keys) and (pk := f.param_keys[argno]):
                    if pk != key:
                        g[key].add(pk)
                        if by_addr and argno in f.outparams:    # f(&p), *param = ...
                            g[pk].add(key)
                            # *param is p itself (keys.py: the element KEY[])
                            g[pk.element()].add(key)
                            g[key].add(pk.element())
    # what is stored in p's memory goes where p goes: after q = p, q[i]
    # is p[i]; after f(p), f's param[i] is p[i] (keys.py: KEY[])
    elems = {k.container() for ff in facts for k in _keys_of(ff) if k.elems}
    for a, bs in list(g.items()):
        for b in list(bs):
            if a in elems or b in elems:
                g[a.element()].add(b.element())
    return g


def reach(g: dict[Key, set[Key]], start: Key, objtype: str | None,
          owners: dict[str, set[str]], limit: int = 20000,
          trace: dict | None = None, ports: Ports | None = None,
          kernels: frozenset[str] | None = None) -> dict[Key, set[str | None]]:
    """Where memory of objtype (None: not known) stored at start can go:
    {key: the types it is known to have there}.

    owners: {TYPE: the units with an allocation or a free of it}.  A unit
    with neither only passes the memory on (sys/kern's autoconf takes every
    driver's struct cfdata in config_attach_pseudo() and gives it back in
    device_cfdata()): what leaves it goes back to the unit it came from,
    not to every other unit that passed memory of that type through it.
    kernels: the kernels the memory can be in (its allocation's port;
    None: any); ports says which a key's code is in, and memory never
    goes where none of its kernels is.
    trace, if given, gets {state: the state it was reached from}."""
    seen: dict[Key, set] = defaultdict(set)
    out: dict[Key, set[str | None]] = defaultdict(set)
    # a t: node's Key.holds says what its memory is (None: no t: node)
    first = objtype if objtype is not None else start.holds
    state = (start, first, start.unit if start.holds is not None else None, kernels)
    seen[start].add(state[1:])
    out[start].add(first)
    todo = deque([state])
    n = 1
    while todo and n < limit:
        k, ty, home, ks = todo.popleft()
        k_holds = k.holds
        for nk in g.get(k, ()):
            nty, nhome, nks = ty, home, ks
            if ports is not None:
                nks = Ports.meet(ks, ports.of_key(nk))
                if nks is not None and not nks:
                    continue        # another port's code: in no kernel of ours
            t = nk.holds
            if t is not None:
                if ty is not None and ty != t and k_holds is None:
                    continue        # a void * hand-off: the type at each end
                nty = t
                u = nk.unit
                if u in owners.get(t, ()):
                    if home is not None and u != home and k_holds is not None and \
                            k.unit not in owners.get(k_holds, ()):
                        continue    # out of a unit that only passes it on: back home
                    nhome = u
            if (nty, nhome, nks) not in seen[nk]:
                seen[nk].add((nty, nhome, nks))
                out[nk].add(nty)
                todo.append((nk, nty, nhome, nks))
                n += 1
                if trace is not None:
                    trace[(nk, nty, nhome, nks)] = (k, ty, home, ks)
    return out


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
    # not by _open_units' guess at one we do not
    seen_mixes: set[tuple[int, int]] = field(default_factory=set)
    # of those, the ones a flow shows from one site to the other (_witnessed)
    input_mixes: set[tuple[int, int]] = field(default_factory=set)
    _index: dict[str, dict[int, set]] = field(default_factory=dict, repr=False, compare=False)

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
    scoped_facts, via = _scope_facts(facts, unit_of)
    callers = [ff for ff in scoped_facts if ff.path not in impl]
    g = flow_graph(callers, clusters)
    for k, vs in via.items():
        g[k] |= vs
    skeys = [_key(s) for ff in scoped_facts for s in ff.sites]
    seen = _seen_flows(g)
    _open_units(callers, g, ports)
    _members_follow(g, ports)
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

    def reached(graph, i: int, cache: dict) -> set[int]:
        """The frees allocation i's memory can reach in graph."""
        s = sites[i]
        ks = Ports.meet(ports.of_path(s.path), ports.of_key(skeys[i]))
        k = (skeys[i], s.objtype, ks)
        r = cache.get(k)
        if r is None:
            r = cache[k] = reach(graph, skeys[i], s.objtype, owners, ports=ports, kernels=ks)
        return {j for key, types in r.items() for j in frees_by_key.get(key, ())
                if sites[j].objtype is None or None in types or sites[j].objtype in types}

    edges = []
    paired = set()
    cache: dict[tuple[Key, str | None, frozenset[str] | None], dict] = {}
    for i, s in enumerate(sites):
        if s.role == Role.ALLOC and s.path not in impl and s.fits_api:
            for j in sorted(reached(g, i, cache)):
                edges.append((i, j))
                paired.add(j)
    # where the families meet, whether a flow we see joins them
    mixed = defaultdict(set)
    for i, j in edges:
        if sites[i].is_kmem != sites[j].is_kmem:
            mixed[i].add(j)
    cache = {}
    seen_mixes = {(i, j) for i, js in mixed.items() for j in js & reached(seen, i, cache)}
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
            node, via = _key(st).scoped(u)
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
        if s.context == Context.MACRO and s.define and s.is_kmem:
            defs[(s.path, s.define)].append(i)
            if s.path.endswith(".h"):
                in_headers[s.define].append(i)
    out = []
    for ds in defs.values():
        out += [(ds[0], d) for d in ds[1:]]
    for i, s in enumerate(sites):
        if s.macro:
            # the definition in the file itself, else those of its name in
            # headers (two files' own MALLOC are two macros)
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
    crosses units goes with it: _members_follow.)  Joined, not flows:
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


@dataclass
class Decision:
    site: Site
    tag: str | None = None          # set when converted
    reason: str | None = None       # set when kept
    # how its memory was told apart: "type" (its C type), "place" (a
    # generic member, variable or return value), "name" (the fallback:
    # no type known), "guess" (no allocation reached it: paired with those
    # of its driver that may be its memory's), "unpaired", or "allocator"
    # (inside an allocator's implementation: not a caller)
    paired_by: str = ""


def _tag(d: Decision) -> str:
    """d.tag, of a site the plan converts."""
    assert d.tag is not None
    return d.tag


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
        # a use of an allocator macro: its definition decides (the file
        # of the use is not changed, wherever it is)
        return None
    if s.path not in targets:
        return "outside the converted paths"
    a = allocators.TABLE[s.callee]
    if s.func is None and s.context != Context.MACRO:
        return "not inside a function body"
    if not s.fits_api:
        return f"{s.callee} with {len(s.args)} arguments is not kmem(9)"
    if a.flags is not None and translate(s.callee, s.flags, variable=s.flags_km) is None:
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
           convert_mismatched: bool = True) -> Plan:
    """tag_of(path) -> malloc type.  forced: {(path, line): reason} for
    sites that must stay kmem (those of a file convert does not rewrite: a
    symbolic link, a file defining kmem itself).  A pair whose sizes
    disagree is a bug in the input, reported either way; it is converted
    with the size as written (free(p, T, n) checks that size where kmem's
    KMEM_SIZE does, so the conversion neither hides the bug nor adds one),
    or, without convert_mismatched (--keep-size-mismatch), kept as kmem.
    The sizes are compared only on pairs joined by a flow, never on
    guesses (_sizes)."""
    forced = forced or {}
    plan = Plan()
    sites = pairs.sites
    dec: dict[int, Decision] = {}
    unpaired = pairs.unpaired_frees
    comps = components(pairs)
    blocked = {j: ("no allocation reaches it, and none in its driver may be its "
                   "memory's: kept (check where it is allocated)")
               for j in pairs.orphans if sites[j].is_kmem}
    reported = set()
    for a, f in pairs.size_mismatched:
        if f not in reported:
            reported.add(f)
            plan.findings.append(findings.size_mismatch(sites[f], sites[a],
                                                        kept=not convert_mismatched))
        if not convert_mismatched:
            bug = (f"its size disagrees with the pair's ({sites[a].where} "
                   f"{sites[a].size} / {sites[f].where} {sites[f].size}): a bug "
                   "in the input, kept as kmem")
            blocked.setdefault(a, bug)
            blocked.setdefault(f, bug)
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
        macro_tag = _macro_types(comp, sites, tag_of)
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
            dec[i] = Decision(s, reason=r) if r else \
                Decision(s, tag=(s.define and macro_tag.get(s.define)) or tag_of(s.path))
        outside = [i for i in blockers if sites[i].path not in targets]
        inside = [i for i in comp if sites[i].path in targets and sites[i].counted]
        if outside and inside:
            plan.findings.append(findings.boundary(sites[inside[0]], sites[outside[0]]))
        conv = [i for i in comp if i in dec and dec[i].tag]
        why = owner_types(plan, conv, pairs, dec, comp)
        for i in conv if why else ():
            dec[i] = Decision(sites[i], reason=why)
    for j in sorted(unpaired):
        if j in dec:
            plan.findings.append(findings.unpaired_free(sites[j], dec[j].tag is not None))
    real = {i for e in pairs.edges if e not in pairs.joined for i in e}
    guessed = {i for e in pairs.guessed for i in e}
    for i, d in dec.items():
        d.paired_by = _paired_by(d.site, i in real, i in guessed, pairs)
    plan.decisions = sorted(dec.values(), key=lambda d: (d.site.path, d.site.offset))
    for d in plan.decisions:
        plan.by_path.setdefault(d.site.path, []).append(d)
    return plan


def _paired_by(s: Site, real: bool, guessed: bool, pairs: Pairs) -> str:
    if s.path in pairs.allocators:
        return "allocator"
    if not real:
        return "guess" if guessed else "unpaired"
    k = _key(s)
    if k.is_type:
        return "type"
    if k.is_by_name or k.is_unnamed:
        return "name"
    return "place"


def _macro_types(comp: list[int], sites: list[Site], tag_of) -> dict[str, str]:
    """The type written into a macro's definition: its uses' type when
    they agree; else (sys/statvfs.h's STATVFSBUF_GET, used all over the
    kernel) none here, and the definition takes its own file's type, like
    any site (owner_types then types it by the flows it is in).  A
    machine-independent definition never takes a port's type: another
    port's kernel may use it too, where that type is not defined
    (sys/kernhist.h's KERNHIST_INIT is used by arm's if_cpsw.c, and by
    kern_scdebug.c in any kernel with SYSCALL_DEBUG and KERNHIST).
    Returns {macro: the type of its uses}."""
    uses: dict[str, set[str | None]] = defaultdict(set)     # None: a port's, for an MI macro
    mi_defs = {s.define for s in (sites[i] for i in comp)
               if s.define and port_of(s.path) is None}
    for i in comp:
        s = sites[i]
        if s.macro:
            port_use = port_of(s.path) is not None and s.macro in mi_defs
            uses[s.macro].add(None if port_use else tag_of(s.path))
    return {m: t for m, ts in uses.items() if len(ts) == 1 for t in ts if t is not None}


def owner_types(plan: Plan, conv: list[int], pairs: Pairs,
                dec: dict[int, Decision], comp: Sequence[int] = ()) -> str | None:
    """Ownership first: every site keeps its owner's type (the tag map's
    for its file), except where its memory is seen to flow to another
    owner's release.  The written rule, for the sites a flow joins (not a
    guess): memory is charged to the owner that allocates it, so a free
    in another owner's code names the allocating owner's type (a
    cross-type finding gives the flow).  Where one release site frees
    memory several owners allocate (raw_cb.c's raw_detach() frees
    keysock's and route's sockets' control blocks), no one type is right
    for it: each allocation of that memory records its owner's type with
    the block, M_RECORDED(T), and every free of it is free(p,
    M_ASALLOCATED, n), which charges the recorded type (a shared-release
    finding names the owners).  A guess
    (a free no allocation reaches, joined with those that may be its
    memory's) never changes a type: where it joins two owners' sites the
    component stays kmem.  Returns why the component is kept, or None."""
    if not conv:
        return None
    sites = pairs.sites
    inside = set(conv)
    # a use of an allocator macro carries the flow to its definition's
    # call (libnv's nv_kmem_free(str, n) frees vasprintf()'s string)
    uses = {i for i in comp if sites[i].macro}
    uf = UnionFind()
    near = inside | uses
    for a, f in pairs.around("edges", near):
        if a in near and f in near and (a, f) not in pairs.guessed:
            uf.union(a, f)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in conv:
        groups[uf.find(i)].append(i)
    legacy = _legacy_frees(pairs, inside, uf)
    for root, g in groups.items():
        allocs: dict[str, int] = {}
        for i in g:
            if sites[i].role == Role.ALLOC:
                allocs.setdefault(_tag(dec[i]), i)
        if root in legacy:
            why = _legacy_type(plan, g, legacy[root], sites, dec)
            if why:
                return why
        elif len(allocs) > 1:
            # a release site of several owners' memory: each block
            # carries its owner's type, and every free of it takes that
            _shared_releases(plan, g, pairs, dec)
            for i in g:
                dec[i].tag = allocators.recorded(_tag(dec[i])) \
                    if sites[i].role == Role.ALLOC else allocators.AS_ALLOCATED
        elif allocs:
            (tag, first), = allocs.items()
            for i in g:
                if dec[i].tag != tag:
                    plan.findings.append(findings.cross_type(
                        sites[i], tag, sites[first], _tag(dec[i])))
                    dec[i].tag = tag
    for a, f in pairs.around("guessed", inside):
        if a in inside and f in inside and dec[f].tag == allocators.AS_ALLOCATED and \
                a not in pairs.flowing and (atag := dec[a].tag) and \
                not atag.startswith(allocators.RECORDED + "("):
            # an allocation no free is seen to reach, guessed to be freed
            # as allocated (kern_exec.c's posix_spawn path, with p_path's
            # kmem_strfree()): it records its type, so that such a free
            # charges it right; were the guess false, its own free names
            # its type and only the record stays behind
            dec[a].tag = allocators.recorded(atag)
    for a, f in pairs.around("guessed", inside):
        # a guess may join a recorded block with a free naming the type it
        # records (kern_exec.c's unpaired kmem_strfree(*pathp) guessed with
        # p_path's allocation): that free charges the type the block was
        # allocated as; were the guess true, only the block's record would
        # stay behind in the shim's table (a leak of its few bytes)
        if a in inside and f in inside and not _frees(dec[a].tag, dec[f].tag) and \
                dec[a].tag != allocators.recorded(dec[f].tag or ""):
            return (f"a guess joins it with memory of another owner "
                    f"({sites[a].where}, {dec[a].tag}; {sites[f].where}, "
                    f"{dec[f].tag}): no flow says which type the free must "
                    f"name, kept as kmem")
    return None


def _legacy_frees(pairs: Pairs, inside: set[int], uf: UnionFind) -> dict[int, dict[str, int]]:
    """The frees of malloc(9) callers (not converted: the input's own)
    that a converted allocation's memory reaches by a flow we see
    (Pairs.seen_mixes), by group: {root: {type: free}}; a type argument
    that is not a name counts as "?".  Not by _open_units' guess: a unit
    that frees a type or member it never allocates (code no kernel builds,
    sys/fs/nfs's krpc_subr.c freeing every struct sockaddr) would retype
    every owner's memory of that type."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for a, f in pairs.around("seen_mixes", inside):
        s = pairs.sites[f]
        if a in inside and not s.is_kmem and s.role == Role.FREE and s.counted:
            i = allocators.TABLE[s.callee].mtype
            t = allocators.type_arg(s.args[i]) if i is not None and i < len(s.args) else None
            out[uf.find(a)].setdefault(t or "?", f)
    return out


def _legacy_type(plan: Plan, group: list[int], frees: dict[str, int], sites: list[Site],
                 dec: dict[int, Decision]) -> str | None:
    """Converted memory that a malloc(9) caller of the input frees (tulip.c
    frees a kmem_zalloc'ed media entry with free(tm, M_DEVBUF)): the input
    mixes the families, and its free names a type.  That type wins, so
    that every free of the memory names the type it was allocated with
    (the input's mixed pair is mended); with two types, or one that is
    not a name, the set stays kmem."""
    if len(frees) > 1 or "?" in frees:
        free = sites[next(iter(frees.values()))]
        return (f"its memory is freed by malloc(9) callers of the input "
                f"({free.where}, {', '.join(sorted(frees))}) with no one type: kept as kmem")
    (tag, f), = frees.items()
    for i in group:
        if dec[i].tag != tag:
            plan.findings.append(findings.legacy_type(sites[i], tag, sites[f], _tag(dec[i])))
            dec[i].tag = tag
    return None


def _frees(alloc_tag: str | None, free_tag: str | None) -> bool:
    """Whether a free given free_tag releases a block malloc() was given
    alloc_tag right."""
    return alloc_tag == free_tag or (free_tag == allocators.AS_ALLOCATED and
                                     alloc_tag is not None and
                                     alloc_tag.startswith(allocators.RECORDED + "("))


def _shared_releases(plan: Plan, group: list[int], pairs: Pairs,
                     dec: dict[int, Decision]) -> None:
    """A finding for each free of group that several owners' memory
    reaches, naming an allocation of each (the first three owners)."""
    inside = set(group)
    reached: dict[int, dict[str, int]] = defaultdict(dict)
    for a, f in pairs.around("edges", inside):
        if a in inside and f in inside and (a, f) not in pairs.guessed and \
                pairs.sites[a].role == Role.ALLOC:
            reached[f].setdefault(_tag(dec[a]), a)
    for f, owners in sorted(reached.items()):
        if len(owners) > 1:
            plan.findings.append(findings.shared_release(
                pairs.sites[f], [(t, pairs.sites[a]) for t, a in sorted(owners.items())[:3]]))


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
