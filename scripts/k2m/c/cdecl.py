"""C declarations: the types the scanner needs to key memory by what it is.

Not a C parser either (see cscan).  Declarations are read where kernel
code writes them: a function's parameters and locals, file-scope variables
and prototypes, struct and union members, typedefs; in the file and in the
headers it includes, found in the tree.  A type is a base and a pointer
depth: `struct putter_instance *` is ("struct putter_instance", 1), an
array counts as one more level (it decays), `char *` is ("char", 1), a
typedef name stays itself until TypeEnv.resolve() expands it.  What cannot
be read (macros that declare, function pointers, K&R) has no type, and the
scanner falls back to names for it.

All text given here is cscan's code view: comments and literals blanked,
preprocessor lines blanked, offsets kept.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from . import brackets, factcache
from .factcache import FactCache


class CType(NamedTuple):
    base: str               # "struct foo", "union u", "enum e", "void", "char", a typedef name
    ptr: int                # pointer depth (arrays count as one)


# words of the built-in scalar types; qualifiers and storage classes, and
# NetBSD's attribute macros, which a declaration may carry anywhere
_SCALAR_WORDS = {"char", "short", "int", "long", "float", "double", "signed",
                 "unsigned", "_Bool", "bool", "__int128"}
_SKIP_WORDS = {"const", "volatile", "static", "extern", "register", "inline",
               "__inline", "__inline__", "__always_inline", "auto", "restrict",
               "__restrict", "Static", "__unused", "__used", "__diagused",
               "__debugused", "__read_mostly", "__cacheline_aligned", "__packed",
               "__noinline", "__dead", "__KASSERT_USED", "_Noreturn",
               "__returns_twice", "__pure", "__constfunc", "__noasan"}
_ATTR_RE = re.compile(r"\b(__attribute__|__aligned|__section|__printflike|__scanflike|"
                      r"__format_arg|__nonnull|__alignof__|__asm__|__asm|__CTASSERT)\s*\(")
# scalar typedefs common enough to know without reading their definition
SCALAR_TYPEDEFS = {
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "u_int8_t", "u_int16_t", "u_int32_t", "u_int64_t", "u_char",
    "u_short", "u_int", "u_long", "u_quad_t", "quad_t", "uchar_t", "ushort",
    "uint", "ulong", "size_t", "ssize_t", "off_t", "intptr_t", "uintptr_t",
    "ptrdiff_t", "caddr_t", "daddr_t", "dev_t", "pid_t", "uid_t", "gid_t",
    "mode_t", "time_t", "paddr_t", "vaddr_t", "vsize_t", "psize_t", "vm_prot_t",
    "bus_addr_t", "bus_size_t", "bus_space_handle_t", "bus_space_tag_t",
    "bus_dma_tag_t", "register_t", "intmax_t", "uintmax_t", "wchar_t", "int_t",
    "km_flag_t", "cpuid_t", "lwpid_t", "in_addr_t", "in_port_t", "sa_family_t",
    "socklen_t", "devmajor_t", "devminor_t", "ino_t", "nlink_t", "blkcnt_t",
    "blksize_t", "fsblkcnt_t", "fsfilcnt_t", "useconds_t", "suseconds_t",
    "clockid_t", "id_t", "key_t", "segsz_t", "swblk_t", "fixpt_t", "rlim_t",
    "__uint8_t", "__uint16_t", "__uint32_t", "__uint64_t", "__int8_t",
    "__int16_t", "__int32_t", "__int64_t", "__size_t", "__off_t",
}
_IDENT = re.compile(r"[A-Za-z_]\w*")
_TOKEN = re.compile(r"[A-Za-z_]\w*|\*|\[|\]|\(|\)|\{|\}|,|=|:|;|[^\sA-Za-z_]")


def is_scalar(base: str) -> bool:
    return base in SCALAR_TYPEDEFS or base.split(" ", 1)[0] in _SCALAR_WORDS \
        or base == "void" or base.startswith("enum ")


def _drop_attributes(s: str) -> str:
    """s without __attribute__((...)), __aligned(n) and the like."""
    while True:
        m = _ATTR_RE.search(s)
        if not m:
            return s
        s = s[:m.start()] + " " + s[brackets.match(s, m.end() - 1, "("):]


def _base(tokens: list[str]) -> tuple[str | None, int]:
    """The base type at the front of a declaration's tokens, and how many
    tokens it took; (None, 0) if they do not start with a type."""
    i = 0
    words = []
    while i < len(tokens) and tokens[i] in _SKIP_WORDS:
        i += 1
    if i < len(tokens) and tokens[i] in ("struct", "union", "enum"):
        kind = tokens[i]
        i += 1
        while i < len(tokens) and tokens[i] in _SKIP_WORDS:
            i += 1
        if i < len(tokens) and _IDENT.fullmatch(tokens[i]):
            return f"{kind} {tokens[i]}", i + 1
        return None, 0          # an anonymous struct: not here
    while i < len(tokens) and (tokens[i] in _SCALAR_WORDS or tokens[i] in _SKIP_WORDS):
        if tokens[i] in _SCALAR_WORDS:
            words.append(tokens[i])
        i += 1
    if words:
        return " ".join(w for w in words if w not in ("signed",)) or "int", i
    if i < len(tokens) and _IDENT.fullmatch(tokens[i]) and tokens[i] not in _NOT_TYPE:
        return tokens[i], i + 1
    return None, 0


_NOT_TYPE = {"return", "goto", "break", "continue", "case", "default", "else",
             "if", "while", "for", "switch", "do", "sizeof", "typedef", "asm",
             "__asm", "__asm__"}


def _declarators(tokens: list[str], base: str) -> list[tuple[str, CType]]:
    """(name, type) for each declarator of `base d1, d2 = x, ...`.
    Function pointers and anything unusual are left out."""
    out = []
    depth = 0
    cur: list[str] = []
    parts = []
    for t in tokens:
        if t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
        if t == "," and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    for p in parts:
        if "=" in p:                    # an initializer
            p = p[:p.index("=")]
        if ":" in p:                    # a bit-field
            p = p[:p.index(":")]
        stars = 0
        i = 0
        while i < len(p) and (p[i] == "*" or p[i] in _SKIP_WORDS):
            stars += p[i] == "*"
            i += 1
        if i >= len(p) or not _IDENT.fullmatch(p[i]) or p[i] in _SKIP_WORDS:
            continue                    # (*fn)(...), or nothing
        name = p[i]
        rest = p[i + 1:]
        if rest and rest[0] == "(":
            continue                    # a function: not a variable
        stars += rest.count("[")        # arrays decay to pointers
        out.append((name, CType(base, stars)))
    return out


def parse_declaration(stmt: str) -> list[tuple[str, CType]]:
    """[(name, type)] a declaration statement (without its ;) declares;
    [] if it is not one."""
    if "(" in stmt and _ATTR_RE.search(stmt):
        stmt = _drop_attributes(stmt)
    tokens = _TOKEN.findall(stmt)
    base, n = _base(tokens)
    if base is None or n >= len(tokens):
        return []
    rest = tokens[n:]
    if rest[0] in ("=", "(", ".", "-", "[", ",", "+", "&", "|", "^", "%", "/",
                   "<", ">", "!", "?", ":"):
        return []                       # an expression statement
    return _declarators(rest, base)


def parse_params(params: str) -> list[tuple[str, CType]]:
    """[(name, type)] of a parameter list's text (without its parens)."""
    out = []
    start = 0
    # the last parameter ends at a ',' of our own, at depth 0 only if the
    # brackets balance
    for i in brackets.top_level(params + ",", ",", kinds="(["):
        d = parse_declaration(params[start:i])
        if len(d) == 1:
            out.append(d[0])
        start = i + 1
    return out


def return_type(prefix: str) -> CType | None:
    """The return type of a function whose definition or prototype has
    prefix before its name (`static struct foo *`)."""
    d = parse_declaration(prefix + " __k2m_name")
    return d[0][1] if d and d[0][0] == "__k2m_name" else None


@dataclass
class DeclFacts:
    """What one file or header declares at file scope."""
    structs: dict[str, dict[str, CType]] = field(default_factory=dict)  # "struct foo" -> members
    typedefs: dict[str, CType] = field(default_factory=dict)
    variables: dict[str, CType] = field(default_factory=dict)
    statics: set[str] = field(default_factory=set)       # variables local to the file
    functions: dict[str, CType] = field(default_factory=dict)    # return types
    # #define f_data f_undata.fd_data: a member name that is a path of members
    aliases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # its #includes: (name as written, quoted), and those found in the
    # tree with amd64's <machine/...>
    include_names: list[tuple[str, bool]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    digest: str = ""        # a header's: the hash of its text (factcache)


_FUNC_PROTO_RE = re.compile(r"([A-Za-z_]\w*)\s*\(")


def _chunks(code: str):
    """File-scope statements of code (function bodies already blanked):
    (text) up to each ; or } at brace depth 0; braces stay in."""
    depth, start = 0, 0
    for m in re.finditer(r"[{};]", code):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                depth = 0
        elif depth == 0:
            yield code[start:m.start()]
            start = m.end()
    if code[start:].strip():
        yield code[start:]


_AGG_RE = re.compile(r"\b(struct|union)\s+([A-Za-z_]\w*)?\s*(__attribute__\s*\(\(.*?\)\)\s*)?\{")


def _members(body: str, owner: str, facts: DeclFacts) -> dict[str, CType]:
    """The members of a struct body; nested anonymous aggregates are
    flattened (their members are the outer struct's, as C says), named
    nested ones registered as `owner::member`."""
    out: dict[str, CType] = {}
    pos = 0
    while pos < len(body):
        m = _AGG_RE.search(body, pos)
        semi = body.find(";", pos)
        if semi < 0:
            break
        if m and m.start() < semi:      # a nested struct/union definition
            close = brackets.match(body, m.end() - 1, "{") - 1
            end = body.find(";", close)
            if end < 0:
                end = len(body)
            inner = body[m.end():close]
            decl = body[close + 1:end]
            tag = m.group(2)
            names = _declarators(_TOKEN.findall(decl), "x") if decl.strip() else []
            if tag:
                key = f"{m.group(1)} {tag}"
                facts.structs[key] = _members(inner, key, facts)
                for name, t in names:
                    out[name] = CType(key, t.ptr)
            elif not names:
                out.update(_members(inner, owner, facts))      # anonymous: flattened
            else:
                for name, t in names:
                    key = f"{m.group(1)} {owner.split(' ', 1)[-1]}::{name}"
                    facts.structs[key] = _members(inner, key, facts)
                    out[name] = CType(key, t.ptr)
            pos = end + 1
            continue
        for name, t in parse_declaration(body[pos:semi]):
            out[name] = t
        pos = semi + 1
    return out


def file_decls(code: str, bodies: list[tuple[int, int]]) -> DeclFacts:
    """What code (cscan's code view) declares at file scope; bodies are the
    (start, end) offsets of its function bodies, which are skipped."""
    facts = DeclFacts()
    parts, pos = [], 0
    for a, b in bodies:
        parts += [code[pos:a], ";"]         # a body ends a statement
        pos = b
    parts.append(code[pos:])
    top = "".join(parts)
    for chunk in _chunks(top):
        st = chunk.strip()
        if not st:
            continue
        typedef = st.startswith("typedef")
        if typedef:
            st = st[len("typedef"):]
        m = _AGG_RE.search(st)
        if m and "=" not in st[:m.start()]:
            close = brackets.match(st, m.end() - 1, "{") - 1
            tag = m.group(2)
            key = f"{m.group(1)} {tag}" if tag else None
            after = st[close + 1:]
            names = _declarators(_TOKEN.findall(after), "x")
            if key is None:                 # typedef struct { ... } foo_t;
                if not (typedef and names):
                    continue
                key = f"{m.group(1)} {names[0][0]}"
            facts.structs[key] = _members(st[m.end():close], key, facts)
            for name, t in names:
                if typedef:
                    facts.typedefs[name] = CType(key, t.ptr)
                else:
                    facts.variables[name] = CType(key, t.ptr)
            continue
        if "{" in st:
            st = st[:st.index("{")]         # an initializer: the declaration is before
        if typedef:
            for name, t in parse_declaration(st):
                facts.typedefs[name] = t
            continue
        pm = _FUNC_PROTO_RE.search(st)
        decls = parse_declaration(st)
        if pm and (not decls or "=" not in st[:pm.start()]):
            # a prototype: type name(params)
            rt = return_type(st[:pm.start()])
            if rt is not None:
                facts.functions[pm.group(1)] = rt
            continue
        static = re.match(r"\s*(static|Static)\b", st) is not None
        for name, t in decls:
            facts.variables[name] = t
            if static:
                facts.statics.add(name)
    return facts


# --------------------------------------------------------------------------
# Headers

# <machine/...>: a file's own port's headers (sys/arch/alpha/include for
# sys/arch/alpha/...); elsewhere amd64's, the port whose headers every
# machine-independent file is read with
MACHINE = "sys/arch/amd64/include"


def machine_of(root: str, path: str) -> str:
    """The directory <machine/...> names for the file path."""
    parts = path.split("/")
    if len(parts) > 3 and parts[:2] == ["sys", "arch"]:
        d = f"sys/arch/{parts[2]}/include"
        if os.path.isdir(os.path.join(root, d)):
            return d
    return MACHINE


def resolve_include(root: str, including: str, name: str, quoted: bool,
                    machine: str = MACHINE, isfile=os.path.isfile) -> str | None:
    """The tree-relative path an #include names, or None if it is not in
    the tree (config-generated headers, the host's).  <machine/x.h> is
    machine's, <arm/x.h> sys/arch/arm/include's.  isfile(path): whether
    a path is a file."""
    cands = []
    if quoted:
        cands.append(os.path.normpath(os.path.join(os.path.dirname(including), name)))
    first, _, rest = name.partition("/")
    if rest:
        cands.append((machine if first == "machine" else f"sys/arch/{first}/include")
                     + "/" + rest)
    cands.append("sys/" + name)
    for c in cands:
        if not c.startswith("..") and isfile(os.path.join(root, c)):
            return c
    return None


_INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)
_ALIAS_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+\(?[ \t]*"
                       r"([A-Za-z_]\w*(?:[ \t]*(?:\.|->)[ \t]*[A-Za-z_]\w*)+)[ \t]*\)?[ \t]*$",
                       re.M)
_PATH_STEP_RE = re.compile(r"(\.|->)?\s*([A-Za-z_]\w*)")


def member_aliases(stripped: str) -> dict[str, list[tuple[str, str]]]:
    """#define NAME a.b->c (object-like, a path of members), in a text with
    comments blanked: {NAME: [("", "a"), (".", "b"), ("->", "c")]}."""
    return {m.group(1): [(sep or "", name) for sep, name in _PATH_STEP_RE.findall(m.group(2))]
            for m in _ALIAS_RE.finditer(stripped)}


def includes_of(text: str) -> list[tuple[str, bool]]:
    """The #include names of a text, and whether each is quoted."""
    return [(m.group(2), m.group(1) == '"') for m in _INCLUDE_RE.finditer(text)]


class TypeEnv:
    """The declarations one file sees: its own, then its headers' (the
    transitive closure of its #includes, in the order the compiler reads
    them).  Lookups are memoized."""

    def __init__(self, own: DeclFacts, headers: list[DeclFacts]) -> None:
        self.layers = [own] + headers
        self._merged: dict[str, dict] = {}

    def _find(self, kind: str, name: str):
        d = self._merged.get(kind)
        if d is None:               # one dict per kind, the first layer winning
            d = {}
            for f in reversed(self.layers):
                d.update(getattr(f, kind))
            self._merged[kind] = d
        return d.get(name)

    def struct(self, tag: str) -> dict[str, CType] | None:
        return self._find("structs", tag)

    def typedef(self, name: str) -> CType | None:
        return self._find("typedefs", name)

    def variable(self, name: str) -> CType | None:
        return self._find("variables", name)

    def function(self, name: str) -> CType | None:
        return self._find("functions", name)

    def alias(self, name: str) -> list[tuple[str, str]] | None:
        return self._find("aliases", name)

    def is_static(self, name: str) -> bool:
        return name in self.layers[0].statics

    def resolve(self, t: CType) -> CType:
        """t with its typedef base expanded (foo_t -> struct foo)."""
        for _ in range(8):
            if t.base.startswith(("struct ", "union ", "enum ")) or is_scalar(t.base):
                return t
            d = self.typedef(t.base)
            if d is None:
                return t
            t = CType(d.base, d.ptr + t.ptr)
        return t

    def member_home(self, t: CType, name: str, arrow: bool) -> tuple[str, str] | None:
        """(struct, member) that x->name (arrow) or x.name names for x of
        type t, a member alias (#define f_data f_undata.fd_data) followed
        to the member it stands for; None if the struct is not known."""
        t = self.resolve(t)
        s = self.struct(t.base)
        if t.ptr != (1 if arrow else 0) or s is None:
            return None
        path = self.alias(name) if name not in s else None
        if not path or path[0][1] == name:
            return t.base, name
        home = (t.base, name)
        cur: CType | None = CType(t.base, 0)
        for sep, m in path:
            cur = self.resolve(cur) if cur is not None else None
            if cur is None:
                return home
            home = (cur.base, m) if cur.ptr == (1 if sep == "->" else 0) else home
            cur = self.member(cur, m, sep == "->")
        return home

    def member(self, t: CType, name: str, arrow: bool) -> CType | None:
        """The type of x->name (arrow) or x.name for x of type t."""
        t = self.resolve(t)
        if t.ptr != (1 if arrow else 0):
            return None
        s = self.struct(t.base)
        if s is None:
            return None
        if name in s:
            return s[name]
        path = self.alias(name)
        if not path or path[0][1] == name:
            return None
        cur: CType | None = CType(t.base, 0)    # the path starts in the same struct
        for sep, m in path:
            cur = self.member(cur, m, sep == "->") if cur is not None else None
        return cur


EMPTY_ENV = TypeEnv(DeclFacts(), [])


class HeaderCache:
    """Headers read once per process: their declarations and includes.
    read(path) gives a file's text, view(text) its code view, function
    bodies and comments blanked (cscan); cache (factcache) keeps what a
    header declares across runs, keyed by its text: where its includes
    are found is worked out again (that is the tree's, not the text's)."""

    def __init__(self, root: str, read, view, cache: FactCache | None = None) -> None:
        self.root = root
        self.read, self.view = read, view
        self.cache = cache or FactCache(None)
        self.facts: dict[str, DeclFacts] = {}
        self.closures: dict[tuple[str, str], list[str]] = {}
        self.files: dict[str, bool] = {}      # path: whether it is a file

    def isfile(self, path: str) -> bool:
        """os.path.isfile, remembered: every file of a scan looks for the
        same few hundred headers, in the same few places."""
        got = self.files.get(path)
        if got is None:
            got = self.files[path] = os.path.isfile(path)
        return got

    def includes(self, path: str, raw: str, machine: str = MACHINE) -> list[str]:
        """The headers raw, the text of path, includes (tree-relative)."""
        return self._resolve(path, includes_of(raw), machine)

    def _resolve(self, path: str, names, machine: str) -> list[str]:
        return [p for p in (resolve_include(self.root, path, n, q, machine, self.isfile)
                            for n, q in names) if p]

    def decls(self, path: str) -> DeclFacts:
        if path not in self.facts:
            try:
                raw = self.read(path)
            except OSError:
                raw = ""
            digest = factcache.digest(raw)
            key = self.cache.key("decls", digest)
            f = self.cache.get(key, DeclFacts)
            if f is None:
                code, bodies, stripped = self.view(raw) if raw else ("", [], "")
                f = file_decls(code, bodies)
                f.aliases = member_aliases(stripped)
                f.include_names = includes_of(raw)
                f.digest = digest
                self.cache.put(key, f)
            f.includes = self._resolve(path, f.include_names, MACHINE)
            self.facts[path] = f
        return self.facts[path]

    def closure(self, path: str, machine: str = MACHINE) -> list[str]:
        """path's headers, transitively, with machine's <machine/...>: each
        after the headers it includes, as the compiler reads them (the
        first declaration of a name wins, and a header's fallback for what
        its includes did not declare, sys/bus.h's bus_dmamap_t under
        __HAVE_NO_BUS_DMA, comes after them)."""
        key = (path, machine)
        if key in self.closures:
            return self.closures[key]
        self.closures[key] = []           # cycles: seen as empty
        out: list[str] = []
        seen = set()
        d = self.decls(path)
        incs = d.includes if machine == MACHINE else \
            self._resolve(path, d.include_names, machine)
        for inc in incs:
            for h in self.closure(inc, machine) + [inc]:
                if h not in seen:
                    seen.add(h)
                    out.append(h)
        self.closures[key] = out
        return out

    def headers_of(self, path: str, raw: str) -> list[str]:
        """The headers a file sees, raw its text, in the order their
        declarations are looked up: with its port's <machine/...> when it
        is in one."""
        machine = machine_of(self.root, path)
        seen, out = set(), []
        for inc in self.includes(path, raw, machine):
            for h in self.closure(inc, machine) + [inc]:
                if h not in seen:
                    seen.add(h)
                    out.append(h)
        return out

    def env(self, path: str, own: DeclFacts, raw: str) -> TypeEnv:
        """The TypeEnv of a file whose own declarations are own."""
        return TypeEnv(own, [self.decls(h) for h in self.headers_of(path, raw)])
