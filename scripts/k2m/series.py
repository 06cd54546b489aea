"""The series: a conversion as commits a committer applies in order.

convert writes OUT/series/: `git format-patch`-style patches, each a
commit with a message in NetBSD's style (subsystem: summary; what
changed, the type, the findings to know), and a quilt-style `series`
file naming them in order:

1. 0001: the malloc(9) change (install-shim's edits, shim.py), first,
   since converted code calls free(p, T, n) and names types only it
   declares; on its own it changes no caller's meaning (free() takes
   both forms), so the tree compiles as before;
2. then one commit per commit group (report.commit_groups: drivers
   whose memory crosses, which must change together) or driver.

Each patch is the difference between two states of the tree, computed
here, not convert's per-driver diffs: a file both steps change
(dev/audio/audio.c, whose direct kern_malloc() calls install-shim
mends) gets the shim's edits replayed on its pristine text in 0001, and
its conversion after them.  So `git am OUT/series/*.patch` (or `patch
-p1` in the series' order) on the tree convert read gives exactly what
`convert --in-place` and then `install-shim` give (tests/test_series.py;
README: the series).
"""

from __future__ import annotations

import os
import re
import textwrap
import time
from collections import defaultdict
from dataclasses import dataclass, field

from . import report

AUTHOR = "kmem2malloc <kmem2malloc@localhost>"
SERIES = "series"
WIDTH = 72          # a commit message's lines
# install-shim's warning about a module's type (shim.plan)
_UNDETACHED = re.compile(r"(\w+) is defined in \S+, part of loadable module (\S+), and nothing")


@dataclass
class Step:
    """One commit: its message and {file: (text before, text after)}
    (before None: a new file)."""
    subject: str
    body: str
    files: dict = field(default_factory=dict)


def slug(subject: str) -> str:
    """git format-patch's file name part of a subject."""
    s = re.sub(r"[^A-Za-z0-9.]+", "-", subject).strip("-.")
    return s[:52].rstrip("-.")


def mbox(step: Step, n: int, total: int, date: str) -> str:
    """The step as one `git format-patch` mail: git am takes the author,
    date, subject (without "[PATCH n/m]") and message from it."""
    diffs = "".join(report.git_diff(rel, old, new)
                    for rel, (old, new) in sorted(step.files.items()))
    width = len(str(total))
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"From: {AUTHOR}\nDate: {date}\n"
            f"Subject: [PATCH {n:0{width}d}/{total}] {step.subject}\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            f"{step.body.rstrip()}\n---\n {len(step.files)} file"
            f"{'' if len(step.files) == 1 else 's'} changed\n\n{diffs}")


def write(outdir: str, steps: list[Step]) -> list[str]:
    """OUT/series/NNNN-subject.patch for each step and OUT/series/series,
    their names in order; the patches of an earlier run are removed.
    Returns the patch paths."""
    sdir = os.path.join(outdir, "series")
    os.makedirs(sdir, exist_ok=True)
    for f in os.listdir(sdir):
        if f.endswith(".patch") or f == SERIES:
            os.unlink(os.path.join(sdir, f))
    # SOURCE_DATE_EPOCH (reproducible-builds.org) makes two runs' series
    # byte-identical; else the patches carry the time they were made
    when = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0) or None
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
    names = []
    for n, step in enumerate(steps, 1):
        name = f"{n:04d}-{slug(step.subject)}.patch"
        with open(os.path.join(sdir, name), "w", encoding="utf-8",
                  errors="surrogateescape") as fp:
            fp.write(mbox(step, n, len(steps), date))
        names.append(name)
    with open(os.path.join(sdir, SERIES), "w") as fp:
        fp.write("# Apply in this order, in the tree convert read, one commit each:\n"
                 "#   git am series/*.patch        (git am --keep-cr if a file has CRLF)\n"
                 "#   or: for p in $(grep -v '^#' series/series); do "
                 "patch -p1 < series/$p; done\n"
                 "# 0001 is malloc(9) (install-shim): it must come first.\n")
        fp.write("".join(n + "\n" for n in names))
    return [os.path.join(sdir, n) for n in names]


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent,
                         subsequent_indent=" " * len(indent), break_on_hyphens=False,
                         break_long_words=False)


# The first commit's subject and what it is for: convert's (the shim
# itself), and retag's (on a shimmed tree: the types its commits name).
SHIM_INTRO = ("malloc(9): real malloc types; free(9) takes the size too",
              "Give malloc(9) real malloc types again, with per-CPU accounting, "
              "so that vmstat -m can say which subsystem holds or leaks memory, "
              "and let free(9) take the size too: free(p, type) as today, or "
              "OpenBSD's free(p, type, size), whose size is checked under "
              "DIAGNOSTIC as kmem_free's is.  The kmem(9) users converted in "
              "the commits after this one call that form and name the types "
              "declared here, so this one comes first; on its own it changes "
              "no caller's meaning.")
RETAG_INTRO = ("malloc(9): the types of the legacy callers retyped after this",
               "Declare and define the malloc types that the commits after this "
               "one give to legacy malloc(9) callers of M_DEVBUF and M_TEMP "
               "(install-shim's type lists over the retyped tree), so this one "
               "comes first; on its own it changes no caller's meaning.")


def shim_step(edits, pristine: dict[str, str], lines: list[str],
              intro: tuple[str, str] = SHIM_INTRO) -> tuple[Step, dict]:
    """The malloc(9) commit: every change of install-shim's edits (shim.Edits,
    planned over the converted texts), a file that the conversion changes
    too given the shim's edits of its pristine text (pristine: {file: text
    convert read}); intro: its subject and first paragraph.  Returns the
    step and the texts it leaves in the converted files it touches."""
    files, left, why = {}, {}, {}
    for rel, orig, new, whys in edits.changed():
        if rel in pristine:
            new = edits.replay(rel, pristine[rel])
            orig = pristine[rel]
            left[rel] = new
        if new != orig:
            files[rel] = (orig, new)
            why[rel] = "; ".join(dict.fromkeys(whys))
    summary = [x for x in lines if " malloc types declared in " in x]
    warnings = [x.split("warning: ", 1)[1] for x in lines if "warning: " in x]
    modules = [m.groups() for m in map(_UNDETACHED.match, warnings) if m]
    warnings = [w for w in warnings if not _UNDETACHED.match(w)]
    if modules:         # one line for all: each is the same advice
        warnings.append(f"{len(modules)} types defined in loadable modules are never "
                        "passed to malloc_type_detach(): each module's modcmd should "
                        "attach them on MODULE_CMD_INIT and detach them on "
                        "MODULE_CMD_FINI: " + ", ".join(f"{t} ({mod})" for t, mod in modules))
    body = [_wrap(intro[1]), ""]
    if summary:
        said = summary[0].replace("install-shim: ", "")
        body += [_wrap(said[0].upper() + said[1:] + "."), ""]
    body += [_wrap(f"{rel}{' (new)' if files[rel][0] is None else ''}: {why[rel]}.", "- ")
             for rel in sorted(files)]
    if warnings:
        body += ["", "To know (install-shim's warnings):"]
        body += [_wrap(w, "- ") for w in warnings[:20]]
        if len(warnings) > 20:
            body.append(f"- ... and {len(warnings) - 20} more (install-shim prints them).")
    body += ["", "Generated by kmem2malloc install-shim."]
    return Step(intro[0], "\n".join(body), files), left


def units(results, groups: list[list[str]]) -> list[list]:
    """The conversion commits: one per commit group, one per driver
    diff outside them, in the order of their first diff's name; each a
    list of FileResults."""
    by_diff = defaultdict(list)
    for r in results:
        if r.new != r.old:
            by_diff[report.diff_name(r.driver)].append(r)
    grouped = {d for g in groups for d in g}
    out = [sorted(g) for g in groups if any(d in by_diff for d in g)]
    out += [[d] for d in by_diff if d not in grouped]
    return [[r for d in u for r in by_diff.get(d, ())] for u in sorted(out)]


def _name(driver: str) -> str:
    """A driver as a commit's subsystem: its config attribute, or the
    directory of files in no config group."""
    return driver[4:] if driver.startswith("dir:") else driver


def convert_step(unit, state: dict, final: dict, tags: dict, options: dict) -> Step:
    """One conversion commit: unit's files from state (what the series has
    made of them so far) to final; tags {M_FOO: TagMap tag}."""
    drivers = list(dict.fromkeys(_name(r.driver) for r in unit))
    types = sorted({d.tag for r in unit for d in r.decisions if d.tag})
    named = ", ".join(drivers[:4]) + (f" and {len(drivers) - 4} more" if len(drivers) > 4 else "")
    shown = ", ".join(types[:2]) + (", ..." if len(types) > 2 else "")
    subject = f"{named}: use malloc(9) with {shown} instead of kmem(9)"
    described = [f"{t} (\"{tags[t].short}\")" if t in tags else t for t in types]
    body = [_wrap("Allocate with malloc(9) and a malloc type instead of kmem(9), "
                  "so that vmstat -m says what this code holds: "
                  + ", ".join(described) + "."), ""]
    if len(drivers) > 1:
        body += [_wrap("Memory one of " + ", ".join(drivers) + " allocates is "
                       "released by another, so they change in one commit."), ""]
    if options.get("sized_free", True):
        body += [_wrap("free(p, type, size) keeps kmem_free's size, which malloc(9) "
                       "checks under DIAGNOSTIC as kmem(9) does."), ""]
    notes = []
    for r in unit:
        conv = [d for d in r.decisions if d.tag]
        kept = [d for d in r.decisions if not d.tag and d.paired_by != "allocator"]
        line = f"{r.path}: " + (f"{len(conv)} of {len(conv) + len(kept)} kmem(9) calls "
                                f"converted, {len(kept)} kept" if kept else
                                f"{len(conv)} kmem(9) call{'s' * (len(conv) != 1)} converted")
        body.append(_wrap(line, "- "))
        notes += [f"{r.path}:{d.site.line} {d.site.callee}() kept: {d.reason}" for d in kept]
        notes += [f"{r.path}:{f.line} {f.kind}: {f.message}" for f in r.findings]
    if notes:
        body += ["", "To know (report.md has the details):"]
        body += [_wrap(n, "- ") for n in notes[:25]]
        if len(notes) > 25:
            body.append(f"- ... and {len(notes) - 25} more in report.md.")
    body += ["", "Needs the malloc(9) commit first.  Generated by kmem2malloc convert."]
    files = {r.path: (state[r.path], final[r.path]) for r in unit
             if state[r.path] != final[r.path]}
    return Step(subject, "\n".join(body), files)


def build(tree, tagmap, results, groups, options, log=print, step=convert_step,
          intro: tuple[str, str] = SHIM_INTRO) -> list[Step]:
    """The series for convert's results: the shim commit (install-shim
    planned over the converted tree, so that its generated type lists are
    the final ones), then the conversions (step: their commits; retag
    gives its own).  Applied in order to the tree convert read, they give
    what --in-place and install-shim give."""
    from .kernel import shim
    changed = [r for r in results if r.new != r.old]
    pristine = {r.path: r.old for r in changed}
    converted = {r.path: r.new for r in changed}
    lines: list[str] = []
    edits, _status = shim.plan(tree, tagmap, lines.append, base=converted)
    first, left = shim_step(edits, pristine, lines, intro)
    state = dict(pristine, **left)
    final = {rel: edits.read(rel) for rel in converted}
    steps = [first] if first.files else []
    for unit in units(results, groups):
        commit = step(unit, state, final, tagmap.tags, options)
        if commit.files:
            steps.append(commit)
            state.update({rel: new for rel, (_, new) in commit.files.items()})
    assert all(state[rel] == final[rel] for rel in final), "the series does not add up"
    if any("\r\n" in t for _, t in (v for s in steps for v in s.files.values())):
        log("kmem2malloc: a file of the series has CRLF line ends: apply it with "
            "git am --keep-cr")
    return steps
