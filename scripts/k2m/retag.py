"""`kmem2malloc retag`: legacy malloc(9) callers of a generic type get their owner's.

After convert, the memory `vmstat -m` cannot attribute is the legacy
callers' own: `malloc(n, M_DEVBUF, f)`, `free(p, M_TEMP)`.  retag gives
those calls (the generic types: tag-map.yaml's `retag: types`) the type
the tag map gives their owner, with convert's pairing (pairing/): an
allocation and every free and realloc of its memory change together or
not at all, since a DIAGNOSTIC kernel panics on a free naming another
type than its block's.  Only the type argument changes, and a free
of a header-less type gains its size where it is fixed (freesize.py).

The phases: scan and pair (convert.scan: the same scan and flow graph,
its context the files naming a generic type), plan (decide: per
component of malloc(9) sites, retyped with pairing.owner_types or kept
with a Keep reason), rewrite (the type arguments, verified by a scan of
the output), write (the per-driver diffs, report.json and report.md,
the series; --in-place: convert.apply_in_place).

A use of a wrapper macro (pf's rs_free(x): free(x, M_TEMP)) is a site
like a call: the macro's definition is retyped with its uses' memory
when they are all one owner's (_macro_kept); a macro whose type is its
parameter (udf's MPFREE(a, lst)) is retyped at each use.

Memory of a scratch type (`retag: scratch`, M_TEMP) that is freed only in
the function that allocates it is a scratch buffer: it keeps its type,
listed as such.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import AbstractSet, Callable

from . import allocators, findings, pairing, report, series
from .c import brackets, cscan
from .c.factcache import FactCache
from .rewrite import freesize, restyle, textual
from .allocators import Role
from .pairing.pairs import malloc_type
from .convert import FileResult, Scanned, apply_in_place, owner_of, scan
from .c.cscan import Context, Site
from .c.keys import Key, Kind
from .c.scanning import CONTEXT_DIRS, read
from .tagmap import Interface, TagMap
from .tree import Tree, source_files


class Keep(enum.StrEnum):
    """Why a generic-type call keeps its type (report.json's `keep`)."""
    SCRATCH = "scratch"             # freed only where allocated (by decision)
    INTERFACE = "interface"         # an interface's written rule types it (tag map)
    OWNER_GENERIC = "owner-generic"     # the tag map gives its owner that type
    ALLOCATOR = "allocator"         # inside an allocator's implementation
    FROZEN = "frozen"               # a file convert does not rewrite either
    OUTSIDE = "outside"             # pairs with a call outside the paths
    MIXED_TYPES = "mixed-types"     # its memory meets calls of another type
    EXPRESSION = "expression"       # ... or of a type that is not a name
    MACRO = "macro"                 # a #define body whose uses are not followed, or
                                    # are two owners', or outside a function
    UNPAIRED = "unpaired"           # a free no allocation reaches
    NO_FREE = "no-free"             # memory handed on, and no free seen
    NAMED_ELSEWHERE = "named-elsewhere"     # its owner passes the type on
    HANDED_ON = "handed-on"         # through an out-parameter, to a free not seen
    REALLOC = "realloc"             # a realloc we cannot follow through
    OWNERS = "owners"               # a guess joins two owners' memory
    HEADER = "header"               # would give a header-less type a header


@dataclass
class Unsized(enum.StrEnum):
    """What becomes of memory of a header-less type whose frees cannot be
    given the size (retag --unsized)."""
    RECORD = "record"       # M_RECORDED(T) / M_ASALLOCATED: the shim keeps the size
    KEEP = "keep"           # the old type stays (Keep.HEADER)
    HEADER = "header"       # T all the same: install-shim gives T a header


@dataclass
class Known:
    """What decide learns of the whole tree before it takes the
    components one by one."""
    iface: dict[int, Interface]     # interface_sites
    unfreed: set[int]               # unfreed_allocations
    statics: Callable[[str, str], bool]     # file_statics
    bodies: Bodies


@dataclass
class Decision(pairing.Decision):
    """A generic-type call: retyped (tag) or kept (reason, keep)."""
    old: str = ""                   # the type it names in the input
    keep: Keep | None = None
    size: str | None = None         # a free(p, T) given its size (freesize.py)
    recorded: bool = False          # M_RECORDED(T) / M_ASALLOCATED for want of a size


def run(tree: Tree, paths: list[str], tagmap: TagMap, outdir: str, jobs: int,
        in_place: bool = False, with_series: bool = True, unsized: Unsized = Unsized.RECORD,
        log=print, cache: str | None = None) -> int:
    """Retag; the exit status (1: a verify problem, nothing applied)."""
    tag_of = functools.lru_cache(maxsize=None)(
        lambda path: tagmap.tag_for(path, tree.driver_of(path)))
    generic = tagmap.retag_types
    sc = scan(tree, paths, jobs, log, owner_of(tree, tag_of), FactCache(cache),
              context_needles=generic, malloc_macros=True)
    named = named_elsewhere(tree, paths, sc, generic, owner_of(tree, tag_of))
    sizedonly = headerless(sc)
    plan = decide(sc, tag_of, tagmap, named, tree.root, sizedonly, unsized)
    res, problems = rewrite(tree, sc, plan, tag_of)
    os.makedirs(outdir, exist_ok=True)
    report.write_diffs(outdir, res)
    doc = report_doc(tree, paths, tagmap, res, sc.pairs, problems)
    doc["summary"]["headers_given"] = headers_given(sizedonly, [d for r in res
                                                                for d in r.decisions])
    report.write_json(os.path.join(outdir, "report.json"), doc)
    with open(os.path.join(outdir, "report.md"), "w") as fp:
        fp.write(markdown(doc))
    log(summary_text(doc["summary"], outdir))
    if with_series:
        _, groups = report.commit_groups(res, sc.pairs)
        steps = series.build(tree, tagmap, res, groups, {}, log, step=retag_step,
                             intro=series.RETAG_INTRO)
        written = series.write(outdir, steps)
        log(f"kmem2malloc: series of {len(written)} commits in "
            f"{os.path.join(outdir, 'series')}/ (install-shim's change first)")
    if in_place:
        if problems:
            log("kmem2malloc: not changing the tree (--in-place): see the problems "
                "in the report")
        else:
            apply_in_place(tree.root, [r for r in res if r.new != r.old])
            log("kmem2malloc: run install-shim again: its type lists follow the "
                "retyped calls (a type a free(p, T) now names gets a header)")
    return 1 if problems else 0


def names_type(s: Site) -> bool:
    """A site whose text names its malloc type: a call, or a use of a
    macro whose type is its parameter (udf's MPFREE(p, M_TEMP)), which is
    retyped at the use."""
    return s.counted or s.type_arg is not None


# calls whose malloc type argument NetBSD ignores: MEXTADD(m, buf, size,
# type, free, arg) stores no type (sys/mbuf.h, 7.99 and current), so a
# generic type named there releases nothing
_DEAD_TYPE_ARGS = {"MEXTADD": 3}
_DEAD_CALL = re.compile(r"\b(" + "|".join(_DEAD_TYPE_ARGS) + r")\s*\(")
_TYPE_USE = re.compile(r"^[ \t]*MALLOC_(?:DECLARE|DEFINE|JUSTDEFINE)\w*\s*\(|"
                       r"\bmalloc_type_(?:at|de)tach\s*\(")


def named_elsewhere(tree: Tree, paths: list[str], sc: Scanned, generic: tuple[str, ...],
                    owner) -> dict[tuple[str, str], str]:
    """{(owner, type): where} for each owner whose code names a generic
    type outside the type argument of a call the scan sees: a macro of
    its own (udf's MPFREE(p, M_TEMP)), a wrapper (isa_free(p, M_DEVBUF)),
    a #define, a call in a #define body that is no allocator macro whose
    uses pair (cscan.alloc_macros: pf's rs_free(x) is followed), not
    MEXTADD's type, which NetBSD ignores.  Memory of that type may be
    freed through that name, which retag does not change: the owner's
    calls of that type keep it.  (Declarations and definitions of the
    type, comments and strings do not count.)"""
    words = re.compile(r"\b(" + "|".join(map(re.escape, generic)) + r")\b")
    files = source_files(tree, list(paths) + [d for d in CONTEXT_DIRS
                                              if os.path.isdir(os.path.join(tree.root, d))],
                         needles=list(generic))
    out: dict[tuple[str, str], str] = {}
    for p in files:
        if p in sc.pairs.allocators:
            continue
        text = sc.texts.get(p) or read(tree.root, p)
        stripped = cscan.strip(text)
        seen = set()
        ff = sc.facts.get(p)
        followed = sc.macros.for_file(p, text)
        for s in ff.sites if ff else ():
            if names_type(s) and not s.is_kmem and \
                    (s.context != Context.MACRO or s.define in followed):
                span = textual.type_span(text, stripped, s)
                if span:
                    seen.add(span[0])
        for m in _DEAD_CALL.finditer(stripped):
            commas, _ = brackets.arg_commas(stripped, m.end() - 1)
            at = _DEAD_TYPE_ARGS[m.group(1)]
            if at < len(commas):
                arg = stripped[commas[at - 1] + 1:commas[at]]
                seen.add(commas[at - 1] + 1 + len(arg) - len(arg.lstrip()))
        for m in words.finditer(stripped):
            if m.start() in seen:
                continue
            bol = stripped.rfind("\n", 0, m.start()) + 1
            eol = stripped.find("\n", m.start())
            if _TYPE_USE.search(stripped[bol:eol if eol >= 0 else None]):
                continue
            line = stripped.count("\n", 0, m.start()) + 1
            out.setdefault((owner(p), m.group(1)), f"{p}:{line}")
    return out


def joins(pairs: pairing.Pairs) -> list[tuple[int, int]]:
    """The pairs that join malloc(9) sites: the flows, and the guesses
    (a free no allocation reaches, joined with those that may be its
    memory's; an allocation no free reaches, with the frees that may
    release it) where the input does not tell otherwise: not from an
    allocation a flow shows freed, nor into a free that flows show
    releasing memory allocated in its own function (tmp = malloc(n,
    M_TEMP, f); ... free(tmp, M_TEMP) is neither the memory of the file's
    lonely free nor the free of its lonely allocation), nor between calls
    naming two types (the input's own word that they are two memories).
    A free no flow reaches (unpaired) gets memory by a way the flow graph
    does not see, so its guesses are always followed, a flow to an
    allocation's other frees notwithstanding (bpf.c's ROTATE_BUFFERS
    moves bd_sbuf's buffer to bd_hbuf, which bpf_freed frees).  (Memory
    handed to another owner through what the flow graph does not follow,
    a vnode operation's out-parameter, is not joined: README, Limits.)
    Code under #if 0 never runs: no guess starts or ends there (mfii.c's
    dead mallocarray(), handed to an unknown function, was guessed to be
    the memory of every free of the file, and kept all of them)."""
    sites = pairs.sites
    local = _local_only(pairs, 1)
    lonely = pairs.unpaired_frees

    types = pairs.types

    def same_type(a: int, f: int) -> bool:
        return sites[a].is_kmem or sites[f].is_kmem or types[a] == types[f]

    def live(a: int, f: int) -> bool:
        return sites[a].context != Context.IF0 and sites[f].context != Context.IF0

    return [(a, f) for a, f in pairs.edges
            if (a, f) not in pairs.guessed or live(a, f) and (
                (f in lonely and same_type(a, f)) or
                (a not in pairs.flowing and f not in local and same_type(a, f)))]


def _local_only(pairs: pairing.Pairs, end: int) -> set[int]:
    """The sites at one end of the flows (0: allocations, 1: frees) whose
    every flow (not a guess) stays in one function: memory freed only
    where it is allocated."""
    sites = pairs.sites
    own: dict[int, set[bool]] = defaultdict(set)
    for e in pairs.edges:
        if e not in pairs.joined:
            a, f = sites[e[0]], sites[e[1]]
            own[e[end]].add((a.path, a.func) == (f.path, f.func))
    return {i for i, o in own.items() if o == {True}}


def owner_joins(pairs: pairing.Pairs, owner) -> list[tuple[int, int]]:
    """A free no flow reaches, of memory of no known type, may release any
    of its owner's (owner(path): its unit's) allocations of the type it
    names, not only its file's: the flow graph reads only the files that
    call an allocator, so a move in another (iscsi_send.c's
    `sess->s_target_list = ccb->ccb_text_data`) is not seen, and iscsi's
    free of s_target_list was guessed to be iscsi_ioctl.c's events,
    given their size, and named M_ISCSI where the memory was recorded.
    Joined with all of them: they change together or not at all; but for
    memory flows show freed only in the function that allocates it (a
    scratch buffer: a free elsewhere would free it twice; freed there on
    an error path and handed on otherwise, it is _handed_on's)."""
    sites, types = pairs.sites, pairs.types
    scratch = _local_only(pairs, 0)
    allocs: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if s.role is Role.ALLOC and not s.is_kmem and s.context == Context.CODE and \
                i not in scratch:
            allocs[(owner(s.path), types[i])].append(i)
    return [(a, f) for f in sorted(pairs.unpaired_frees)
            if not sites[f].is_kmem and sites[f].context == Context.CODE and
            sites[f].objtype is None and sites[f].size_type is None
            for a in allocs.get((owner(sites[f].path), types[f]), [])]


def components(pairs: pairing.Pairs, edges: list[tuple[int, int]]) -> dict[int, list[int]]:
    """The malloc(9) sites joined by edges (joins): {root: [site]}.  A
    kmem(9) call convert kept names no malloc type: where malloc(9)
    memory meets one (the input's mix, in convert's report), it neither
    holds the retyping back nor changes with it, and joins nothing."""
    uf = pairing.UnionFind()
    sites = pairs.sites
    for a, f in edges:
        if not sites[a].is_kmem and not sites[f].is_kmem:
            uf.union(a, f)
    comps: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sites):
        if not s.is_kmem:
            comps[uf.find(i)].append(i)
    return comps


def decide(sc: Scanned, tag_of, tagmap: TagMap, named: dict[tuple[str, str], str],
           root: str, sized_types: AbstractSet[str] = frozenset(),
           unsized: Unsized = Unsized.RECORD) -> pairing.Plan:
    """A Decision for every generic-type malloc(9) call under the paths.
    A free(p, T) whose T is one of sized_types (header-less) is given its
    size where freesize.py knows it; else its memory is recorded, kept or
    retyped all the same, as unsized says."""
    # the symbolic links under the paths are read, never written (convert's
    # frozen files that define kmem(9) themselves have nothing to do here)
    links = {p: why for p, why in sc.frozen.items() if os.path.islink(os.path.join(root, p))}
    pairs = sc.pairs
    sites = pairs.sites
    targets = set(sc.targets)
    generic = set(tagmap.retag_types)
    owner = sc.unit_of
    assert callable(owner)
    plan = pairing.Plan()
    bodies = Bodies(sc)
    iface = interface_sites(sc, tagmap.interfaces, bodies)
    known = Known(iface, unfreed_allocations(sc, iface.keys()), file_statics(sc), bodies)
    # memory an interface hands over is followed by its rule, not guessed:
    # a caller's free of VOP_READDIR's cookies, which no flow reaches,
    # would otherwise take every allocation of its owner (nfs_serv.c's)
    flows = set(pairs.edges) - pairs.guessed
    edges = [e for e in joins(pairs) + owner_joins(pairs, owner)
             if e in flows or not (e[0] in iface or e[1] in iface)]
    comps = components(pairs, edges)
    around: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for e in edges:
        around[e[0]].append(e)
    decs: list[Decision] = []
    redefined = functools.lru_cache(maxsize=None)(
        lambda path: cscan.redefined_macros(sc.texts[path]))
    for comp in comps.values():
        mine = [i for i in comp if names_type(sites[i]) and sites[i].path in targets and
                malloc_type(sites[i]) in generic]
        if not mine:
            continue
        old = malloc_type(sites[mine[0]]) or ""
        kept = _blocked(comp, sites, pairs, links, named, owner, old, targets, known) or \
            _macro_kept(comp, sites, tag_of, redefined) or \
            _handed_on(comp, sites, known.bodies, old)
        if kept is None and old in tagmap.scratch_types and \
                _scratch(comp, sites, pairs, [e for i in comp for e in around[i]],
                         known.statics):
            kept = (Keep.SCRATCH, f"scratch: {old} memory freed only in "
                    f"{sites[mine[0]].func}(), where it is allocated")
        dec = {i: Decision(sites[i], tag=tag_of(sites[i].path), old=old) for i in mine}
        if kept is None:
            kept = _typed(plan, mine, comp, pairs, dec, old, generic)
        if kept is None:
            kept = _sized(comp, sites, dec, sized_types, unsized)
        for i in mine:
            d = dec[i]
            if kept is not None:
                d.tag, d.keep, d.reason = None, kept[0], kept[1]
            decs.append(d)
    real = {i for e in pairs.edges if e not in pairs.joined for i in e}
    guessed = {i for e in pairs.guessed for i in e}
    index = {id(s): i for i, s in enumerate(sites)}
    for d in decs:
        i = index[id(d.site)]
        d.paired_by = pairing.paired_by(d.site, i in real, i in guessed, pairs)
    plan.decisions = sorted(decs, key=lambda d: (d.site.path, d.site.offset))
    for pd in plan.decisions:
        plan.by_path.setdefault(pd.site.path, []).append(pd)
    return plan


def _sized(comp: list[int], sites: list[Site], dec: dict[int, Decision],
           sized_types: AbstractSet[str], unsized: Unsized) -> tuple[Keep, str] | None:
    """Memory that becomes a header-less type's (sized_types): its frees
    without a size are given it (freesize.py), or else the memory is
    recorded (_record), as unsized says; why the component keeps its type,
    or None.  An allocation of a size not fixed is recorded even if no
    free needs a size: malloc(9)'s caller may ask for 0 bytes, which no
    header-less block has (a recorded one gets a byte)."""
    bare = [i for i, d in dec.items() if d.tag in sized_types and _unsized(d.site)]
    loose = [i for i, d in dec.items() if d.tag in sized_types and
             d.site.role is Role.ALLOC and freesize.of_allocation(d.site) is None]
    if not bare and not loose:
        return None
    # a macro's free (its body's, or a use's) frees each use's memory:
    # no one size is right for all (pf's rs_free frees paths and anchors)
    mac = next((sites[i] for i in bare if sites[i].macro or sites[i].define), None)
    sizes = (f"{mac.callee} at {mac.where} ({mac.scope}) is a macro's: no one size "
             "fits its uses" if mac else freesize.plan(comp, sites, bare)) if bare else \
        f"{sites[loose[0]].callee} at {sites[loose[0]].where} asks for " \
        f"`{sites[loose[0]].size}`, not a fixed size: it may be 0"
    if isinstance(sizes, dict):
        for i, n in sizes.items():
            dec[i].size = n
        return None
    if unsized is Unsized.HEADER:
        return None
    why = sizes if unsized is Unsized.KEEP else _record(dec) or ""
    if not why:
        return None
    d = dec[(bare or loose)[0]]
    return (Keep.HEADER, f"{d.site.callee} at {d.site.where}: {why}; as {d.tag}, a "
            "header-less type (every free of it passes the size, no 0-byte block), it "
            "would give that type a header and cost its converted code kmem's "
            "alignment (--unsized header retypes it all the same)")


# the calls a recorded block may meet: malloc(9)'s, not its helpers
_RECORDABLE = {"malloc": Role.ALLOC, "free": Role.FREE}


def _record(dec: dict[int, Decision]) -> str | None:
    """Memory whose frees cannot pass its size: each allocation records
    its type and size, malloc(n, M_RECORDED(T), f), and every free names
    none, free(p, M_ASALLOCATED): the shim frees the block as recorded,
    header-less as T is.  None, or why it cannot be (a realloc: the shim
    reallocates no header-less block)."""
    for d in dec.values():
        if _RECORDABLE.get(d.site.callee) is not d.site.role:
            return f"{d.site.callee} at {d.site.where} cannot take a recorded block"
    for d in dec.values():
        assert d.tag is not None
        if d.site.role is Role.ALLOC and not d.tag.startswith(allocators.RECORDED):
            d.tag = allocators.recorded(d.tag)
        elif d.site.role is Role.FREE:
            d.tag = allocators.AS_ALLOCATED
        d.recorded = True
    return None


def _blocked(comp: list[int], sites: list[Site], pairs: pairing.Pairs,
             links: dict[str, str], named, owner, old: str, targets: set[str],
             known: Known) -> tuple[Keep, str] | None:
    """Why a component's calls keep their type whatever its owners, or None.
    An interface's memory (known.iface) is typed by its rule: that one
    end of it is not seen (the other owner's) does not matter; nor is a
    free of memory no free in the tree can release (known.unfreed)."""
    for i in comp:
        s = sites[i]
        if s.path in pairs.allocators:
            return Keep.ALLOCATOR, (f"allocator implementation (defines "
                                    f"{', '.join(pairs.allocators[s.path][:3])}): not a caller")
        if s.path in links:
            return Keep.FROZEN, links[s.path]
    for i in comp:
        s = sites[i]
        # (a use of a header's macro is not rewritten: its file may be
        # context, naming no allocator, isapnpres.c's ISAPNP_MALLOC)
        if s.path not in targets and not (s.macro and s.type_arg is None):
            return Keep.OUTSIDE, (f"pairs with {s.callee} at {s.where} ({s.scope}), "
                                  "outside the retagged paths")
    for i in comp:
        s = sites[i]
        if not names_type(s):
            continue
        t = malloc_type(s)
        if t is None:
            return Keep.EXPRESSION, (f"its memory meets {s.callee} at {s.where}, whose "
                                     "type is not a name: kept")
        if t != old:
            return Keep.MIXED_TYPES, (f"its memory meets {s.callee} at {s.where} as {t}: "
                                      f"the input already names two types for it, or "
                                      "two memories are joined: kept")
        if s.context == Context.MACRO and not _uses(i, comp, sites):
            return Keep.MACRO, (f"{s.callee} at {s.where} is {s.scope}, no allocator "
                                "macro whose uses are followed (none is seen, or the "
                                "type is its parameter)")
        if s.func is None and s.context != Context.MACRO:
            return Keep.MACRO, (f"{s.callee} at {s.where} is {s.scope}: its uses' memory "
                                "is not followed")
        a = allocators.TABLE[s.callee]
        if s.callee == "realloc" and (s.macro or s.define):
            return Keep.REALLOC, (f"realloc at {s.where} ({s.scope}) reallocates for "
                                  "each use of a macro: its moves are not followed")
        if s.callee == "realloc" and a.ptr is not None and \
                " ".join(s.args[a.ptr].split()) not in (s.anchor, "NULL", "0"):
            return Keep.REALLOC, (f"realloc at {s.where} moves {s.args[a.ptr].strip()} "
                                  f"to {s.anchor or 'an unnamed place'}: the first "
                                  "one's allocation is not followed")
    ruled = _interface(comp, known.iface, old)
    if ruled:
        return ruled
    if not any(sites[i].role == Role.ALLOC for i in comp):
        s = sites[comp[0]]
        return Keep.UNPAIRED, (f"no allocation reaches {s.callee} at {s.where}, nor "
                               "may any be its memory's: kept (check where it is allocated)")
    if not any(sites[i].role == Role.FREE for i in comp):
        # memory no free is seen to release: kept for good (a softc's
        # member, a global) it may take its owner's type; handed on (a
        # local, an out-parameter, a return value) it may reach a free we
        # do not see (sparc's prom_getprop() fills ebus.c's ea_name, which
        # ebus.c frees as M_DEVBUF), which would still name the old type.
        # Memory known by its type only is not kept anywhere we know
        # (twa.c's twa_get_param() fills *param, a struct twa_param_9k **);
        # stored into a member or global of its own type (pvr.c's
        # sc->sc_dc, t:struct fb_devconfig@m:...sc_dc), it is kept there
        # as in a generic one.  Memory of a struct no free or realloc
        # anywhere in the tree frees (pcibios' interrupt router handles,
        # pnpbios' resources) cannot reach one that is not seen: every
        # free is a site we read, and one of the memory's struct would
        # name it (unfreed_allocations; a free through a void * of the
        # owner's, unpaired, joins all its memory: owner_joins)
        for i in comp:
            if not _kept_for_good(sites[i].key, known.statics) and i not in known.unfreed:
                return Keep.NO_FREE, (f"no free is seen to reach {sites[i].callee} at "
                                      f"{sites[i].where}, and its pointer is handed on "
                                      f"({sites[i].key}): a free we do not see would name "
                                      f"{old}, kept")
    for i in comp:
        where = named.get((owner(sites[i].path), old))
        if where:
            return Keep.NAMED_ELSEWHERE, (f"its owner names {old} at {where}, outside a "
                                          "call we follow: memory may be freed through "
                                          "that name, kept")
    return None


def unfreed_allocations(sc: Scanned, iface: AbstractSet[int]) -> set[int]:
    """The malloc(9) allocations of a struct (or union) that no free (nor
    realloc) in the tree can release: none, whatever type it names, frees
    a pointer to the struct (to its pointers, twa.c's *param, a struct
    twa_param_9k *; to a struct it begins with, or that begins with it:
    cscan's bases), nor a pointer of no known struct in the allocation's
    file (twa.c's free(tr->tr_data, M_DEVBUF) of the same *param, moved
    into a void * the flow graph lost: a flow it loses is a file's, a
    local or a cast; one between files goes through what it follows, a
    function's parameters, what it returns, members and globals), but for
    an interface's (iface), typed by its rule.  Whatever type: what the
    last run made of a free must not change what this one does."""
    sites = sc.pairs.sites

    def structs(s: Site) -> set[str]:
        ot = s.objtype or ""
        names = {ot, *(sc.facts[s.path].bases.get(ot, ()) if s.path in sc.facts else ())}
        return {m.group(1) for n in names for m in _STRUCT.finditer(n)}

    # whatever type a free names: what retag made of it the last time
    # must not change what it does now (a second run changes nothing)
    freed: set[str] = set()
    untyped: set[str] = set()
    for i, s in enumerate(sites):
        # a realloc releases its old block (grf_compat.c's realloc of
        # grf_softc, the first unit's malloc() of struct grf_softc)
        if (s.role is Role.FREE or s.callee == "realloc") and not s.is_kmem and \
                i not in iface:
            names = structs(s)
            freed |= names
            if not names:
                untyped.add(s.path)
    return {i for i, s in enumerate(sites)
            if s.role is Role.ALLOC and not s.is_kmem and structs(s) and
            s.path not in untyped and not structs(s) & freed}


_STRUCT = re.compile(r"\b((?:struct|union)\s+\w+)")


def _kept_for_good(k: Key | None, statics: Callable[[str, str], bool]) -> bool:
    """Whether an allocation stores its memory into a member (its struct
    known, m:, or only its name, f:), a global or a file's static
    variable, a generic one or one of the memory's type (t:TYPE@VIA).
    statics(path, name) tells a static: a v: key without a function is
    also a local the scanner did not read (linux_cdrom.c's `union {...}
    *u1`)."""
    if k is not None and k.kind is Kind.TYPE and k.via is not None:
        k = k.via
    return k is not None and (k.kind in (Kind.MEMBER, Kind.GLOBAL, Kind.STORE) or
                              k.kind is Kind.LOCAL and k.func is None and
                              statics(k.path or "", k.name or ""))


def file_statics(sc: Scanned) -> Callable[[str, str], bool]:
    """statics(path, name): path declares name outside its functions
    (`static char *padbuf;`), not as a prototype."""
    @functools.lru_cache(maxsize=None)
    def top(path: str) -> str:
        """The file without its functions (each a blank line)."""
        text, at, out = cscan.strip(sc.texts.get(path, "")), 0, []
        for f in sorted(sc.facts[path].functions if path in sc.facts else (),
                        key=lambda f: f.start):
            out += [text[at:max(at, f.start)], "\n"]
            at = max(at, f.end)
        return "".join(out) + text[at:]

    def statics(path: str, name: str) -> bool:
        return any(";" in line and not re.search(r"\b" + name + r"\s*\(", line)
                   for line in top(path).splitlines() if re.search(r"\b" + name + r"\b", line))
    return statics


def _uses(d: int, comp: list[int], sites: list[Site]) -> list[Site]:
    """The uses in comp of the macro whose definition holds site d: in its
    own file, or for a header's, in the files that do not define it
    themselves (pairs.py's _macro_edges)."""
    s = sites[d]
    if not s.define:
        return []
    own = {(sites[i].path, sites[i].define) for i in comp if sites[i].define}
    return [sites[i] for i in comp if sites[i].macro == s.define and
            (sites[i].path == s.path or
             (s.path.endswith(".h") and (sites[i].path, s.define) not in own))]


def _macro_kept(comp: list[int], sites: list[Site], tag_of,
                redefined) -> tuple[Keep, str] | None:
    """A macro's definition names one type for all its uses: it is retyped
    with them only if they are all of one type, their owner's, and it is
    defined in a .c file or in a header of that owner's (tag_of: its type
    is theirs).  A header whose type is not theirs is another owner's or
    shared, and keeps the type (its other users may be outside the paths,
    and a driver's type does not belong there).  A macro its file defines
    twice (redefined(path): xmm7360.c's kzalloc for OpenBSD and NetBSD) is
    kept: the other system has no such type.  Why it is kept, or None."""
    for i in comp:
        d = sites[i]
        uses = _uses(i, comp, sites) if d.context == Context.MACRO else []
        if uses and d.define in redefined(d.path):
            return Keep.MACRO, (f"#define {d.define} at {d.where} is one of its file's "
                                "definitions of it (#if branches, for other systems "
                                "too): kept")
        types = sorted({tag_of(u.path) for u in uses})
        if len(types) > 1:
            return Keep.MACRO, (f"#define {d.define} at {d.where} is used by owners of "
                                f"{' and '.join(types)}: its one type cannot be each "
                                "one's, kept")
        if types and d.path.endswith(".h") and tag_of(d.path) != types[0]:
            return Keep.MACRO, (f"#define {d.define} at {d.where} is in a header that is "
                                f"not its users' ({types[0]}): the header keeps its type, "
                                "and so does their memory")
    return None


# a store through a pointer: `*bufp =` (an out-parameter), `*ap->a_cookies =`
# (one held in a member: an operation's argument structure)
_OUT_PLAIN = r"\*\s*\(?\s*[A-Za-z_]\w*\s*\)?\s*=\s*"
_OUT_MEMBER = r"\*\s*\(?\s*[A-Za-z_]\w*(?:\s*(?:->|\.)\s*\w+)+\s*\)?\s*=\s*"


def _handed_on(comp: list[int], sites: list[Site], bodies: Bodies,
               old: str) -> tuple[Keep, str] | None:
    """Memory an allocation hands on through a pointer its function was
    given.  Through a member (`*ap->a_cookies = cookies`, or the
    allocation stored there itself): an operation's argument structure,
    filled by a caller the flow graph does not see (a vnode operation:
    every file system's readdir cookies, freed as M_TEMP by nfs_serv.c
    and the compat getdents), so the caller's free is never among the
    frees we see, and whatever they are, it names the old type.  Through
    a plain out-parameter (`*bufp = buf`), the flow graph follows the
    call, unless every free of it we see is in the allocating function
    (an error path).  Kept, or None."""
    frees = {(sites[i].path, sites[i].func) for i in comp if sites[i].role is Role.FREE}
    for i in comp:
        s = sites[i]
        got = bodies.of(s) if s.role is Role.ALLOC else None
        if got is None:
            continue
        via = _hand_off(s, got[1], s.offset - got[0], not frees - {(s.path, s.func)})
        if via:
            return Keep.HANDED_ON, (f"{s.callee} at {s.where} hands its memory on "
                                    f"through {via} in {s.func}(), to a free we do not "
                                    f"see, which names {old}: kept")
    return None


def _function_of(sc: Scanned, s: Site) -> cscan.Function | None:
    """The definition site s is in (a file may define a name twice, under
    #if and #else)."""
    return next((f for f in sc.facts[s.path].functions
                 if f.name == s.func and f.start <= s.offset < f.end), None)


class Bodies:
    """The stripped text of the function a site is in, read once for
    every rule that looks at it (interface_sites, _handed_on)."""

    def __init__(self, sc: Scanned) -> None:
        self.sc = sc
        self._got: dict[tuple[str, int], str] = {}

    def of(self, s: Site) -> tuple[int, str] | None:
        """(the function's offset in its file, its stripped text), or None."""
        text = self.sc.texts.get(s.path)
        f = _function_of(self.sc, s) if s.func and text is not None else None
        if f is None or text is None:
            return None
        body = self._got.get((s.path, f.start))
        if body is None:
            body = self._got[(s.path, f.start)] = cscan.strip(text[f.start:f.end])
        return f.start, body


def _hand_off(s: Site, body: str, at: int, frees_local: bool) -> str | None:
    """The pointer allocation s (at offset at of its function's stripped
    body) is handed on through (_handed_on), or None: the one its
    statement stores into, a member's (`*ap->a_cookies = malloc(...)`),
    or one its anchor is stored into later, a member's, or a plain
    out-parameter's where every free seen is local (frees_local)."""
    lhs = body[cscan.statement_start(body, at, 0):at]
    # (a chain stores it into each: `*sp->a_cookies = cookies = malloc()`)
    if re.fullmatch(r"\s*" + _OUT_MEMBER + r"(?:[A-Za-z_]\w*\s*=\s*)*(?:\([^()]*\)\s*)?\w*\s*",
                    lhs):
        return lhs.split("=")[0].strip()
    if not re.fullmatch(r"[A-Za-z_]\w*", s.anchor or ""):
        return None
    name = re.escape(s.anchor or "")
    m = re.search(_OUT_MEMBER + name + r"\s*;", body)
    if m is None and frees_local:
        m = re.search(_OUT_PLAIN + name + r"\s*;", body)
    return m.group(0).split("=")[0].strip() if m else None


def interface_sites(sc: Scanned, rules: tuple[Interface, ...],
                    bodies: Bodies) -> dict[int, Interface]:
    """The sites whose memory an interface's written rule types (the tag
    map's retag: interfaces), of the rule's type: an allocation its
    function hands on through the rule's member (`*ap->a_cookies =
    cookies`), a free of that member, and a free of a local whose address
    its function passes as the rule's argument of the rule's call
    (`VOP_READDIR(vp, uio, cred, &eof, &cookies, &n)`, then
    `free(cookies, M_TEMP)`)."""
    out: dict[int, Interface] = {}
    for i, s in enumerate(sc.pairs.sites):
        text = sc.texts.get(s.path)
        if s.is_kmem or s.context != Context.CODE or text is None:
            continue
        for r in rules:
            got = bodies.of(s) if malloc_type(s) == r.type and \
                (r.member in text or r.call in text) else None
            if got is not None and _ruled(s, got[1], s.offset - got[0], r):
                out[i] = r
    return out


def _ruled(s: Site, body: str, at: int, r: Interface) -> bool:
    """Site s (at offset at of its function's stripped body) is one end
    of interface r's memory (interface_sites)."""
    member = re.compile(r"(?:->|\.)\s*" + r.member + r"\b")
    if s.role is Role.ALLOC:
        via = _hand_off(s, body, at, False)
        # or through a local copy of the member: tmpfs_readdir's
        # `cookies = ap->a_cookies; ... *cookies = malloc(...)`
        copy = re.match(r"\s*\*\s*([A-Za-z_]\w*)\s*=", body[cscan.statement_start(body, at, 0):])
        return bool(via and member.search(via) or
                    copy and _copies_member(body, copy.group(1), r.member))
    name = re.sub(r"^\(\s*[\w\s]+\*\s*\)\s*", "", s.anchor or "").strip()
    # a free of the member, of a local copy of it (unionfs_readdir's
    # cookies_bk = *(ap->a_cookies), the upper layer's cookies), or of a
    # local whose address the function passes to the call
    return s.role is Role.FREE and bool(
        member.search(name) or re.fullmatch(r"[A-Za-z_]\w*", name) and (
            _passes_address(body, r, name) or _copies_member(body, name, r.member)))


def _copies_member(body: str, name: str, member: str) -> bool:
    """body assigns name the member or what it points to (`cookies =
    ap->a_cookies`, `cookies_bk = *(ap->a_cookies)`)."""
    return re.search(r"\b" + name + r"\s*=\s*\*?\s*\(?\s*\w+\s*(?:->|\.)\s*" + member +
                     r"\b", body) is not None


def _passes_address(body: str, r: Interface, name: str) -> bool:
    """body calls r.call with &name as its argument r.arg."""
    for m in re.finditer(r"\b" + r.call + r"\s*\(", body):
        args = brackets.split_args(body[m.end():brackets.match(body, m.end() - 1) - 1])
        if len(args) >= r.arg and re.fullmatch(r"&\s*" + name, args[r.arg - 1]):
            return True
    return False


def _interface(comp: list[int], iface: dict[int, Interface],
               old: str) -> tuple[Keep, str] | None:
    """A component holding an interface's memory keeps the type the
    interface's written rule names; None if it holds none."""
    r = next((iface[i] for i in comp if i in iface), None)
    if r is None or r.type != old:
        return None
    return Keep.INTERFACE, f"{r.name}: {r.type} by the interface's rule (tag map: {r.rule})"


def _scratch(comp: list[int], sites: list[Site], pairs: pairing.Pairs,
             edges: list[tuple[int, int]], statics: Callable[[str, str], bool]) -> bool:
    """Memory freed only in the function that allocates it: every
    allocation of the component has a free, and every pair (edges: the
    component's) is a flow within one function (none a guess); memory
    kept in a member or a global between calls is not a scratch buffer,
    though one function allocates and frees it (nfs_export.c's
    nfs_pub.np_index, the public file handle's index file)."""
    if any(sites[i].role is Role.ALLOC and _kept_for_good(sites[i].key, statics)
           for i in comp):
        return False
    freed = set()
    for a, f in edges:
        sa, sf = sites[a], sites[f]
        if (a, f) in pairs.joined or not sa.func or (sa.path, sa.func) != (sf.path, sf.func):
            return False
        freed.add(a)
    return all(i in freed for i in comp if sites[i].role == Role.ALLOC)


def _typed(plan: pairing.Plan, mine: list[int], comp: list[int], pairs: pairing.Pairs,
           dec: dict[int, Decision], old: str,
           generic: AbstractSet[str]) -> tuple[Keep, str] | None:
    """The owners' types (pairing.owner_types: memory charged to the owner
    that allocates it, M_RECORDED where several owners' memory meets at
    one free); why the component keeps its type, or None.  An owner whose
    type is generic too (a file no rule matches: M_DEVBUF) keeps M_TEMP:
    one generic type for another tells vmstat -m nothing (udf's
    la_lmapping, sljitConfig.h's SLJIT_MALLOC)."""
    found = len(plan.findings)
    why = pairing.owner_types(plan, mine, pairs, dec, comp)   # type: ignore[arg-type]
    if why:
        del plan.findings[found:]
        return Keep.OWNERS, why.replace("kept as kmem", f"kept as {old}")
    for i in mine:
        d = dec[i]
        if d.site.callee == "realloc" and d.tag and d.tag.startswith(allocators.RECORDED):
            del plan.findings[found:]
            return Keep.REALLOC, (f"realloc at {d.site.where} of memory several owners "
                                  "allocate: a realloc takes no recorded type, kept")
    types = {allocators.type_arg(dec[i].tag or "") for i in mine
             if dec[i].tag != allocators.AS_ALLOCATED}
    if types <= set(generic):
        del plan.findings[found:]
        t = " and ".join(sorted(t for t in types if t))
        return Keep.OWNER_GENERIC, (f"its owner's type is {t} (the tag map's rule for "
                                    f"{pairs.sites[mine[0]].path})" +
                                    (f", as generic as {old}" if t != old else ""))
    return None


def rewrite(tree: Tree, sc: Scanned, plan: pairing.Plan, tag_of
            ) -> tuple[list[FileResult], dict[str, list[str]]]:
    """Each file with a decision, its type arguments rewritten and verified:
    the results and {path: problems}."""
    by_path: dict[str, list] = defaultdict(list)
    for f in plan.findings:
        by_path[f.path].append(f)
    res, problems = [], {}
    for p in sc.targets:
        decs = plan.for_file(p)
        if not decs and p not in by_path:
            continue
        old = sc.texts[p]
        stripped = cscan.strip(old)
        edits: list[textual.Edit] = []
        for d in decs:
            assert isinstance(d, Decision)
            edits += _edits(old, stripped, d)
        new = restyle.restyle(old, textual.apply(old, edits), only_wide=True)
        bad = verify(p, old, new, sc, decs)
        fs = by_path.get(p, []) + [findings.count(p, b) for b in bad]
        if bad:
            problems[p] = bad
            new = old
        res.append(FileResult(p, tree.diff_of(p), tag_of(p), old, new, decs, fs))
    return res, problems


def _edits(text: str, stripped: str, d: Decision) -> list[textual.Edit]:
    """A retyped call's edits: its type, and a free's size (d.size) after
    it, in place of a 0 if it passes one."""
    span = textual.type_span(text, stripped, d.site) if d.tag else None
    if span is None or d.tag is None:
        return []
    out = [(span[0], span[1], d.tag)] if text[span[0]:span[1]] != d.tag else []
    if d.size:
        size = textual.size_span(text, stripped, d.site)
        out.append((size[0], size[1], d.size) if size else (span[1], span[1], ", " + d.size))
    return out


def verify(path: str, old: str, new: str, sc: Scanned, decs: list) -> list[str]:
    """The output's calls must be the input's, each retyped call naming its
    new type and every other call its old one."""
    macros = sc.macros.for_file(path, old)
    before = cscan.scan(old, path, macros, sites_only=True).sites
    after = cscan.scan(new, path, macros, sites_only=True).sites
    if [s.callee for s in before] != [s.callee for s in after]:
        return [f"the calls changed: {len(before)} before, {len(after)} after"]
    want = {d.site.offset: d.tag for d in decs if d.tag}
    sizes = {d.site.offset: d.size for d in decs if d.size}
    return [f"{a.where} {a.callee}: type {_type_text(a)}, planned {want.get(b.offset)}"
            for b, a in zip(before, after)
            if _type_text(a) != want.get(b.offset, _type_text(b))] + \
        [f"{a.where} {a.callee}: size {a.size}, planned {sizes[b.offset]}"
         for b, a in zip(before, after) if b.offset in sizes and a.size != sizes[b.offset]]


def _type_text(s: Site) -> str | None:
    """The type argument as written, white space and a #define's line
    breaks (a backslash before a newline) made one space."""
    i = s.type_arg if s.macro else allocators.TABLE[s.callee].mtype
    return " ".join(s.args[i].replace("\\\n", " ").split()) \
        if i is not None and i < len(s.args) else None


def retag_step(unit, state: dict, final: dict, tags: dict, options: dict) -> series.Step:
    """One retag commit: unit's files from state to final."""
    drivers = list(dict.fromkeys(series._name(r.driver) for r in unit))
    types = sorted({d.tag for r in unit for d in r.decisions if d.tag})
    olds = sorted({d.old for r in unit for d in r.decisions if d.tag})
    named = ", ".join(drivers[:4]) + (f" and {len(drivers) - 4} more" if len(drivers) > 4 else "")
    shown = ", ".join(types[:2]) + (", ..." if len(types) > 2 else "")
    subject = f"{named}: malloc(9) with {shown} instead of {'/'.join(olds)}"
    described = [f"{t} (\"{tags[t].short}\")" if t in tags else t for t in types]
    body = [series._wrap(f"Give the malloc(9) calls of {'/'.join(olds)} their "
                         "subsystem's malloc type, so that vmstat -m says what this "
                         "code holds: " + ", ".join(described) + ".  An allocation "
                         "and every free of its memory change together."), ""]
    notes = []
    for r in unit:
        done = [d for d in r.decisions if d.tag]
        kept = [d for d in r.decisions if not d.tag]
        body.append(series._wrap(f"{r.path}: {len(done)} call{'s' * (len(done) != 1)} "
                                 f"retyped" + (f", {len(kept)} kept" if kept else ""), "- "))
        notes += [f"{r.path}:{d.site.line} {d.site.callee}() kept: {d.reason}" for d in kept]
        notes += [f"{r.path}:{f.line} {f.kind}: {f.message}" for f in r.findings]
    if notes:
        body += ["", "To know (report.md has the details):"]
        body += [series._wrap(n, "- ") for n in notes[:25]]
        if len(notes) > 25:
            body.append(f"- ... and {len(notes) - 25} more in report.md.")
    body += ["", "Generated by kmem2malloc retag."]
    files = {r.path: (state[r.path], final[r.path]) for r in unit
             if state[r.path] != final[r.path]}
    return series.Step(subject, "\n".join(body), files)


def report_doc(tree: Tree, paths: list[str], tagmap: TagMap, res: list[FileResult],
               pairs: pairing.Pairs, problems: dict[str, list[str]]) -> dict:
    """report.json: per generic type, how many calls were retyped and why
    the others were kept; per file, every call."""
    decs = [d for r in res for d in r.decisions]
    per_type: dict[str, dict] = {}
    for t in tagmap.retag_types:
        mine = [d for d in decs if d.old == t]
        kept: dict[str, int] = defaultdict(int)
        for d in mine:
            if d.keep:
                kept[str(d.keep)] += 1
        retyped = sum(1 for d in mine if d.tag)
        # scratch and an interface's memory keep their type by a rule: handled
        ruled = kept.get(Keep.SCRATCH, 0) + kept.get(Keep.INTERFACE, 0)
        per_type[t] = {"calls": len(mine), "retyped": retyped, "kept": dict(sorted(kept.items())),
                       "retyped_percent": _pct(retyped, len(mine)),
                       "handled_percent": _pct(retyped + ruled, len(mine))}
    deps, groups = report.commit_groups(res, pairs)
    retyped = sum(1 for d in decs if d.tag)
    summary = {"files": len(res), "files_changed": sum(1 for r in res if r.new != r.old),
               "calls": len(decs), "retyped": retyped,
               "retyped_percent": _pct(retyped, len(decs)),
               "sizes_given": sum(1 for d in decs if d.tag and d.size),
               "recorded": sum(1 for d in decs if d.tag and d.recorded),
               "findings": sum(len(r.findings) for r in res),
               "verify_problems": sum(len(v) for v in problems.values()),
               "by_type": per_type}
    return {
        "version": report.REPORT_VERSION, "command": "retag", "tree": tree.root,
        "paths": paths, "tag_map": tagmap.path,
        "options": {"types": list(tagmap.retag_types), "scratch": list(tagmap.scratch_types)},
        "summary": summary, "commit_groups": groups,
        "files": [{
            "path": r.path, "driver": r.driver, "tag": r.tag,
            "diff": report.diff_name(r.driver) if r.new != r.old else None,
            "depends_on": sorted(deps.get(report.diff_name(r.driver), ()))
            if r.new != r.old else [],
            "sites": [_site(d) for d in r.decisions],
            "findings": [{"kind": f.kind, "line": f.line, "message": f.message}
                         for f in r.findings],
        } for r in res],
    }


def headerless(sc: Scanned) -> set[str]:
    """The types every free of which passes its size, no realloc naming
    them (install-shim defines them header-less, MALLOC_DEFINE_SIZED:
    kmem's alignment and bytes for converted code); of the scanned
    files, all of them with PATH sys."""
    sized: set[str] = set()
    unsized: set[str] = set()
    for ff in sc.facts.values():
        for s in ff.sites:
            t = malloc_type(s) if names_type(s) and not s.is_kmem else None
            if t and s.role == Role.FREE:
                (sized if _takes_size(s) else unsized).add(t)
            elif t and s.callee == "realloc":
                unsized.add(t)
    return sized - unsized


def _unsized(s: Site) -> bool:
    """A call that needs a header type: a free without the size, a realloc."""
    return s.callee == "realloc" or (s.role == Role.FREE and not _takes_size(s))


def headers_given(before: set[str], decs: list[Decision]) -> dict[str, str]:
    """{type: a retyped call} for the header-less types (before) that a
    retyped free(p, T) or realloc now names: install-shim gives them a
    header."""
    out: dict[str, str] = {}
    for d in decs:
        if d.tag in before and _unsized(d.site) and not d.size:
            out.setdefault(d.tag, f"{d.site.where} {d.site.callee}")
    return dict(sorted(out.items()))


def _takes_size(s: Site) -> bool:
    """A free that passes the size (free(p, T, n), malloc_strfree, ...;
    not a macro's use: its arguments are the macro's)."""
    if s.macro:
        return False
    a = allocators.TABLE[s.callee]
    return s.callee == "malloc_strfree" or (a.size is not None and a.size < len(s.args) and
                                            s.args[a.size].strip() != "0")


def _pct(n: int, of: int) -> float:
    return round(100.0 * n / of, 2) if of else 100.0


def _site(d: Decision) -> dict:
    out = report._site(d)
    out["old_type"] = d.old
    if d.tag:
        out["status"] = "retyped"
        if d.size:
            out["size"] = d.size
        if d.recorded:
            out["recorded"] = True
    else:
        out["keep"] = str(d.keep)
    return out


def summary_text(s: dict, outdir: str) -> str:
    per = "; ".join(f"{t}: {v['retyped']} of {v['calls']} retyped ({v['retyped_percent']}%)"
                    + "".join(f", {v['kept'][k]} {k}" for k in (Keep.SCRATCH, Keep.INTERFACE)
                              if v['kept'].get(k))
                    for t, v in s["by_type"].items())
    return (f"kmem2malloc: {s['calls']} generic-type calls in {s['files']} files: {per}; "
            f"{s['sizes_given']} frees given their size, {s['recorded']} calls recorded; "
            f"{s['files_changed']} files changed; "
            f"{s['findings']} findings; "
            f"verify problems: {s['verify_problems']}\n"
            f"kmem2malloc: diffs in {os.path.join(outdir, 'diffs')}/, report in "
            f"{os.path.join(outdir, 'report.md')} and report.json")


def markdown(doc: dict) -> str:
    s = doc["summary"]
    L = ["# kmem2malloc retag report", "",
         f"Tree `{doc['tree']}`, paths {', '.join('`%s`' % p for p in doc['paths'])}, "
         f"tag map `{doc['tag_map']}`; generic types {', '.join(doc['options']['types'])}, "
         f"scratch {', '.join(doc['options']['scratch']) or 'none'}.", "",
         "| type | calls | retyped | retyped % | handled % (scratch, interface too) | kept |",
         "|---|---|---|---|---|---|"]
    for t, v in s["by_type"].items():
        kept = ", ".join(f"{k} {n}" for k, n in v["kept"].items()) or "-"
        L.append(f"| {t} | {v['calls']} | {v['retyped']} | {v['retyped_percent']} | "
                 f"{v['handled_percent']} | {kept} |")
    L += ["", f"{s['sizes_given']} frees given their size (a header-less type's), "
          f"{s['recorded']} calls recorded (M_RECORDED/M_ASALLOCATED: no size known), "
          f"{s['files_changed']} files changed, {s['findings']} findings, "
          f"{s['verify_problems']} verify problems.", ""]
    if s.get("headers_given"):
        L += [f"{len(s['headers_given'])} header-less types get a header (a retyped "
              "free(p, T) without the size, or a realloc, names them; install-shim then "
              "defines them MALLOC_DEFINE, and their converted code loses kmem's "
              "alignment): " + ", ".join(f"{t} ({w})" for t, w in s["headers_given"].items()),
              ""]
    if doc["commit_groups"]:
        L += ["## Diffs to commit together", ""]
        L += ["- " + ", ".join(f"`{d}`" for d in g) for g in doc["commit_groups"]]
        L.append("")
    L += ["## Files to review", "",
          "Every file with a kept call or a finding.  Retyped calls are in the diffs.", ""]
    for fd in doc["files"]:
        held = [x for x in fd["sites"] if x["status"] == "kept"]
        if not held and not fd["findings"]:
            continue
        L += [f"### `{fd['path']}` ({fd['driver']}, {fd['tag']}): "
              f"{len(fd['sites']) - len(held)} retyped, {len(held)} kept", ""]
        L += [f"- line {x['line']} `{x['call']}` {x['scope']} ({x['old_type']}): "
              f"kept ({x['keep']}): {x['reason']}" for x in held]
        L += [f"- line {x['line']} **{x['kind']}**: {x['message']}" for x in fd["findings"]]
        L.append("")
    return "\n".join(L) + "\n"
