"""Which lines changed between two versions of a file: the one place.

difflib's SequenceMatcher, with one repair.  On 200 lines or more, its
"autojunk" heuristic treats a line as common as `}` as noise, so a `}`
between or next to two changes is shown removed and added again.  Each
replaced block is short, so it is diffed again on its own, where no line
is junk.  (Turning the heuristic off for the whole file is many times
slower on big files.)
"""

from __future__ import annotations

import difflib


def lines(text: str) -> list[str]:
    """text's lines, each with its newline: split at \\n only, as diff and
    patch do (str.splitlines also splits at form feeds, which old BSD
    sources have between functions, and at other control characters)."""
    out = [line + "\n" for line in text.split("\n")]
    out[-1] = out[-1][:-1]
    return out if out[-1] else out[:-1]


def matcher(a: list[str], b: list[str]) -> difflib.SequenceMatcher:
    """SequenceMatcher(None, a, b), its opcodes repaired as above (its
    get_opcodes() and get_grouped_opcodes() use them)."""
    m = difflib.SequenceMatcher(None, a, b)
    out = []
    for tag, i1, i2, j1, j2 in m.get_opcodes():
        if tag == "replace" and i2 - i1 < 200 and j2 - j1 < 200:
            sub = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2]).get_opcodes()
            out += [(t, i1 + x1, i1 + x2, j1 + y1, j1 + y2)
                    for t, x1, x2, y1, y2 in sub]
        else:
            out.append((tag, i1, i2, j1, j2))
    # what get_opcodes() returns from now on (its cache, which typeshed
    # does not declare)
    m.opcodes = out             # type: ignore[attr-defined]
    return m
