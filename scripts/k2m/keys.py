"""Keys: where a pointer lives, and what the memory it points to is.

Pairing links an allocation to a free when the pointer can travel from the
one to the other.  A key names a place a pointer can be in; where the
place's C type says what the memory is, the key is that type, so two
places of that type are the same key wherever they are:

  t:TYPE            memory of a known object type: the pointee of the
                    place is a struct or union (or a typedef of one, or a
                    typedef we cannot see through, or a pointer to such:
                    an array of pointers); TYPE is its canonical spelling,
                    "struct putter_instance", "struct usbd_xfer *"
  t:TYPE@m:AGG.NAME the same, in a member of a struct (or @g:NAME, a
                    global): pairing keeps memory of one type apart by
                    owner (see pairing.py), and a member or global shared
                    by several owners is what joins them
  m:AGG.NAME        member NAME of struct/union AGG, of a generic pointer
                    type (void *, char *, uint8_t *, ...): "m:struct
                    foo_softc.sc_buf", not every sc_buf of the kernel
  v:PATH:FUNC:NAME  a generic-pointer local variable or parameter of FUNC
  v:PATH:NAME       a generic-pointer static variable of the file, or an
                    identifier whose declaration we did not find
  g:NAME            a generic-pointer global variable
  r:PATH:FUNC       what FUNC returns, when that is a generic pointer
                    (a typed return is its t: key)
  f:DIR:NAME        a member whose struct we could not tell, by name in
                    one directory (the fallback; see pairing.py)
  u:PATH            an expression we cannot name (one bucket per file)

Besides its key, a place may tell the object type of its memory when the
key does not (a cast to a struct pointer, sizeof(struct foo) in a size):
Place.objtype.
"""

from __future__ import annotations

import os
import re
import sys
from typing import NamedTuple

from .cdecl import CType, TypeEnv, is_scalar


class Place(NamedTuple):
    key: str
    objtype: str | None         # what the memory is, when known


KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof", "do", "else",
            "case", "goto", "__attribute__", "defined", "__typeof__", "typeof"}
CONST_RE = re.compile(r"[A-Z_][A-Z0-9_]*|NULL|true|false")
# Wrappers that do not change which pointer is meant.
UNWRAP_RE = re.compile(r"^(__UNVOLATILE|__UNCONST|__UNQUALIFIED|UNCONST)\s*\((.*)\)$", re.S)
CAST_RE = re.compile(r"^\(\s*((?:const\s+|volatile\s+|struct\s+|union\s+|unsigned\s+)*"
                     r"[A-Za-z_]\w*[\s\*]*?(?:\s*const)?\s*\**)\s*\)\s*(?=[A-Za-z_(*&])")
_STEP_RE = re.compile(r"\s*(->|\.)\s*([A-Za-z_]\w*)|\s*(\[)")
_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_SIMPLE_RE = re.compile(r"[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*")
_SIZEOF_RE = re.compile(r"\bsizeof\b\s*")
# (sc)->sc_buf, as a macro's body writes its parameter: sc->sc_buf
_PAREN_BASE_RE = re.compile(r"^\(\s*([A-Za-z_]\w*)\s*\)(?=\s*(->|\.|\[))")
_CALL_RE = re.compile(r"([A-Za-z_]\w*)\s*\(")


def canonical(t: CType) -> str:
    return t.base + " " + "*" * t.ptr if t.ptr else t.base


def object_type(env: TypeEnv, t: CType | None) -> str | None:
    """What memory a pointer of type t points to, as a t: key's TYPE, or
    None when the pointee is generic (void, char, a scalar, or pointers
    to those) or unknown."""
    if t is None:
        return None
    t = env.resolve(t)              # cfdata_t is struct cfdata *
    if t.ptr < 1:
        return None
    p = env.resolve(CType(t.base, t.ptr - 1))
    if is_scalar(p.base) or p.base == "?":
        return None
    return canonical(p)


def _peel(e: str) -> str:
    """e without the wrappers that do not change which pointer is meant
    (UNWRAP_RE) and without outer parentheses."""
    for _ in range(8):
        m = UNWRAP_RE.match(e)
        if m:
            e = m.group(2).strip()
        elif e.startswith("(") and _match(e, 0) == len(e):
            e = e[1:-1].strip()
        else:
            break
    return e


def _top_level_split(s: str, sep: str) -> list[str]:
    """s split at sep outside brackets (a unary * starts a factor)."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(s):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0 and s[start:i].strip():
            out.append(s[start:i])
            start = i + 1
    out.append(s[start:])
    return out


def _match(s: str, i: int) -> int:
    """s[i] opens a bracket: the offset after its partner."""
    depth = 0
    for k in range(i, len(s)):
        c = s[k]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(s)


class Keys:
    """Keys of one file's expressions, with the declarations it sees."""

    def __init__(self, path: str, env: TypeEnv) -> None:
        self.path = path
        self.dir = os.path.dirname(path)
        self.env = env
        self._memo: dict[tuple[str, int], Place | None] = {}
        self._types: dict[tuple[str, int], CType | None] = {}

    # -- types of expressions --------------------------------------------

    def type_of(self, e: str, func) -> CType | None:
        """The C type of a simple expression (a variable, a chain of
        members and subscripts, with casts, &, * and parentheses), or None."""
        k = (e, func.start if func is not None else -1)
        try:
            return self._types[k]
        except KeyError:
            t = self._types[k] = self._type_of(e.strip(), func)
            return t

    def _type_of(self, e: str, func) -> CType | None:
        e = _peel(_PAREN_BASE_RE.sub(r"\1", e))
        m = CAST_RE.match(e)
        if m:
            return self.parse_type(m.group(1))
        if e.startswith("*"):
            t = self.type_of(e[1:], func)
            t = self.env.resolve(t) if t else None
            return CType(t.base, t.ptr - 1) if t and t.ptr > 0 else None
        if e.startswith("&"):
            t = self.type_of(e[1:], func)
            return CType(t.base, t.ptr + 1) if t else None
        m = _IDENT_RE.match(e)
        if not m:
            return None
        name, pos = m.group(), m.end()
        rest = e[pos:].lstrip()
        if rest.startswith("("):                    # a call: what it returns
            end = _match(rest, 0)
            t = self.env.function(name) if func is None or name not in func.types else None
            return t if rest[end:].strip() == "" else self._steps(t, rest[end:])
        t = self._ident_type(name, func)
        return self._steps(t, e[pos:])

    def _ident_type(self, name: str, func) -> CType | None:
        if func is not None and name in func.types:
            return func.types[name]
        return self.env.variable(name)

    def _steps(self, t: CType | None, rest: str) -> CType | None:
        pos = 0
        while t is not None and pos < len(rest):
            m = _STEP_RE.match(rest, pos)
            if not m:
                return None if rest[pos:].strip() else t
            if m.group(3):                          # [i]
                end = _match(rest, m.end() - 1)
                t = self.env.resolve(t)
                t = CType(t.base, t.ptr - 1) if t.ptr > 0 else None
                pos = end
            else:
                t = self.env.member(t, m.group(2), m.group(1) == "->")
                pos = m.end()
        return t

    def parse_type(self, s: str) -> CType | None:
        """A type name (a cast's, sizeof's): "struct foo *", "foo_t"."""
        s = " ".join(s.replace("*", " * ").split())
        words = [w for w in s.split() if w not in ("const", "volatile")]
        ptr = words.count("*")
        words = [w for w in words if w != "*"]
        if not words:
            return None
        if words[0] in ("struct", "union", "enum") and len(words) == 2:
            return CType(f"{words[0]} {words[1]}", ptr)
        if len(words) == 1 and _IDENT_RE.fullmatch(words[0]):
            return CType(words[0], ptr)
        if all(w in ("unsigned", "signed", "char", "short", "int", "long") for w in words):
            return CType(" ".join(words), ptr)
        return None

    def sizeof_type(self, size: str, func) -> str | None:
        """The object type a size expression names: sizeof(struct foo),
        sizeof(*p), n * sizeof(foo_t) ... (the first sizeof), or None."""
        m = _SIZEOF_RE.search(size)
        if not m:
            return None
        rest = size[m.end():]
        if rest.startswith("("):
            operand = rest[1:_match(rest, 0) - 1]
        else:
            om = re.match(r"[\w\s>.\-*\[\]]+", rest)
            operand = om.group() if om else ""
        t = None
        if re.fullmatch(r"\s*(struct|union)\s+\w+\s*\**\s*", operand) or \
                (re.fullmatch(r"\s*\w+\s*\**\s*", operand) and
                 self._ident_type(operand.strip(" *"), func) is None):
            t = self.parse_type(operand)       # a type name
        else:
            t = self.type_of(operand, func)    # an expression: its type
        if t is None:
            return None
        t = self.env.resolve(t)
        return object_type(self.env, CType(t.base, t.ptr + 1))

    def size_factors(self, size: str, func) -> tuple[str, ...] | None:
        """A size expression as the factors of a product, sorted, each
        sizeof(...) spelled sizeof<TYPE> with its operand's type
        (sizeof(*pi) and sizeof(struct putter_instance) are one factor);
        None if it is not a product of simple factors."""
        factors = []
        todo = [size]
        while todo:
            f = todo.pop().strip()
            while f.startswith("(") and _match(f, 0) == len(f):
                f = f[1:-1].strip()
            parts = _top_level_split(f, "*")
            if len(parts) > 1:
                todo += parts
                continue
            m = re.fullmatch(r"sizeof\s*(\(.*\)|[^()]+)", f, re.S)
            if m:
                op = m.group(1).strip()
                if op.startswith("(") and _match(op, 0) == len(op):
                    op = op[1:-1]
                t = self._sizeof_operand(op, func)
                if t is None:
                    return None
                factors.append("sizeof<" + canonical(self.env.resolve(t)) + ">")
            elif re.fullmatch(r"[\w\s>.\-\[\]]+", f) and f:
                factors.append("".join(f.split()))
            else:
                return None
        return tuple(sorted(factors)) if factors else None

    def _sizeof_operand(self, op: str, func) -> CType | None:
        if re.fullmatch(r"\s*(struct|union)\s+\w+\s*\**\s*", op) or \
                (re.fullmatch(r"\s*\w+(\s+\w+)*\s*\**\s*", op) and
                 self._ident_type(op.strip(" *").split()[-1], func) is None):
            return self.parse_type(op)
        return self.type_of(op, func)

    # -- keys ------------------------------------------------------------

    def place(self, expr: str, func) -> Place | None:
        """The key of the place expr denotes and, when known, the object
        type of what it points to; None if expr is not a place."""
        k = (expr, func.start if func is not None else -1)
        if k not in self._memo:
            p = self._place(expr, func)
            self._memo[k] = p and Place(sys.intern(p.key), p.objtype)
        return self._memo[k]

    def pointer_or_unknown(self, expr: str, func) -> bool:
        """False when expr is known not to be a pointer (a scalar or a
        struct value): no pointer flows through it."""
        t = self.type_of(expr, func)
        return t is None or self.env.resolve(t).ptr > 0

    def _place(self, expr: str, func) -> Place | None:
        e = _PAREN_BASE_RE.sub(r"\1", expr.strip())
        cast = None
        if not _SIMPLE_RE.fullmatch(e):
            e, cast = self._unwrap(" ".join(e.split()))
        if e.startswith("&"):
            return None                 # an address, not a pointer stored there
        t = self.type_of(e, func)
        ot = object_type(self.env, t)
        if ot is not None:
            via = self._generic_key(e, t, func)     # the member or global it is in
            if via and via[0] in "mg":
                return Place(f"t:{ot}@{via}", ot)
            return Place("t:" + ot, ot)
        cast_ot = object_type(self.env, cast) if cast else None
        key = self._generic_key(e, t, func)
        if key is None:
            return None
        return Place(key, cast_ot)

    def _unwrap(self, e: str) -> tuple[str, CType | None]:
        """e without wrappers, parentheses and casts; and the first cast."""
        cast = None
        for _ in range(8):
            e = _peel(e)
            m = CAST_RE.match(e)
            if not m:
                break
            cast = cast or self.parse_type(m.group(1))
            e = e[m.end():].strip()
        return e, cast

    def _generic_key(self, e: str, t: CType | None, func) -> str | None:
        """The key of a place whose memory type is not known.  An element
        (*p, p[i], sc->sc_ih[i]) is a place of its own, KEY[]: the array
        ahcisata_pci.c allocates into psc->sc_ih is not the interrupt
        cookies stored in it and handed to pci_intr_disestablish()."""
        key = self._generic_base(e.lstrip("* \t"), func)
        if key is None:
            return None
        lead = e[:len(e) - len(e.lstrip("* \t"))].count("*")
        return key + "[]" * (lead + self._subscripts(e.lstrip("* \t")))

    @staticmethod
    def _subscripts(e: str) -> int:
        """How many [i] follow the last member (or the name) of e."""
        m = _IDENT_RE.match(e)
        pos, n = (m.end() if m else len(e)), 0
        while pos < len(e):
            st = _STEP_RE.match(e, pos)
            if st is None:
                break
            if st.group(3):
                n, pos = n + 1, _match(e, st.end() - 1)
            else:
                n, pos = 0, st.end()
        return n

    def _generic_base(self, e: str, func) -> str | None:
        call = _CALL_RE.match(e)
        if call and e.endswith(")") and _match(e, call.end() - 1) == len(e):
            return None                 # a call's value: not a place
        steps = list(_STEP_RE.finditer(e))
        last = None
        for st in steps:
            if st.group(2):
                last = st
        if last is not None:
            base = e[:last.start()].strip()
            if last.group(1) == "." and func is not None and \
                    func.types.get(base, CType("", 1)).ptr == 0:
                # a member of the function's own struct variable: its
                # place, not every struct's (each sysctl handler's local
                # `struct sysctlnode node` holds its own buffer)
                return f"v:{self.path}:{func.name}:{base}.{last.group(2)}"
            bt = self.type_of(base, func)
            if bt is not None:
                home = self.env.member_home(bt, last.group(2), last.group(1) == "->")
                if home is not None:
                    return f"m:{home[0]}.{home[1]}"
            return f"f:{self.dir}:{last.group(2)}"
        m = _IDENT_RE.match(e)
        if not m:
            return None
        name = m.group()
        if name in KEYWORDS or CONST_RE.fullmatch(name):
            return None
        rest = e[m.end():].strip()
        if rest and not rest.startswith("["):
            return None                 # arithmetic, a call ...
        if func is not None and name in func.types:
            return f"v:{self.path}:{func.name}:{name}"
        if self.env.variable(name) is not None and not self.env.is_static(name):
            return f"g:{name}"
        return f"v:{self.path}:{name}"

    def interior(self, expr: str, func) -> Place | None:
        """For &p->m (or &p[0]), a pointer to the start of the memory p
        points to: p's place.  `return &this->base` hands out the
        allocation of `this` through its first member (msm6258.c's codec
        filter); &x of a variable is another object, and &p->m of any
        other member a pointer into the middle (None)."""
        e = " ".join(expr.split())
        if not e.startswith("&"):
            return None
        e = e[1:].strip()
        while e.startswith("(") and _match(e, 0) == len(e):
            e = e[1:-1].strip()
        cut = max(e.rfind("->"), e.rfind("["))
        if cut <= 0:
            return None
        if not self._at_offset_zero(self.type_of(e[:cut], func), e[cut:]):
            return None
        return self.place(e[:cut], func)

    def _at_offset_zero(self, t: CType | None, rest: str) -> bool:
        """rest (->a.b, [0]) from a pointer of type t names what starts
        the memory t points to: each member the first of its struct, each
        subscript 0.  A pointer into the middle of an allocation is no
        pointer anything frees (usbnet's &unp->unp_ec.ec_if, handed to
        if.c, is not the memory if_free() releases)."""
        pos = 0
        while t is not None and pos < len(rest):
            m = _STEP_RE.match(rest, pos)
            if not m:
                return False
            if m.group(3):                          # [i]
                end = _match(rest, m.end() - 1)
                if rest[m.end():end - 1].strip() != "0":
                    return False
                t = self.env.resolve(t)
                t = CType(t.base, t.ptr - 1) if t.ptr > 0 else None
                pos = end
                continue
            r = self.env.resolve(t)
            members = self.env.struct(r.base) if r.ptr == (1 if m.group(1) == "->" else 0) \
                else None
            if not members or next(iter(members)) != m.group(2):
                return False
            t = members[m.group(2)]
            pos = m.end()
        return pos >= len(rest.rstrip())

    def bases(self, objtype: str) -> tuple[str, ...]:
        """The struct types memory of objtype also is at offset zero: its
        first member's, if that is a struct, and so on (netipsec's struct
        keycb starts with a struct rawcb, which net/raw_cb.c frees)."""
        out: list[str] = []
        t = CType(objtype, 0)
        for _ in range(8):
            members = self.env.struct(t.base)
            if not members:
                break
            t = self.env.resolve(next(iter(members.values())))
            if t.ptr or not t.base.startswith(("struct ", "union ")) or t.base in out:
                break
            out.append(t.base)
        return tuple(out)

    def return_key(self, func) -> str:
        """The key of what func returns."""
        ot = object_type(self.env, func.ret)
        return "t:" + ot if ot else f"r:{self.path}:{func.name}"
