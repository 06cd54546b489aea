"""Edits spatch cannot make, done on the text itself, lines kept.

- Code under `#if 0` is invisible to spatch.  It is not compiled, but it is
  still read and re-enabled, so a pair must not be half converted there:
  those sites are rewritten here, exactly as kmem_calls.cocci would.
- A `#define` whose body calls printf without parentheses
  (`#define DPRINTF(x) printf x`, the BSD idiom) makes spatch believe
  printf is a type and lose every function that calls printf.  Such
  definitions are hidden in a comment while spatch runs and put back after.
"""

from __future__ import annotations

import re

from . import cscan
from .flags import translate

_BARE_CALL = re.compile(r"\b(printf|log|addlog|aprint_\w+|device_printf|db_printf)"
                        r"\s+[A-Za-z_(]")
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define\b(?:[^\n]*\\\n)*[^\n]*", re.M)
_MARK = "/*k2m-hidden-%d*/"


def rewrite_sites(text: str, sites: list[tuple[cscan.Site, str]]) -> str:
    """Rewrite (site, tag) calls in text; the first argument stays as written."""
    stripped = cscan.strip(text)
    edits = []
    for s, tag in sites:
        openp = stripped.index("(", s.offset)
        close = cscan.match_paren(stripped, openp) - 1
        depth, comma = 0, None
        for i in range(openp + 1, close):
            c = stripped[i]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c == "," and depth == 0:
                comma = i
        last = text[comma + 1:close]
        lead = last[:len(last) - len(last.lstrip())]
        if s.role == "free":
            new = lead + tag
            name = "free"
        else:
            new = lead + tag + ", " + translate(s.callee, s.args[1])
            name = "malloc"
        edits.append((comma + 1, close, new))
        edits.append((s.offset, s.offset + len(s.callee), name))
    for a, b, new in sorted(edits, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def hide_defines(text: str) -> tuple[str, list[str]]:
    """Hide the #defines that confuse spatch; return text and what was hidden."""
    hidden: list[str] = []

    def repl(m: re.Match) -> str:
        body = m.group(0)
        if not _BARE_CALL.search(body):
            return body
        hidden.append(body)
        return _MARK % (len(hidden) - 1) + "\n" * body.count("\n")
    return _DEFINE.sub(repl, text), hidden


def restore_defines(text: str, hidden: list[str]) -> str:
    for i, body in enumerate(hidden):
        mark = _MARK % i
        at = text.index(mark)
        end = at + len(mark) + body.count("\n")
        text = text[:at] + body + text[end:]
    return text
