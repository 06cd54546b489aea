"""Put spatch's continuation lines into NetBSD style(9).

spatch breaks a long rewritten line and aligns the continuation under the
opening parenthesis (Linux style).  NetBSD indents a continuation by the
statement's indent plus four spaces, and does not break a line that fits
in 80 columns.  Only statements spatch rewrote (a malloc or free call on
a line the input did not have) are touched; every other line stays byte
for byte.
"""

from __future__ import annotations

import re

_ENDS = re.compile(r"([;{}:]|\*/|\)\s*\\?)\s*$|^\s*(#|$)")
_CALL = re.compile(r"\b(malloc|free)\s*\(")
WIDTH = 80


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def _width(line: str) -> int:
    return len(line.rstrip("\n").expandtabs(8))


def _fix(stmt: list[str]) -> list[str]:
    """Join continuation lines that fit; indent the rest by four spaces."""
    out = [stmt[0]]
    cont = _indent(stmt[0]) + "    "
    for line in stmt[1:]:
        body = line.lstrip(" \t")
        joined = out[-1].rstrip("\n").rstrip() + " " + body
        if _width(joined) <= WIDTH:
            out[-1] = joined
        else:
            out.append(cont + body)
    return out


def restyle(old: str, new: str) -> str:
    seen = set(old.splitlines(keepends=True))
    lines = new.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        prev_ends = i == 0 or _ENDS.search(lines[i - 1].rstrip("\n")) \
            or not lines[i - 1].strip()
        if line in seen or not prev_ends or not _CALL.search(line) \
                or line.lstrip().startswith("#"):
            out.append(line)
            i += 1
            continue
        j = i
        while j < len(lines) - 1 and not _ENDS.search(lines[j].rstrip("\n")) \
                and lines[j + 1] not in seen:
            j += 1
        out.extend(_fix(lines[i:j + 1]))
        i = j + 1
    return "".join(out)
