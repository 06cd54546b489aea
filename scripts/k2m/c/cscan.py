"""A small C scanner: every allocator call site in a file, and the names
that link them.

This is not a C parser.  It strips comments and literals, follows the
preprocessor well enough to know what is under `#if 0` or inside a
`#define`, finds function bodies by brace depth, and reads each call's
arguments by paren matching.  It is the converter's independent count of
call sites (spatch is not trusted to report what it skipped) and the
source of the facts the pairing analysis links.

Keys (where a pointer lives, and what it points to) are keys.py's; the
declarations they come from, cdecl.py's.  A file's types come from the
declarations in it and in the headers it includes (scan's env argument);
without them every key falls back to names.
"""

from __future__ import annotations

import bisect
import enum
import re
import sys
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

from .. import allocators
from ..allocators import Role
from . import brackets
from .brackets import split_args
from .cdecl import (EMPTY_ENV, CType, TypeEnv, file_decls, is_scalar, parse_declaration,
                    parse_params, return_type)
from ..rewrite.flags import translate
from .keys import KEYWORDS, Key, Keys, object_type

CALLEES = allocators.TABLE
KMEM_CALLEES = allocators.KMEM_NAMES

CALL_RE = re.compile(r"\b(" + "|".join(sorted(CALLEES, key=len, reverse=True))
                     + r")\s*\(")
IDENT_RE = re.compile(r"[A-Za-z_]\w*")


class Context(enum.StrEnum):
    """Where a call is in a file's text (a str: it prints and compares as
    its value)."""
    CODE = "code"       # in the code
    IF0 = "if0"         # under #if 0 (or another system's #ifdef: never compiled)
    MACRO = "macro"     # in a #define's body


@dataclass
class Site:
    """One allocator call in the source."""
    path: str
    line: int
    offset: int
    callee: str
    func: str | None
    args: list[str]
    context: Context = Context.CODE
    key: Key | None = None      # where the pointer is (keys.py)
    objtype: str | None = None  # what the memory is, when known
    anchor: str = ""            # the expression key comes from (for verify)
    size_factors: tuple[str, ...] | None = None     # keys.Keys.size_factors
    size_type: str | None = None    # the object type its size names (sizeof)
    macro: str | None = None    # a use of an allocator macro (not a call site)
    define: str | None = None   # the macro whose definition holds the call
    type_arg: int | None = None     # a macro use's argument that is its malloc type
    flags_km: bool = False      # its flags are a variable declared km_flag_t
    # its size is sizeof a struct with no members we read: 0 in GNU C
    # (aic7xxx's struct ahc_platform_data {}), which no header-less block has
    size_zero: bool = False

    @property
    def counted(self) -> bool:
        """A real kmem/malloc call in the text (macro uses only pair)."""
        return self.macro is None

    @property
    def family(self) -> str:
        return CALLEES[self.callee].family

    @property
    def role(self) -> Role:
        return CALLEES[self.callee].role

    @property
    def is_kmem(self) -> bool:
        return self.callee in KMEM_CALLEES

    @property
    def fits_api(self) -> bool:
        """Called with the interface's argument count: bktr's FreeBSD
        branch calls a 3-argument kmem_free(kernel_map, addr, size), which
        is counted and kept but is no allocation or free of kmem(9)'s.
        A use of an allocator macro has the macro's arguments: its
        definition's call is the one to judge."""
        return self.macro is not None or allocators.fits(self.callee, len(self.args))

    @property
    def size(self) -> str | None:
        """The size argument, as written (spaces normalized)."""
        i = CALLEES[self.callee].size
        if i is None or i >= len(self.args):
            return None
        return " ".join(self.args[i].split())

    @property
    def flags(self) -> str | None:
        """A kmem allocation's flags argument, as written."""
        i = CALLEES[self.callee].flags
        if self.role == Role.ALLOC and self.is_kmem and i is not None and i < len(self.args):
            return " ".join(self.args[i].split())
        return None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def scope(self) -> str:
        """Where the call is, for people: `in f`, `in #define M`."""
        if self.func:
            return f"in {self.func}"
        if self.define:
            return f"in #define {self.define}"
        return "at file scope"


@dataclass
class Function:
    name: str
    params: list[str]
    start: int                  # offset of the body's '{'
    end: int                    # offset after the body's '}'
    line: int
    types: dict[str, CType] = field(default_factory=dict)  # params and locals
    ret: CType | None = None    # what it returns
    param_keys: list[Key | None] = field(default_factory=list)
    ret_key: Key | None = None  # the key of what it returns
    outparams: set[int] = field(default_factory=set)   # `*param = ...` in the body
    static: bool = False        # declared static: the file's own


@dataclass
class FileFacts:
    """What the scanner learns about one file."""
    path: str
    sites: list[Site] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    links: list[tuple[Key, Key]] = field(default_factory=list)
    # (callee, argno, key, by address): key passed as argument argno, or
    # (argno -1) assigned the callee's return value
    calls: list[tuple[str, int, Key, bool]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    # TYPE -> the struct types at its offset zero (Keys.bases), for the
    # object types of this file's sites
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Lexing

class LineIndex:
    """Line numbers of offsets in one text, from one list of newline
    offsets (lines keep their numbers through strip and _preprocess)."""

    def __init__(self, text: str) -> None:
        self._nl = [m.start() for m in _NEWLINE_RE.finditer(text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._nl, offset) + 1


_NEWLINE_RE = re.compile(r"\n")


def _blank(s: str) -> str:
    """s with every character but newlines made a space."""
    if "\n" not in s:
        return " " * len(s)
    return "\n".join(" " * len(part) for part in s.split("\n"))


_LEX_RE = re.compile(r"""
      /\*.*?\*/                 # block comment
    | //[^\n]*                  # line comment
    | "(?:\\.|[^"\\\n])*"       # string
    | '(?:\\.|[^'\\\n])*'       # char
""", re.S | re.X)


def _lex_repl(m: re.Match) -> str:
    s = m.group(0)
    if s[0] in "\"'":
        return s[0] + _blank(s[1:-1]) + s[-1]
    return _blank(s)


_KMEM_DEFINE_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(" + "|".join(
    sorted(allocators.KMEM_NAMES)) + r")[ \t]*\(", re.M)


def kmem_defined(text: str) -> tuple[str, int] | None:
    """The first kmem(9) function a file defines as a macro itself, and
    its line: subr_blist.c and npf's lpm.c, built outside the kernel too,
    `#define kmem_free(a, b) free(a)` there (None if it defines none)."""
    m = _KMEM_DEFINE_RE.search(text)
    return (m.group(1), text.count("\n", 0, m.start()) + 1) if m else None


def strip(text: str) -> str:
    """Comments and literals become blanks; offsets and lines are kept.
    String literals keep their quotes so an argument stays non-empty."""
    return _LEX_RE.sub(_lex_repl, text)


# what a comment says of kmem(9): its calls and flags, or kmem itself
# (not /dev/kmem, kmem_map, kmem_arena: the VM's, not the allocator's)
_KMEM_WORD_RE = re.compile(r"\bkmem_(?:z?alloc|free|intr_\w+)\b|\bKM_(?:NO)?SLEEP\b"
                           r"|(?<![/\w])kmem\b(?!_)")


def kmem_comments(text: str) -> list[tuple[int, str]]:
    """(line, word) of each comment line naming kmem(9)."""
    out = []
    for m in _LEX_RE.finditer(text):
        if not m.group(0).startswith(("/*", "//")) or not _KMEM_WORD_RE.search(m.group(0)):
            continue
        line = text.count("\n", 0, m.start()) + 1     # counted for the few that name it
        for i, part in enumerate(m.group(0).split("\n")):
            w = _KMEM_WORD_RE.search(part)
            if w:
                out.append((line + i, w.group(0)))
    return out


_HASH_LINE_RE = re.compile(r"^[^\S\n]*#", re.M)
_DEFINE_NAME_RE = re.compile(r"[A-Za-z_]\w*")


# the systems whose code a NetBSD kernel never compiles (dist code's
# branches: dccp_usrreq.c's FreeBSD dccp_pcblist(SYSCTL_HANDLER_ARGS),
# which the scanner cannot read as a function)
_OTHER_SYSTEMS = r"__FreeBSD__|__OpenBSD__|__DragonFly__|__linux__|__APPLE__|__sun"
_NEVER_RE = re.compile(r"(?:!\s*defined\s*\(?\s*__NetBSD__\s*\)?"
                       r"|defined\s*\(?\s*(?:" + _OTHER_SYSTEMS + r")\s*\)?"
                       r"|__FreeBSD_version\b.*)")


def _never(word: str, rest: str) -> bool:
    """A conditional whose code NetBSD never compiles: #if 0, #ifdef of
    another system, #ifndef __NetBSD__."""
    if word == "ifdef":
        return re.fullmatch(_OTHER_SYSTEMS, rest) is not None
    if word == "ifndef":
        return rest == "__NetBSD__"
    return rest in ("0", "(0)", "false") or _NEVER_RE.fullmatch(rest) is not None


def _always(word: str, rest: str) -> bool:
    """A conditional NetBSD always takes: #ifdef __NetBSD__, #if
    defined(__NetBSD__) (or any || of it); its #elif and #else never are
    (pdqvar.h's DLPI_PDQ branch, whose kmem is SVR4's)."""
    if word == "ifdef":
        return rest == "__NetBSD__"
    return word == "if" and "&&" not in rest and any(
        re.fullmatch(r"\(?\s*defined\s*\(?\s*__NetBSD__\s*\)?\s*\)?", t.strip())
        for t in rest.split("||"))


def _preprocess(code: str) -> tuple[str, list[tuple[int, int, Context, str | None]]]:
    """Blank every preprocessor line; return the blanked code and the
    regions (start, end, context, macro name) that are `#if 0` code or
    macro bodies.  Braces follow one branch of each conditional
    (_one_branch_braces)."""
    out: list[str] = []         # code with the directives blanked
    regions: list[tuple[int, int, Context, str | None]] = []
    stack: list[bool] = []      # True: this level is inactive (#if 0)
    taken: list[bool] = []      # this level has had a branch NetBSD always takes
    chains: list[list[list]] = []   # open conditionals: [start, end, under #if 0] per branch
    closed: list[list[list]] = []   # the same, closed, inner ones first
    if0_start: int | None = None
    pos = 0                     # code before pos is in out
    n = len(code)
    for m in _HASH_LINE_RE.finditer(code):
        start = m.start()
        if start < pos:         # a continuation line of the last directive
            continue
        # gather continuation lines
        eol = code.find("\n", start)
        end = n if eol < 0 else eol
        while code[start:end].rstrip().endswith("\\") and end < n:
            nxt = code.find("\n", end + 1)
            end = n if nxt < 0 else nxt
        directive = " ".join(code[start:end].replace("\\\n", " ").split())
        d = directive[1:].strip()
        word = d.split(" ", 1)[0] if d else ""
        rest = d[len(word):].strip()
        inactive = any(stack)
        if word in ("if", "ifdef", "ifndef"):
            off = _never(word, rest)
            stack.append(off)
            taken.append(_always(word, rest))
            chains.append([[end, n, off]])
            if off and not inactive:
                if0_start = start
        elif word in ("elif", "else") and stack:
            was = stack[-1]
            # a branch after one NetBSD always takes is never compiled
            off = taken[-1] or word == "elif" and _never("if", rest)
            taken[-1] = taken[-1] or word == "elif" and _always("if", rest)
            stack[-1] = off
            chains[-1][-1][1] = start
            chains[-1].append([end, n, off])
            if any(stack[:-1]):
                pass
            elif was and not off:
                regions.append((start if if0_start is None else if0_start, start, Context.IF0,
                                None))
                if0_start = None
            elif off and not was:
                if0_start = start
        elif word == "endif" and stack:
            taken.pop()
            was = stack.pop()
            chains[-1][-1][1] = start
            closed.append(chains.pop())
            if was and not any(stack):
                regions.append((start if if0_start is None else if0_start, start, Context.IF0,
                                None))
                if0_start = None
        elif word == "define" and not inactive:
            name = _DEFINE_NAME_RE.match(rest)
            regions.append((start, end, Context.MACRO, name.group(0) if name else None))
        out += [code[pos:start], _blank(code[start:end])]
        pos = end
    out.append(code[pos:])
    if stack and any(stack) and if0_start is not None:
        regions.append((if0_start, n, Context.IF0, None))
    return _one_branch_braces("".join(out), closed), regions


def _one_branch_braces(code: str, chains: list[list[list]]) -> str:
    """Blank the braces of a conditional's other branches where they do
    not balance, so that function bodies are found by the braces of one
    branch, the first not under #if 0:

        #ifdef SUN4
            if (bus_intr_establish2(...) == NULL) {
        #elif SUN4U
            if (bus_intr_establish(...) == NULL) {
        #endif

    opens one block, not two (sparc64's fdc.c: counted twice, the rest of
    the file was one function's body).  The calls in those branches stay
    visible; a branch whose braces balance keeps them.  chains: each
    conditional's branches (start, end, under #if 0), inner ones first."""
    chars: list[str] | None = None
    for branches in chains:
        if len(branches) < 2:
            continue
        first = next((b for b in branches if not b[2]), branches[0])
        for b in branches:
            seg = code[b[0]:b[1]] if chars is None else "".join(chars[b[0]:b[1]])
            if b is first or seg.count("{") == seg.count("}"):
                continue
            if chars is None:
                chars = list(code)
            for k in range(b[0], b[1]):
                if chars[k] in "{}":
                    chars[k] = " "
    return code if chars is None else "".join(chars)


_STMT_SPLIT_RE = re.compile(r"[;{}]")
_NOT_DECL = {"return", "goto", "break", "continue", "case", "default", "else",
             "if", "while", "for", "switch", "do", "sizeof"}


# a declaration starts with a type and a name: `foo_t *p`, `struct s x`,
# `unsigned int n` (an expression statement such as `x = y` does not)
_DECL_START_RE = re.compile(r"\s*[A-Za-z_]\w*(?:\s*\*|\s+[*\s]*[A-Za-z_(])")


def _locals(body: str) -> dict[str, CType]:
    """Names declared in a function body, with their types."""
    out: dict[str, CType] = {}
    for stmt in _STMT_SPLIT_RE.split(body):
        if not _DECL_START_RE.match(stmt):
            continue
        st = stmt.strip()
        first = st.split(None, 1)[0]
        if first in _NOT_DECL or "(" in first:
            continue
        for name, t in parse_declaration(st):
            out.setdefault(name, t)
    return out


# --------------------------------------------------------------------------

_ASSIGN_RE = re.compile(r"(?<![=!<>+\-*/%&|^])=(?!=)")
_PAREN_ASSIGN_RE = re.compile(r"\(\s*([A-Za-z_][\w\s>.\-\[\]]*?)\s*(?<![=!<>+\-*/%&|^])=(?!=)"
                              r"\s*([A-Za-z_][\w\s>.\-\[\]]*?)\s*\)")


_LAST_IDENT_RE = re.compile(r"([A-Za-z_]\w*)\s*$")
_NAMED_BY_MACRO_RE = re.compile(r"^[ \t]*([A-Z_][A-Z0-9_]*)\s*\(\s*\w+(?:\s*,\s*\w+)*\s*\)\s*$",
                                re.M)


def _functions(code: str, lines: LineIndex, types: bool = True) -> list[Function]:
    """Function bodies: a '{' at depth 0 right after a parameter list
    (attributes such as __unused or __attribute__((...)) may stand between);
    with types, their parameters', locals' and return types."""
    funcs = []
    i = 0
    while True:
        i = code.find("{", i)
        if i < 0:
            break
        end = brackets.match(code, i)
        k = i - 1
        while k >= 0 and code[k].isspace():
            k -= 1
        if k >= 0 and code[k] == ")":
            k = brackets.opening(code, k, "(")
            close = code.rfind(")", 0, i)
            nm = _LAST_IDENT_RE.search(code[max(0, k - 80):k])
            named = _NAMED_BY_MACRO_RE.search(code[max(0, k - 80):k])
            if named and named.group(1) not in KEYWORDS:
                # ELFNAMEEND(real_coredump)(struct lwp *l, ...): a name a
                # macro makes, called that (its calls are not linked)
                nm = named
            if nm and nm.group(1) not in KEYWORDS:
                params = []
                for p in split_args(code[k + 1:close]):
                    ids = IDENT_RE.findall(p.split("[")[0])
                    params.append(ids[-1] if ids else "")
                name = re.sub(r"\s+", "", nm.group(0)) if nm is named else nm.group(1)
                f = Function(name, params, i, end, lines.line(i))
                name_at = max(0, k - 80) + nm.start(1)
                head = code[max(code.rfind(";", 0, name_at), code.rfind("}", 0, name_at),
                                0):name_at]
                f.static = re.search(r"\bstatic\b", head) is not None
                if types:
                    f.types = _locals(code[i + 1:end - 1])
                    f.types.update(parse_params(code[k + 1:close]))
                    f.ret = return_type(code[max(code.rfind(";", 0, name_at),
                                                 code.rfind("}", 0, name_at), 0) + 1:name_at])
                funcs.append(f)
        i = end
    return funcs


def statement_start(code: str, i: int, floor: int) -> int:
    """Offset of the start of the statement containing offset i."""
    depth = 0
    k = i - 1
    while k > floor:
        c = code[k]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                pass            # inside an argument list: keep going out
            else:
                depth -= 1
        elif c in ";{}" and depth == 0:
            return k + 1
        k -= 1
    return floor


_DEFINE_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)"
                        r"\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)", re.M)


class AllocMacro(NamedTuple):
    """A function-like macro that calls kmem(9), or malloc(9) with the
    kernel's arguments (pf's rs_malloc(x): malloc(x, M_TEMP, M_WAITOK))."""
    callee: str
    argno: int              # the parameter a free releases; -1: an allocation;
                            # -2: a free of something else (a local of the body)
    params: tuple[str, ...] = ()
    size: str = ""          # the call's size argument, in the parameters' terms
    ptr: str = ""           # a free's pointer argument, or the parameter an
                            # allocation is assigned to (ipf's KMALLOC(a, t):
                            # (a) = (t)kmem_alloc(...)), in the same terms
    mtype: int | None = None    # the parameter that is the malloc type: each
                                # use names its own (udf's MPFREE(a, lst))


# the body assigns the call to one of the parameters: "(a) = (t)kmem_alloc("
_ASSIGNED_RE = re.compile(r"\(?\s*([A-Za-z_]\w*)\s*\)?\s*=(?!=)[^=;]*$")


def alloc_macros(text: str) -> dict[str, AllocMacro]:
    """Function-like macros that call kmem(9) or malloc(9), by name (an
    allocator defined as a macro is the allocator's; a body calling
    libc's malloc(x), pf's user-space rs_malloc, is no malloc(9) macro;
    of two definitions, the last)."""
    return dict(_alloc_defs(text))


def redefined_macros(text: str) -> set[str]:
    """The allocator macros text defines more than once (xmm7360.c's
    kzalloc for OpenBSD and for NetBSD, under #ifdef)."""
    names = [n for n, _ in _alloc_defs(text)]
    return {n for n in names if names.count(n) > 1}


def _alloc_defs(text: str) -> Iterator[tuple[str, AllocMacro]]:
    """Each definition of an allocator macro (alloc_macros), in order."""
    for m in _DEFINE_RE.finditer(strip(text)):
        params = [p.strip() for p in m.group(2).split(",")]
        cm = CALL_RE.search(m.group(3))
        if not cm or m.group(1) in CALLEES:
            continue
        callee = cm.group(1)
        openp = cm.end() - 1
        args = split_args(m.group(3)[openp + 1:brackets.match(m.group(3), openp) - 1])
        if not allocators.is_call(callee, len(args)):
            continue
        mt = CALLEES[callee].mtype
        typed = args[mt].strip() if mt is not None and mt < len(args) else ""
        at = params.index(typed) if typed and typed in params else None
        if at is None and set(IDENT_RE.findall(typed)) & set(params):
            continue    # a type made of a parameter: no one argument names it
        argno, ptr = -1, ""
        lhs = _ASSIGNED_RE.search(m.group(3)[:cm.start()])
        if lhs and lhs.group(1) in params:
            ptr = lhs.group(1)
        if CALLEES[callee].role == Role.FREE:
            ids = IDENT_RE.findall(args[0]) if args else []
            argno = next((params.index(i) for i in reversed(ids) if i in params), -2)
            ptr = " ".join(args[0].split()) if args else ""
        sz = CALLEES[callee].size
        size = " ".join(args[sz].split()) if sz is not None and sz < len(args) else ""
        yield m.group(1), AllocMacro(callee, argno, tuple(params), size, ptr, at)


def _substitute(expr: str, params: tuple[str, ...], args: list[str]) -> str:
    """expr with each macro parameter replaced by its argument."""
    val = dict(zip(params, args))
    return IDENT_RE.sub(lambda m: val.get(m.group(0), m.group(0)), expr)


# a prototype or definition ("void *kmem_alloc(", "void free("), or a
# macro of that name ("#define kmem_alloc(s, f) malloc(s)", subr_extent.c
# outside the kernel; "#define \\" and the name on the next line, as
# subr_extent.c writes it to keep ctags away): not a call
_DECL_BEFORE_RE = re.compile(r"\b(void|char|int|static|extern)\s*\*?\s*$|#\s*define(\s|\\)*$")
_IDENT_OR_MEMBER_RE = re.compile(r"[a-z_]\w*(\s*(->|\.)\s*\w+)*")
_INCLUDE_RE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"]", re.M)


def includes(text: str) -> list[str]:
    """The names a file's #include lines give, as written."""
    return [m.group(1) for m in _INCLUDE_RE.finditer(text)]


def _alloc_place(t: "_Text", start: int, f: Function | None) -> tuple[Key | None, str | None, str]:
    """Where the allocation at offset start is stored (the left-hand side
    of its assignment or declaration, or the function's return value):
    (key, object type, the expression) -- key None if nowhere we can name.
    A cast in front of the call tells the object type too."""
    stripped = t.stripped
    floor = f.start if f else max(0, start - 400)
    prefix = stripped[statement_start(stripped, start, floor):start]
    cast = _CAST_BEFORE_RE.search(prefix)
    ot = None
    if cast:
        ct = t.keys.parse_type(cast.group(1))
        ot = object_type(t.keys.env, ct) if ct else None
    if (_RETURN_CAST_RE.search(prefix) or _RETURN_BRANCH_RE.search(prefix)) and f:
        key = t.keys.return_key(f)
        return key, ot or key.objtype, "return"
    am = list(_ASSIGN_RE.finditer(prefix))
    if not am:
        return None, ot, ""
    m = _LHS_PLACE_RE.search(prefix[:am[-1].start()])
    if not m:
        return None, ot, ""
    anchor = " ".join(m.group(0).split())
    pl = t.keys.place(m.group(0), f)
    if pl is None:
        return None, ot, anchor
    return pl.key, pl.objtype or ot, anchor


_CAST_BEFORE_RE = re.compile(r"\(\s*((?:const\s+|struct\s+|union\s+)*"
                             r"[A-Za-z_]\w*[\s*]*\*)\s*\)\s*$")


_RETURN_CAST_RE = re.compile(r"\breturn\b\s*(\([^()]*\)\s*)?$")
# a branch of a returned conditional: autofs.h's autofs_strndup() returns
# `nlen > 0 ? kmem_strndup(...) : kmem_strdup(...)`
_RETURN_BRANCH_RE = re.compile(r"\breturn\b[^;{}]*[?:]\s*(\([^()]*\)\s*)?$")
# the place at the end of an assignment's left-hand side
_LHS_PLACE_RE = re.compile(r"[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*"
                           r"|\s*\[[^\]]*\])*\s*$")
_RETURN_RE = re.compile(r"return\b\s*(.*)$")
_DEREF_LHS_RE = re.compile(r"\s*\*\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*$")
_RHS_CALL_RE = re.compile(r"(?:\([^()]*\)\s*)?([A-Za-z_]\w*)\s*\(")
_ANY_CALL_RE = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


_DEF_NAME_RE = re.compile(r"^(?:[A-Za-z_][\w \t*]*?[ \t*])?([A-Za-z_]\w*)[ \t]*\(", re.M)


def defined_names(text: str) -> dict[str, tuple[bool, ...]]:
    """Names that may be functions defined in text -- anything called at
    column 0, a superset of the definitions in style(9) -- and for each,
    which of its parameters may hold a pointer (no pointer flows through
    an int parameter, so the scan need not follow calls into it)."""
    out: dict[str, tuple[bool, ...]] = {}
    st = strip(text)
    for m in _DEF_NAME_RE.finditer(st):
        close = brackets.match(st, m.end() - 1)
        bits = []
        for p in split_args(st[m.end():close - 1]):
            d = parse_declaration(p)
            bits.append(len(d) != 1 or not (d[0][1].ptr == 0 and is_scalar(d[0][1].base)))
        mask = tuple(bits)
        name = m.group(1)
        old = out.get(name)
        out[name] = mask if old is None else tuple(
            a or b for a, b in zip(mask + (True,) * len(old), old + (True,) * len(mask)))
    return out


def may_hold_pointers(masks: list[dict[str, tuple[bool, ...]]]) -> dict[str, tuple[bool, ...]]:
    """defined_names of several files as one: a parameter may hold a
    pointer if it may in any definition of the name."""
    out: dict[str, tuple[bool, ...]] = {}
    for d in masks:
        for name, mask in d.items():
            old = out.get(name)
            out[name] = mask if old is None else tuple(
                a or b for a, b in zip(mask + (True,) * len(old), old + (True,) * len(mask)))
    return out


class _Text:
    """One file's text in the views the scanner works on."""

    def __init__(self, text: str, types: bool = True) -> None:
        self.raw = text
        self.stripped = strip(text)     # comments and literals blanked
        self.code, self.regions = _preprocess(self.stripped)   # directives blanked
        self.lines = LineIndex(text)
        self.funcs = _functions(self.code, self.lines, types)
        self._starts = [f.start for f in self.funcs]
        self.keys = Keys("", EMPTY_ENV)

    def decls(self):
        """What the file declares at file scope (cdecl.DeclFacts)."""
        return file_decls(self.code, [(f.start, f.end) for f in self.funcs])

    def func_at(self, off: int) -> Function | None:
        i = bisect.bisect_right(self._starts, off) - 1
        if i >= 0 and off < self.funcs[i].end:
            return self.funcs[i]
        return None

    def region_at(self, off: int) -> tuple[Context, str | None]:
        """Where offset off is, and the macro's name (in one's body)."""
        for a, b, ctx, name in self.regions:
            if a <= off < b:
                return ctx, name
        return Context.CODE, None


def code_view(text: str) -> _Text:
    """text's views (stripped, code, function bodies without their types),
    for cdecl's header reader."""
    return _Text(text, types=False)


def scan(text: str, path: str, macros: dict[str, AllocMacro] | None = None,
         sites_only: bool = False, callees: dict[str, tuple[bool, ...]] | None = None,
         env=None) -> FileFacts:
    """All facts about one file's text; path is how the file is named;
    macros: allocator macros (alloc_macros) whose uses pair like calls;
    sites_only: the call sites and what they are anchored to, no types,
    no links (assignments, returns, calls): to count them;
    callees: record only calls to these names, and only the arguments
    they may take a pointer in ({name: mask}: may_hold_pointers);
    env(path, own declarations, text) -> TypeEnv: the declarations the file
    sees (scanning.py's header cache); without it, only its own."""
    t = _Text(text, types=not sites_only)
    if not sites_only:
        own = t.decls()
        t.keys = Keys(path, env(path, own, text) if env else TypeEnv(own, []))
    for f in t.funcs if not sites_only else ():
        f.param_keys = [(pl.key if pl else None) for pl in
                        (t.keys.place(p, f) if p else None for p in f.params)]
        f.ret_key = t.keys.return_key(f)
    facts = FileFacts(path)
    facts.includes = includes(text)
    facts.functions = t.funcs
    facts.sites = _call_sites(t, path)
    if macros:
        facts.sites += _macro_uses(t, path, macros)
    if not sites_only:
        _links(t, path, callees, facts)
        for ot in sorted({s.objtype for s in facts.sites if s.objtype}):
            b = t.keys.bases(ot)
            if b:
                facts.bases[ot] = b
    return facts


def _call_sites(t: _Text, path: str) -> list[Site]:
    """Every allocator call.  Calls are searched in the stripped text
    (macro bodies and #if 0 included); the code view decides where they
    are."""
    stripped = t.stripped
    sites = []
    for m in CALL_RE.finditer(stripped):
        start = m.start()
        if start > 0 and (stripped[start - 1] == "." or
                          stripped[start - 2:start] == "->"):
            continue
        before = stripped[max(0, start - 40):start].rstrip()
        if _DECL_BEFORE_RE.search(before):
            continue
        openp = m.end() - 1
        close = brackets.match(stripped, openp)
        args = split_args(stripped[openp + 1:close - 1])
        callee = m.group(1)
        if not allocators.is_call(callee, len(args)):
            continue
        ctx, define = t.region_at(start)
        f = t.func_at(start) if ctx != Context.MACRO else None
        site = Site(path, t.lines.line(start), start, callee, f.name if f else None,
                    args, ctx, define=define)
        _site_place(t, site, f)
        if site.flags and f and _IDENT_OR_MEMBER_RE.fullmatch(site.flags):
            site.flags_km = _km_flags_variable(t, f, site)
        sites.append(site)
    return sites


def _km_flags_variable(t: _Text, f: Function, site: Site) -> bool:
    """site's flags are a variable holding kmem's flags: declared
    km_flag_t, or a const local whose initializer is kmem's flags (arm's
    bus_dma.c: const int zallocflags = (flags & BUS_DMA_NOWAIT) ?
    KM_NOSLEEP : KM_SLEEP), or a local (not a parameter) given only
    kmem's flags, by its initializer or by assignments, and never changed
    otherwise nor lent by address (dwc2_hcd.c: int kmem_flag; ...
    kmem_flag = KM_SLEEP; else kmem_flag = KM_NOSLEEP)."""
    assert site.flags is not None       # the caller checked
    ft = t.keys.type_of(site.flags, f)
    if ft is not None and ft.ptr == 0 and ft.base == "km_flag_t":
        return True
    body = t.code[f.start:f.end]
    name = re.escape(site.flags)
    m = re.search(r"\bconst\s+[\w\s]*?\b%s\s*=\s*([^;]+);" % name, body)
    if m:
        return _kmem_flags(site.callee, m.group(1))
    if site.flags in f.params or ft is None or ft.ptr != 0 or not is_scalar(ft.base):
        return False
    given = re.findall(r"(?<![\w.>])%s\s*=(?!=)\s*([^;]+);" % name, body)
    changed = re.search(r"&\s*%s\b(?!\s*[.\[])|\b%s\s*(?:[-+*/%%&|^]|<<|>>)=|"
                        r"(?:\+\+|--)\s*%s\b|\b%s\s*(?:\+\+|--)" % ((name,) * 4), body)
    return bool(given) and not changed and all(_kmem_flags(site.callee, g) for g in given)


def _kmem_flags(callee: str, e: str) -> bool:
    """e is kmem's flags in a form translate() knows (outer parentheses
    aside: mips's = ((flags & ...) ? ... : ...);)."""
    e = e.strip()
    while e.startswith("(") and brackets.match(e, 0) == len(e):
        e = e[1:-1].strip()
    return bool(e) and translate(callee, e) is not None


def _site_place(t: _Text, site: Site, f: Function | None, ptr: str | None = None,
                size: str | None = None) -> None:
    """site.key, objtype and anchor: the freed pointer (the first argument,
    or for a macro's use the expression its definition frees, ptr), or
    where the allocation goes; sizeof in the size (site.size, or for a
    macro's use the size it passes) tells the object type too."""
    if site.role == Role.FREE:
        if ptr is None and not site.macro:
            ptr = site.args[0] if site.args else None
        pl = t.keys.place(ptr, f) if ptr else None
        site.key, site.objtype = (pl.key.read(), pl.objtype) if pl else (None, None)
        site.anchor = " ".join(ptr.split()) if ptr else ""
    elif ptr:       # a macro's use that assigns the allocation to an argument
        pl = t.keys.place(ptr, f)
        site.key, site.objtype = (pl.key, pl.objtype) if pl else (None, None)
        site.anchor = " ".join(ptr.split())
    else:
        site.key, site.objtype, site.anchor = _alloc_place(t, site.offset, f)
    size = size if site.macro else site.size
    if size:
        site.size_type = t.keys.sizeof_type(size, f)
        site.size_zero = site.size_type is not None and \
            t.keys.env.struct(site.size_type) == {}
    if site.objtype is None:
        site.objtype = site.size_type
    if size and site.family == "kmem":
        site.size_factors = t.keys.size_factors(size, f)
    if site.key is None:
        site.key = Key.unnamed(site.path)


def _macro_uses(t: _Text, path: str, macros: dict[str, AllocMacro]) -> list[Site]:
    """Uses of allocator macros inside functions: they pair like calls.
    A macro that frees a pointer of its own (EBH_TREE_DESTROY(name, head,
    type) frees its `type *var` with kmem_free(var, sizeof(type))) frees,
    at each use, memory of the type its size names there."""
    sites = []
    use_re = re.compile(r"\b(" + "|".join(map(re.escape, macros)) + r")\s*\(")
    for m in use_re.finditer(t.code):
        start = m.start()
        f = t.func_at(start)
        if f is None:
            continue
        mac = macros[m.group(1)]
        openp = m.end() - 1
        args = split_args(t.code[openp + 1:brackets.match(t.code, openp) - 1])
        site = Site(path, t.lines.line(start), start, mac.callee, f.name, args,
                    t.region_at(start)[0], macro=m.group(1), type_arg=mac.mtype)
        # the pointer this use frees and the size it passes, in its own
        # terms (not its arguments at the call's positions)
        size = _substitute(mac.size, mac.params, args) if mac.size else None
        if mac.argno >= -1:
            _site_place(t, site, f, _substitute(mac.ptr, mac.params, args), size)
        else:
            ot = t.keys.sizeof_type(size, f) if size and t.keys else None
            site.key = Key.typed(ot) if ot else Key.unnamed(path)
            site.objtype = site.size_type = ot
        sites.append(site)
    return sites


def _links(t: _Text, path: str, callees: dict[str, tuple[bool, ...]] | None,
           facts: FileFacts) -> None:
    """Where pointers flow: plain assignments between places, returns,
    and calls (into facts.links and facts.calls)."""
    def place(e: str, f: Function) -> Key | None:
        pl = t.keys.place(e, f)
        return pl.key if pl else None

    def interior(e: str, f: Function) -> Key | None:
        pl = t.keys.interior(e, f)
        return pl.key if pl else None

    for f in t.funcs:
        body = t.code[f.start:f.end]
        for stmt in _STMT_SPLIT_RE.split(body):
            if "=" not in stmt and "return" not in stmt:
                continue            # neither an assignment nor a return
            s = " ".join(stmt.split())
            rm = _RETURN_RE.match(s)
            if rm and rm.group(1):
                k = place(rm.group(1), f) or interior(rm.group(1), f)
                if k:
                    facts.links.append((t.keys.return_key(f), k.read()))
                continue
            for pm in _PAREN_ASSIGN_RE.finditer(s):     # while ((p = q) != NULL)
                kl, kr = place(pm.group(1), f), place(pm.group(2), f)
                if kl and kr:
                    facts.links.append((kl, kr.read()))
            am = _ASSIGN_RE.search(s)
            if am:
                lhs, rhs = s[:am.start()], s[am.end():]
                lm = _LHS_PLACE_RE.search(lhs)
                if lm and not t.keys.pointer_or_unknown(lm.group(0), f):
                    continue        # no pointer is stored: i = n + 1
                kl = place(lm.group(0), f) if lm else None
                om = _DEREF_LHS_RE.match(lhs)
                if om and om.group(1) in f.params:
                    f.outparams.add(f.params.index(om.group(1)))
                # an assignment inside brackets ends at their close:
                # `(ipb = pathbuf_create(nfs_pub.np_index)) != NULL` stores
                # what the call returns, not np_index (whose memory it
                # joined with every struct pathbuf)
                rhs = rhs[:brackets.unclosed(rhs)].strip()
                # p = &x hands out x's address, not what x points to;
                # p = &x->m a pointer into what x points to
                kr = interior(rhs, f) if rhs.startswith("&") else place(rhs, f)
                cm = _RHS_CALL_RE.match(rhs)
                if kl and kr:
                    facts.links.append((kl, kr.read()))
                elif kl and cm and cm.group(1) not in CALLEES:
                    facts.calls.append((cm.group(1), -1, kl, False))
        for cm in _ANY_CALL_RE.finditer(body):
            name = cm.group(1)
            if name in KEYWORDS or name in CALLEES or \
                    (callees is not None and name not in callees):
                continue
            mask = callees.get(name) if callees is not None else None
            if mask is not None and not any(mask) and "." not in name:
                continue            # no parameter takes a pointer
            close = brackets.match(body, cm.end() - 1)
            for i, a in enumerate(split_args(body[cm.end():close - 1])):
                if mask is not None and i < len(mask) and not mask[i]:
                    continue
                by_addr = a.lstrip().startswith("&")
                if by_addr:         # f(&p): f may store into p (an outparam)
                    a = a.lstrip()[1:]
                if not t.keys.pointer_or_unknown(a, f):
                    continue
                k = place(a, f)
                if k and not k.is_unnamed:
                    facts.calls.append((sys.intern(name), i, k.read(), by_addr))


def scan_file(fs_path: str, rel: str) -> FileFacts:
    with open(fs_path, encoding="utf-8", errors="surrogateescape") as fp:
        return scan(fp.read(), rel)
