"""The check of the rewrite: cocci/'s rules run over the same plan, and
their output compared with textual.rewrite's, file by file.

convert writes the text rewrite (textual.py).  The same plan goes to
spatch as marked calls (textual.spatch_input), cocci/kmem_calls.cocci and
kmem_helpers.cocci rewrite them, and the two results must be the same
text once restyle.py has put each in style(9) (spatch writes a space
after a cast; the text keeps the input's).  A difference is a bug in one
of the two definitions of the rewrite: a `spatch-differs` finding at the
line, and convert exits 1.  A call spatch leaves marked (it could not
parse the function) is not compared: a `not-checked` finding; the rest
of the file still is.  A file spatch fails on is not compared at all: a
`spatch-error` finding.  Sites under `#if 0` and in #define bodies are
rewritten by text in spatch's input too, so never compared (spatch does
not see them).

spatch's output for a file is kept in convert's fact cache, keyed by its
input (the file with its plan marked), the forms, cocci/'s rules and the
spatch program: a second convert of a tree checks again only what
changed, and a changed rule or spatch checks everything again.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from dataclasses import dataclass, field

from .. import findings
from ..c import cscan
from . import linediff, spatch, textual
from ..c.factcache import FactCache
from ..findings import Finding
from .restyle import restyle

Planned = list[tuple[cscan.Site, str]]      # a file's (site, malloc type)


@dataclass
class Outcome:
    """What the check found, per file and in all."""
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    compared: int = 0       # sites spatch rewrote as the text did
    not_checked: int = 0    # sites spatch left, or in a file it failed on

    def add(self, path: str, f: Finding) -> None:
        self.findings.setdefault(path, []).append(f)

    @property
    def failed(self) -> bool:
        """A difference found, or a file not compared for a spatch error."""
        return any(f.kind in ("spatch-differs", "spatch-error")
                   for fs in self.findings.values() for f in fs)


def run(texts: dict[str, str], planned: dict[str, Planned],
        funcs: dict[str, list[cscan.Function]], workdir: str, jobs: int,
        hosts: str | None, timeout: int, forms: textual.Forms,
        cache: FactCache = FactCache(None)) -> Outcome:
    """Check the text rewrite of each file of planned (texts: the
    inputs; funcs: their functions, for body elision) with spatch."""
    inputs = {}
    for p, sites in planned.items():
        inp = textual.spatch_input(texts[p], sites, funcs[p], forms)
        if inp is not None:
            inputs[p] = inp
    keys = {p: cache.key("spatch", _setup(), " ".join(forms.virtuals()), i.text)
            for p, i in inputs.items()}
    kept = {p: cache.get(keys[p], str) for p in inputs}
    res = spatch.run({p: i.text for p, i in inputs.items() if kept[p] is None}, workdir,
                     jobs, hosts, timeout, forms.virtuals(),
                     unfinished=textual.SITE_MARK + "kmem_")
    for p, text in res.outputs.items():
        if p not in res.failed:
            cache.put(keys[p], text)
    res.outputs.update({p: t for p, t in kept.items() if t is not None})
    out = Outcome()
    for p in sorted(inputs):
        code = [(s, t) for s, t in planned[p] if s.context == cscan.Context.CODE]
        if p in res.failed:
            out.add(p, findings.spatch_error(p, res.failed[p]))
            out.not_checked += len(code)
            continue
        compare(p, texts[p], planned[p], inputs[p], res.outputs[p], forms, out)
    return out


@functools.lru_cache(maxsize=None)
def _setup() -> str:
    """What else spatch's output depends on: cocci/'s rules and macro
    file, and the spatch program (its path, size and time)."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(spatch.COCCI_DIR)):
        with open(os.path.join(spatch.COCCI_DIR, name), "rb") as fp:
            h.update(name.encode() + b"\0" + fp.read())
    prog = shutil.which("spatch")
    if prog is not None:
        st = os.stat(prog)
        h.update(f"{os.path.realpath(prog)} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()


def compare(path: str, text: str, sites: Planned, inp: textual.SpatchInput, spatched: str,
            forms: textual.Forms, out: Outcome) -> None:
    """Compare spatch's output for inp (text's sites marked) with the
    text rewrite of the same sites; add to out what it finds."""
    code = [(s, t) for s, t in sites if s.context == cscan.Context.CODE]
    try:
        got = textual.spatch_output(inp, spatched)
        left = set(textual.left_marks(got))
        got = textual.unmark(got)
    except ValueError as e:
        out.add(path, findings.spatch_differs(path, 1, str(e)))
        return
    skipped = {id(s): s for s, _ in code if (s.line, s.callee) in left}
    out.not_checked += len(skipped)
    out.compared += len(code) - len(skipped)
    for s in skipped.values():
        out.add(path, findings.not_checked(path, s.line, s.func))
    want = textual.rewrite(text, [(s, t) for s, t in sites if id(s) not in skipped], forms)
    if got == want or restyle(text, got) == restyle(text, want):
        return
    for line, what in differences(want, got):
        out.add(path, findings.spatch_differs(path, line, what))


def differences(want: str, got: str) -> list[tuple[int, str]]:
    """(line of want, what) for each block of lines got has otherwise."""
    a, b = linediff.lines(want), linediff.lines(got)
    out = []
    for tag, i1, i2, j1, j2 in linediff.matcher(a, b).get_opcodes():
        if tag != "equal":
            text = " ".join(a[i1:i2]).strip() or "(nothing)"
            spatch_ = " ".join(b[j1:j2]).strip() or "(nothing)"
            out.append((i1 + 1, f"the text rewrite has `{_cut(text)}`, spatch "
                        f"`{_cut(spatch_)}`"))
    return out


def _cut(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 3] + "..."
