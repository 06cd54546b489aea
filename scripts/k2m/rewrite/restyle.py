"""Put spatch's continuation lines into NetBSD style(9).

spatch is told not to break lines (it would align a continuation under the
opening parenthesis, Linux style).  NetBSD indents a continuation by the
statement's indent plus four spaces, and does not break a line that fits
in 80 columns: a rewritten statement longer than that is broken here after
an argument of the call, and the breaks the input had are kept unless the
continuation fits on the line before.  Only statements spatch rewrote (a
malloc or free call on a line the input did not have) are touched, and
never a line of a #define's body (a break would end the macro); every
other line stays byte for byte.
"""

from __future__ import annotations

import re

from . import linediff
from ..c.brackets import arg_commas, top_level
from ..c.cscan import strip

_ENDS = re.compile(r"([;{}:]|\*/|\)\s*\\?|\b(else|do))\s*$|^\s*(#|$)")
_CALL = re.compile(r"\b(malloc|free|malloc_[a-z_]+|kern_free(?:_sized)?)\s*\(")
# spatch writes a space between a cast and the call it renamed,
# "(Elf_Phdr *) malloc(", "(uintptr_t) malloc(", "(u_int) malloc(":
# style(9) wants none after a cast (a pointer type, a name ending in _t, a
# scalar type word is a type; a '(' right after a name is a macro's
# parameter list, #define BJ_ALLOC(sz) malloc(...), not a cast)
_SCALAR = r"(?:unsigned\s+|signed\s+)?(?:u_)?(?:int|long|short|char)|unsigned"
_CAST_SPACE = re.compile(r"((?<![\w)])\((?:const\s+)?(?:struct\s+|union\s+)?"
                         r"(?:\w+\s*\*+|\w+_t|" + _SCALAR + r")\s*\)) "
                         r"(?=(?:malloc|malloc_[a-z_]+)\s*\()")
# the type goes in before the size as "T, ": where the input had no space
# after its comma, kmem_free(p,n), that made free(p,T, n)
_TYPE_COMMA = re.compile(r",(?=M_[A-Z][A-Z0-9_]*\b)")
WIDTH = 80


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def _width(line: str) -> int:
    return len(line.rstrip("\n").expandtabs(8))


def _fix(stmt: list[str], cont: str, first: bool, width: int = WIDTH) -> list[str]:
    """Lay out rewritten lines in style(9): a line the input broke stays
    broken unless all of its continuation fits on the line before (a break
    after an argument moves on past the arguments that fit before it); a
    line longer than 80 columns is broken after an argument of the
    malloc/free call.  Every continuation line is indented by cont; the first of stmt
    keeps its indent if it starts the statement (first).  width: the
    columns a line may take (a #define's leave room for the backslash)."""
    nl = "\n" if stmt[-1].endswith("\n") else ""
    lines = [line.rstrip("\n") for line in stmt]
    lines = lines[:1] if first else [cont + lines[0].lstrip(" \t")]
    lines += [cont + line.strip(" \t\n") for line in stmt[1:]]
    text = "\0".join(lines)                # \0: a break the input had
    code = strip(text)
    cuts: set[int] = set()
    ors: set[int] = set()
    for m in _CALL.finditer(code):          # after each argument of a call
        commas, close = arg_commas(code, m.end() - 1)
        cuts.update(i + 1 for i in commas if code.startswith(", ", i))
        for a, b in zip([m.end() - 1] + commas, commas + [close]):
            ors.update(_or_cuts(code, a + 1, b))
    out = _layout(lines, text, cuts, cont, width)
    if ors and any(_width(line) > width for line in out):
        # an argument too long for a line of its own: after a | of it
        # too (arm32's bus_dma.c: `((f & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) |`)
        out = _layout(lines, text, cuts | ors, cont, width)
    return [line + "\n" for line in out[:-1]] + [out[-1] + nl]


def _layout(lines: list[str], text: str, cuts: set[int], cont: str, width: int) -> list[str]:
    """_fix's lines, broken only at cuts (offsets in text, the lines
    joined by \\0)."""
    out: list[str] = []
    start = 0
    for n, line in enumerate(lines):
        end = start + len(line)
        chunks, last = [], start
        for i in sorted(c for c in cuts if start < c < end):
            chunks.append(text[last:i])
            last = i + 1
        chunks.append(text[last:end])
        start = end + 1
        chunks = [chunks[0].rstrip()] + [c.strip() for c in chunks[1:]]
        whole = " ".join([chunks[0].lstrip(" \t")] + chunks[1:])
        if n > 0 and _width(out[-1] + " " + whole) <= width:
            out[-1] += " " + whole
            continue
        if n > 0 and out[-1].endswith(","):
            # broken after an argument: fill the line before with the
            # arguments that fit there (the type put in front of the size)
            chunks[0] = chunks[0].lstrip(" \t")
            while len(chunks) > 1 and _width(out[-1] + " " + chunks[0]) <= width:
                out[-1] += " " + chunks.pop(0)
            chunks[0] = cont + chunks[0]
        out.append(chunks[0])
        for chunk in chunks[1:]:
            if _width(out[-1] + " " + chunk) <= width:
                out[-1] += " " + chunk
            else:
                out.append(cont + chunk)
    return out


def _or_cuts(code: str, a: int, b: int) -> list[int]:
    """The spaces after the `|`s of code[a:b] outside parentheses."""
    return [i + 1 for i in top_level(code, "|", a, b, kinds="([")
            if code[i - 1:i + 2] == " | "]


def _break_define(line: str, col: int | None) -> str:
    """A #define's line the rewrite made longer than 80 columns, broken
    after an argument of its call as _fix breaks a statement, each line
    but the last continued with a backslash; the backslashes in column
    col (the macro's own) where the text fits before it, else a tab (a
    space) after the longest line."""
    body = line.rstrip("\n")
    continued = body.endswith("\\")
    text = body[:-1].rstrip(" \t") if continued else body
    # a #define's own line continues its body one tab in
    cont = "\t" if text.lstrip().startswith("#") else _indent(text) + "    "
    # laid out in 78 columns, and the backslashes where the macro has
    # them if the text fits before that column (a neighbour's `ADD(m, c) \`
    # does not set a column)
    parts = [p.rstrip("\n") for p in _fix([text], cont, True, WIDTH - 2)]
    if len(parts) == 1 and not continued:
        return line
    longest = max(_width(p) for p in parts)
    if col is None or longest >= col:
        # a tab after the longest line, or a space where the tab would
        # put the backslash past column 80
        col = (longest // 8 + 1) * 8
        col = col if col < WIDTH else longest + 1
    ends = [True] * (len(parts) - 1) + [continued]
    return "".join(_pad(p, col) + "\\\n" if e else p + "\n" for p, e in zip(parts, ends))


def _pad(text: str, col: int) -> str:
    """text padded with tabs while they fit, then spaces, to column col."""
    width, pad = _width(text), ""
    while (width // 8 + 1) * 8 <= col:
        pad += "\t"
        width = (width // 8 + 1) * 8
    return text + pad + " " * (col - width)


def _ends(line: str) -> bool:
    """No statement goes on past this line (it ends one, or is a
    directive, a blank line or a comment of its own): a // comment is
    left out first (riscv's netbsd32_machdep.c has two lines of one above
    a kmem_free, which were taken for the start of its statement)."""
    line = line.rstrip("\n")
    at = line.find("//")
    if at >= 0 and line[:at].count('"') % 2 == 0:
        if not line[:at].strip():
            return True
        line = line[:at].rstrip()
    return bool(_ENDS.search(line))


def _statement_start(lines: list[str], i: int) -> int:
    """The first line of the statement line i is in."""
    while i > 0 and not _ends(lines[i - 1]):
        i -= 1
    return i


def _in_define(lines: list[str], i: int) -> bool:
    """Line i continues a #define (or is continued): a break there would
    end the macro, so its lines are left as they are."""
    def continued(line: str) -> bool:
        return line.rstrip("\n").endswith("\\")
    return continued(lines[i]) or (i > 0 and continued(lines[i - 1]))


def _column(lines: list[str], i: int) -> int | None:
    """The column of the backslashes of the #define line i is in: the
    further of its neighbours' (if_tlp_pci.c's ADD: `#define ADD(m, c) \\`
    above, the body's aligned backslashes below)."""
    cols = []
    for k in (i - 1, i + 1):
        near = lines[k].rstrip("\n") if 0 <= k < len(lines) else ""
        if near.endswith("\\") and near[:-1].rstrip(" \t"):
            cols.append(_width(near) - 1)
    return max(cols) if cols else None


def _realign(lines: list[str], i: int) -> str:
    """Line i of a #define's body with its backslash put back in the
    column of its neighbours' (the rewrite made the text longer)."""
    line = lines[i]
    body = line.rstrip("\n")
    if not body.endswith("\\"):
        return line
    text = body[:-1].rstrip(" \t")
    col = _column(lines, i)
    if col is None or _width(text) >= col:
        return line                     # as the rewrite left it
    return _pad(text, col) + "\\" + line[len(body):]


def restyle(old: str, new: str, only_wide: bool = False) -> str:
    """new in style(9) where it differs from old; only_wide (retag's type
    and size edits, no spatch output to tidy): only a statement the
    rewrite took over 80 columns is laid out again."""
    if only_wide:
        return _wide(old, new)
    seen = set(linediff.lines(old))
    lines = linediff.lines(new)
    out: list[str] = []
    done = 0                    # lines[:done] are in out
    i = 0
    while i < len(lines):
        line = lines[i]
        if line not in seen and _CALL.search(line) and \
                (_in_define(lines, i) or line.lstrip().startswith("#")):
            lines[i] = _TYPE_COMMA.sub(", ", lines[i])      # broken in _break_defines
            lines[i] = _realign(lines, i)
            i += 1
            continue
        if line in seen or not _CALL.search(line):
            i += 1
            continue
        # the statement's first line sets the continuation indent; from
        # the rewritten line on to the statement's end, over lines the
        # rewrite changed, the lines are laid out again
        s = _statement_start(lines, i)
        j = i
        while j < len(lines) - 1 and not _ends(lines[j]) and lines[j + 1] not in seen:
            j += 1
        out.extend(lines[done:i])
        fixed = [_TYPE_COMMA.sub(", ", _CAST_SPACE.sub(r"\1", line)) for line in lines[i:j + 1]]
        out.extend(_fix(fixed, _indent(lines[s]) + "    ", i == s))
        done = i = j + 1
    out.extend(lines[done:])
    return _break_defines(seen, "".join(out))


def _break_defines(seen: set[str], text: str) -> str:
    """The #define lines the rewrite made longer than 80 columns, broken
    (_break_define)."""
    lines = linediff.lines(text)
    out = []
    for i, line in enumerate(lines):
        if line not in seen and _CALL.search(line) and _width(line) > WIDTH and \
                (_in_define(lines, i) or line.lstrip().startswith("#")):
            line = _break_define(line, _column(lines, i))
        out.append(line)
    return "".join(out)


def _wide(old: str, new: str) -> str:
    """The statements of new whose lines new made wider than 80 columns,
    broken after an argument (outside a #define's body: there a break
    would end the macro), and the #define lines (_break_defines: a
    wrapper macro retag retyped)."""
    seen = set(linediff.lines(old))
    lines = linediff.lines(new)
    out: list[str] = []
    done = 0
    for i, line in enumerate(lines):
        if i < done or line in seen or _width(line) <= WIDTH or not _CALL.search(line) or \
                _in_define(lines, i) or line.lstrip().startswith("#"):
            continue
        s = _statement_start(lines, i)
        j = i
        while j < len(lines) - 1 and not _ends(lines[j]):
            j += 1
        out.extend(lines[done:i])
        out.extend(_fix(lines[i:j + 1], _indent(lines[s]) + "    ", i == s))
        done = j + 1
    out.extend(lines[done:])
    return _break_defines(seen, "".join(out))
