"""Put spatch's continuation lines into NetBSD style(9).

spatch breaks a long rewritten line and aligns the continuation under the
opening parenthesis (Linux style).  NetBSD indents a continuation by the
statement's indent plus four spaces, and does not break a line that fits
in 80 columns.  Only statements spatch rewrote are touched; everything
else stays byte for byte.
"""

from __future__ import annotations

import difflib
import re

_ENDS = re.compile(r"([;{}:]|\*/|\)\s*\\?)\s*$|^\s*(#|$)")
WIDTH = 80


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def _width(line: str) -> int:
    return len(line.rstrip("\n").expandtabs(8))


def _statement_lines(block: list[str]) -> list[list[str]]:
    """Split rewritten lines into statements (a line ending in ; { } or
    a closing parenthesis ends one)."""
    out, cur = [], []
    for line in block:
        cur.append(line)
        if _ENDS.search(line.rstrip("\n")):
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _fix(stmt: list[str]) -> list[str]:
    if len(stmt) < 2:
        return stmt
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
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    out: list[str] = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, _i1, _i2, j1, j2 in sm.get_opcodes():
        block = b[j1:j2]
        if op in ("replace", "insert") and (j1 == 0 or _ENDS.search(b[j1 - 1].rstrip("\n"))
                                           or not b[j1 - 1].strip()):
            for stmt in _statement_lines(block):
                out.extend(_fix(stmt) if _is_call_stmt(stmt) else stmt)
        else:
            out.extend(block)
    return "".join(out)


_CALL = re.compile(r"\b(malloc|free)\s*\(")


def _is_call_stmt(stmt: list[str]) -> bool:
    return bool(_CALL.search(stmt[0])) and not stmt[0].lstrip().startswith("#")
