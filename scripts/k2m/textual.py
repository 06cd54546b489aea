"""Edits spatch cannot make, done on the text itself, lines kept.

- Code under `#if 0` is invisible to spatch.  It is not compiled, but it is
  still read and re-enabled, so a pair must not be half converted there:
  those sites are rewritten here, exactly as kmem_calls.cocci would.
- A `#define` whose body calls printf without parentheses
  (`#define DPRINTF(x) printf x`, the BSD idiom) makes spatch believe
  printf is a type and lose every function that calls printf.  Such
  definitions are hidden in a comment while spatch runs and put back after.
- spatch's time goes into parsing every function of a file, but only the
  functions with a call to rewrite need it.  The other bodies are elided
  while spatch runs (a marker comment and as many newlines, so lines keep
  their numbers) and put back byte for byte after.  A body with a
  preprocessor line is never elided: its #if may not close inside it.
"""

from __future__ import annotations

import re

from . import cscan
from .flags import translate

_BARE_CALL = re.compile(r"\b(printf|log|addlog|aprint_\w+|device_printf|db_printf)"
                        r"\s+[A-Za-z_(]")
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define\b(?:[^\n]*\\\n)*[^\n]*", re.M)
_MARK = "/*k2m-hidden-%d*/"
_BODY_MARK = "/*k2m-body-%d*/"
_DIRECTIVE = re.compile(r"^[ \t]*#", re.M)


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


def hide_bodies(text: str, lines: set[int],
                funcs: list[cscan.Function] | None = None) -> tuple[str, list[str]]:
    """Elide the bodies of functions with none of lines in them; funcs are
    text's functions if known (cscan offsets).  Returns text and bodies."""
    if funcs is None:
        funcs = cscan._functions(cscan._preprocess(cscan.strip(text))[0])
    hidden: list[str] = []
    edits = []
    for f in funcs:
        body = text[f.start + 1:f.end - 1]
        last = f.line + body.count("\n")
        if any(f.line <= n <= last for n in lines) or _DIRECTIVE.search(body):
            continue
        edits.append((f.start + 1, f.end - 1, _BODY_MARK % len(hidden)
                      + "\n" * body.count("\n")))
        hidden.append(body)
    for a, b, new in reversed(edits):
        text = text[:a] + new + text[b:]
    return text, hidden


def restore_bodies(text: str, hidden: list[str]) -> str:
    """Put back what hide_bodies() elided; ValueError if spatch moved it."""
    parts = []
    pos = 0
    for i, body in enumerate(hidden):
        mark = _BODY_MARK % i + "\n" * body.count("\n")
        at = text.index(mark, pos)
        parts += [text[pos:at], body]
        pos = at + len(mark)
    parts.append(text[pos:])
    return "".join(parts)
