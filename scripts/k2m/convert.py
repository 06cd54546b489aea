"""`kmem2malloc convert`: plan, rewrite, verify, write diffs and report.

1. Scan every candidate file (cscan) and the kmem users elsewhere in sys/
   that memory may cross to (sys/kern, sys/net, ...).
2. Plan (pairing): each kmem site converted with a type, or kept with a
   reason; pairs together or not at all.
3. Rewrite copies with spatch (spatch.py), put continuations in style(9).
4. Verify by scanning the output again: every site the plan converted is
   converted, nothing else changed family.  A site spatch left alone (a
   function it could not parse, a timeout) is kept instead, its pairs
   re-planned and their files rewritten again, until nothing moves.
5. Write per-driver diffs and the report; with --in-place, replace each
   changed file atomically.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from . import cscan, pairing, report, restyle, spatch, textual
from .tagmap import TagMap
from .tree import Tree, source_files

# Where memory from sys/dev may be released (or come from) outside the
# converted paths.  arch/ and external/ are left out: they are not
# linked to sys/dev by name often enough to pay for reading them.
CONTEXT_DIRS = ("sys/kern", "sys/net", "sys/netinet", "sys/uvm", "sys/fs",
                "sys/miscfs", "sys/ufs", "sys/opencrypto", "sys/crypto",
                "sys/secmodel", "sys/compat/common", "sys/dev")
KMEM_WORDS = re.compile(r"\b(kmem_\w+|KM_SLEEP|KM_NOSLEEP|km_flag_t)\b")


@dataclass
class FileResult:
    path: str
    driver: str
    tag: str
    old: str
    new: str
    decisions: list = field(default_factory=list)
    findings: list = field(default_factory=list)


def read(root: str, rel: str) -> str:
    with open(os.path.join(root, rel), encoding="utf-8", errors="surrogateescape") as fp:
        return fp.read()


_SHARED: dict = {}


def _share(root: str, macros: dict | None = None, callees: set | None = None) -> None:
    """Pool initializer: what every scan needs, sent once per worker (which
    lives for one scan_all: no cyclic garbage collection, see run())."""
    gc.disable()
    _SHARED.update(root=root, macros=macros, callees=callees)


def _survey_one(path: str) -> tuple[dict, set]:
    """What one file gives every scan: its allocator macros, its names."""
    text = read(_SHARED["root"], path)
    macros = cscan.alloc_macros(text) if "define" in text else {}
    return macros, cscan.defined_names(text)


def _scan_one(path: str) -> cscan.FileFacts:
    ff = cscan.scan(read(_SHARED["root"], path), path, _SHARED["macros"],
                    callees=_SHARED["callees"])
    for f in ff.functions:          # the scan's own business: not sent back
        f.locals = set()
    return ff


def scan_all(root: str, files: list[str], jobs: int
             ) -> tuple[list[cscan.FileFacts], dict]:
    """Scan files; allocator macros defined in any of them pair everywhere.
    Returns the facts and those macros.  The workers read the files
    themselves (cheaper than sending the texts)."""
    macros: dict = {}
    callees: set = set()
    if len(files) < 32 or jobs < 2:
        _share(root)
        for m, names in map(_survey_one, files):
            macros.update(m)
            callees |= names
        _share(root, macros, callees)
        facts = [_scan_one(f) for f in files]
    else:
        with ProcessPoolExecutor(jobs, initializer=_share, initargs=(root,)) as ex:
            for m, names in ex.map(_survey_one, files, chunksize=32):
                macros.update(m)
                callees |= names
        with ProcessPoolExecutor(jobs, initializer=_share,
                                 initargs=(root, macros, callees)) as ex:
            facts = list(ex.map(_scan_one, files, chunksize=16))
    return facts, macros


def context_files(tree: Tree, targets: set[str]) -> list[str]:
    out = []
    for d in CONTEXT_DIRS:
        if os.path.isdir(os.path.join(tree.root, d)):
            out.extend(f for f in source_files(tree, [d], needle="kmem_")
                       if f not in targets)
    return sorted(set(out))


def include_action(ff: cscan.FileFacts, text: str, conv: list) -> str | None:
    """How <sys/malloc.h> gets in (textual.add_include): replace
    <sys/kmem.h> when nothing from it is left, add it after kmem.h, param.h,
    systm.h or types.h; None when the file has it or converts nothing,
    "none" (a finding) when it includes none of those."""
    if not conv or "sys/malloc.h" in ff.includes:
        return None
    used = len(KMEM_WORDS.findall(cscan.strip(text)))
    converted = sum(1 + len(KMEM_WORDS.findall(d.site.flags or ""))
                    for d in conv)
    if "sys/kmem.h" in ff.includes and used == converted:
        return "replace"
    for action, header in textual.INCLUDE_AFTER.items():    # kmem.h first
        if header in ff.includes:
            return action
    return "none"


def _plan_json(plan: pairing.Plan, facts: dict, texts: dict) -> dict:
    out = {}
    for path in texts:
        conv = [d for d in plan.for_file(path) if d.tag]
        out[path] = {
            "convert": {str(d.site.line): d.tag for d in conv
                        if d.site.context == "code"},
            # under #if 0: rewritten by textual.py, not spatch
            "text": {str(d.site.line): d.tag for d in conv
                     if d.site.context != "code"},
            "include": include_action(facts[path], texts[path], conv),
        }
    return out


def _signature(s: cscan.Site):
    return (s.callee, s.func, s.key)


def verify(path: str, new_text: str, decisions: list, old_facts: cscan.FileFacts,
           macros: dict) -> tuple[cscan.FileFacts, list, list[str]]:
    """Compare the output with the plan.  Returns the output's facts, the
    planned conversions spatch did not make, and count problems."""
    out = cscan.scan(new_text, path, macros, sites_only=True)
    # conversion renames calls only: where pointers flow is unchanged
    out.functions, out.links, out.calls = old_facts.functions, old_facts.links, old_facts.calls
    left = Counter(_signature(s) for s in out.sites if s.is_kmem and s.counted)
    want = Counter(_signature(d.site) for d in decisions if d.reason)
    extra = left - want
    missed = [d for d in decisions if d.tag and extra[_signature(d.site)] > 0]
    problems = []
    if not missed:
        n_in = sum(1 for s in old_facts.sites if s.is_kmem and s.counted)
        n_kept = sum(1 for d in decisions if d.reason)
        n_conv = sum(1 for d in decisions if d.tag)
        n_left = sum(left.values())
        m_in = sum(1 for s in old_facts.sites if not s.is_kmem)
        m_out = sum(1 for s in out.sites if not s.is_kmem)
        if n_in != n_kept + n_conv or n_left != n_kept or m_out != m_in + n_conv:
            problems.append(
                f"site count mismatch: {n_in} kmem sites in, {n_conv} converted, "
                f"{n_kept} kept, {n_left} kmem left, malloc/free {m_in} -> {m_out}")
    return out, missed, problems


def run(tree: Tree, paths: list[str], tagmap: TagMap, outdir: str, jobs: int,
        in_place: bool = False, hosts: str | None = None, timeout: int = 120,
        log=print) -> int:
    """Convert; the exit status.  The cyclic garbage collector is off while
    it runs: it makes a few hundred thousand small objects (the facts) and
    frees them all at the end, and the collector's passes over them were a
    third of the time spent unpickling them from the scan workers."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(tree, paths, tagmap, outdir, jobs, in_place, hosts, timeout, log)
    finally:
        if enabled:
            gc.enable()


def _run(tree: Tree, paths: list[str], tagmap: TagMap, outdir: str, jobs: int,
         in_place: bool, hosts: str | None, timeout: int, log) -> int:
    start = time.monotonic()

    def phase(name: str) -> None:         # K2M_DEBUG=1: where the time goes
        # (and the work directory is kept)
        if os.environ.get("K2M_DEBUG"):
            log(f"kmem2malloc: {time.monotonic() - start:6.2f} s  {name} done")

    targets = source_files(tree, paths)
    tset = set(targets)
    context = context_files(tree, tset)
    log(f"kmem2malloc: {len(targets)} files under {', '.join(paths)}, "
        f"{len(context)} more kmem users for context")
    phase("list")
    all_facts, macros = scan_all(tree.root, targets + context, jobs)
    phase("scan")
    facts = {ff.path: ff for ff in all_facts}
    texts = {p: read(tree.root, p) for p in targets}

    def tag_of(path: str) -> str:
        return tagmap.tag_for(path, tree.driver_of(path))

    clusters = tree.clusters(targets)
    pairs = pairing.pair(all_facts, clusters, set(context))
    phase("pair")
    forced: dict[tuple[str, int], str] = {}
    failed: dict[str, str] = {}
    outputs = {p: texts[p] for p in targets}
    out_facts: dict[str, cscan.FileFacts] = {}
    problems: dict[str, list[str]] = {}
    os.makedirs(outdir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="work-", dir=outdir)
    try:
        prev_plan: dict = {}
        for round_no in range(1, 6):
            plan = pairing.decide(pairs, tset, tag_of, forced)
            pj = _plan_json(plan, facts, texts)
            todo = [p for p in targets if pj[p] != prev_plan.get(p)
                    and (pj[p]["convert"] or pj[p]["text"] or p in out_facts)]
            if not todo:
                break
            inputs, direct = {}, {}
            for p in todo:
                if pj[p]["convert"] or pj[p]["text"]:
                    got = textual.spatch_input(
                        texts[p], [(d.site, d.tag) for d in plan.for_file(p) if d.tag],
                        facts[p].functions)
                    if isinstance(got, str):
                        direct[p] = got         # only #if 0 sites: done
                    else:
                        inputs[p] = got
            phase(f"plan {round_no}")
            res = spatch.run({p: i.text for p, i in inputs.items()}, workdir, jobs,
                             hosts, timeout)
            phase(f"spatch {round_no}")
            moved = False
            for p in todo:
                new = direct.get(p, texts[p])
                if p in res.outputs:
                    try:
                        new = textual.spatch_output(inputs[p], res.outputs[p])
                    except ValueError as e:
                        res.failed[p] = str(e)
                if p in res.outputs or p in direct:
                    new = textual.add_include(restyle.restyle(texts[p], new),
                                              pj[p]["include"])
                if p in res.failed:
                    failed[p] = res.failed[p]
                    new = texts[p]
                outputs[p] = new
                decs = plan.for_file(p)
                of, missed, probs = verify(p, new, decs, facts[p], macros)
                out_facts[p] = of
                problems[p] = probs
                for d in missed:
                    if os.environ.get("K2M_DEBUG"):
                        log(f"round {round_no}: {d.site.where} {d.site.callee} not converted")
                    why = (f"spatch failed on this file: {failed[p]}" if p in failed
                           else "spatch did not convert it (function not parsed?)")
                    forced[(p, d.site.line)] = why
                    moved = True
            prev_plan = pj
            phase(f"verify {round_no}")
            if not moved:
                break
    finally:
        if os.environ.get("K2M_DEBUG"):
            log(f"kmem2malloc: work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    results = []
    for p in targets:
        decs = plan.for_file(p)
        findings = [f for f in plan.findings if f.path == p]
        for d in decs:
            if d.reason and d.reason.startswith("spatch"):
                findings.append(pairing.Finding(p, d.site.line, "spatch", d.reason))
        if p in failed:
            findings.append(pairing.Finding(p, 1, "spatch-error", failed[p]))
        for pr in problems.get(p, []):
            findings.append(pairing.Finding(p, 1, "count", pr))
        if pj[p]["include"] == "none":
            findings.append(pairing.Finding(p, 1, "include", (
                "uses malloc(9) now but has no <sys/param.h>, <sys/systm.h>, "
                "<sys/types.h> or <sys/kmem.h> to put <sys/malloc.h> after: "
                "its includer must provide <sys/malloc.h>")))
        results.append(FileResult(p, tree.driver_of(p), tag_of(p), texts[p],
                                  outputs[p], decs, findings))

    mixed_in = pairing.mixed_pairs(pairs)
    out_all = [out_facts.get(ff.path, ff) for ff in all_facts]
    mixed_out = pairing.mixed_pairs(pairing.pair(out_all, clusters, set(context)))
    created = {k: v for k, v in mixed_out.items() if k not in mixed_in}

    phase("results")
    report.write_all(outdir, tree, paths, tagmap, results, created, mixed_in)
    phase("report")
    summary = report.summary(results, created, mixed_in)
    log(report.summary_text(summary, outdir))
    bad = bool(failed) or bool(created) or any(problems.values())
    if in_place:
        if bad:
            log("kmem2malloc: not changing the tree (--in-place): "
                "see the errors in the report")
        else:
            apply_in_place(tree.root, [r for r in results if r.new != r.old])
    return 1 if bad else 0


def apply_in_place(root: str, results: list[FileResult]) -> None:
    """Replace each changed file atomically: a temporary file in the same
    directory, then rename(2).  An interrupt leaves each file old or new."""
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
