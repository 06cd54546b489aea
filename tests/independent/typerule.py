"""The type rule: which allocations a free(9) can receive, tree-wide, and
when their malloc types differ.

It reads what cfacts.py extracts with interfaces=True: each file's events
(allocations and releases, with their malloc type argument) and each
file's places and assignments (its graph).  The graphs of all files are
read as one, each assignment labelled with the file it is in.

WALK.  From an allocation forward (where its value goes), from a free
backward (where the freed value comes from), assignment by assignment.
A walk stays in the file it is in, except at an *interface* place, which
every file shares by construction and from which it goes on through any
file's assignments:

- ``P:<function>#<n>``: the n-th parameter of a function with external
  linkage (what callers hand it, in any file; ``#<n>*`` what it stores
  through it, an out-parameter),
- ``R:<function>``: what a function returns,
- ``G:<name>``: a global,
- ``L:<header>:<function>:<name>``: a local of a function defined in a
  header (a static inline function, read in every file that includes it),
- ``M:<record>::<member>*``: what is stored through a member that points
  to a pointer (a slot): an out-parameter handed on in a struct, as a
  vnode operation's arguments (vnode_if.c's stub sets ``a.a_cookies =
  cookies`` and calls the file system's readdir through a function
  pointer, which stores ``*ap->a_cookies = cookies``).

A member (``M:...``) or a type (``T:...``) is a place every file names
too, but through which unrelated code passes (every fd_clone driver keeps
its memory in f_data, every socket its pcb in so_pcb), so a walk does not
leave its file there: they only link, see TIER 3.

LINKS.  A free is linked to allocations in three tiers:

1. ``file``: in its own file, mixcheck's rule (mixrule.py) on the file's
   own keys: the nearest allocations decide.  Where only the struct type
   (a ``T:`` key) links them and the file also allocates that struct under
   the free's own type, the free is counted as ambiguous.  A member of a
   function's own struct (``node.sysctl_data``, node a local or a
   parameter) is keyed as that function's local, not as the member.
2. ``interface``: in other files, every allocation whose walk meets the
   free's walk at an interface place: a function's parameter, a returned
   pointer, a global.  Not only the nearest: a release helper receives
   what each of its callers hands it.  Also at a generic member of a
   struct defined in the directory of both files (one subsystem's own)
   that one of the walks reached through a third file's assignment there
   (a walk takes another file's assignment between two such members of
   its directory: iscsi_send.c's ``sess->s_target_list =
   ccb->ccb_text_data``).
3. only when 1 and 2 link nothing: by the free's type, ``type``: every
   allocation in the tree whose memory has the struct type the free
   releases, or a struct beginning with it (``base``: keysock's struct
   keycb begins with the struct rawcb raw_detach frees); or, for a generic
   pointer, by the member it is kept in, ``member``: then only if no
   allocation of the member has the free's malloc type (else the free is
   counted as ambiguous), since unrelated drivers share framework members.

FINDINGS.
- ``wrong-type``: a linked allocation of the malloc family whose malloc
  type is another than the free's (both constant names).  In tier
  ``type`` a finding whose free also receives allocations of its own type
  is marked ``partial``.
- ``untyped``: a free(p, 0) / free(p, NULL) (the shim accepts any type):
  one per free, with what reaches it.
- ``wrapper``: a linked allocation of the other family that reaches the
  free through what a function returns (``R:F``): F wraps kmem_alloc and
  its memory is freed by free(9), or the other way round.
- ``mixed``: any other linked allocation of the other family (mixcheck's
  finding; listed, not counted in the exit status).
A free or an allocation whose type is not a constant (``free(p, type)``
with a parameter) is counted as ``dynamic`` and not compared.
"""
from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from cfacts import RECORDED

# how far a walk goes (places visited); a bound, not a tuning knob
WALK_LIMIT = 400


def slot(node: str) -> bool:
    """``M:<record>::<member>*``: what is stored through a member that
    points to a pointer, an out-parameter handed on in a struct (vnode
    operations' ``*ap->a_cookies = cookies``)."""
    return node.startswith("M:") and node.endswith("*")


def own_member(node: str, *files: str) -> bool:
    """Is NODE a member (not a slot) of a struct defined in a header in
    the directory of each of FILES: one subsystem's own struct, through
    which its files hand memory on (iscsi_send.c: sess->s_target_list =
    ccb->ccb_text_data, of memory iscsi_rcv.c allocates and iscsi_ioctl.c
    frees)?  Not a struct a .c file defines for itself: a library's
    container (subr_specificdata.c's slots hold every sys/kern user's)."""
    if not node.startswith("M:") or slot(node) or "@" not in node.split("::", 1)[0]:
        return False
    where = node.split("::", 1)[0].rsplit("@", 1)[1]
    if not where.endswith(".h"):
        return False
    d = os.path.dirname(where)
    return all(os.path.dirname(f) == d for f in files)


def interface(node: str) -> bool:
    if node.startswith(("P:", "R:", "G:")) or slot(node):
        return True
    if node.startswith("L:"):
        return node.split(":", 2)[1].endswith(".h")
    return False


def typed(mtype: str) -> bool:
    """A constant malloc type (M_DEVBUF), not 0/NULL, not a variable."""
    return bool(mtype) and mtype != "0" and not mtype.startswith("?")


@dataclass
class Finding:
    kind: str                     # wrong-type, untyped, wrapper, mixed
    free: dict
    alloc: dict | None
    tier: str                     # file, interface, type, member
    keys: list[str] = field(default_factory=list)
    partial: bool = False         # tier type: the free also receives its own type
    wrapper: str = ""             # the function whose return links them
    origin: str | None = None     # with --before: "input" or "converted"

    def to_json(self) -> dict:
        return {"kind": self.kind, "origin": self.origin, "tier": self.tier, "keys": self.keys,
                "partial": self.partial, "wrapper": self.wrapper,
                "free_type": self.free.get("mtype", ""),
                "alloc_type": self.alloc.get("mtype", "") if self.alloc else None,
                "alloc": self.alloc, "free": self.free}


@dataclass
class Result:
    findings: list[Finding]
    allocs: int
    frees: int                    # of the malloc family
    frees_typed: int              # ... with a constant type
    frees_linked: int
    frees_untyped: list[dict]
    frees_dynamic: list[dict]     # type not a constant, or none seen
    frees_ambiguous: list[dict]   # tier member, both its own and other types
    frees_unlinked: list[dict]
    by_tier: dict[str, int]       # frees linked, by the first tier that linked them
    wrappers: dict[str, str]      # function -> family of what it returns
    # each malloc(9) free with what it is linked to: [(alloc, tier, key)]
    links: list[tuple[dict, list[tuple]]] = field(default_factory=list)


def port_of(path: str) -> str | None:
    """sys/arch/<port>/...: the port; None for machine-independent code."""
    parts = path.split("/")
    if len(parts) > 3 and parts[0] == "sys" and parts[1] == "arch":
        return parts[2]
    if len(parts) > 2 and parts[0] == "sys" and parts[1] == "rump":
        return "rump"      # rump's own versions of kernel functions
    return None


def function_of(node: str) -> str | None:
    """The function a P:f#n or R:f place belongs to (not R:<file>:f, a
    static one)."""
    if node.startswith("P:"):
        return node[2:].split("#", 1)[0]
    if node.startswith("R:") and ":" not in node[2:]:
        return node[2:]
    return None


class Tree:
    """The union of the files' graphs.

    ports: {port: the other sys/arch directories its conf/ files name}
    (amd64 -> x86, xen; evbarm -> arm, aarch64): code of two of them is in
    one kernel only if some port is or names both."""

    def __init__(self, files: list[dict], ports: dict[str, set] | None = None):
        self.together: set[tuple] = set()
        for p, refs in (ports or {}).items():
            k = {p} | set(refs)
            self.together.update((x, y) for x in k for y in k)
        self.defs: dict[str, set] = {}       # function -> files defining it
        self.succ: dict[str, list] = {}
        self.pred: dict[str, list] = {}
        self.types: dict[str, str] = {}
        self.weak: dict[str, str] = {}
        self.bases: dict[str, str] = {}
        seen = set()
        for f in files:
            g = f.get("graph")
            if not g:
                continue
            tu = f["path"]
            for s, d in g["edges"]:
                if (s, d, tu) in seen:
                    continue
                seen.add((s, d, tu))
                self.succ.setdefault(s, []).append((d, tu))
                self.pred.setdefault(d, []).append((s, tu))
            for k, v in g["types"].items():
                self.types.setdefault(k, v)
            for k, v in g["weak"].items():
                self.weak.setdefault(k, v)
            for k, v in g["bases"].items():
                if v:
                    self.bases.setdefault(k, v)
            for fn in g.get("defines", []):
                self.defs.setdefault(fn, set()).add(tu)

    def ports_together(self, pa: str | None, pb: str | None) -> bool:
        return not pa or not pb or pa == pb or (pa, pb) in self.together

    def meet(self, va: tuple, vb: tuple, node: str) -> bool:
        """Can two walks that reached NODE (each with its port and the
        file that reached it: Tree.walk) be in one kernel?"""
        if not (self.ports_together(va[0], vb[0]) and self.same_kernel(va[1], vb[1], node)):
            return False
        # a walk inside a call of f (ports' third item) that reached f's
        # parameter or return meets only a walk from that call's caller
        fn = function_of(node)
        for x, y in ((va, vb), (vb, va)):
            if fn is not None and x[2] and x[2][0] == fn and y[1] != x[2][1]:
                return False
        return True

    def same_kernel(self, a: str, b: str, node: str) -> bool:
        """Can a walk at interface place NODE go from file A's code to file
        B's?  Not between two ports that do not share code (alpha's and
        riscv's _bus_dmamap_destroy), nor between two definitions of one
        function (each kernel has one: sparc's and sparc64's
        sparc_softintr_disestablish)."""
        if a == b:
            return True
        if not self.ports_together(port_of(a), port_of(b)):
            return False
        fn = function_of(node)
        if fn is not None:
            d = self.defs.get(fn, ())
            if a in d and b in d:
                return False
        return True

    def walk(self, start: str, tu: str, forward: bool, through_members: bool = True
             ) -> tuple[dict[str, int], dict[str, tuple]]:
        """Places the value at START (in file TU) flows to (forward) or
        from, with their distance in assignments, and for each how the
        walk reached it: (the port whose code it had been in, None for
        machine-independent code only; the file whose assignment reached
        it; the call it is in, below).

        A call is followed in and back out to the file it came from: a
        walk that goes from a caller's argument into P:f#n and through f's
        body to R:f (thmap_put returns its argument) goes back only to
        that caller's file, not to every caller of f; likewise backward
        from R:f to P:f#n.  One level: a call inside the call forgets the
        outer one."""
        nxt = self.succ if forward else self.pred
        # into a function (forward at its parameter, backward at its
        # return) and out of it
        into, out = ("P:", "R:") if forward else ("R:", "P:")
        dist = {start: 0}
        ports = {start: (port_of(tu), tu, None)}
        # (place, the file whose code the walk is in, the port it has been
        # in, the call it is in: (function, the caller's file))
        todo = deque([(start, tu, port_of(tu), None)])
        states = {(start, tu, None)}
        while todo and len(states) < WALK_LIMIT:
            n, ctx, port, call = todo.popleft()
            if n != start and n.startswith("M:") and n not in self.types and not slot(n) \
                    and (not through_members or ctx != tu):
                # a generic member: passed through only in the file the walk
                # began in (another file's is a container's: thmap's
                # leaves, specificdata's slots hold everyone's memory)
                continue
            anyfile = interface(n)
            fn = function_of(n)
            for m, f in sorted(nxt.get(n, ())):
                if f != ctx and not (anyfile and self.same_kernel(ctx, f, n)
                                     and self.ports_together(port, port_of(f))) \
                        and not self.handoff(n, m, ctx, f):
                    continue
                ncall = call
                if fn is not None and n.startswith(into):
                    ncall = (fn, ctx)
                elif fn is not None and n.startswith(out) and call and call[0] == fn:
                    if f != call[1]:
                        continue        # back to another caller than it came from
                    ncall = None
                if (m, f, ncall) in states:
                    continue
                states.add((m, f, ncall))
                if m not in dist:
                    dist[m] = dist[n] + 1
                    ports[m] = (port or port_of(f), f, ncall)
                todo.append((m, f, port or port_of(f), ncall))
        return dist, ports

    def handoff(self, n: str, m: str, a: str, b: str) -> bool:
        """May a walk in file A's code at member N take file B's
        assignment between N and member M?  Where both are generic members
        of one subsystem's own structs (own_member) and A and B are its
        files: a member is every file's, but a subsystem's own struct is
        no container of other code's memory."""
        return n not in self.types and m not in self.types \
            and own_member(n, a, b) and own_member(m, a, b)

    def base_chain(self, tkey: str) -> list[str]:
        out = []
        while tkey in self.bases and len(out) < 8:
            tkey = self.bases[tkey]
            if tkey in out:
                break
            out.append(tkey)
        return out


def tu_of(e: dict) -> str:
    return e.get("tu") or e["file"]


def alloc_reach(tree: Tree, a: dict) -> tuple[dict[str, int], dict[str, int], dict]:
    """(places, T: keys) an allocation's memory reaches, with distances.
    The places tree-wide; the T: keys those of its own file's places (a
    walk through other files' code reaches other structs: what a generic
    helper does with its parameter is not what the memory is) and of the
    structs they begin with (+1)."""
    places, ports = tree.walk(a["place"], tu_of(a), True) if a["place"] else ({}, {})
    tkeys: dict[str, int] = {}

    def addt(k, d):
        if k and (k not in tkeys or tkeys[k] > d):
            tkeys[k] = d
    own = own_types(a["keys"])
    for k, d, _ in a["keys"]:
        if k.startswith("T:") and (not own or k in own):
            addt(k, d)
    for k, d in list(tkeys.items()):
        if "*" not in k:
            for i, b in enumerate(tree.base_chain(k)):
                addt(b, d + 1 + i)
    return places, tkeys, ports


def free_reach(tree: Tree, f: dict) -> tuple[dict[str, int], dict[str, int], bool, dict]:
    """(places, T: keys, typed, ports) a free's value comes from.  A freed value
    of a specific type is identified by its type, not by the generic
    members it came through (mixcheck's rule)."""
    own = tree.types.get(f["place"]) if f["place"] else None
    casts = [k for k in f.get("casts", []) if k]
    is_typed = bool(own or casts)
    places, ports = tree.walk(f["place"], tu_of(f), False, through_members=not is_typed) \
        if f["place"] else ({}, {})
    tkeys: dict[str, int] = {}
    for k in [own] + casts:
        if k and k not in tkeys:
            tkeys[k] = 1
    if not tkeys and f.get("sizetype"):
        tkeys[f["sizetype"]] = 0
    return places, tkeys, is_typed, ports


def own_types(keys: list) -> set[str] | None:
    """The T: keys an allocation's memory has by itself (where it is
    first stored, a cast, a sizeof: distance 0); None if it has none (then
    a struct it is later stored as is its type).  Further places' types
    are other memory's (a list's head, a member of a struct it points
    to)."""
    own = {k for k, d, _ in keys if k.startswith("T:") and d == 0}
    return own or None


def escapes(tree: Tree, places: dict[str, int]) -> bool:
    """Does an allocation's memory leave the locals of the functions it is
    handed to?  Stored in a member, a global, through a pointer, returned,
    or handed to a function whose body was not read: then any free of its
    struct type may receive it.  If not, only a free its own walk reaches
    (tulip.c's and firewire.c's scratch structs, freed where allocated)."""
    if len(places) >= WALK_LIMIT:
        return True
    for p in places:
        if p.startswith("L:"):
            if p.endswith(("*", "]")):
                return True
        elif p.startswith("P:"):
            if not tree.succ.get(p):
                return True
        else:
            return True
    return False


class Order:
    """The one bit of flow the rule reads: the order of lines in a
    function, for allocations into a place and frees of that same place
    (its own local or member, not a place it came through).

    - A free reached by allocations into its own place in its own
      function is reached by the last of them before it (`tm = malloc();
      ... free(tm)` in each case of tulip.c's loop), not by those after.
    - An allocation freed in its own function through its own place,
      which is then allocated again (`sc->sc_tmp = malloc(M_TEMP);
      free(sc->sc_tmp, M_TEMP); sc->sc_tmp = malloc(M_SCRATCH)`), does not
      reach that place's frees in other functions.
    Branches and loops are not read: an allocation in a loop after the
    free that releases it in the next turn is missed."""

    def __init__(self, events: list[dict]):
        self.at: dict[tuple, list] = {}      # (file, function, place) -> [(line, kind)]
        for e in events:
            if e["place"] and e["function"]:
                self.at.setdefault((e["file"], e["function"], e["place"]), []).append(
                    (e["line"], e["kind"]))
        for v in self.at.values():
            v.sort()

    def reaches(self, a: dict, f: dict) -> bool:
        if not a["place"] or a["file"] != f["file"]:
            return True
        if a["function"] == f["function"]:
            if a["place"] != f["place"]:
                return True
            # (a realloc's own allocation is on its line: not before it)
            before = [line for line, kind in self.at[(a["file"], a["function"], a["place"])]
                      if kind == "alloc" and line < f["line"]]
            return not before or a["line"] == before[-1]
        seq = self.at.get((a["file"], a["function"], a["place"]), [])
        freed = next((line for line, kind in seq if kind == "free" and line > a["line"]), None)
        if freed is None:
            return True
        return not any(kind == "alloc" and line > freed for line, kind in seq)


def link(events: list[dict], files: list[dict], ports: dict[str, set] | None = None
         ) -> Result:
    tree = Tree(files, ports)
    order = Order(events)
    allocs = [e for e in events if e["kind"] == "alloc"]
    frees = [e for e in events if e["kind"] == "free"]

    # the allocations' walks
    reach_of: dict[int, dict[str, int]] = {}
    tkeys_of: dict[int, dict[str, int]] = {}
    aports: dict[int, dict] = {}
    escaping: dict[int, bool] = {}
    for a in allocs:
        reach_of[id(a)], tkeys_of[id(a)], aports[id(a)] = alloc_reach(tree, a)
        escaping[id(a)] = escapes(tree, reach_of[id(a)])

    # tier 1 index: mixrule's, on the file's own keys (cfacts.Graph.keys),
    # with the structs a struct begins with, and a T: key only for memory
    # that escapes
    # (in_file_all: also T: keys of memory that seems not to escape, when
    # nothing else links in the file: what stores it may not have compiled)
    in_file: dict[tuple, list] = {}
    in_file_all: dict[tuple, list] = {}
    for a in allocs:
        seen = set()
        own = own_types(a["keys"])
        for k, d, scope in a["keys"]:
            if scope == "weak" or (own and k.startswith("T:") and k not in own):
                continue
            ks = [(k, d)]
            if k.startswith("T:") and "*" not in k:
                ks += [(b, d + 1 + i) for i, b in enumerate(tree.base_chain(k))]
            for kk, dd in ks:
                if kk not in seen:
                    seen.add(kk)
                    in_file_all.setdefault((a["file"], kk), []).append((a, dd))
                    if not k.startswith("T:") or escaping[id(a)]:
                        in_file.setdefault((a["file"], kk), []).append((a, dd))

    # tiers 2 and 3: by interface place, member and T: key
    by_iface: dict[str, list] = {}
    by_type: dict[str, list] = {}
    by_member: dict[str, list] = {}
    for a in allocs:
        for p, d in reach_of[id(a)].items():
            if interface(p):
                by_iface.setdefault(p, []).append(a)
            elif p.startswith("M:"):
                by_member.setdefault(p, []).append(a)
                if p in tree.weak:
                    by_member.setdefault(tree.weak[p], []).append(a)
        if escaping[id(a)]:
            for k in tkeys_of[id(a)]:
                by_type.setdefault(k, []).append(a)

    # wrappers: functions whose return an allocation reaches
    wrappers: dict[str, set] = {}
    for a in allocs:
        for p in reach_of[id(a)]:
            if p.startswith("R:"):
                wrappers.setdefault(p, set()).add(a["family"])

    findings: list[Finding] = []
    found: dict[tuple, Finding] = {}
    by_tier = {"file": 0, "interface": 0, "type": 0, "member": 0}
    untyped, dynamic, ambiguous, unlinked = [], [], [], []
    freed: list[tuple[dict, list[tuple]]] = []
    nfree = ntyped = linked = 0

    def report(kind, a, f, tier, key, **kw):
        ident = (kind, id(a), id(f))
        fi = found.get(ident)
        if fi is None:
            fi = found[ident] = Finding(kind, f, a, tier, **kw)
            findings.append(fi)
        if key and key not in fi.keys:
            fi.keys.append(key)
        return fi

    def own_kind(f, cands):
        """Is any candidate of the free's own type (malloc) or family?"""
        if f["family"] == "malloc":
            return any(a["family"] == "malloc" and a.get("mtype") == f.get("mtype")
                       for a, _, _ in cands)
        return any(a["family"] == f["family"] for a, _, _ in cands)

    def other_kind(f, cands):
        return any(a["family"] != f["family"] or
                   (f["family"] == "malloc" and a.get("mtype") != f.get("mtype"))
                   for a, _, _ in cands)

    for f in frees:
        # a kmem_free is read for the wrapper check alone (malloc memory
        # through a function's return)
        nfree += f["family"] == "malloc"
        fplaces, ftkeys, is_typed, fports = free_reach(tree, f)
        links: list[tuple] = []          # (alloc, tier, key)
        cands: list[tuple] = []          # tier 3's, when nothing nearer
        partial = False

        # 1. this file, the nearest
        near: dict[int, list] = {}
        for index in (in_file, in_file_all):
            for k, df, scope in f["keys"]:
                if scope != "weak":
                    for a, da in index.get((f["file"], k), []):
                        if order.reaches(a, f):
                            near.setdefault(df + da, []).append((a, k))
            if near:
                break
        undecided = False
        if near:
            best = near[min(near)]
            if f["family"] == "malloc" and typed(f.get("mtype", "")) and \
                    all(k.startswith("T:") for _, k in best) and \
                    any(a.get("mtype") != f["mtype"] for a, _ in best) and \
                    any(a.get("mtype") == f["mtype"] for k in {k for _, k in best}
                        for a, _ in in_file_all.get((f["file"], k), [])):
                # only the struct type links them, and the file allocates
                # that struct under the free's type too (x86 bus_dma.c's
                # tags, a subregion's and an override's; kern_hook.c's two
                # lists): which of them reach this free is not known
                ambiguous.append(f)
                undecided, best = True, []
            links += [(a, "file", k) for a, k in best]
        # 2. other files, through an interface place: all of them
        fport = port_of(f["file"])
        for p in fplaces:
            if slot(p) and fports[p][1] == f["file"]:
                # a file system freeing what it stored through its own
                # *ap->a_cookies: the slot is every file system's, but
                # what one reads back is what it stored (a caller reaches
                # the slot through the stub's assignment, another file's)
                continue
            if interface(p):
                links += [(a, "interface", p) for a in by_iface.get(p, [])
                          if a["file"] != f["file"] and tree.meet(aports[id(a)][p], fports[p], p)]
            elif p not in tree.types and own_member(p, f["file"]):
                # a subsystem's own member that one of the walks reached
                # through another of its files' assignment (Tree.handoff)
                # (by_member also lists the allocations of a weak key)
                links += [(a, "interface", p) for a in by_member.get(p, [])
                          if a["file"] != f["file"] and p in aports[id(a)]
                          and own_member(p, a["file"])
                          and (fports[p][1] != f["file"] or aports[id(a)][p][1] != a["file"])]
        if any(t == "interface" for _, t, _ in links):
            # the freed value's own flow comes from another file (udf's
            # udf_read_phys_dscr(..., &dscr)): not also every allocation
            # of its struct in this file
            links = [x for x in links if not (x[1] == "file" and x[2].startswith("T:"))]
        tier = links[0][1] if links else "file" if undecided else None
        # 3. the tree: a typed free by its own member, then its struct;
        # a generic one by its member
        if not links and not undecided:
            own = f["place"] if f["place"] and f["place"].startswith("M:") else None
            sure = True
            if is_typed:
                if own:
                    cands = [(a, "member", own) for a in by_member.get(own, [])]
                if not cands:
                    for k in ftkeys:
                        cands += [(a, "type", k) for a in by_type.get(k, [])]
                    # an array of pointers to a common struct (device_t *)
                    # is any code's: as a generic member
                    sure = not any("*" in k for k in ftkeys)
            else:
                for p in sorted(fplaces, key=lambda x: fplaces[x]):
                    if p.startswith("M:"):
                        cands += [(a, "member", p) for a in by_member.get(p, [])]
                if not cands:
                    for p in fplaces:
                        if p in tree.weak:
                            cands += [(a, "member", tree.weak[p])
                                      for a in by_member.get(tree.weak[p], [])]
                sure = False
            cands = [x for x in cands
                     if tree.ports_together(port_of(x[0]["file"]), fport)]
            others = {a.get("mtype") if a["family"] == "malloc" else a["family"]
                      for a, _, _ in cands} - {f.get("mtype")}
            if cands:
                tier = cands[0][1]
                if sure and tier == "type" and len(others) > 1 and f["family"] == "malloc":
                    # a struct allocated under several other types (struct
                    # sockaddr, struct uio): which of them reach this free
                    # is not known
                    if typed(f.get("mtype", "")):
                        ambiguous.append(f)
                elif sure:
                    links = cands
                    partial = own_kind(f, cands)
                elif not own_kind(f, cands):
                    links = cands
                elif other_kind(f, cands) and typed(f.get("mtype", "")):
                    # some allocations of the member (or pointer array) are
                    # of the free's type, others not: which reach it is not
                    # known
                    ambiguous.append(f)
        if f["family"] == "malloc":
            freed.append((f, links))
            if tier:
                linked += 1
                by_tier[tier] += 1
            else:
                unlinked.append(f)
            if f.get("mtype") == "0" and (links or cands) and all(
                    a.get("mtype", "").startswith(RECORDED) for a, _, _ in links or cands):
                ntyped += 1         # freed as allocated: every block records its type
            elif f.get("mtype") == "0":
                untyped.append(f)
                report("untyped", None, f, tier or "", None)
            elif not typed(f.get("mtype", "")):
                dynamic.append(f)
            else:
                ntyped += 1

        for a, t, k in links:
            if a["family"] != f["family"]:
                shared = [p for p in fplaces if p.startswith("R:")
                          and p in reach_of[id(a)]
                          and a["family"] in wrappers.get(p, ())]
                if shared:
                    w = min(shared, key=lambda p: fplaces[p])
                    report("wrapper", a, f, t, k, wrapper=w[2:])
                else:
                    report("mixed", a, f, t, k)
                continue
            if f["family"] != "malloc":
                continue
            ft, at = f.get("mtype", ""), a.get("mtype", "")
            if at.startswith(RECORDED) and typed(ft):
                # a recorded block freed with a type: the record is left
                report("wrong-type", a, f, t, k, partial=partial)
                continue
            if not typed(ft) or not typed(at) or at == ft:
                continue
            report("wrong-type", a, f, t, k, partial=partial)

    order = {"wrong-type": 0, "wrapper": 1, "untyped": 2, "mixed": 3}
    findings.sort(key=lambda x: (order[x.kind], x.free["file"], x.free["line"],
                                 x.alloc["file"] if x.alloc else "",
                                 x.alloc["line"] if x.alloc else 0))
    return Result(findings, len(allocs), nfree, ntyped, linked, untyped, dynamic, ambiguous,
                  unlinked, by_tier,
                  {p[2:]: "+".join(sorted(fs)) for p, fs in sorted(wrappers.items())}, freed)
