"""Running spatch: the one place that does (for convert's check of its
rewrite, spatchcheck.py).

The rules of cocci/ reach spatch as one semantic patch per set of rules a
file needs: a rule that renames a marked call (textual.SITE_MARK) is given
only to the files with such a call (every rule costs spatch a match over
every function it is given, and most files call two or three of kmem's
ten functions: on NetBSD-current's sys, the rules a file cannot use were
a third of spatch's time).  The rules are plain SmPL: the plan is in the
text spatch reads (textual.site_edits marks the planned calls), so spatch
starts no Python (an embedded interpreter costs 0.2 s to 1 s per process)
and needs no position script.  The files are dealt into a few bins of
about equal size (two per job) and GNU parallel starts one spatch per bin,
rewriting copies in the work directory in place.  A bin is a --file-groups
list with each file its own group: given several files as arguments,
spatch treats them as one program and gets much slower; one process per
file would pay its start-up every time.  A bin that fails is re-run file
by file, so an error is always pinned on the file that caused it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from .textual import SITE_MARK

COCCI_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), "cocci")
RULE_FILES = ("kmem_calls.cocci", "kmem_helpers.cocci")
# how we run it; what the rules need is in their "// Options:" lines
RUN_OPTS = ["--very-quiet", "--no-show-diff", "--in-place"]
_PATH_OPTS = ("--macro-file", "--macro-file-builtins", "--iso-file")
_RULE_HEAD = re.compile(r"^@\s*(\w+)[^@\n]*@[ \t]*$", re.M)
_MARKED = re.compile(r"\b" + SITE_MARK + r"\w+")
# a set of rules fewer files need than this is not given a spatch of its
# own: those files share one with the rules any of them needs
_FEW = 16


@dataclass(frozen=True)
class Rule:
    name: str
    text: str                       # from its @name@ line to the next rule
    calls: frozenset                # the marked calls it rewrites; empty: any file


def rules() -> list[Rule]:
    """The rules of RULE_FILES, in order."""
    out = []
    for name in RULE_FILES:
        with open(os.path.join(COCCI_DIR, name)) as fp:
            text = fp.read()
        heads = list(_RULE_HEAD.finditer(text))
        for h, nxt in zip(heads, heads[1:] + [None]):
            body = text[h.start():nxt.start() if nxt else len(text)]
            out.append(Rule(h.group(1), body.rstrip("\n") + "\n",
                            frozenset(_MARKED.findall(body))))
    return out


def rules_for(text: str, every: list[Rule]) -> tuple[str, ...]:
    """The names of the rules of every that a file of this text needs."""
    calls = set(_MARKED.findall(text))
    return tuple(r.name for r in every if (not r.calls or r.calls & calls))


def semantic_patch(workdir: str, names: tuple[str, ...], every: list[Rule], n: int) -> str:
    """Write the rules names (of every) as the semantic patch number n in
    workdir, after every `virtual` the rule files declare (spatch -D
    needs them declared, whichever rules are left); return its path."""
    virtuals = []
    for name in RULE_FILES:
        with open(os.path.join(COCCI_DIR, name)) as fp:
            virtuals += [line for line in fp
                         if line.startswith("virtual ") and line not in virtuals]
    out = os.path.join(workdir, f"kmem2malloc-{n}.cocci")
    with open(out, "w") as fp:
        fp.write("".join(virtuals) + "\n")
        fp.write("\n".join(r.text for r in every if r.name in names))
    return out


def rule_sets(needs: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """{file: the rules its spatch gets}: what it needs, or, where fewer
    than _FEW files need the same, the rules any such file needs."""
    count: dict[tuple[str, ...], int] = {}
    for names in needs.values():
        count[names] = count.get(names, 0) + 1
    few = {f for f, names in needs.items() if count[names] < _FEW}
    rest = tuple(sorted({r for f in few for r in needs[f]}))    # in any order
    return {f: rest if f in few else names for f, names in needs.items()}


class SpatchError(Exception):
    pass


@dataclass
class Result:
    failed: dict[str, str]          # file -> what spatch said
    outputs: dict[str, str]         # file -> rewritten text


def rule_options() -> list[str]:
    """The "// Options:" lines of the rule files (as Linux's coccicheck
    reads them), a relative file name in them taken to be in cocci/."""
    opts: list[str] = []
    for name in RULE_FILES:
        with open(os.path.join(COCCI_DIR, name)) as fp:
            for line in fp:
                if line.startswith("// Options:"):
                    words = shlex.split(line.split(":", 1)[1])
                    if " ".join(words) not in " ".join(opts):   # the same in each file
                        opts += words
    for i, o in enumerate(opts[:-1]):
        if o in _PATH_OPTS and not os.path.isabs(opts[i + 1]):
            opts[i + 1] = os.path.join(COCCI_DIR, opts[i + 1])
    return opts


def check_tools() -> None:
    for tool in ("spatch", "parallel"):
        if shutil.which(tool) is None:
            raise SpatchError(f"'{tool}' not found: run 'make deps' "
                              "(installs coccinelle and parallel)")


def _parallel(args: list[str], items: list[tuple[str, str]], workdir: str, jobs: int,
              hosts: str | None, tag: str) -> dict[int, tuple[int, str]]:
    """Run `spatch --sp-file SP args ITEM` for each (SP, ITEM) of items, in
    workdir; {seq: (exit, stderr)}."""
    listfile = os.path.join(workdir, f"items-{tag}.txt")
    with open(listfile, "w") as fp:
        fp.write("".join(f"{sp}\t{item}\n" for sp, item in items))
    errdir = os.path.join(workdir, f"err-{tag}")
    os.makedirs(errdir, exist_ok=True)
    joblog = os.path.join(workdir, f"joblog-{tag}")
    cmd = ["parallel", "--will-cite", "-j", str(jobs),
           "--joblog", joblog, "--colsep", "\t", "-a", listfile]
    if hosts:
        cmd += ["--sshloginfile", hosts, "--workdir", workdir]
    if sys.stderr.isatty():
        cmd.append("--bar")
    # GNU parallel runs this line in a POSIX shell (here or over ssh)
    line = " ".join(shlex.quote(a) for a in args)
    cmd.append(f"spatch --sp-file {{1}} {line} {{2}} 2> {shlex.quote(errdir)}/{{#}}")
    proc = subprocess.run(cmd, cwd=workdir)
    if proc.returncode in (-2, 130):
        raise KeyboardInterrupt
    if proc.returncode < 0 or proc.returncode > 101:
        raise SpatchError(f"GNU parallel failed (exit status {proc.returncode})")
    results = {}
    with open(joblog) as fp:
        next(fp, None)
        for line in fp:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 9:
                continue
            seq, rc = int(cols[0]), int(cols[6])
            sig = int(cols[7])
            try:
                with open(os.path.join(errdir, str(seq))) as ef:
                    err = ef.read()
            except OSError:
                # the shell that runs the command makes this file first: a
                # job without it never ran spatch (a remote login without
                # $SHELL makes GNU parallel's wrapper do nothing, exit 0)
                rc, err = 255, f"the command did not run on {cols[1].strip()}"
            results[seq] = (rc if not sig else 128 + sig, err)
    return results


def run(inputs: dict[str, str], workdir: str, jobs: int,
        hosts: str | None = None, timeout: int = 120, virtuals: Sequence[str] = (),
        unfinished: str | None = None) -> Result:
    """Write each {tree-relative path: text} under workdir, rewrite the
    copies in place; Result.outputs has the new texts.  virtuals: the
    virtual rules to set (-D: the forms convert writes).  unfinished: a
    text that, left in an output, says spatch did not do all it was
    asked there: such a file is run again, alone (in a file group
    spatch's parse of one file can depend on the others: NetBSD-current's
    isa/fd.c came out unconverted in a group of sys/ and converted alone,
    so that a second convert changed it)."""
    check_tools()
    workdir = os.path.abspath(workdir)
    files = sorted(inputs)
    _write(workdir, inputs, files)
    args = ["--timeout", str(timeout)] + RUN_OPTS + rule_options()
    for v in virtuals:
        args += ["-D", v]
    failed: dict[str, str] = {}
    if not files:
        return Result(failed, {})
    every = rules()
    needs = rule_sets({f: rules_for(inputs[f], every) for f in files})
    sp = {names: semantic_patch(workdir, names, every, i)
          for i, names in enumerate(sorted(set(needs.values())))}

    def alone(fs: list[str]) -> list[tuple[str, str]]:
        return [(sp[needs[f]], f) for f in fs]      # each file run by itself

    bins: list[tuple[str, str, list[str]]] = []     # (semantic patch, bin list file, its files)
    for names, patch in sp.items():
        group = [f for f in files if needs[f] == names]
        share = max(1, round(jobs * 2 * len(group) / len(files)))
        bins += [(patch, b, chunk) for b, chunk in _bins(workdir, group, share, len(bins))]
    res = _parallel(args + ["--file-groups"], [(p, b) for p, b, _ in bins], workdir,
                    jobs, hosts, "all")
    retry = []
    for seq, (_, _, chunk) in enumerate(bins, 1):
        rc, err = res.get(seq, (-1, "batch did not run"))
        if rc != 0:
            retry.extend(chunk)
        else:
            for f in chunk:
                if f in err and "timeout" in err.lower():
                    failed[f] = "spatch timed out"
    if retry:
        _write(workdir, inputs, retry)
        res = _parallel(args, alone(retry), workdir, jobs, hosts, "retry")
        for seq, f in enumerate(retry, 1):
            rc, err = res.get(seq, (-1, "did not run"))
            if rc != 0:
                lines = [line for line in err.splitlines() if line.strip()]
                failed[f] = f"spatch exit {rc}: " + " / ".join(lines[-3:])
    outputs = _read(workdir, [f for f in files if f not in failed])
    again = [f for f in sorted(outputs) if unfinished and unfinished in outputs[f]
             and f not in retry]
    if again:
        _write(workdir, inputs, again)
        res = _parallel(args, alone(again), workdir, jobs, hosts, "alone")
        for seq, f in enumerate(again, 1):
            if res.get(seq, (-1, ""))[0] == 0:
                outputs.update(_read(workdir, [f]))
            else:
                _write(workdir, {f: outputs[f]}, [f])    # the group's output stands
    return Result(failed, outputs)


def _read(workdir: str, files: list[str]) -> dict[str, str]:
    out = {}
    for f in files:
        with open(os.path.join(workdir, f), encoding="utf-8", errors="surrogateescape") as fp:
            out[f] = fp.read()
    return out


def _bins(workdir: str, files: list[str], n: int, first: int = 0
          ) -> list[tuple[str, list[str]]]:
    """Deal files, largest first, into at most n bins of about equal size;
    write each as a --file-groups list, numbered from first.  [(list
    file, its files)]."""
    sizes = {f: os.path.getsize(os.path.join(workdir, f)) for f in files}
    bins: list[list[str]] = [[] for _ in range(min(n, len(files)))]
    load = [0] * len(bins)
    for f in sorted(files, key=lambda f: (-sizes[f], f)):
        i = load.index(min(load))
        bins[i].append(f)
        load[i] += sizes[f]
    out = []
    for i, chunk in enumerate(bins):
        name = f"group-{first + i}.txt"
        with open(os.path.join(workdir, name), "w") as fp:
            fp.write("".join(f + "\n\n" for f in chunk))
        out.append((name, chunk))
    return out


def _write(workdir: str, inputs: dict[str, str], files: list[str]) -> None:
    for f in files:
        dst = os.path.join(workdir, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w", encoding="utf-8", errors="surrogateescape") as fp:
            fp.write(inputs[f])
