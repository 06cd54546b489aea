"""The flow graph: where an allocation's pointer can go (the bottom layer
of pairing; it gets each file's facts from the scan, c/: its sites, the
places they store to or free from, assignments, calls and functions, all
as keys.Key).

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
of different types is followed (a cast).

Typed nodes and generic members are kept apart by owner (scope_facts);
open_units joins owners where memory crosses by a way we do not see.
No kernel holds two ports (Ports): memory never flows from one port's
code into another's.  reach() walks the graph from one place.
"""

from __future__ import annotations

import os
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from dataclasses import replace

from ..allocators import Role
from ..c.cscan import FileFacts, Site
from ..c.keys import Key, Kind
from ..tree import port_of


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


def site_key(s: Site) -> Key:
    """s.key: the scan gives every site one (cscan._site_place)."""
    assert s.key is not None
    return s.key


def scope_facts(facts: list[FileFacts], unit_of) -> tuple[list[FileFacts], dict[Key, set[Key]]]:
    """The facts with every key a node of the flow graph (Key.scoped), and
    the edges between a typed node and the member or global it was found
    in, both ways.  Memory of a type, and a generic member of a struct, are
    kept apart by owner, the unit (the malloc type the file gets): putter's
    and vhci's instances, two drivers' struct envsys_data, or the buffers
    two subsystems hang on struct buf's b_data are not one thing
    (open_units says when they are)."""
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


def open_units(facts: list[FileFacts], g: dict[Key, set[Key]], ports: Ports,
               unit_of) -> None:
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
    net/raw_cb.c's raw_detach() frees, and keysock.c never tells it so).
    A unit allocates a type when one of its allocations is of it, whatever
    the place the pointer is kept in (unit_of(path): the unit's name)."""
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
            k = site_key(s)
            if k.unit is not None:
                nodes[k.unowned].add(k)
                (allocs if s.role == Role.ALLOC else frees).add(k)
            if s.role == Role.ALLOC and s.objtype is not None:
                # an allocation of T kept in a place we could not type
                # (nfs_clbio.c's t_iov = malloc(sizeof(struct iovec)),
                # a local of a K&R function) is the unit's own T all the
                # same: what its frees of T release is what it allocates
                # (nfs_clbio's t_iov, through bp->b_caller1), not every
                # other unit's T (issue 30: nfs_serv's and netbsd32's
                # iovecs joined at nfs_clbio's free).  These links are
                # guesses at unseen flows, which a typed local would not
                # have made either; no flow we see is dropped, and a free
                # of T no flow reaches is still joined with the unit's
                # allocations of T (pairs._guess)
                allocs.add(Key.typed(s.objtype).scoped(unit_of(ff.path))[0])
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


def members_follow(g: dict[Key, set[Key]], ports: Ports) -> None:
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


def seen_flows(g: dict[Key, set[Key]]) -> dict[Key, set[Key]]:
    """The flows we see, that a mix of the input can be told by (Pairs.
    seen_mixes): from place to place, call to parameter, return to caller,
    and within one owner by type or member; not where one owner's memory
    of a type or member is taken for another's by its name (a struct
    sockaddr of sys/net handed to sys/kern is not every sockaddr of
    sys/kern; struct fs's fs_csp is ffs_mountfs()'s and the snapshot's
    copy's), nor a member known by its name alone (f:, fr:), nor
    open_units' guess at what we do not see.  Any of those keeps pairs
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
    yield from (site_key(s) for s in ff.sites)
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
    _name_edges(g, facts, clusters)
    _call_edges(g, facts)
    _element_edges(g, facts)
    return g


def _name_edges(g: dict[Key, set[Key]], facts: list[FileFacts],
                clusters: Sequence[set[str]]) -> None:
    """The edges of members known by their name alone (f:, fr:), per
    directory and per cluster (flow_graph)."""
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


def _call_edges(g: dict[Key, set[Key]], facts: list[FileFacts]) -> None:
    """The edges of assignments, and of calls to the functions defined
    in facts: argument to parameter, return value to the caller."""
    defs: dict[str, list] = defaultdict(list)
    for ff in facts:
        for f in ff.functions:
            defs[f.name].append((ff.path, f))
    read = {ff.path: _read_places(ff) for ff in facts}
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
            for path, f in (local or [t for t in targets
                                      if not (t[1].static and t[0].endswith(".c"))]):
                if argno < 0:
                    if f.ret_key is not None and f.ret_key != key:
                        g[f.ret_key].add(key)
                elif argno < len(f.param_keys) and (pk := f.param_keys[argno]):
                    if pk == key:
                        continue
                    out = by_addr and argno in f.outparams      # f(&p), *param = ...
                    # an out-parameter its function only stores into
                    # (atari's bus_dmamem_map(..., void **kvap): *kvap =
                    # va) gets nothing from p: its node is every caller's
                    # p, and p's memory would come out into every other
                    # caller's (sdmmc's buffer into drm's DMA handles,
                    # issue 30).  No free is lost: a function that never
                    # reads its parameter (no assignment, argument, return
                    # or call site takes it, nor *param) frees nothing p
                    # held before the call.  (A read the scan does not
                    # see, old = *(void **)pp, is the case this misses:
                    # the old value saved and handed out to a later
                    # caller's *pp; the hop through the parameter found
                    # it by chance, since nothing in the graph followed
                    # such a read either.)
                    if not (out and not pk.is_type and pk not in read[path]):
                        g[key].add(pk)
                        if out:
                            g[key].add(pk.element())
                    if out:
                        g[pk].add(key)
                        # *param is p itself (keys.py: the element KEY[])
                        g[pk.element()].add(key)


def _read_places(ff: FileFacts) -> set[Key]:
    """The places a file's code takes a value from, as the place itself
    (*p, p[i] as p): the sources of its assignments, its call arguments,
    what its functions return, and its sites' places (a free's; an
    allocation's too, to be safe: a realloc reads what it replaces)."""
    def base(k: Key) -> Key:
        while k.elems:
            k = k.container()
        return k
    keys = [src for _, src in ff.links] + [k for _, argno, k, _ in ff.calls if argno >= 0]
    keys += [f.ret_key for f in ff.functions if f.ret_key is not None]
    keys += [site_key(s) for s in ff.sites if s.key is not None]
    return {base(k) for k in keys}


def _element_edges(g: dict[Key, set[Key]], facts: list[FileFacts]) -> None:
    """What is stored in p's memory goes where p goes: after q = p, q[i]
    is p[i]; after f(p), f's param[i] is p[i] (keys.py: KEY[])."""
    elems = {k.container() for ff in facts for k in _keys_of(ff) if k.elems}
    for a, bs in list(g.items()):
        for b in list(bs):
            if a in elems or b in elems:
                g[a.element()].add(b.element())


def typed_stores(g: dict[Key, set[Key]]) -> dict[Key, frozenset[str]]:
    """{generic member node: the types its own unit stores into it from
    places of that type} (x86 bus_dma.c's id_origbuf: struct mbuf and
    struct uio), for reach()'s pass-through rule.  Taken from the flow
    graph of assignments, calls and returns, before scope_facts' edges of
    typed members (whose m: node holds its one type) are added."""
    out: dict[Key, set[str]] = defaultdict(set)
    for a, bs in g.items():
        if a.holds is None or a.unit is None:
            continue
        for b in bs:
            if b.is_member and b.unit == a.unit:
                out[b].add(a.holds)
    return {k: frozenset(ts) for k, ts in out.items()}


def reach(g: dict[Key, set[Key]], start: Key, objtype: str | None,
          owners: dict[str, set[str]], limit: int = 20000,
          trace: dict | None = None, ports: Ports | None = None,
          kernels: frozenset[str] | None = None,
          stored: dict[Key, frozenset[str]] | None = None) -> dict[Key, set[str | None]]:
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
    stored: typed_stores(g), for the pass-through rule (below).
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
                if ty is None and stored is not None and t in stored.get(k, ()) and \
                        nk.unit == k.unit and nk.unit not in owners.get(t, ()):
                    # a pass-through's polymorphic member (issue 30):
                    # memory of no known type in a member that its unit
                    # fills with T from places of T, a unit that neither
                    # allocates nor frees T (x86 bus_dma.c's void *
                    # id_origbuf holds a driver's raw buffer, an mbuf or a
                    # uio, told apart by id_buftype), does not become a T
                    # when the unit reads the member as T: its T is what
                    # it stored as T, not what it got through a void *
                    # (else every driver's DMA buffer reached every
                    # owner's frees of mbufs).  No free is lost: the unit
                    # frees no T, the memory still takes the member's
                    # generic reads, and T memory handed to the unit as T,
                    # or through a void * by a caller that knew it (reach
                    # carries its type), is followed as before
                    continue
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
