"""The plan: which kmem sites are converted, and with which type (the top
layer of pairing; it gets the pairs and their components from pairs.py).

The rule is "a pair is converted together or not at all", and a free is
converted only when every allocation that can reach it is: a component
with a site that cannot be converted (own_reason) is kept whole.

Types are the owners' (owner_types): a site keeps its file's type
unless a flow brings it memory another owner allocates; memory is
charged to the owner that allocates it, and where several owners' memory
meets at one free, each block records its type (M_RECORDED(T)) and the
frees name none (M_ASALLOCATED).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import allocators, findings
from ..allocators import Role
from ..c.cscan import Context, Site
from ..findings import Finding
from ..rewrite.flags import translate
from ..tree import port_of
from .flow import site_key
from .pairs import Pairs, UnionFind, components


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
    blocked = _blocked(plan, pairs, convert_mismatched)
    for comp in components(pairs).values():
        _decide_component(plan, dec, comp, pairs, targets, tag_of, forced, blocked)
    for j in sorted(unpaired):
        if j in dec:
            plan.findings.append(findings.unpaired_free(sites[j], dec[j].tag is not None))
    real = {i for e in pairs.edges if e not in pairs.joined for i in e}
    guessed = {i for e in pairs.guessed for i in e}
    for i, d in dec.items():
        d.paired_by = paired_by(d.site, i in real, i in guessed, pairs)
    plan.decisions = sorted(dec.values(), key=lambda d: (d.site.path, d.site.offset))
    for d in plan.decisions:
        plan.by_path.setdefault(d.site.path, []).append(d)
    return plan


def _blocked(plan: Plan, pairs: Pairs, convert_mismatched: bool) -> dict[int, str]:
    """The sites the pairs themselves keep as kmem, with the reason: the
    orphans, and without convert_mismatched the pairs whose sizes
    disagree (reported either way)."""
    sites = pairs.sites
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
    return blocked


def _decide_component(plan: Plan, dec: dict[int, Decision], comp: list[int], pairs: Pairs,
                      targets: set[str], tag_of, forced: dict, blocked: dict[int, str]) -> None:
    """The decisions for one component's sites, into dec: converted
    whole, each with its owner's type (owner_types), or kept whole."""
    sites = pairs.sites
    if sites[comp[0]].path in pairs.allocators:
        for i in comp:
            s = sites[i]
            if s.path in targets and s.counted:
                dec[i] = Decision(s, reason=(
                    "allocator implementation (defines "
                    f"{', '.join(pairs.allocators[s.path][:3])}): not a caller"))
        return
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


def paired_by(s: Site, real: bool, guessed: bool, pairs: Pairs) -> str:
    if s.path in pairs.allocators:
        return "allocator"
    if not real:
        return "guess" if guessed else "unpaired"
    k = site_key(s)
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
        why = _group_types(plan, g, legacy.get(root), pairs, dec)
        if why:
            return why
    _record_guessed(pairs, inside, dec)
    return _guess_across_owners(pairs, inside, dec)


def _group_types(plan: Plan, group: list[int], legacy: dict[str, int] | None, pairs: Pairs,
                 dec: dict[int, Decision]) -> str | None:
    """The types of a group of sites a flow joins (owner_types): the
    type of the malloc(9) callers that free its memory (legacy:
    _legacy_frees'), or the allocating owner's, or each owner's recorded
    with the block.  Returns why the component is kept, or None."""
    sites = pairs.sites
    allocs: dict[str, int] = {}
    for i in group:
        if sites[i].role == Role.ALLOC:
            allocs.setdefault(_tag(dec[i]), i)
    if legacy is not None:
        return _legacy_type(plan, group, legacy, sites, dec)
    if len(allocs) > 1:
        # a release site of several owners' memory: each block
        # carries its owner's type, and every free of it takes that
        _shared_releases(plan, group, pairs, dec)
        for i in group:
            dec[i].tag = allocators.recorded(_tag(dec[i])) \
                if sites[i].role == Role.ALLOC else allocators.AS_ALLOCATED
    elif allocs:
        (tag, first), = allocs.items()
        for i in group:
            if dec[i].tag != tag:
                plan.findings.append(findings.cross_type(
                    sites[i], tag, sites[first], _tag(dec[i])))
                dec[i].tag = tag
    return None


def _record_guessed(pairs: Pairs, inside: set[int], dec: dict[int, Decision]) -> None:
    """An allocation no free is seen to reach, guessed to be freed as
    allocated (kern_exec.c's posix_spawn path, with p_path's
    kmem_strfree()), records its type, so that such a free charges it
    right; were the guess false, its own free names its type and only the
    record stays behind."""
    for a, f in pairs.around("guessed", inside):
        if a in inside and f in inside and dec[f].tag == allocators.AS_ALLOCATED and \
                a not in pairs.flowing and (atag := dec[a].tag) and \
                not atag.startswith(allocators.RECORDED + "("):
            dec[a].tag = allocators.recorded(atag)


def _guess_across_owners(pairs: Pairs, inside: set[int], dec: dict[int, Decision]) -> str | None:
    """Why a guess keeps the component: it joins memory of two owners,
    and no flow says which type the free must name; or None.  A guess may
    join a recorded block with a free naming the type it records
    (kern_exec.c's unpaired kmem_strfree(*pathp) guessed with p_path's
    allocation): that free charges the type the block was allocated as;
    were the guess true, only the block's record would stay behind in the
    shim's table (a leak of its few bytes)."""
    sites = pairs.sites
    for a, f in pairs.around("guessed", inside):
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
    that is not a name counts as "?".  Not by open_units' guess: a unit
    that frees a type or member it never allocates (code no kernel builds,
    sys/fs/nfs's krpc_subr.c freeing every struct sockaddr) would retype
    every owner's memory of that type."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for a, f in pairs.around("seen_mixes", inside):
        s = pairs.sites[f]
        if a in inside and not s.is_kmem and s.role == Role.FREE:
            # (a use of a malloc(9) macro names its definition's type:
            # pf's rs_free(x) frees as M_TEMP)
            out[uf.find(a)].setdefault(pairs.types[f] or "?", f)
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
