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
                    owner (see pairing/flow.py), and a member or global shared
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
                    one directory (the fallback; see pairing/flow.py)
  u:PATH            an expression we cannot name (one bucket per file)

  KEY[]             an element of KEY's place (*p, p[i], sc->sc_ih[i]): a
                    place of its own
  fr:DIR:NAME       f:DIR:NAME as read (Key.read)

The flow graph (pairing/flow.py) keeps t: and m: keys apart by owner
(Key.scoped): t:UNIT|TYPE, m:UNIT|AGG.NAME.

A key is a Key, with its parts as fields, made by Key's functions here and
nowhere else; str(key) is its form above (report.json's "key").

Besides its key, a place may tell the object type of its memory when the
key does not (a cast to a struct pointer, sizeof(struct foo) in a size):
Place.objtype.
"""

from __future__ import annotations

import enum
import os
import re
from typing import NamedTuple

from . import brackets
from .cdecl import CType, TypeEnv, is_scalar


class Kind(enum.Enum):
    """What a key names; the value is its printed form's prefix."""
    TYPE = "t"          # memory of a known object type
    MEMBER = "m"        # a generic member of one struct or union
    LOCAL = "v"         # a generic local, parameter or static variable of a file
    GLOBAL = "g"        # a generic global variable
    RETURN = "r"        # what a function returns, when that is generic
    STORE = "f"         # a member whose struct we could not tell, stored into
    READ = "fr"         # the same, read from
    UNNAMED = "u"       # an expression we cannot name (one per file)

    # a member is the only one of its value: hashed as itself, not by its
    # name in Python (Enum's), for it is in every interned Key's fields
    __hash__ = object.__hash__


class Key:
    """A key: the module's doc says what each kind names.  Made only by
    the functions below, and interned: there is one Key of each value, so
    == and hash are identity's (keys are hashed millions of times in the
    flow graph), copies and pickles give the same object back, and a
    Key's fields never change.  str(key) is its printed form."""

    __slots__ = ("kind", "unit", "objtype", "agg", "path", "dir", "func", "name", "via",
                 "elems", "holds", "_str", "_elem")

    kind: Kind
    unit: str | None        # a t: or m: node's owner in the flow graph (scoped)
    objtype: str | None     # TYPE of t:
    agg: str | None         # AGG of m:
    path: str | None        # PATH of v:, r:, u:
    dir: str | None         # DIR of f:, fr:
    func: str | None        # FUNC of r:, and of v: (None: a file's static variable)
    name: str | None        # NAME of m:, v:, g:, f:, fr:
    via: Key | None         # the member or global of t:TYPE@VIA (not scoped)
    elems: int              # how many [] follow: an element of an element ...
    # what the memory at a t: key is, as Site.objtype spells it: TYPE, or
    # TYPE[] (...) for an element of that memory, which is no TYPE
    holds: str | None
    _str: str | None
    _elem: Key | None

    def __new__(cls, *args, **kwargs):
        raise TypeError("keys are made by Key's functions (Key.typed, Key.member ...)")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Key does not change")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a Key does not change")

    def __reduce__(self):
        return _make, (self.kind, self.unit, self.objtype, self.agg, self.path, self.dir,
                       self.func, self.name, self.via, self.elems)

    # -- making keys -------------------------------------------------------

    @staticmethod
    def typed(objtype: str, via: Key | None = None) -> Key:
        """t:TYPE, or t:TYPE@VIA in a member or global (VIA, m: or g:)."""
        return _make(Kind.TYPE, None, objtype, None, None, None, None, None, via, 0)

    @staticmethod
    def member(agg: str, name: str) -> Key:
        """m:AGG.NAME"""
        return _make(Kind.MEMBER, None, None, agg, None, None, None, name, None, 0)

    @staticmethod
    def local(path: str, func: str | None, name: str) -> Key:
        """v:PATH:FUNC:NAME, or v:PATH:NAME without a function."""
        return _make(Kind.LOCAL, None, None, None, path, None, func, name, None, 0)

    @staticmethod
    def global_(name: str) -> Key:
        """g:NAME"""
        return _make(Kind.GLOBAL, None, None, None, None, None, None, name, None, 0)

    @staticmethod
    def returned(path: str, func: str) -> Key:
        """r:PATH:FUNC"""
        return _make(Kind.RETURN, None, None, None, path, None, func, None, None, 0)

    @staticmethod
    def by_name(dir: str, name: str) -> Key:
        """f:DIR:NAME"""
        return _make(Kind.STORE, None, None, None, None, dir, None, name, None, 0)

    @staticmethod
    def unnamed(path: str) -> Key:
        """u:PATH"""
        return _make(Kind.UNNAMED, None, None, None, path, None, None, None, None, 0)

    # -- keys from a key -----------------------------------------------------

    def element(self) -> Key:
        """KEY[]: the place of what is stored in this place's memory."""
        e = self._elem
        if e is None:
            e = _make(self.kind, self.unit, self.objtype, self.agg, self.path, self.dir,
                      self.func, self.name, self.via, self.elems + 1)
            object.__setattr__(self, "_elem", e)
        return e

    def container(self) -> Key:
        """The key this one is the element of (KEY of KEY[])."""
        assert self.elems > 0
        return _make(self.kind, self.unit, self.objtype, self.agg, self.path, self.dir,
                     self.func, self.name, self.via, self.elems - 1)

    def read(self) -> Key:
        """The key of a place as read.  A member we could not type is two
        keys: f:DIR:NAME where a value is stored into it, fr:DIR:NAME
        where one is read from it (pairing links stores to the typed
        members of that name, and those to reads), so that it does not
        make every member of that name in a directory one place."""
        if self.kind is not Kind.STORE:
            return self
        return _make(Kind.READ, self.unit, self.objtype, self.agg, self.path, self.dir,
                     self.func, self.name, self.via, self.elems)

    def scoped(self, unit: str) -> tuple[Key, Key | None]:
        """A file's key as a node of the flow graph, and the node of the
        member or global a typed place is found in, if any: a t: or m: key
        of the owner unit (t:UNIT|TYPE, m:UNIT|AGG.NAME); any other key
        is its own node (pairing/flow.py says why)."""
        if self.kind is Kind.MEMBER:
            return _make(Kind.MEMBER, unit, None, self.agg, None, None, None, self.name, None,
                         self.elems), None
        if self.kind is not Kind.TYPE:
            return self, None
        via = self.via
        if via is not None and via.kind is Kind.MEMBER:
            via = via.scoped(unit)[0]
        return _make(Kind.TYPE, unit, self.objtype, None, None, None, None, None, None,
                     self.elems), via

    @property
    def unowned(self) -> Key:
        """A flow graph's node as no owner's: what t:UNIT|TYPE and
        m:UNIT|AGG.NAME are of (t:TYPE, m:AGG.NAME), whoever owns them."""
        if self.unit is None:
            return self
        return _make(self.kind, None, self.objtype, self.agg, self.path, self.dir, self.func,
                     self.name, self.via, self.elems)

    # -- what a key is ---------------------------------------------------------

    @property
    def is_type(self) -> bool:
        """t: memory of a known type."""
        return self.kind is Kind.TYPE

    @property
    def is_member(self) -> bool:
        """m: a generic member of a known struct."""
        return self.kind is Kind.MEMBER

    @property
    def is_by_name(self) -> bool:
        """f:, fr: a member known by its name alone."""
        return self.kind is Kind.STORE or self.kind is Kind.READ

    @property
    def is_unnamed(self) -> bool:
        """u: no place we can name."""
        return self.kind is Kind.UNNAMED

    def __str__(self) -> str:
        s = self._str
        if s is None:
            s = self._format()
            object.__setattr__(self, "_str", s)
        return s

    def __repr__(self) -> str:
        return f"Key({str(self)!r})"

    def _format(self) -> str:
        k = self.kind
        owner = "" if self.unit is None else self.unit + "|"
        if k is Kind.TYPE:
            body = owner + f"{self.objtype}" + ("" if self.via is None else f"@{self.via}")
        elif k is Kind.MEMBER:
            body = owner + f"{self.agg}.{self.name}"
        elif k is Kind.LOCAL:
            body = f"{self.path}:" + ("" if self.func is None else f"{self.func}:") + \
                f"{self.name}"
        elif k is Kind.GLOBAL:
            body = f"{self.name}"
        elif k is Kind.RETURN:
            body = f"{self.path}:{self.func}"
        elif k is Kind.UNNAMED:
            body = f"{self.path}"
        else:                       # STORE, READ
            body = f"{self.dir}:{self.name}"
        return f"{k.value}:{body}" + "[]" * self.elems


# the one Key of each value
_KEYS: dict[tuple, Key] = {}


def _make(kind: Kind, unit: str | None, objtype: str | None, agg: str | None,
          path: str | None, dir: str | None, func: str | None, name: str | None,
          via: Key | None, elems: int) -> Key:
    fields = (kind, unit, objtype, agg, path, dir, func, name, via, elems)
    k = _KEYS.get(fields)
    if k is None:
        k = object.__new__(Key)
        for slot, value in zip(Key.__slots__, fields):
            object.__setattr__(k, slot, value)
        object.__setattr__(k, "holds", None if kind is not Kind.TYPE or objtype is None
                           else objtype + "[]" * elems)
        object.__setattr__(k, "_str", None)
        object.__setattr__(k, "_elem", None)
        _KEYS[fields] = k
    return k


class Place(NamedTuple):
    key: Key
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
        elif e.startswith("(") and brackets.match(e, 0) == len(e):
            e = e[1:-1].strip()
        else:
            break
    return e


def _factors(s: str) -> list[str]:
    """s split at the '*'s outside brackets (a unary * starts a factor)."""
    out, start = [], 0
    for i in brackets.top_level(s, "*"):
        if s[start:i].strip():
            out.append(s[start:i])
            start = i + 1
    out.append(s[start:])
    return out


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
            end = brackets.match(rest, 0)
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
                end = brackets.match(rest, m.end() - 1)
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
            operand = rest[1:brackets.match(rest, 0) - 1]
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
            while f.startswith("(") and brackets.match(f, 0) == len(f):
                f = f[1:-1].strip()
            parts = _factors(f)
            if len(parts) > 1:
                todo += parts
                continue
            m = re.fullmatch(r"sizeof\s*(\(.*\)|[^()]+)", f, re.S)
            if m:
                op = m.group(1).strip()
                if op.startswith("(") and brackets.match(op, 0) == len(op):
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
            self._memo[k] = self._place(expr, func)
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
            if via is not None and via.kind in (Kind.MEMBER, Kind.GLOBAL):
                return Place(Key.typed(ot, via), ot)
            return Place(Key.typed(ot), ot)
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

    def _generic_key(self, e: str, t: CType | None, func) -> Key | None:
        """The key of a place whose memory type is not known.  An element
        (*p, p[i], sc->sc_ih[i]) is a place of its own, KEY[]: the array
        ahcisata_pci.c allocates into psc->sc_ih is not the interrupt
        cookies stored in it and handed to pci_intr_disestablish()."""
        key = self._generic_base(e.lstrip("* \t"), func)
        if key is None:
            return None
        lead = e[:len(e) - len(e.lstrip("* \t"))].count("*")
        for _ in range(lead + self._subscripts(e.lstrip("* \t"))):
            key = key.element()
        return key

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
                n, pos = n + 1, brackets.match(e, st.end() - 1)
            else:
                n, pos = 0, st.end()
        return n

    def _generic_base(self, e: str, func) -> Key | None:
        call = _CALL_RE.match(e)
        if call and e.endswith(")") and brackets.match(e, call.end() - 1) == len(e):
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
                return Key.local(self.path, func.name, f"{base}.{last.group(2)}")
            bt = self.type_of(base, func)
            if bt is not None:
                home = self.env.member_home(bt, last.group(2), last.group(1) == "->")
                if home is not None:
                    return Key.member(home[0], home[1])
            return Key.by_name(self.dir, last.group(2))
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
            return Key.local(self.path, func.name, name)
        if self.env.variable(name) is not None and not self.env.is_static(name):
            return Key.global_(name)
        return Key.local(self.path, None, name)

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
        while e.startswith("(") and brackets.match(e, 0) == len(e):
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
                end = brackets.match(rest, m.end() - 1)
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

    def return_key(self, func) -> Key:
        """The key of what func returns."""
        ot = object_type(self.env, func.ret)
        return Key.typed(ot) if ot else Key.returned(self.path, func.name)
