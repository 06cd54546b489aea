"""Brackets: the one bracket matcher and top-level splitter of the package.

The text is stripped code (cscan.strip: no comments, string or character
literals), so every bracket counts.  The kinds a caller asks for are one
depth, not checked against each other ("([{": a `)` closes a `[` as well):
a stray bracket under one branch of an #if then costs the rest of the
group, never an exception.  Depth is counted from where a scan starts;
a separator counts at depth 0 only (a stray closer makes it negative).
"""

from __future__ import annotations

import re

ALL = "([{"
_CLOSER = {"(": ")", "[": "]", "{": "}"}
_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(kinds: str, sep: str = "") -> re.Pattern[str]:
    """The brackets of kinds, both ways, and sep."""
    p = _PATTERNS.get(kinds + sep)
    if p is None:
        chars = kinds + "".join(_CLOSER[c] for c in kinds) + sep
        p = _PATTERNS[kinds + sep] = re.compile("[" + re.escape(chars) + "]")
    return p


def partner(s: str, i: int, kinds: str = ALL) -> int | None:
    """s[i] opens a bracket: the offset of its partner (None: none)."""
    depth = 0
    for m in _pattern(kinds).finditer(s, i):
        if m.group() in kinds:
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.start()
    return None


def match(s: str, i: int, kinds: str = ALL) -> int:
    """s[i] opens a bracket: the offset after its partner (len(s): none)."""
    p = partner(s, i, kinds)
    return len(s) if p is None else p + 1


def opening(s: str, i: int, kinds: str = ALL) -> int:
    """s[i] closes a bracket: the offset of its partner, searching back
    (-1: none)."""
    closers = {_CLOSER[c] for c in kinds}
    depth = 0
    for k in range(i, -1, -1):
        c = s[k]
        if c in closers:
            depth += 1
        elif c in kinds:
            depth -= 1
            if depth == 0:
                return k
    return -1


def unclosed(s: str, kinds: str = ALL) -> int:
    """The offset of the first bracket in s that closes one s did not
    open (len(s): none): where an expression that began inside a bracket
    ends (`(p = f(x)) != NULL`: p's value is f(x))."""
    depth = 0
    for m in _pattern(kinds).finditer(s):
        if m.group() in kinds:
            depth += 1
        elif depth == 0:
            return m.start()
        else:
            depth -= 1
    return len(s)


def top_level(s: str, sep: str, start: int = 0, end: int | None = None,
              kinds: str = ALL) -> list[int]:
    """The offsets of sep (one character) in s[start:end] outside brackets."""
    out: list[int] = []
    depth = 0
    for m in _pattern(kinds, sep).finditer(s, start, len(s) if end is None else end):
        c = m.group()
        if c == sep:
            if depth == 0:
                out.append(m.start())
        elif c in kinds:
            depth += 1
        else:
            depth -= 1
    return out


def split(s: str, sep: str, kinds: str = ALL) -> list[str]:
    """s split at sep outside brackets (the pieces as they are)."""
    cuts = top_level(s, sep, kinds=kinds)
    return [s[a + 1:b] for a, b in zip([-1] + cuts, cuts + [len(s)])]


def arg_commas(s: str, i: int) -> tuple[list[int], int]:
    """s[i] is the '(' of a call: the offsets of the commas between its
    arguments, and of its ')' (len(s): none)."""
    close = partner(s, i)
    if close is None:
        close = len(s)
    return top_level(s, ",", i + 1, close), close


def split_args(s: str) -> list[str]:
    """Top-level comma split of an argument list (without the parens),
    each argument stripped; [] for none."""
    if _pattern(ALL).search(s) is None:       # the common case, fast
        args = [a.strip() for a in s.split(",")]
        return args if len(args) > 1 or args[0] else []
    commas, _ = arg_commas("(" + s + ")", 0)   # offsets in s are one less
    starts = [0] + commas
    ends = [c - 1 for c in commas] + [len(s)]
    return [s[a:b].strip() for a, b in zip(starts, ends)]
