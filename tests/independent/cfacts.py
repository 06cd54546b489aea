"""What one C file allocates and releases, read with libclang (the C front end).

This module shares nothing with scripts/k2m, whose pairing it checks: it
asks clang for the translation unit and the C type of every expression.

For each call of an allocator or release function (FAMILIES below,
recognised by callee name and argument count after macro expansion, so a
helper that no header declares still counts) it records an Event: the
family, the site, and the *keys* that identify the memory:

- ``T:<type>``: the pointee type of the lvalue the allocation is stored
  into, or of the expression freed, when that type is specific (a struct
  or union, or pointers to one).  Explicit casts on the way count too.
- for generic pointers (void *, char *, uint8_t * ...) the place instead:
  ``M:<record>::<member>`` for a member, ``L:<file>:<function>:<name>`` for
  a local or parameter, ``G:...`` for a global, ``R:<function>`` for what
  a function returns; a sizeof of a specific type in the size argument is
  then used as a ``T:`` key as well.
- simple assignments between places inside one function (``p = q``,
  ``sc->sc_buf = p``, ``struct x *p = fp->f_data``) are followed: forward
  from where an allocation is stored, backward from what is freed; each
  place reached adds its own key.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, asdict

import clang.cindex as ci

from cvalue import integer

K = ci.CursorKind

# Allocation functions: name -> (family, size argument index or None,
# accepted argument counts, or None for "any count >= 1" (printf-like)).
# kern_malloc/kern_realloc/kern_free are what NetBSD's <sys/malloc.h>
# macros expand malloc/realloc/free to (with or without the type argument).
ALLOCS = {
    "kmem_alloc": ("kmem", 0, {2}),
    "kmem_zalloc": ("kmem", 0, {2}),
    "kmem_intr_alloc": ("kmem", 0, {2}),
    "kmem_intr_zalloc": ("kmem", 0, {2}),
    "kmem_asprintf": ("kmem", None, None),
    "kmem_strdup": ("kmem", None, {2}),
    "kmem_strdupsize": ("kmem", None, {3}),
    "kmem_strndup": ("kmem", None, {3}),
    "kmem_tmpbuf_alloc": ("kmem", 0, {4}),
    "malloc": ("malloc", 0, {3}),
    "kern_malloc": ("malloc", 0, {2, 3}),
    "realloc": ("malloc", 1, {4}),
    "kern_realloc": ("malloc", 1, {3, 4}),
    "malloc_asprintf": ("malloc", None, None),
    "malloc_strdup": ("malloc", None, {3}),
    "malloc_strdupsize": ("malloc", None, {4}),
    "malloc_strndup": ("malloc", None, {4}),
    "malloc_tmpbuf_alloc": ("malloc", 0, {5}),
}
# Release functions: name -> (family, pointer argument index, size
# argument index or None, accepted argument counts).  realloc also
# releases its first argument.
FREES = {
    "kmem_free": ("kmem", 0, 1, {2}),
    "kmem_intr_free": ("kmem", 0, 1, {2}),
    "kmem_strfree": ("kmem", 0, None, {1}),
    "kmem_tmpbuf_free": ("kmem", 0, 1, {3}),
    "free": ("malloc", 0, 2, {2, 3}),
    "kern_free": ("malloc", 0, None, {1, 2}),
    "kern_free_sized": ("malloc", 0, 2, {3}),
    "malloc_tmpbuf_free": ("malloc", 0, 1, {4}),
    "malloc_strfree": ("malloc", 0, None, {2}),
    "realloc": ("malloc", 0, 1, {4}),
    "kern_realloc": ("malloc", 0, 1, {3, 4}),
}

# Where a malloc(9) call names its malloc type: (name, argument count) ->
# index.  NetBSD's own <sys/malloc.h> drops the type (kern_malloc(size,
# flags), kern_free(addr)): those calls have no type to read (typecheck.py
# wants a tree with the shim installed).  malloc_asprintf: any count.
MTYPE_ARG = {
    ("malloc", 3): 1, ("kern_malloc", 3): 1,
    ("realloc", 4): 2, ("kern_realloc", 4): 2,
    ("malloc_asprintf", None): 0,
    ("malloc_strdup", 3): 1, ("malloc_strdupsize", 4): 2, ("malloc_strndup", 4): 2,
    ("malloc_tmpbuf_alloc", 5): 3,
    ("free", 2): 1, ("free", 3): 1, ("kern_free", 2): 1, ("kern_free_sized", 3): 1,
    ("malloc_tmpbuf_free", 4): 3, ("malloc_strfree", 2): 1,
}
# the macros a call is written as, with its arguments: <sys/malloc.h>'s
FRONTS = {"kern_malloc": "malloc", "kern_realloc": "realloc", "kern_free": "free",
          "kern_free_sized": "free"}
UNTYPED = "0"       # free(p, 0), free(p, NULL): the shim takes any type
RECORDED = "rec:"   # M_RECORDED(T): type T, recorded with the block

# A file is parsed only if it may call one of them (directly or through a
# macro that names one).
CALL_RE = re.compile(
    r"\b(?:" + "|".join(sorted(set(ALLOCS) | set(FREES), key=len, reverse=True))
    + r")\s*\(")

# Expression kinds looked through on the way between a call and its use.
TRANSPARENT = {K.UNEXPOSED_EXPR, K.PAREN_EXPR, K.CSTYLE_CAST_EXPR,
               K.CONDITIONAL_OPERATOR}


@dataclass
class Event:
    kind: str            # "alloc" or "free"
    family: str          # "kmem" or "malloc"
    call: str            # callee name after macro expansion
    written: str         # the name at the site (a macro's name, e.g. free)
    file: str            # relative to the tree
    line: int
    col: int
    function: str        # enclosing function ("" at file scope)
    ordinal: int         # n-th event of this kind in the function
    keys: list[list] = field(default_factory=list)   # [key, distance, scope] (Graph.keys)
    place: str = ""      # where stored / what freed, for the listing
    # the malloc type argument (malloc family): its name (M_DEVBUF),
    # RECORDED + name for M_RECORDED(name) (the shim records the block's
    # type, so that a free naming none, M_ASALLOCATED, is right), UNTYPED
    # for 0/NULL, "?<text>" when it is not a constant (a variable, a
    # member); "" when the call has none (kmem, or a <sys/malloc.h> that
    # drops it)
    mtype: str = ""
    casts: list[str] = field(default_factory=list)    # T: keys of explicit casts
    sizetype: str = ""   # T: key of a sizeof in the size argument
    # the size argument as written ("" if the call has none: malloc_strdup,
    # free(p, T)) and its value where clang folds it to a constant
    sizetext: str = ""
    size: int | None = None


@dataclass
class FileFacts:
    path: str
    parsed: bool = False
    errors: int = 0          # error diagnostics (clang stops counting after a fatal one)
    fatal: int = 0           # fatal diagnostics (a header that is nowhere)
    messages: list[str] = field(default_factory=list)
    text_calls: int = 0      # allocator calls the text names (a regex: comments, #if 0 too)
    seen_calls: int = 0      # calls libclang saw in this file
    events: list[Event] = field(default_factory=list)
    # the file's places and assignments (Scanner(..., interfaces=True)):
    # {"edges": [[src, dst], ...], "types": {place: T: key}, "weak": {...},
    #  "bases": {T: key: T: key of its first member}}
    graph: dict | None = None

    def to_json(self) -> dict:
        return asdict(self)


class Env:
    """Compile flags for one tree: include directory with machine links and
    stand-ins for config-generated headers."""

    def __init__(self, tree: str, workdir: str, extra_includes: list[str]):
        self.tree = os.path.realpath(tree)
        self.prop_standin = False
        self._lines: dict[str, list[bytes]] = {}
        self.links = os.path.join(workdir, "links")
        self.stand = os.path.join(workdir, "standins")
        os.makedirs(self.links, exist_ok=True)
        os.makedirs(self.stand, exist_ok=True)
        sysdir = os.path.join(self.tree, "sys")
        links = {
            "machine": os.path.join(sysdir, "arch/amd64/include"),
            "amd64": os.path.join(sysdir, "arch/amd64/include"),
            "x86": os.path.join(sysdir, "arch/x86/include"),
            "prop": os.path.join(self.tree, "common/include/prop"),
        }
        for name, target in links.items():
            p = os.path.join(self.links, name)
            if os.path.isdir(target) and not os.path.lexists(p):
                os.symlink(target, p)
        # the NetBSD target: no __linux predefined, amd64 type sizes
        # _KERNEL_OPT: read the config-generated headers (their stand-ins),
        # as a kernel build does; without it "audio.h" is not included and
        # all of audio.c is under a false #if NAUDIO > 0.
        self.args = ["--target=x86_64-unknown-netbsd", "-x", "c", "-std=gnu99", "-w", "-nostdinc",
                     "-ffreestanding", "-D_KERNEL", "-D_KERNEL_OPT", "-D__NetBSD__",
                     "-U__linux__", "-Ulinux", "-I", self.links, "-I", sysdir]
        self.include_dirs = [self.links, sysdir] + [os.path.realpath(d) for d in extra_includes]
        for d in extra_includes:
            self.args += ["-I", os.path.realpath(d)]
        # stand-ins last: a real header of the same name always wins
        self.args += ["-I", self.stand]
        self.prop_standins()

    PROP_HEADERS = ("proplib.h", "plistref.h", "prop_array.h", "prop_bool.h", "prop_data.h",
                    "prop_dictionary.h", "prop_ingest.h", "prop_number.h", "prop_object.h",
                    "prop_string.h")
    PROP_TYPES = """\
/* Stand-in for proplib's headers (common/include/prop/, not in a checkout
 * of sys/ alone): its types, opaque; its functions are implicit. */
#ifndef _STANDIN_PROPLIB_H_
#define _STANDIN_PROPLIB_H_
typedef void *prop_object_t;
typedef struct _prop_array *prop_array_t;
typedef struct _prop_bool *prop_bool_t;
typedef struct _prop_data *prop_data_t;
typedef struct _prop_dictionary *prop_dictionary_t;
typedef struct _prop_dictionary_keysym *prop_dictionary_keysym_t;
typedef struct _prop_number *prop_number_t;
typedef struct _prop_string *prop_string_t;
typedef struct _prop_object_iterator *prop_object_iterator_t;
typedef enum { PROP_TYPE_UNKNOWN = 0, PROP_TYPE_BOOL, PROP_TYPE_NUMBER, PROP_TYPE_STRING,
	PROP_TYPE_DATA, PROP_TYPE_ARRAY, PROP_TYPE_DICTIONARY, PROP_TYPE_DICT_KEYSYM } prop_type_t;
struct plistref { void *pref_plist; unsigned long pref_len; };
#endif
"""

    def prop_standins(self) -> None:
        """<prop/...> stand-ins when neither the tree nor -I has proplib:
        without its types, a file that includes it (all of sys/dev/usb)
        keeps its allocator calls but loses the declarations around them."""
        if any(os.path.exists(os.path.join(d, "prop", "proplib.h"))
               for d in self.include_dirs):
            return
        d = os.path.join(self.stand, "prop")
        os.makedirs(d, exist_ok=True)
        for name in self.PROP_HEADERS:
            p = os.path.join(d, name)
            if not os.path.exists(p):
                tmp = f"{p}.{os.getpid()}"
                with open(tmp, "w") as fp:
                    fp.write(self.PROP_TYPES)
                os.replace(tmp, p)
        self.prop_standin = True

    def written(self, path: str, line: int, col: int) -> str:
        """The identifier at path:line:col as the source spells it (the
        macro name when the call comes from one, e.g. free for kern_free)."""
        lines = self._lines.get(path)
        if lines is None:
            try:
                with open(path, "rb") as fp:
                    lines = fp.read().split(b"\n")
            except OSError:
                lines = []
            self._lines = {path: lines}       # one file at a time is enough
        if 0 < line <= len(lines):
            m = re.match(rb"[A-Za-z_][A-Za-z0-9_]*", lines[line - 1][col - 1:])
            if m:
                return m.group(0).decode()
        return ""

    def argument(self, path: str, line: int, col: int, index: int, count: int) -> str:
        """Argument INDEX of the call written at path:line:col, as the
        source spells it, on one line; "expr" where the source there is
        not a call of COUNT arguments (a macro that makes the call).
        (libclang 14 gives a macro argument's extent at the macro's name.)"""
        self.written(path, line, col)               # reads the file's lines
        text = b"\n".join(self._lines.get(path, [])[line - 1:line + 20])[col - 1:]
        m = re.match(rb"[A-Za-z_]\w*\s*\(", text)
        if m is None:
            return "expr"
        args, depth, cur, quote = [], 0, b"", None
        for ch in text[m.end():m.end() + 2000]:
            b = bytes([ch])
            if quote:
                quote = None if b == quote and not cur.endswith(b"\\") else quote
            elif b in b"\"'":
                quote = b
            elif b in b"([{":
                depth += 1
            elif b in b")]}":
                if depth == 0:
                    args.append(cur)
                    break
                depth -= 1
            elif b == b"," and depth == 0:
                args.append(cur)
                cur = b""
                continue
            cur += b
        if len(args) != count or index >= count:
            return "expr"
        return " ".join(args[index].decode(errors="replace").split()) or "expr"

    def rel(self, path: str) -> str:
        path = os.path.realpath(path)
        if path.startswith(self.tree + os.sep):
            return path[len(self.tree) + 1:]
        return path

    def standin(self, name: str) -> bool:
        """Create a stand-in for config-generated header NAME; False if it
        existed.  opt_*.h, ioconf.h, locators.h ... are empty; a device
        count header (scsibus.h: NSCSIBUS) says 1, so that code under
        `#if NSCSIBUS > 0` is read as in a kernel with every device."""
        p = os.path.join(self.stand, name)
        if os.path.exists(p):
            return False
        base = name[:-2] if name.endswith(".h") else ""
        text = ""
        if re.fullmatch(r"[a-z][a-z0-9_]*", base) and not base.startswith("opt_") \
                and base not in ("ioconf", "locators"):
            text = f"#define\tN{base.upper()}\t1\n"
        tmp = f"{p}.{os.getpid()}"
        with open(tmp, "w") as fp:
            fp.write(text)
        os.replace(tmp, p)          # other workers see all of it or none
        return True


QUOTED_INC = re.compile(r'^\s*#\s*include\s+"([^"/]+)"', re.M)
CFDRIVER = re.compile(r"&\s*([a-z][a-z0-9_]*_cd)\b")
NOT_FOUND = re.compile(r"'([^']+)' file not found")


class Scanner:
    """One libclang index per process; scan(path) -> FileFacts.

    interfaces=True (typecheck.py): a pointer handed to a function with
    external linkage goes to that function's parameter P:<function>#<n>,
    a place that every file shares (the function's definition, wherever
    it is, takes it from there), and the file's graph is exported with
    its facts, for a tree-wide reading."""

    def __init__(self, env: Env, interfaces: bool = False):
        self.env = env
        self.interfaces = interfaces
        self.index = ci.Index.create()
        self.text_cache: dict[str, bool] = {}
        self.seeded: set[str] = set()

    def _mentions(self, fname: str) -> bool:
        """Does a file (a header the TU includes) call an allocator?"""
        hit = self.text_cache.get(fname)
        if hit is None:
            try:
                with open(fname, errors="replace") as fp:
                    hit = bool(CALL_RE.search(fp.read()))
            except OSError:
                hit = False
            self.text_cache[fname] = hit
        return hit

    def _seed(self, fname: str) -> bool:
        """Stand-ins for the quoted includes a file names that are neither
        next to it nor on the include path; True if one was created."""
        if fname in self.seeded:
            return False
        self.seeded.add(fname)
        try:
            with open(fname, errors="replace") as fp:
                text = fp.read()
        except OSError:
            return False
        here = os.path.dirname(fname)
        new = False
        for name in QUOTED_INC.findall(text):
            if not any(os.path.exists(os.path.join(d, name))
                       for d in [here] + self.env.include_dirs):
                new |= self.env.standin(name)
        return new

    def _parse(self, path: str):
        with open(path, errors="replace") as fp:
            text = fp.read()
        self.text_calls = len(CALL_RE.findall(text))
        self._seed(path)
        # config's ioconf.h declares the file's cfdrivers (audio_cd ...);
        # its stand-in is empty, so a prelude of this file's declares them.
        prelude = os.path.join(self.env.stand, f"prelude.{os.getpid()}.h")
        with open(prelude, "w") as fp:
            fp.write("struct cfdriver;\n")
            for name in sorted(set(CFDRIVER.findall(text))):
                fp.write(f"extern struct cfdriver {name};\n")
        args = self.env.args + ["-include", prelude]
        # A missing header stops clang's diagnostics (a fatal error), so
        # the headers it did read are searched too, and the file parsed
        # again until nothing new is missing.
        for _ in range(8):
            tu = self.index.parse(path, args=args)
            new = False
            for inc in tu.get_includes():
                new |= self._seed(os.path.realpath(inc.include.name))
            for d in tu.diagnostics:
                m = NOT_FOUND.search(d.spelling)
                if d.severity >= 4 and m and "/" not in m.group(1) \
                        and self._quoted(d.location, m.group(1)):
                    # new, or made by another worker since this parse began
                    new |= self.env.standin(m.group(1)) or True
            if not new:
                return tu
        return tu

    @staticmethod
    def _quoted(loc, name: str) -> bool:
        if not loc.file:
            return False
        try:
            with open(loc.file.name, errors="replace") as fp:
                line = fp.read().splitlines()[loc.line - 1]
        except (OSError, IndexError):
            return False
        return f'"{name}"' in line

    def scan(self, path: str) -> FileFacts:
        facts = FileFacts(self.env.rel(path))
        try:
            tu = self._parse(path)
        except ci.TranslationUnitLoadError as e:
            facts.messages.append(f"libclang could not load it: {e}")
            return facts
        facts.parsed = True
        for d in tu.diagnostics:
            if d.severity >= 3:
                if d.severity >= 4:
                    facts.fatal += 1
                else:
                    facts.errors += 1
                if len(facts.messages) < 3:
                    where = self.env.rel(d.location.file.name) if d.location.file else "?"
                    facts.messages.append(f"{where}:{d.location.line}: {d.spelling}")
        main = os.path.realpath(path)
        graph = Graph(self.interfaces)
        for top in tu.cursor.get_children():
            if top.kind != K.FUNCTION_DECL or not top.is_definition():
                continue
            f = top.location.file
            if f is None:
                continue
            fname = os.path.realpath(f.name)
            if fname != main and not (fname.startswith(self.env.tree + os.sep)
                                      and self._mentions(fname)):
                continue
            if fname == main and top.linkage == ci.LinkageKind.EXTERNAL:
                graph.defines.add(top.spelling)
            FunctionFacts(self.env, top, graph).walk_body()
        facts.events = graph.events()
        if self.interfaces:
            facts.graph = graph.dump()
        facts.text_calls = self.text_calls
        rel = facts.path
        facts.seen_calls = sum(1 for e in facts.events if e.file == rel)
        return facts


@dataclass
class Raw:
    """An allocator or release call before its keys are known."""
    kind: str
    family: str
    call: str
    written: str
    file: str
    line: int
    col: int
    function: str
    ordinal: int
    place: str | None
    casts: list[str]          # T: keys of explicit casts (and of an unnamed freed value)
    sizetype: str | None      # T: key from the size argument
    mtype: str = ""           # the malloc type argument (Event.mtype)
    sizetext: str = ""        # the size argument (Event.sizetext, Event.size)
    size: int | None = None


class Graph:
    """Places of one translation unit, the simple assignments between them,
    and the calls; keys are computed once every function is read, so a
    value stored by one function and freed by another is followed."""

    def __init__(self, interfaces: bool = False):
        self.interfaces = interfaces
        # T:struct x -> T: key of x's first member when that is a struct (C's
        # "inheritance": raw_detach frees a struct rawcb that keysock
        # allocated as the struct keycb beginning with one)
        self.bases: dict[str, str] = {}
        self.defines: set[str] = set()    # functions with external linkage defined here
        self.place_type: dict[str, str | None] = {}   # place -> T: key or None
        # x->a.m: M:X::a.m, also known as M:A::m, a weak key (mixrule.py)
        self.weak: dict[str, str] = {}
        self.succ: dict[str, set[str]] = {}           # value flows from -> to
        self.pred: dict[str, set[str]] = {}
        self.raw: list[Raw] = []

    def edge(self, src: str, dst: str) -> None:
        if src != dst:
            self.succ.setdefault(src, set()).add(dst)
            self.pred.setdefault(dst, set()).add(src)

    def closure(self, start: str, forward: bool) -> list[tuple[str, int]]:
        """Places a value flows to (forward) or from, with their distance
        in assignments, nearest first."""
        nxt = self.succ if forward else self.pred
        dist = {start: 0}
        todo = [start]
        while todo and len(dist) < 64:
            cur = todo.pop(0)
            for p in sorted(nxt.get(cur, ())):
                if p not in dist:
                    dist[p] = dist[cur] + 1
                    todo.append(p)
        return sorted(dist.items(), key=lambda x: x[1])

    def keys(self, r: Raw) -> list[list]:
        """[key, distance, scope]: scope "any" (this file, then the tree),
        "file" (this file only) or "weak" (the tree only, last)."""
        keys: list[list] = []

        def add(k, d, scope="any"):
            if k and all(k != x[0] for x in keys):
                keys.append([k, d, scope])
        own = self.place_type.get(r.place) if r.place else None
        if r.kind == "free" and (own or any(r.casts)):
            # A freed value of a specific type: first its own place (the
            # local it is in, in this file), then its type; not the generic
            # places it came from (fp->f_data is every fd_clone driver's).
            if r.place:
                add(r.place, 0, "file")
            for k in [own] + r.casts:
                add(k, 1)
            return keys
        for k in r.casts:
            add(k, 0)
        if r.place:
            for p, d in self.closure(r.place, forward=(r.kind == "alloc")):
                tk = self.place_type.get(p)
                if r.kind == "alloc" and tk:
                    add(p, d, "file")   # so that a typed free finds its own place
                add(tk or p, d)
                if not tk and p in self.weak:
                    add(self.weak[p], d, "weak")
        if r.sizetype and not any(k[0].startswith("T:") for k in keys):
            add(r.sizetype, 0)
        return keys

    def events(self) -> list[Event]:
        return [Event(r.kind, r.family, r.call, r.written, r.file, r.line, r.col, r.function,
                      r.ordinal, self.keys(r), r.place or "", r.mtype, r.casts,
                      r.sizetype or "", r.sizetext, r.size) for r in self.raw]

    def dump(self) -> dict:
        return {"edges": sorted([s, d] for s, ds in self.succ.items() for d in ds),
                "types": {p: t for p, t in self.place_type.items() if t},
                "weak": dict(self.weak), "bases": dict(self.bases),
                "defines": sorted(self.defines)}


class FunctionFacts:
    """Reads one function definition into the Graph."""

    def __init__(self, env: Env, fn, graph: Graph):
        self.env = env
        self.fn = fn
        self.g = graph
        self.fname = fn.spelling
        self.file = env.rel(fn.location.file.name)
        self.static = fn.storage_class == ci.StorageClass.STATIC
        self.counters = {"alloc": 0, "free": 0}

    # -- types ---------------------------------------------------------

    def type_key(self, t) -> str | None:
        """T: key of a pointee type if it is specific (a record, or
        pointers to one; arrays of them), else None."""
        written = t            # as written: keeps a typedef's name
        t = t.get_canonical()
        stars = ""
        for _ in range(6):
            if t.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
                written = t = t.element_type.get_canonical()
            elif t.kind == ci.TypeKind.POINTER:
                written = (written.get_pointee() if written.kind == ci.TypeKind.POINTER
                           else t.get_pointee())
                t = t.get_pointee().get_canonical()
                stars += "*"
            else:
                break
        if t.kind != ci.TypeKind.RECORD:
            return None
        key = "T:" + self.record_name(t.get_declaration(), written) + stars
        if not stars and key not in self.g.bases:
            self.g.bases[key] = ""
            first = next((f for f in (t.get_declaration().get_definition() or
                                      t.get_declaration()).get_children()
                          if f.kind == K.FIELD_DECL), None)
            if first is not None and first.type.get_canonical().kind == ci.TypeKind.RECORD:
                self.g.bases[key] = self.type_key(first.type) or ""
        return key

    def record_name(self, decl, written=None) -> str:
        """struct NAME@FILE, FILE being where it is defined: two drivers'
        own `struct softc` are two types."""
        d = decl.get_definition() or decl
        where = self.env.rel(d.location.file.name) if d.location.file else "?"
        kw = "union" if decl.kind == K.UNION_DECL else "struct"
        name = decl.spelling
        if name and "(" not in name:
            return f"{kw} {name}@{where}"
        # anonymous: by its typedef name where it has one, else by its
        # first member (no line number: a conversion that moves lines
        # keeps the key)
        if written is not None:
            w = re.sub(r"\b(const|volatile)\s+", "", written.spelling).strip()
            if re.fullmatch(r"[A-Za-z_]\w*", w):
                return f"{w}@{where}"
        first = next((c.spelling for c in d.get_children() if c.kind == K.FIELD_DECL), "")
        return f"{kw} <anon {first}>@{where}"

    @staticmethod
    def pointee(t):
        t = t.get_canonical()
        return t.get_pointee() if t.kind == ci.TypeKind.POINTER else None

    def expr_type_key(self, c) -> str | None:
        """T: key of what expression c (a pointer) points to."""
        p = self.pointee(c.type)
        return self.type_key(p) if p is not None else None

    # -- places --------------------------------------------------------

    @staticmethod
    def strip(c):
        """The expression under parentheses and casts (not under clang's
        recovery from an error, whose type is "dependent")."""
        while c.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR, K.CSTYLE_CAST_EXPR) \
                and c.type.kind != ci.TypeKind.DEPENDENT:
            kids = [x for x in c.get_children() if x.kind != K.TYPE_REF]
            if len(kids) != 1:
                break
            c = kids[0]
        return c

    def local(self, name: str) -> str:
        return f"L:{self.file}:{self.fname}:{name}"

    def var_place(self, d) -> str | None:
        parent = d.semantic_parent
        if d.kind == K.PARM_DECL or (parent is not None and parent.kind == K.FUNCTION_DECL):
            return self.local(d.spelling)
        if d.kind != K.VAR_DECL:
            return None
        if d.linkage == ci.LinkageKind.INTERNAL:
            return f"G:{self.file}:{d.spelling}"
        return f"G:{d.spelling}"

    def place(self, c) -> str | None:
        """The place an lvalue or pointer-valued expression names, with
        its type noted."""
        c = self.strip(c)
        p = self._place(c)
        if p is not None and p not in self.g.place_type:
            self.g.place_type[p] = self.expr_type_key(c)
        return p

    def _place(self, c) -> str | None:
        k = c.kind
        if c.type.kind == ci.TypeKind.DEPENDENT:
            return None         # code that did not compile
        if k == K.DECL_REF_EXPR:
            d = c.referenced
            return self.var_place(d) if d is not None else None
        if k == K.MEMBER_REF_EXPR:
            return self.member_place(c)
        kids = list(c.get_children())
        if k == K.ARRAY_SUBSCRIPT_EXPR and kids:
            base = self.place(kids[0])
            return base + "[]" if base else None
        if k == K.UNARY_OPERATOR and len(kids) == 1 and self.pointee(kids[0].type) is not None \
                and self.pointee(c.type) is not None:
            # *pp: the operand points to a pointer (not &x, not ++p: those
            # have the operand's own type)
            if kids[0].type.get_canonical() != c.type.get_canonical():
                base = self.place(kids[0])
                return base + "*" if base else None
            return self.place(kids[0])         # p++, --p: the same pointer
        if k == K.CALL_EXPR:
            d = c.referenced
            if d is None or d.kind != K.FUNCTION_DECL or d.spelling in ALLOCS \
                    or d.spelling in FREES:
                return None     # an allocator's result is the allocation itself
            if d.linkage == ci.LinkageKind.INTERNAL:
                return (f"R:{self.env.rel(d.location.file.name) if d.location.file else self.file}"
                        f":{d.spelling}")
            return f"R:{d.spelling}"
        if k == K.BINARY_OPERATOR and len(kids) == 2 and self.pointee(c.type) is not None:
            # p + n, p - n: the pointer operand
            ptrs = [x for x in kids if self.pointee(x.type) is not None]
            if len(ptrs) == 1:
                return self.place(ptrs[0])
        if self.g.interfaces:
            return self._place_more(c, k, kids)
        return None

    def _place_more(self, c, k, kids) -> str | None:
        """typecheck's reading only: &p->first (the address of a struct's
        first member is the struct: `return &wn->wn_node`) and c ? p : NULL."""
        if k == K.UNARY_OPERATOR and len(kids) == 1 and self.pointee(c.type) is not None \
                and self.pointee(c.type).get_canonical() == kids[0].type.get_canonical():
            m = self.strip(kids[0])
            d = m.referenced if m.kind == K.MEMBER_REF_EXPR else None
            if d is not None and d.kind == K.FIELD_DECL and d.semantic_parent is not None:
                first = next((f for f in d.semantic_parent.get_children()
                              if f.kind == K.FIELD_DECL), None)
                mk = list(m.get_children())
                if first is not None and first == d and mk \
                        and self.pointee(self.strip(mk[0]).type) is not None:
                    return self.place(mk[0])
        if k == K.CONDITIONAL_OPERATOR and len(kids) == 3:
            ps = [p for p in (self.place(x) for x in kids[1:]) if p]
            if len(ps) == 1:
                return ps[0]
        return None

    def member_place(self, c, shared: bool = False) -> str | None:
        """M:<record>::<path>: the member, and the members of embedded
        structs it is reached through (track->usrbuf.mem and
        track->outbuf.mem are two places, though both are an
        audio_ring_t's mem); the record is the outermost one reached
        without a pointer.  shared: the record's member even in a
        function's own struct (below)."""
        path = []
        inner = None
        while True:
            d = c.referenced
            if d is None or d.kind != K.FIELD_DECL:
                return None
            if not path:
                inner = self.inner_member(c, d)
            path.insert(0, d.spelling)
            kids = list(c.get_children())
            base = self.strip(kids[0]) if kids else None
            if base is not None and base.kind == K.MEMBER_REF_EXPR \
                    and base.type.get_canonical().kind == ci.TypeKind.RECORD:
                c = base            # x.inner.m: go on to x's record
                continue
            break
        # a member of an anonymous struct or union belongs to the record
        # around it
        rec = d.semantic_parent
        while rec is not None and rec.kind in (K.STRUCT_DECL, K.UNION_DECL) \
                and (not rec.spelling or "(" in rec.spelling) \
                and rec.semantic_parent is not None \
                and rec.semantic_parent.kind in (K.STRUCT_DECL, K.UNION_DECL):
            rec = rec.semantic_parent
        if rec is None or rec.kind not in (K.STRUCT_DECL, K.UNION_DECL):
            return None
        if self.g.interfaces and not shared and base is not None \
                and base.kind == K.DECL_REF_EXPR \
                and base.referenced is not None \
                and base.type.get_canonical().kind == ci.TypeKind.RECORD:
            # typecheck's reading: a member of a function's own struct (a
            # local or a parameter, not reached through a pointer) is that
            # function's, not every struct's of its type (init_sysctl.c's
            # handlers each fill a local struct sysctlnode)
            v = base.referenced
            if v.kind == K.PARM_DECL or v.kind == K.VAR_DECL and v.semantic_parent is not None \
                    and v.semantic_parent.kind == K.FUNCTION_DECL:
                return f"{self.local(v.spelling)}.{'.'.join(path)}"
        written = None
        if base is not None:
            bt = base.type
            written = bt.get_pointee() if bt.kind == ci.TypeKind.POINTER else bt
        place = f"M:{self.record_name(rec, written)}::{'.'.join(path)}"
        if len(path) > 1 and inner is not None:
            self.g.weak.setdefault(place, inner)
        return place

    def inner_member(self, c, d) -> str | None:
        """M:<record>::<member> of the innermost member access alone."""
        rec = d.semantic_parent
        if rec is None or rec.kind not in (K.STRUCT_DECL, K.UNION_DECL):
            return None
        kids = list(c.get_children())
        written = self.strip(kids[0]).type if kids else None
        if written is not None and written.kind == ci.TypeKind.POINTER:
            written = written.get_pointee()
        return f"M:{self.record_name(rec, written)}::{d.spelling}"

    def return_place(self) -> str:
        if self.static:
            return f"R:{self.file}:{self.fname}"
        return f"R:{self.fname}"

    # -- walk ----------------------------------------------------------

    def walk_body(self) -> None:
        if self.g.interfaces and self.fn.linkage == ci.LinkageKind.EXTERNAL:
            # what callers in any file hand to a parameter reaches it here;
            # what this function stores through a pointer to a pointer
            # (*out = p) reaches the callers' places
            params = [p for p in self.fn.get_children() if p.kind == K.PARM_DECL]
            for i, prm in enumerate(params):
                pt = self.pointee(prm.type)
                if pt is None or not prm.spelling:
                    continue
                mine = self.local(prm.spelling)
                self.g.place_type.setdefault(mine, self.type_key(pt))
                self.g.edge(f"P:{self.fname}#{i}", mine)
                ppt = self.pointee(pt)
                if ppt is not None:
                    self.g.place_type.setdefault(mine + "*", self.type_key(ppt))
                    self.g.edge(mine + "*", f"P:{self.fname}#{i}*")
        for c in self.fn.get_children():
            if c.kind == K.COMPOUND_STMT:
                self.walk(c, [])

    def walk(self, c, stack: list) -> None:
        k = c.kind
        if k == K.CALL_EXPR:
            self.call(c, stack)
        elif k == K.BINARY_OPERATOR:
            self.assignment(c)
        elif k == K.VAR_DECL:
            self.init(c)
        elif k == K.RETURN_STMT:
            self.ret(c)
        stack.append(c)
        for ch in c.get_children():
            self.walk(ch, stack)
        stack.pop()

    def is_assignment(self, c) -> bool:
        """'=' is the only binary operator whose type is its left
        operand's, with a pointer on both sides and a place on the left."""
        kids = list(c.get_children())
        return (len(kids) == 2 and self.pointee(kids[0].type) is not None
                and c.type.get_canonical() == kids[0].type.get_canonical()
                and (self.pointee(kids[1].type) is not None
                     or self.strip(kids[1]).kind == K.CALL_EXPR))

    def assignment(self, c) -> None:
        if not self.is_assignment(c):
            return
        lhs, rhs = c.get_children()
        src = self.place(rhs)
        dst = self.place(lhs)
        if src and dst:
            self.g.edge(src, dst)
            self.handed_on(lhs, lhs.type, rhs, dst, src)

    def init(self, c) -> None:
        if self.pointee(c.type) is None:
            return
        kids = [x for x in c.get_children() if x.kind.is_expression()]
        if not kids:
            return
        dst = self.var_place(c)
        if dst is None:
            return
        if dst not in self.g.place_type:
            self.g.place_type[dst] = self.expr_type_key(c)
        src = self.place(kids[-1])
        if src:
            self.g.edge(src, dst)
            self.handed_on(None, c.type, kids[-1], dst, src)

    def handed_on(self, lhs, t, rhs, dst: str, src: str) -> None:
        """typecheck's reading: `dst = src` of two pointers to pointers
        hands on a place to store into, an out-parameter: what is stored
        through dst later (`*dst = p`) is what src points to.  Through a
        member (LHS), the place is the member's slot in every struct of
        its record, a function's own struct too: vnode_if.c's VOP_READDIR
        sets `a.a_cookies = cookies` and hands `&a` through a function
        pointer to a file system's readdir, which stores `*ap->a_cookies =
        cookies`.  Only out of dst (as for f(&p): both ways would make one
        place of every caller's)."""
        pt = self.pointee(t)
        r = self.strip(rhs)
        rt = self.pointee(r.type)
        if not self.g.interfaces or pt is None or self.pointee(pt) is None \
                or rt is None or self.pointee(rt) is None:
            return
        kids = list(r.get_children())
        if r.kind == K.UNARY_OPERATOR and len(kids) == 1 \
                and rt.get_canonical() == kids[0].type.get_canonical():
            return      # dst = &x: a list's link (pp = &head), not read
        m = self.strip(lhs) if lhs is not None else None
        if m is not None and m.kind == K.MEMBER_REF_EXPR:
            dst = self.member_place(m, shared=True) or dst
        self.g.place_type.setdefault(dst + "*", self.type_key(self.pointee(pt)))
        self.g.place_type.setdefault(src + "*", self.type_key(self.pointee(pt)))
        self.g.edge(dst + "*", src + "*")

    def ret(self, c) -> None:
        kids = [x for x in c.get_children() if x.kind.is_expression()]
        if not kids:
            return
        src = self.place(kids[0])
        if src:
            dst = self.return_place()
            self.note_return(dst)
            self.g.edge(src, dst)

    def note_return(self, place: str) -> None:
        if place not in self.g.place_type:
            rt = self.pointee(self.fn.type.get_result())
            self.g.place_type[place] = self.type_key(rt) if rt is not None else None

    def call(self, c, stack: list) -> None:
        name = c.spelling
        if name not in ALLOCS and name not in FREES:
            self.arguments(c)
            return
        args = list(c.get_arguments())
        if name in ALLOCS:
            fam, size_i, counts = ALLOCS[name]
            if (counts is None and args) or (counts and len(args) in counts):
                self.alloc(c, name, fam, args, size_i, stack)
        if name in FREES:
            fam, ptr_i, size_i, counts = FREES[name]
            if len(args) in counts:
                if name == "free" and len(args) == 2:
                    size_i = None
                self.free(c, name, fam, args, ptr_i, size_i)

    def arguments(self, c) -> None:
        """Generic pointers handed to a function defined in this file:
        f(p) makes p flow into f's parameter, f(&p) makes what f stores
        through its parameter (*out = ...) flow into p."""
        d = c.referenced
        if d is None or d.kind != K.FUNCTION_DECL:
            return
        if self.g.interfaces and d.linkage == ci.LinkageKind.EXTERNAL:
            self.interface_arguments(c, d)
            return
        defn = d.get_definition()
        if defn is None or defn.location.file is None:
            return
        params = [p for p in defn.get_children() if p.kind == K.PARM_DECL]
        where = self.env.rel(defn.location.file.name)
        for arg, prm in zip(c.get_arguments(), params):
            pt = self.pointee(prm.type)
            if pt is None or (self.type_key(pt) is not None and not self.g.interfaces):
                # not a pointer, or a specific type: the type says it all
                # (typecheck follows it, to see where an allocation goes)
                continue
            p = f"L:{where}:{defn.spelling}:{prm.spelling}"
            a = self.strip(arg)
            kids = list(a.get_children())
            if a.kind == K.UNARY_OPERATOR and len(kids) == 1 \
                    and self.pointee(a.type) is not None \
                    and self.pointee(a.type).get_canonical() == kids[0].type.get_canonical():
                ppt = self.pointee(pt)
                if ppt is None:
                    continue    # &x passed as a void *: not an out-parameter
                x = self.place(kids[0])
                if x:
                    p += "*"
                    self.g.place_type.setdefault(p, self.type_key(ppt))
                    # only out of it: both ways would make every caller's
                    # place one (f(&sc->a), f(&sc->b))
                    self.g.edge(p, x)
                continue
            x = self.place(a)
            if x:
                self.g.place_type.setdefault(p, self.type_key(pt))
                self.g.edge(x, p)

    def interface_arguments(self, c, d) -> None:
        """f(p) of a function with external linkage: p flows to P:f#n;
        f(&p): P:f#n* (what f stores through it) flows to p.  Known from
        the declaration's prototype, or without one (an implicit
        declaration) from the argument's own type."""
        try:
            ptypes = list(d.type.argument_types()) \
                if d.type.kind == ci.TypeKind.FUNCTIONPROTO else []
        except Exception:          # noqa: BLE001 (libclang: no prototype)
            ptypes = []
        for i, arg in enumerate(c.get_arguments()):
            pt = ptypes[i] if i < len(ptypes) else arg.type
            if self.pointee(pt) is None:
                continue
            p = f"P:{d.spelling}#{i}"
            a = self.strip(arg)
            kids = list(a.get_children())
            if a.kind == K.UNARY_OPERATOR and len(kids) == 1 \
                    and self.pointee(a.type) is not None \
                    and self.pointee(a.type).get_canonical() == kids[0].type.get_canonical():
                if self.pointee(kids[0].type) is None or \
                        (i < len(ptypes) and self.pointee(self.pointee(pt)) is None):
                    continue    # &x of a non-pointer, or as a void *: not an out-parameter
                x = self.place(kids[0])
                if x:
                    self.g.place_type.setdefault(p + "*", self.expr_type_key(kids[0]))
                    self.g.edge(p + "*", x)
                continue
            x = self.place(a)
            if x:
                self.g.place_type.setdefault(p, self.type_key(self.pointee(pt)))
                self.g.edge(x, p)

    def mtype(self, name: str, args) -> str:
        """The malloc type argument of a malloc(9) call (Event.mtype)."""
        i = MTYPE_ARG.get((name, None if name == "malloc_asprintf" else len(args)))
        if i is None or i >= len(args):
            return ""
        a = self.strip(args[i])
        if a.kind == K.DECL_REF_EXPR and a.referenced is not None \
                and a.referenced.kind == K.VAR_DECL \
                and a.referenced.semantic_parent is not None \
                and a.referenced.semantic_parent.kind != K.FUNCTION_DECL:
            return a.referenced.spelling            # M_DEVBUF (a global)
        if a.kind == K.BINARY_OPERATOR:     # M_RECORDED(T): (uintptr_t)T | 1
            kids = [self.strip(x) for x in a.get_children()]
            names = [x.referenced.spelling for x in kids if x.kind == K.DECL_REF_EXPR
                     and x.referenced is not None and x.referenced.kind == K.VAR_DECL]
            if len(names) == 1 and any(x.kind == K.INTEGER_LITERAL for x in kids):
                return RECORDED + names[0]
        if a.kind == K.INTEGER_LITERAL:
            toks = [t.spelling for t in a.get_tokens()]
            if toks and re.fullmatch(r"0[xX]?0*[uUlL]*", toks[0]):
                return UNTYPED
        toks = [t.spelling for t in args[i].get_tokens()]
        text = "".join(toks)
        if text in ("NULL", "0", "((void*)0)", "(void*)0", "M_ASALLOCATED"):
            return UNTYPED          # freed as allocated
        m = re.fullmatch(r"M_RECORDED\((\w+)\)", text)
        if m:
            return RECORDED + m.group(1)    # the block records its type
        return "?" + (text or "expr")

    def size_type(self, args, size_i) -> str | None:
        """T: key of the first sizeof/offsetof of a specific type in the
        size argument."""
        if size_i is None or size_i >= len(args):
            return None
        todo = [args[size_i]]
        while todo:
            x = todo.pop(0)
            kids = list(x.get_children())
            if x.kind == K.CXX_UNARY_EXPR and kids:
                if kids[0].kind == K.TYPE_REF:
                    # sizeof(type): the TYPE_REF names the record even in
                    # sizeof(struct foo *), so look for the star
                    if any(t.spelling == "*" for t in x.get_tokens()):
                        tk = None
                    else:
                        tk = self.type_key(kids[0].type)
                else:
                    t = kids[0].type.get_canonical()
                    tk = self.type_key(t) if t.kind == ci.TypeKind.RECORD else None
                if tk:
                    return tk
            elif x.kind == K.UNEXPOSED_EXPR and len(kids) >= 2 \
                    and kids[0].kind == K.TYPE_REF and kids[1].kind == K.MEMBER_REF:
                tk = self.type_key(kids[0].type)     # offsetof(struct foo, m[n])
                if tk:
                    return tk
            todo.extend(kids)
        return None

    def raw(self, kind, fam, name, c, place, casts, args, size_i) -> None:
        loc = c.location
        ordinal = self.counters[kind]
        self.counters[kind] += 1
        written = self.env.written(loc.file.name, loc.line, loc.column) if loc.file else ""
        size = args[size_i] if size_i is not None and size_i < len(args) else None
        self.g.raw.append(Raw(kind, fam, name, written or name,
                              self.env.rel(loc.file.name) if loc.file else self.file,
                              loc.line, loc.column, self.fname, ordinal, place,
                              [x for x in casts if x], self.size_type(args, size_i),
                              self.mtype(name, list(c.get_arguments())) if fam == "malloc" else "",
                              self.size_text(name, written, loc, args, size_i),
                              integer(size)))

    def size_text(self, name, written, loc, args, size_i) -> str:
        """The size argument as written, "" if the call has none; "expr" if
        the call is not written as itself or its front macro (FRONTS:
        EBH_TREE_DESTROY(name, head, type) makes a free whose arguments
        are not the macro's)."""
        if size_i is None or size_i >= len(args):
            return ""
        if not loc.file or written not in (name, FRONTS.get(name)):
            return "expr"
        return self.env.argument(loc.file.name, loc.line, loc.column, size_i, len(args))

    def alloc(self, c, name, fam, args, size_i, stack) -> None:
        """Where the allocation goes: the nearest assignment, initialised
        variable or return above it (through casts, parentheses, ?:)."""
        casts = []
        place = None
        child = c
        for anc in reversed(stack):
            if anc.kind in TRANSPARENT:
                if anc.kind == K.CSTYLE_CAST_EXPR:
                    casts.append(self.expr_type_key(anc))
                child = anc
                continue
            if anc.kind == K.BINARY_OPERATOR and self.is_assignment(anc):
                lhs, rhs = anc.get_children()
                if rhs == child:
                    place = self.place(lhs)
            elif anc.kind == K.VAR_DECL:
                place = self.var_place(anc)
                if place and place not in self.g.place_type:
                    self.g.place_type[place] = self.expr_type_key(anc)
            elif anc.kind == K.RETURN_STMT:
                place = self.return_place()
                self.note_return(place)
            elif anc.kind == K.CALL_EXPR and self.g.interfaces:
                # handed straight to a function: its parameter
                d = anc.referenced
                if d is not None and d.kind == K.FUNCTION_DECL \
                        and d.linkage == ci.LinkageKind.EXTERNAL \
                        and d.spelling not in ALLOCS and d.spelling not in FREES:
                    for i, arg in enumerate(anc.get_arguments()):
                        if arg == child:
                            place = f"P:{d.spelling}#{i}"
                            self.g.place_type.setdefault(place, None)
            break
        self.raw("alloc", fam, name, c, place, casts, args, size_i)

    def free(self, c, name, fam, args, ptr_i, size_i) -> None:
        arg = args[ptr_i]
        casts = []
        inner = arg
        while inner.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR, K.CSTYLE_CAST_EXPR) \
                and inner.type.kind != ci.TypeKind.DEPENDENT:
            if inner.kind == K.CSTYLE_CAST_EXPR:
                casts.append(self.expr_type_key(inner))
            kids = [x for x in inner.get_children() if x.kind != K.TYPE_REF]
            if len(kids) != 1:
                break
            inner = kids[0]
        place = self.place(inner)
        if place is None:
            casts.append(self.expr_type_key(inner))
        self.raw("free", fam, name, c, place, casts, args, size_i)
