"""`kmem2malloc convert`: plan, rewrite, verify, write diffs and report.

The phases, each a function below:

1. scan: every candidate file (cscan, through scanning.py) and the kmem
   users elsewhere in sys/ that memory may cross to (sys/kern, sys/net, ...).
2. plan (pairing.decide): each kmem site converted with a type, or kept
   with a reason; pairs together or not at all.
3. rewrite: rewrite each planned call by text (textual.rewrite, from the
   allocator table), put continuations in style(9), add the include, and
   verify by scanning the output again: every site the plan converted is
   converted, nothing else changed family.
4. check (unless --no-spatch-check): cocci/'s rules over the same plan,
   their output compared with the text rewrite (spatchcheck.py).
5. results: per file, old and new text, decisions and findings; the
   mixed-pair check of the output.
6. write (report.py) per-driver diffs and the report, and (series.py)
   the series: the malloc(9) change, then one commit per commit group or
   driver; with --in-place, apply: replace each changed file atomically.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import AbstractSet

from . import allocators, findings, paircache, pairing, report
from .c import cscan
from .kernel import outside
from .rewrite import includes, restyle, spatchcheck, textual
from .c.cscan import Context
from .c.factcache import FactCache, digest
from .c.scanning import MacroTable, context_files, macro_users, read, scan_keyed
from .tagmap import TagMap
from .tree import Tree, source_files


@dataclass
class FileResult:
    path: str
    driver: str
    tag: str
    old: str
    new: str
    decisions: list = field(default_factory=list)
    findings: list = field(default_factory=list)


@dataclass
class Scanned:
    """What phase 1 learned."""
    targets: list[str]                  # files under PATHs, to rewrite
    context: list[str]                  # kmem users elsewhere, read only
    facts: dict[str, cscan.FileFacts]   # every scanned file
    macros: MacroTable                  # allocator macros
    texts: dict[str, str]               # the targets' texts
    clusters: list[set[str]]
    pairs: pairing.Pairs
    frozen: dict[str, str] = field(default_factory=dict)   # target -> why it is not rewritten
    # target -> the header it includes that takes free() away
    free_taken: dict[str, includes.FreeTaker] = field(default_factory=dict)
    unit_of: object = None              # pairing.pair's owners of memory
    kernels: dict = field(default_factory=dict)     # Tree.kernels
    made_of: dict[str, str] = field(default_factory=dict)   # path -> its facts' cache key
    cache: FactCache = field(default_factory=lambda: FactCache(None))


@dataclass
class Rewritten:
    """What phases 2 and 3 left: the plan and what it made of each target."""
    plan: pairing.Plan
    outputs: dict[str, str]
    out_facts: dict[str, cscan.FileFacts] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    includes: dict[str, str | None] = field(default_factory=dict)   # includes.action
    check: spatchcheck.Outcome | None = None    # None: --no-spatch-check


def run(tree: Tree, paths: list[str], tagmap: TagMap, outdir: str, jobs: int,
        in_place: bool = False, hosts: str | None = None, timeout: int = 120,
        log=print, forms: textual.Forms = textual.Forms(),
        convert_mismatched: bool = True, series: bool = True,
        spatch_check: bool = True, cache: str | None = None) -> int:
    """Convert; the exit status; cache: the directory of the scan's facts
    kept across runs (factcache), None for none.  The cyclic garbage collector is off while
    it runs: it makes a few hundred thousand small objects (the facts) and
    frees them all at the end, and the collector's passes over them were a
    third of the time spent unpickling them from the scan workers."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(tree, paths, tagmap, outdir, jobs, in_place, hosts, timeout, log, forms,
                    convert_mismatched, series, spatch_check, cache)
    finally:
        if enabled:
            gc.enable()


def _run(tree: Tree, paths: list[str], tagmap: TagMap, outdir: str, jobs: int,
         in_place: bool, hosts: str | None, timeout: int, log, forms: textual.Forms,
         convert_mismatched: bool, series: bool, spatch_check: bool,
         cache: str | None = None) -> int:
    clock = _Clock(log)

    @functools.lru_cache(maxsize=None)
    def tag_of(path: str) -> str:
        return tagmap.tag_for(path, tree.driver_of(path))

    facts_cache = FactCache(cache)      # one per run: opening it prunes old versions
    sc = scan(tree, paths, jobs, log, owner_of(tree, tag_of), facts_cache)
    clock.phase("scan and pair")
    rw = rewrite(sc, tag_of, jobs, forms, convert_mismatched)
    clock.phase("rewrite and verify")
    os.makedirs(outdir, exist_ok=True)
    if spatch_check:
        rw.check = check(sc, rw, outdir, jobs, hosts, timeout, forms, log, facts_cache)
        clock.phase("spatch check")
    res = results(tree, sc, rw, tag_of)
    created, mixed_in = mixed_pairs(sc, rw)
    clock.phase("results")
    options = {"sized_free": forms.sized_free, "intr_flag": forms.intr_flag,
               "convert_size_mismatch": convert_mismatched, "spatch_check": spatch_check}
    report.write_all(outdir, tree, paths, tagmap, res, created, mixed_in, sc.pairs, options,
                     rw.check, facts_cache)
    clock.phase("report")
    summary = report.summary(res, created, mixed_in, sc.pairs, rw.check)
    log(report.summary_text(summary, outdir))
    bad = bool(created) or any(rw.problems.values()) or bool(rw.check and rw.check.failed)
    if series:
        write_series(tree, tagmap, res, sc.pairs, options, outdir, log)
        clock.phase("series")
    if in_place:
        _apply(tree, res, bad, log)
    return 1 if bad else 0


def _apply(tree: Tree, res: list[FileResult], bad: bool, log) -> None:
    """--in-place: write the changed files, unless something needs a look."""
    if bad:
        log("kmem2malloc: not changing the tree (--in-place): "
            "see the errors in the report")
        return
    apply_in_place(tree.root, [r for r in res if r.new != r.old])
    if _shimmed(tree.root) and any(r.new != r.old for r in res):
        # the order is free (free() takes both forms), but the
        # type lists were made from the tree before this conversion
        log("kmem2malloc: the tree has the shim (install-shim ran before "
            "convert): run install-shim again, so that its type lists follow "
            "the converted code (a type every free passes the size of becomes "
            "header-less, MALLOC_DEFINE_SIZED)")


def _shimmed(root: str) -> bool:
    """True if install-shim has generated sys/sys/malloc_types.h in root."""
    from .kernel.shim import GENERATED, TYPES_H, read_text
    return (read_text(os.path.join(root, TYPES_H)) or "").startswith(GENERATED)


def write_series(tree: Tree, tagmap: TagMap, res: list[FileResult], pairs, options: dict,
                 outdir: str, log) -> None:
    """OUT/series/: the malloc(9) commit, then one per commit group or
    driver (series.py), read from the tree as it is before --in-place."""
    from . import series
    _, groups = report.commit_groups(res, pairs)
    steps = series.build(tree, tagmap, res, groups, options, log)
    paths = series.write(outdir, steps)
    log(f"kmem2malloc: series of {len(paths)} commits in "
        f"{os.path.join(outdir, 'series')}/ (the malloc(9) change first; "
        "git am them in order, or patch -p1 in the order of series/series)")


def owner_of(tree: Tree, tag_of):
    """Who owns the memory a file allocates, for pairing: its unit
    (Tree.unit_of: its driver, per port in sys/arch) and its malloc type,
    so that typed memory, a member's memory and a guess stay with one
    owner (sys/kern is one directory of a dozen types: exec's memory is
    not autoconf's)."""
    return lambda path: f"{tree.unit_of(path)}#{tag_of(path)}"


class _Clock:
    """K2M_DEBUG=1: where the time goes (and the work directory is kept)."""

    def __init__(self, log) -> None:
        self.start, self.log = time.monotonic(), log

    def phase(self, name: str) -> None:
        if os.environ.get("K2M_DEBUG"):
            self.log(f"kmem2malloc: {time.monotonic() - self.start:6.2f} s  {name} done")


def scan(tree: Tree, paths: list[str], jobs: int, log=print, unit_of=None,
         cache: FactCache | None = None,
         context_needles: tuple[str, ...] = ("kmem_",), malloc_macros: bool = False
         ) -> Scanned:
    """Phase 1: scan the targets and their context, and pair the sites;
    unit_of(path): who owns the memory a file allocates (pairing.pair:
    its driver, per port for a driver of several ports: Tree.unit_of).
    The context: the files of sys/kern, sys/net ... naming one of
    context_needles (retag's: the generic malloc types), and the users of
    header macros (malloc_macros: of malloc(9)'s too, retag's)."""
    targets, frozen = _symlinks(tree, source_files(tree, paths))
    context = context_files(tree, set(targets), context_needles)
    context += macro_users(tree, paths, targets + context, malloc_macros)
    log(f"kmem2malloc: {len(targets)} files under {', '.join(paths)}, "
        f"{len(context)} more kmem users for context")
    cache = cache or FactCache(None)
    all_facts, macros, made_of = scan_keyed(tree.root, targets + context, jobs, cache)
    clusters = tree.clusters(targets)
    pairs = paircache.pair(all_facts, made_of, clusters, unit_of, tree.kernels, cache)
    texts = {p: read(tree.root, p) for p in targets}
    takers = includes.free_takers(tree)
    free_taken = {}
    for p, text in texts.items():
        own = cscan.kmem_defined(text) if p.endswith(".c") else None
        if own and p not in frozen:
            # converted, its calls would not compile where kmem is libc's
            frozen[p] = (f"{p} defines {own[0]}() itself (line {own[1]}), for a "
                         "build outside the kernel: its kmem(9) calls stay")
        taker = includes.includes_free_taker(p, text, takers) if p.endswith(".c") else None
        if taker:
            free_taken[p] = taker
    return Scanned(targets, context, {ff.path: ff for ff in all_facts}, macros,
                   texts, clusters, pairs, frozen, free_taken, unit_of, tree.kernels,
                   {ff.path: k for ff, k in zip(all_facts, made_of)}, cache)


def _symlinks(tree: Tree, files: list[str]) -> tuple[list[str], dict[str, str]]:
    """A file under PATHs may be a symbolic link.  --in-place must neither
    write through it (its target may lie outside the tree) nor replace the
    link by a file.  A link to another file under PATHs is left out (that
    file is converted under its own name); any other link is read, its
    sites listed, and none of them converted.  Returns the files and
    {link: why it is not rewritten}."""
    listed = set(files)
    out, frozen = [], {}
    for p in files:
        full = os.path.join(tree.root, p)
        if not os.path.islink(full):
            out.append(p)
            continue
        real = os.path.realpath(full)
        rel = os.path.relpath(real, tree.root)
        if rel in listed and not os.path.islink(os.path.join(tree.root, rel)):
            continue
        out.append(p)
        frozen[p] = (f"{p} is a symbolic link to {real}: not rewritten "
                     "(convert the file it points to)")
    return out, frozen


def planned(plan: pairing.Plan, path: str) -> list[tuple[cscan.Site, str]]:
    """path's planned conversions: (site, malloc type)."""
    return [(d.site, d.tag) for d in plan.for_file(path) if d.tag is not None]


def rewrite(sc: Scanned, tag_of, jobs: int, forms: textual.Forms = textual.Forms(),
            convert_mismatched: bool = True) -> Rewritten:
    """Phases 2 and 3: plan, rewrite each file with a planned conversion
    (textual.rewrite: the one rewrite), verify it.  The sites of a file
    that is not rewritten (a symbolic link, an allocator's own file) are
    kept, and their pairs with them."""
    forced = {(s.path, s.line): why for p, why in sc.frozen.items()
              for s in sc.facts[p].sites}
    plan = pairing.decide(sc.pairs, set(sc.targets), tag_of, forced, convert_mismatched)
    rw = Rewritten(plan, dict(sc.texts))
    todo = [p for p in sc.targets if planned(plan, p)]
    global _STATE
    _STATE = _State(sc, plan, converted_macros(plan), forms)
    try:
        if jobs > 1 and len(todo) >= POOL_FROM:
            # the workers fork with _STATE, and send back only what is
            # new (the facts' flow lists are the input's)
            with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as ex:
                done = list(ex.map(_finish, todo, chunksize=16))
        else:
            done = [_finish(p) for p in todo]
    finally:
        _STATE = None
    for fin in done:
        p, of = fin.path, fin.facts
        rw.outputs[p] = fin.new
        old = sc.facts[p]
        of.functions, of.links, of.calls = old.functions, old.links, old.calls
        rw.out_facts[p] = of
        rw.problems[p] = fin.problems
        rw.includes[p] = fin.include
    return rw


@dataclass
class _State:
    """rewrite's state, for _finish in this process or a fork of it."""
    sc: Scanned
    plan: pairing.Plan
    macros: set[str]            # converted_macros(plan)
    forms: textual.Forms


_STATE: _State | None = None
POOL_FROM = 64      # files from which _finish runs in a worker pool


@dataclass
class Finished:
    """One file's output, as _finish sends it back."""
    path: str
    new: str                    # its text
    facts: cscan.FileFacts      # the output's, without the flow lists (the input's)
    problems: list[str]         # verify's count problems
    include: str | None         # includes.action


def _finish(p: str) -> Finished:
    """One file's output: rewritten, restyled, the include added, verified."""
    assert _STATE is not None           # set by rewrite
    sc, plan, forms = _STATE.sc, _STATE.plan, _STATE.forms
    old = sc.texts[p]
    conv = [d for d in plan.for_file(p) if d.tag]
    new = textual.rewrite(old, planned(plan, p), forms)
    taker = sc.free_taken.get(p)
    if taker:
        new = includes.call_free_function(new, taker, forms.free_function)
    include = includes.action(sc.facts[p], old, conv)
    new = includes.add(restyle.restyle(old, new), include, taker)
    of, probs = verify(p, new, plan.for_file(p), sc.facts[p], sc.macros.for_file(p, old),
                       _STATE.macros)
    # not sent back: rewrite puts the input's back
    of.functions = of.links = of.calls = None   # type: ignore[assignment]
    return Finished(p, new, of, probs, include)


def check(sc: Scanned, rw: Rewritten, outdir: str, jobs: int, hosts: str | None,
          timeout: int, forms: textual.Forms, log=print,
          cache: FactCache | None = None) -> spatchcheck.Outcome:
    """Phase 4: check the rewrite with cocci/'s rules, in a work directory
    under outdir (kept with K2M_DEBUG)."""
    todo = {p: planned(rw.plan, p) for p in rw.out_facts}
    workdir = tempfile.mkdtemp(prefix="work-", dir=outdir)
    try:
        return spatchcheck.run(sc.texts, todo, {p: sc.facts[p].functions for p in todo},
                               workdir, jobs, hosts, timeout, forms,
                               cache or FactCache(None))
    finally:
        if os.environ.get("K2M_DEBUG"):
            log(f"kmem2malloc: work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _signature(s: cscan.Site):
    return (s.callee, s.func, s.anchor)


def converted_macros(plan: pairing.Plan) -> set[str]:
    """The allocator macros whose definition the plan converts."""
    return {d.site.define for d in plan.decisions
            if d.tag and d.site.context == Context.MACRO and d.site.define}


def as_converted(facts: cscan.FileFacts, macros: AbstractSet[str]) -> cscan.FileFacts:
    """facts with the uses of the converted allocator macros allocating
    or freeing as malloc(9) does now (a use of a malloc(9) macro of the
    same name, stb_image.c's MALLOC beside pci_subr.c's, stays)."""
    if not any(s.macro in macros and s.is_kmem for s in facts.sites):
        return facts
    out = replace(facts)
    out.sites = [replace(s, callee=allocators.TABLE[s.callee].becomes)
                 if s.macro in macros and s.is_kmem else s for s in facts.sites]
    return out


def verify(path: str, new_text: str, decisions: list, old_facts: cscan.FileFacts,
           macros: dict, converted: AbstractSet[str] = frozenset()
           ) -> tuple[cscan.FileFacts, list[str]]:
    """Compare the output with the plan, by scanning it as the input was
    scanned: every planned conversion made, every kept site still kmem.
    Returns the output's facts and count problems.  converted: the macros
    whose definitions were converted."""
    out = as_converted(cscan.scan(new_text, path, macros, sites_only=True), converted)
    # conversion renames calls only: where pointers flow is unchanged, and
    # the output's sites are the input's, in the same order
    out.functions, out.links, out.calls = old_facts.functions, old_facts.links, old_facts.calls
    if len(out.sites) == len(old_facts.sites):
        for o, s in zip(out.sites, old_facts.sites):
            if (o.func, o.anchor) == (s.func, s.anchor):
                o.key, o.objtype = s.key, s.objtype
    left = Counter(_signature(s) for s in out.sites if s.is_kmem and s.counted)
    want = Counter(_signature(d.site) for d in decisions if d.reason)
    missed = sum((left - want).values())
    problems = []
    n_in = sum(1 for s in old_facts.sites if s.is_kmem and s.counted)
    n_kept = sum(1 for d in decisions if d.reason)
    n_conv = sum(1 for d in decisions if d.tag)
    n_left = sum(left.values())
    m_in = sum(1 for s in old_facts.sites if not s.is_kmem and s.counted)
    m_out = sum(1 for s in out.sites if not s.is_kmem and s.counted)
    if n_in != n_kept + n_conv or n_left != n_kept or m_out != m_in + n_conv or missed:
        problems.append(
            f"site count mismatch: {n_in} kmem sites in, {n_conv} converted, "
            f"{n_kept} kept, {n_left} kmem left ({missed} not planned), "
            f"malloc/free {m_in} -> {m_out}")
    return out, problems


def results(tree: Tree, sc: Scanned, rw: Rewritten, tag_of) -> list[FileResult]:
    """Phase 4: per target, its texts, decisions and every finding."""
    by_path: dict[str, list] = {}
    for f in rw.plan.findings:
        by_path.setdefault(f.path, []).append(f)
    changed = {p for p in sc.targets if rw.outputs[p] != sc.texts[p] and p.endswith(".c")}
    users = outside.users(tree.root, changed)
    changed_all = {p for p in sc.targets if rw.outputs[p] != sc.texts[p]}
    out = []
    for p in sc.targets:
        decs = rw.plan.for_file(p)
        fs = by_path.get(p, [])
        if p in users:
            fs.append(findings.outside_build(p, users[p]))
        if rw.check:
            fs += rw.check.findings.get(p, [])
        fs += [findings.count(p, pr) for pr in rw.problems.get(p, [])]
        if rw.includes.get(p) == "none":
            fs.append(findings.include(p))
        said = cscan.kmem_comments(rw.outputs[p]) if p in changed_all else []
        of = rw.out_facts.get(p)
        if said and of is not None and not any(s.is_kmem for s in of.sites):
            fs.append(findings.kmem_comment(p, said))
        out.append(FileResult(p, tree.diff_of(p), tag_of(p), sc.texts[p],
                              rw.outputs[p], decs, fs))
    return out


def mixed_pairs(sc: Scanned, rw: Rewritten) -> tuple[dict, dict]:
    """The pairs of different families in the output that were not in the
    input (created), and those in the input.  The output is paired anew,
    from its own facts (kept in the cache under the output's texts, not
    the input's pairs)."""
    everything_in = pairing.mixed_pairs(sc.pairs)
    mixed_in = pairing.mixed_pairs(sc.pairs, nearest=True)
    converted = converted_macros(rw.plan)
    out_all = [rw.out_facts.get(p) or as_converted(ff, converted) for p, ff in sc.facts.items()]
    made_of = [_output_made_of(sc, rw, p, converted) for p in sc.facts]
    mixed_out = pairing.mixed_pairs(paircache.pair(out_all, made_of, sc.clusters, sc.unit_of,
                                                   sc.kernels, sc.cache))
    created = {k: v for k, v in mixed_out.items() if k not in everything_in}
    return created, mixed_in


def _output_made_of(sc: Scanned, rw: Rewritten, path: str, converted: set[str]) -> str:
    """What the output's facts of path are made of (paircache): the
    input's (its scan key: verify's scan is given the same macros, and
    takes the input's flows), the output's text, the converted macros."""
    k = sc.made_of.get(path, "")
    if not k:
        return ""
    out = digest(rw.outputs[path]) if path in rw.out_facts else "-"
    return f"{k} out {out} converted {' '.join(sorted(converted))}"


def apply_in_place(root: str, results: list[FileResult]) -> None:
    """Phase 5 with --in-place: replace each changed file atomically: a
    temporary file in the same directory, then rename(2).  An interrupt
    leaves each file old or new."""
    for r in results:
        dst = os.path.join(root, r.path)
        fd, tmp = tempfile.mkstemp(prefix=".k2m-", dir=os.path.dirname(dst))
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fp:
                fp.write(r.new)
            shutil.copymode(dst, tmp)
            os.replace(tmp, dst)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
