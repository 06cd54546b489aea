"""The rewrite, done on the text itself, lines kept; and spatch's input.

- rewrite(): every planned call site becomes its malloc(9) call, as
  allocators.TABLE says (becomes, type_at, flags) and flags.translate
  writes its flags.  This is THE rewrite convert writes: the scanner that
  found the sites gives their offsets, so it reaches every one of them,
  under `#if 0`, in a `#define` body and in a function spatch cannot
  parse alike (README: convert, "one rewrite, one check").
- spatch_input(): the same plan for cocci/'s rules, which check it
  (spatchcheck.py).  Each call site in the code is marked, renamed
  k2m_<name> with its malloc type put where the malloc(9) call takes it
  (see cocci/kmem_calls.cocci); the sites spatch cannot see (under `#if
  0`, in a #define) are rewritten as above.  A mark spatch leaves (it
  could not parse the function) is found by left_marks() and taken out
  by unmark().
- spatch's time goes into parsing every function of a file, but only the
  functions with a call to rewrite need it.  The other bodies are elided
  while spatch runs (a marker comment and as many newlines, so lines keep
  their numbers) and put back byte for byte after.  A body is elided
  only when its preprocessor lines are conditionals that open and close
  inside it, each branch leaving the braces as it found them (so the
  code around it parses the same whichever branch is taken), and its
  braces balance: a `#define` in a body may be used after it.
- A `#define` whose body calls printf without parentheses
  (`#define DPRINTF(x) printf x`, the BSD idiom) makes spatch believe
  printf is a type and lose every function that calls printf; spatch also
  joins the lines of a `#define` whose name is on the next line.  Such
  definitions are hidden in a comment while spatch runs and put back after.
- `#include <sys/malloc.h>` is a line edit too (includes.py).

The edits are computed on the input text as (start, end, replacement)
triples and applied together (apply), so every offset the scanner gave
stays valid while they are collected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import allocators
from ..c import brackets, cscan
from . import flags

Edit = tuple[int, int, str]

_BARE_CALL = re.compile(r"\b(printf|log|addlog|aprint_\w+|device_printf|db_printf)"
                        r"\s+[A-Za-z_(]")
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define\b(?:[^\n]*\\\n)*[^\n]*", re.M)
# `#define \` with the name on the next line (a trick against ctags):
# spatch joins the two lines and loses the white space between them
_NAME_NEXT_LINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]*\\\n")
_MARK = "/*k2m-hidden-%d*/"
_BODY_MARK = "/*k2m-body-%d*/"
_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(\w*)(?:[^\n]*\\\n)*[^\n]*", re.M)
SITE_MARK = "k2m_"
_MARKED_CALL = re.compile(r"\bk2m_(kmem_\w+)\s*\(")


def apply(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits given in offsets of text."""
    parts = []
    pos = 0
    for a, b, new in sorted(edits):
        parts += [text[pos:a], new]
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


@dataclass(frozen=True)
class Forms:
    """Which malloc(9) forms the rewrite writes (convert's options)."""
    sized_free: bool = True         # free(p, T, n), OpenBSD's form (else free(p, T))
    intr_flag: bool = False         # kmem_intr_alloc: M_NOWAIT | M_INTR

    @property
    def free_function(self) -> str:
        """What <sys/malloc.h>'s free() calls, called by name where a
        header has taken the macro away (includes.call_free_function)."""
        return "kern_free_sized" if self.sized_free else "kern_free"

    def virtuals(self) -> list[str]:
        """The virtual rules of cocci/ that select these forms (spatch -D)."""
        return [name for name, on in (("sized_free", self.sized_free),
                                      ("intr_flag", self.intr_flag)) if on]


def _args(text: str, stripped: str, offset: int) -> tuple[list[tuple[int, int]], int]:
    """The call at offset: the (start, end) of each argument, white space
    around it left out, and the offset of its ')'."""
    openp = stripped.index("(", offset)
    commas, close = brackets.arg_commas(stripped, openp)
    spans = []
    for a, b in zip([openp] + commas, commas + [close]):
        arg = text[a + 1:b]
        lead = len(arg) - len(arg.lstrip())
        spans.append((a + 1 + lead, a + 1 + len(arg.rstrip())))
    if len(spans) == 1 and spans[0][0] >= spans[0][1]:
        spans = []                  # f()
    return spans, close


def _arg_span(text: str, stripped: str, s: cscan.Site, i: int | None) -> tuple[int, int] | None:
    """Argument i's code, without the comments around it (hfs's
    `malloc(size, /*M_HFSMNT*/ M_TEMP, M_WAITOK)`: the comment stays)."""
    spans, _ = _args(text, stripped, s.offset)
    if i is None or i >= len(spans):
        return None
    a, b = spans[i]
    code = stripped[a:b]
    return a + len(code) - len(code.lstrip()), b - len(code) + len(code.rstrip())


def type_span(text: str, stripped: str, s: cscan.Site) -> tuple[int, int] | None:
    """Where the malloc type argument of malloc(9) call s (or of a use of
    a macro whose type is its parameter) is in text (stripped:
    cscan.strip(text)), comments around it left out (hfs_subr.c's
    `/*M_HFSMNT*/ M_TEMP`: _arg_span), or None (no such argument)."""
    return _arg_span(text, stripped, s,
                     s.type_arg if s.macro else allocators.TABLE[s.callee].mtype)


def size_span(text: str, stripped: str, s: cscan.Site) -> tuple[int, int] | None:
    """Where the size argument of call s is in text, or None (it has none)."""
    return _arg_span(text, stripped, s, allocators.TABLE[s.callee].size)


def _type_edit(spans, close: int, at: int, tag: str) -> Edit:
    """Put the malloc type in as argument `at` (after the last when at is
    the argument count).  (After a comma with no space, restyle.py gives
    the type one.)"""
    if at < len(spans):
        return (spans[at][0], spans[at][0], tag + ", ")
    end = spans[-1][1] if spans else close
    return (end, end, (", " if spans else "") + tag)


def site_edits(text: str, sites: list[tuple[cscan.Site, str]], mark: bool,
               forms: Forms = Forms()) -> list[Edit]:
    """Edits for (site, tag) calls: (mark=False) the rewrite, or marked
    for cocci/'s rules (k2m_<name>, the type put in where the malloc(9)
    call takes it).  The first argument stays as written."""
    stripped = cscan.strip(text)
    edits: list[Edit] = []
    for s, tag in sites:
        a = allocators.TABLE[s.callee]
        assert a.becomes is not None and a.type_at is not None     # a kmem(9) call
        spans, close = _args(text, stripped, s.offset)
        if mark:
            edits.append(_type_edit(spans, close, a.type_at, tag))
            edits.append((s.offset, s.offset + len(s.callee), SITE_MARK + s.callee))
            continue
        edits.append((s.offset, s.offset + len(s.callee), a.becomes))
        if a.flags is not None:
            fa, fb = spans[a.flags]
            e = flags.edit(s.callee, text[fa:fb], forms.intr_flag, variable=s.flags_km)
            assert e is not None            # pairing keeps the others kmem
            edits.append((fa + e[0], fa + e[1], e[2]))
        if a.becomes == "free" and a.size is not None:     # kmem_free(p, n)
            if forms.sized_free:
                edits.append(_type_edit(spans, close, a.type_at, tag))
            else:
                edits.append((spans[0][1], spans[-1][1], ", " + tag))
            continue
        edits.append(_type_edit(spans, close, a.type_at, tag))
    return edits


def rewrite(text: str, sites: list[tuple[cscan.Site, str]], forms: Forms = Forms()) -> str:
    """text with its planned (site, tag) calls rewritten to malloc(9)."""
    return apply(text, site_edits(text, sites, mark=False, forms=forms))


def left_marks(text: str) -> list[tuple[int, str]]:
    """The (line, kmem function) of each marked call in text: those
    spatch left as they were."""
    stripped = cscan.strip(text)
    return [(stripped.count("\n", 0, m.start()) + 1, m.group(1))
            for m in _MARKED_CALL.finditer(stripped)]


def unmark(text: str) -> str:
    """Take out the marks spatch left (it could not parse the function);
    ValueError if one is not as site_edits() made it."""
    if SITE_MARK + "kmem_" not in text:
        return text
    stripped = cscan.strip(text)
    edits = []
    for m in _MARKED_CALL.finditer(stripped):
        a = allocators.TABLE.get(m.group(1))
        spans, _ = _args(text, stripped, m.start())
        if a is None or a.type_at is None or a.type_at >= len(spans) or \
                (a.arity and len(spans) - 1 not in a.arity) or not \
                (allocators.type_arg(text[spans[a.type_at][0]:spans[a.type_at][1]]) or
                 text[spans[a.type_at][0]:spans[a.type_at][1]] == allocators.AS_ALLOCATED):
            raise ValueError(f"a marked call without its type at offset {m.start()}")
        ta, tb = spans[a.type_at]
        if a.type_at + 1 < len(spans):
            edits.append((ta, spans[a.type_at + 1][0], ""))
        else:
            edits.append((spans[a.type_at - 1][1] if a.type_at else ta, tb, ""))
        edits.append((m.start(), m.start() + len(SITE_MARK), ""))
    return apply(text, edits)


def hide_defines(text: str) -> tuple[str, list[str]]:
    """Hide the #defines that confuse spatch; return text and what was hidden."""
    hidden: list[str] = []

    def repl(m: re.Match) -> str:
        body = m.group(0)
        if not _BARE_CALL.search(body) and not _NAME_NEXT_LINE.match(body):
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


def body_edits(text: str, lines: set[int],
               funcs: list[cscan.Function]) -> tuple[list[Edit], list[str]]:
    """Edits eliding the bodies of text's functions (cscan offsets) with
    none of lines in them; and the bodies, for restore_bodies()."""
    hidden: list[str] = []
    edits = []
    for f in funcs:
        body = text[f.start + 1:f.end - 1]
        last = f.line + body.count("\n")
        if any(f.line <= n <= last for n in lines) or not self_contained(body):
            continue
        edits.append((f.start + 1, f.end - 1, _BODY_MARK % len(hidden)
                      + "\n" * body.count("\n")))
        hidden.append(body)
    return edits, hidden


def self_contained(body: str) -> bool:
    """True if eliding body (a function's, between its braces) leaves the
    rest of the file as the compiler and spatch see it: its braces
    balance, and its only preprocessor lines are #if groups closed inside
    it, the brace depth the same at each line of a group (every branch
    closes what it opens).  A brace in a comment or literal does not
    count (cscan.strip)."""
    code = cscan.strip(body)
    groups: list[int] = []          # brace depth at each open #if
    depth, pos = 0, 0
    for m in [*_DIRECTIVE.finditer(code), None]:
        for c in code[pos:m.start() if m else len(code)]:
            depth += (c == "{") - (c == "}")
            if depth < 0:
                return False        # the body would end here
        if m is None:
            break
        pos, word = m.end(), m.group(1)
        if word in ("if", "ifdef", "ifndef"):
            groups.append(depth)
        elif word in ("elif", "else", "endif") and groups and groups[-1] == depth:
            if word == "endif":
                groups.pop()
        else:
            return False            # #define, #undef, #include, an unmatched #else ...
    return depth == 0 and not groups


def restore_bodies(text: str, hidden: list[str]) -> str:
    """Put back the bodies body_edits() elided; ValueError if spatch
    moved one."""
    parts = []
    pos = 0
    for i, body in enumerate(hidden):
        mark = _BODY_MARK % i + "\n" * body.count("\n")
        at = text.index(mark, pos)
        parts += [text[pos:at], body]
        pos = at + len(mark)
    parts.append(text[pos:])
    return "".join(parts)


@dataclass
class SpatchInput:
    """One file as spatch gets it, and what to put back after."""
    text: str
    hidden: list[str]               # #defines hidden from spatch
    bodies: list[str]               # function bodies elided


def spatch_input(text: str, sites: list[tuple[cscan.Site, str]], funcs: list[cscan.Function],
                 forms: Forms = Forms()) -> SpatchInput | None:
    """What spatch reads for text, whose planned (site, tag) conversions
    are sites and whose functions are funcs: the calls in the code marked,
    the others (under #if 0, in a macro definition) rewritten; None when
    no call is in the code."""
    code = [(s, t) for s, t in sites if s.context == cscan.Context.CODE]
    if not code:
        return None
    edits = site_edits(text, code, mark=True)
    edits += site_edits(text, [(s, t) for s, t in sites if s.context != cscan.Context.CODE],
                        mark=False, forms=forms)
    # a body with a call rewritten here is not elided either: the elided
    # bodies are put back as the input had them
    elide, bodies = body_edits(text, {s.line for s, _ in sites}, funcs)
    marked, hidden = hide_defines(apply(text, edits + elide))
    return SpatchInput(marked, hidden, bodies)


def spatch_output(inp: SpatchInput, out: str) -> str:
    """spatch's output out for inp, the hidden defines and elided bodies
    put back (its marks left as they are); ValueError if spatch moved one."""
    try:
        return restore_bodies(restore_defines(out, inp.hidden), inp.bodies)
    except ValueError:
        raise ValueError("spatch changed a function or #define it was not given") from None
