"""`kmem2malloc install-shim`: malloc(9) with real types in a NetBSD tree.

1. Copy the overlay: shim/sys/* to TREE/sys/sys/, shim/kern/* to
   TREE/sys/kern/ (malloc.h, mallocvar.h, kern_malloc.c, ...).
2. Find every malloc type the tree uses: the tags of tag-map.yaml, the
   types existing malloc()/free()/realloc() callers pass, and the
   MALLOC_DEFINE/MALLOC_JUSTDEFINE/MALLOC_DECLARE lines already there.
3. Remove wrapper macros that drop a malloc type argument because
   malloc() used to ignore it (#define f(a, t, b) f(a, b) beside a
   prototype of f taking a struct malloc_type *): the type must now
   reach the function.  Each removal is printed.
   Type arguments that never compiled while malloc() threw them away are
   rewritten where their memory is known (TYPE_FIXES: the mbuf external
   storage of MEXTMALLOC gets M_MBUF at both ends); a call given 0 or NULL
   as its type is reported with file:line.
4. Generate TREE/sys/sys/malloc_types.h (a MALLOC_DECLARE for each, which
   <sys/malloc.h> includes, so every file sees every type) and
   TREE/sys/kern/kern_malloc_types.c (a MALLOC_DEFINE for each type no file
   defines yet), and list the latter in every list of kernel sources:
   sys/conf/files (with shim/conf/files.malloc, the shim's options, when
   the shim ships it) and a rump kernel's Makefile.rumpkern.  Each type is
   then defined exactly once; a type the tree already defines twice in
   one kernel is reported.  Per port (the files sys/conf/files and its
   own config files give its kernels): a type its files name whose only
   definitions are in code it does not build (another port's MD code) is
   defined for it in sys/arch/PORT/PORT/malloc_types_PORT.c, listed in
   files.PORT.
5. Warn about each type defined in a loadable module's sources (listed in
   a sys/modules/*/Makefile, or holding a MODULE() line) that nothing
   passes to malloc_type_detach():
   the module's modcmd must attach it on MODULE_CMD_INIT and detach it on
   MODULE_CMD_FINI, as NetBSD 5's modules did, or the type table keeps a
   pointer into the module after it is unloaded.  NetBSD's module loader
   has no hook that runs after MODULE_CMD_FINI, so kern_malloc.c cannot
   do it by itself.

Every change is made in memory first (Edits): install() writes it to the
tree, or with --out as a patch and a report of what changed where and
why (shim.diff, shim.md), the tree untouched; convert's series replays
the same edits as its first commit (series.py).

Names #defined as aliases of another type (#define M_FOO M_DEVBUF), and
types a file defines static, are left alone: they are not the kernel's.
But an alias that a file also MALLOC_DEFINEs is removed (and printed):
with real types that MALLOC_DEFINE defined the other type a second time
(NetBSD-current's libnv: nv_compat.h's #define M_NVLIST M_TEMP, and
nvlist.c's MALLOC_DEFINE(M_NVLIST, "nvlist", ...)).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .. import allocators
from ..c import brackets
from ..c.brackets import arg_commas, split_args
from ..c.cscan import strip
from .outside import makefile_sources
from ..tagmap import TagMap
from ..tree import MI, Configs, Tree, builds

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SHIM = os.path.join(TOP, "shim")
OVERLAY = (("sys", "sys/sys"), ("kern", "sys/kern"))
TYPES_H = "sys/sys/malloc_types.h"
TYPES_C = "sys/kern/kern_malloc_types.c"
CONF_LINE = "file\tkern/kern_malloc_types.c"
CONF_OPTIONS = os.path.join(SHIM, "conf", "files.malloc")    # the shim's defflag lines
# A rump kernel's sources are listed in its own Makefile, not sys/conf/files.
RUMPKERN_MK = "sys/rump/librump/rumpkern/Makefile.rumpkern"
_RUMP_SRC = re.compile(r"^([ \t]*(?:SRCS\+?=)?[ \t]*)kern_malloc\.c([ \t]*\\?)[ \t]*$", re.M)
# Type arguments that never compiled while malloc() threw its type away,
# fixed where their memory is known: (file, function, argument index of the
# pointer or None, type argument as written, replacement).  MEXTMALLOC's
# external mbuf storage is allocated in sys/sys/mbuf.h and freed in
# m_ext_free() (sys/kern/uipc_mbuf.c); NetBSD 7.99 passes mbtypes[], an
# array that no longer exists, and a member ext_type that no longer
# exists; NetBSD-current passes 0.  Both sides get M_MBUF, the historical
# "mbuf" type, so the pair agrees.
TYPE_FIXES = (
    ("sys/sys/mbuf.h", "malloc", None, "mbtypes[(m)->m_type]", "M_MBUF"),
    ("sys/sys/mbuf.h", "malloc", None, "0", "M_MBUF"),
    ("sys/kern/uipc_mbuf.c", "free", "m->m_ext.ext_buf", "m->m_ext.ext_type", "M_MBUF"),
    ("sys/kern/uipc_mbuf.c", "free", "m->m_ext.ext_buf", "0", "M_MBUF"),
)
_NO_TYPE = {"0", "NULL", "(0)", "((void *)0)"}

_CALL = re.compile(r"\b(" + "|".join(sorted(allocators.MALLOC_NAMES)) + r")\s*\(")
_DEF = re.compile(r"^\s*MALLOC_(DEFINE_SIZED|JUSTDEFINE_SIZED|DEFINE|JUSTDEFINE|DECLARE)"
                  r"\s*\(\s*(M_\w+|\w+)\s*"
                  r"(?:,\s*\"([^\"]*)\"\s*,\s*\"([^\"]*)\")?", re.M)
_STATIC_DEF = re.compile(r"\bstatic\s+MALLOC_(?:JUST)?DEFINE(?:_SIZED)?\s*\(\s*(\w+)")
_DETACH = re.compile(r"\bmalloc_type_detach\s*\(\s*(\w+)\s*\)")
_MODULE = re.compile(r"^MODULE\s*\(", re.M)
_ALIAS = re.compile(r"^\s*#\s*define\s+(M_\w+)\s+\(?\s*M_\w+\s*\)?\s*$", re.M)
_MTYPE = re.compile(r"M_[A-Z0-9_]+\Z")
_TYPE_WORD = re.compile(r"\bM_[A-Z0-9_]+\b")
# what _define_in_port generates: regenerated by each run, like TYPES_C
_PORT_TYPES_C = re.compile(r"^sys/arch/(\w+)/(?:\1/)?malloc_types_\1\.c$")
# #define f(a, b, type, c) f(a, b, c): a wrapper that drops a malloc type
# because malloc() used to throw it away (dev/isa/isadmavar.h).
_DROPPER = re.compile(r"^[ \t]*#[ \t]*define\s+(\w+)\(([^)]*)\)\s*\\?\s*\1\(([^)]*)\)", re.M)
FLAGS = {"M_WAITOK", "M_NOWAIT", "M_ZERO", "M_CANFAIL", "M_INTR"}
GENERATED = ("/* Generated by kmem2malloc install-shim from tag-map.yaml and the tree: "
             "do not edit. */\n")


def _args(text: str, openp: int) -> list[str]:
    """The arguments of the call whose '(' is at openp."""
    return split_args(text[openp + 1:brackets.match(text, openp) - 1])


def read_text(path: str) -> str | None:
    """A file's text, bytes that are not UTF-8 kept (surrogateescape);
    None if there is no such file."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fp:
            return fp.read()
    except FileNotFoundError:
        return None


class Edits:
    """install-shim's changes to a tree, held in memory until written: to
    the tree (in place), or as a patch to review (--out).  A read sees the
    edits made so far (the survey must see the shim's kern_malloc.c and
    the type arguments already fixed) and, before them, base: texts that
    an earlier step gives some files (convert's series: the converted
    files).  Each edit is a function of the file's text, kept with why it
    was made, so that it can be replayed on another text of that file:
    the series' shim commit applies the shim's edits to the pristine text
    of a file that the conversion changes too (dev/audio/audio.c)."""

    def __init__(self, root: str, base: dict | None = None) -> None:
        self.root = root
        self.base = base or {}
        self.text: dict[str, str] = {}         # rel -> text after the edits
        self.ops: dict[str, list] = defaultdict(list)   # rel -> [(fn, why)]

    def original(self, rel: str) -> str | None:
        """The text before install-shim: base's, else the tree's."""
        if rel in self.base:
            return self.base[rel]
        return read_text(os.path.join(self.root, rel))

    def read(self, rel: str) -> str | None:
        return self.text[rel] if rel in self.text else self.original(rel)

    def edit(self, rel: str, fn, why: str) -> bool:
        """Replace the text of rel by fn(text) (text None: a new file);
        True if that changed it."""
        old = self.read(rel)
        new = fn(old)
        if new == old:
            return False
        self.text[rel] = new
        self.ops[rel].append((fn, why))
        return True

    def put(self, rel: str, text: str, why: str) -> bool:
        return self.edit(rel, lambda _old: text, why)

    def changed(self) -> list[tuple[str, str | None, str, list[str]]]:
        """(rel, text before, text after, why) of each file changed."""
        out = []
        for rel in sorted(self.text):
            old = self.original(rel)
            if self.text[rel] != old:
                out.append((rel, old, self.text[rel], [w for _, w in self.ops[rel]]))
        return out

    def replay(self, rel: str, text: str | None) -> str | None:
        """This run's edits of rel, applied to another text of it."""
        for fn, _ in self.ops.get(rel, ()):
            text = fn(text)
        return text

    def apply(self) -> None:
        for rel, _, new, _ in self.changed():
            _write(os.path.join(self.root, rel), new)


@dataclass
class Survey:
    """What the tree says about malloc types (paths relative to the tree)."""
    used: dict = field(default_factory=dict)       # type -> first file passing it
    defined: dict = field(default_factory=lambda: defaultdict(list))
    #                                               type -> [(file, short, long)]
    statics: dict = field(default_factory=dict)    # type -> file defining it static
    declared: set = field(default_factory=set)
    aliases: set = field(default_factory=set)      # #define M_FOO M_BAR, and statics
    alias_lines: list = field(default_factory=list)   # (file, line, #define text, name)
    detached: set = field(default_factory=set)     # passed to malloc_type_detach()
    modules: dict = field(default_factory=dict)    # file -> loadable module it is in
    droppers: list = field(default_factory=list)   # (file, line, #define text, name)
    untyped: list = field(default_factory=list)    # (file, line, call, type argument)
    mentions: dict = field(default_factory=lambda: defaultdict(set))
    #                                               type -> .c files naming it
    sized: set = field(default_factory=set)        # types some free(p, T, n) passes
    unsized: set = field(default_factory=set)      # ... that free(p, T) or realloc passes

    def headerless(self) -> set[str]:
        """Types whose every release names its size: the shim can give
        them kmem's blocks as they are (MALLOC_DEFINE_SIZED)."""
        return self.sized - self.unsized

    def undetached_module_types(self) -> list[tuple[str, str, str]]:
        """(type, defining file, module) for each type defined in a loadable
        module's sources and never detached."""
        where = [(t, f) for t, fs in self.defined.items() for f, _, _ in fs]
        where += list(self.statics.items())
        return sorted((t, f, self.modules[f]) for t, f in where
                      if f in self.modules and t not in self.detached)


def module_sources(root: str) -> dict[str, str]:
    """file -> module, for the sources the sys/modules/*/Makefile list
    (SRCS found along .PATH, where ${S} is sys)."""
    found: dict[str, str] = {}
    mdir = os.path.join(root, "sys", "modules")
    for mod in sorted(os.listdir(mdir)) if os.path.isdir(mdir) else []:
        mk = os.path.join(mdir, mod, "Makefile")
        if os.path.isfile(mk):
            for src in makefile_sources(mk, {"S": os.path.join(root, "sys")}):
                found.setdefault(os.path.relpath(src, root), mod)
    return found


def sources(root: str, edits: Edits | None = None) -> list[str]:
    """Every .c/.h under root/sys (tree-relative), with the files edits
    create."""
    found = []          # in os.walk's order, which "used in FILE" follows
    for d, dirs, files in os.walk(os.path.join(root, "sys")):
        dirs.sort()
        found += [os.path.relpath(os.path.join(d, f), root) for f in sorted(files)]
    found += sorted(set(edits.text) - set(found)) if edits else []
    return [f for f in found if f.startswith("sys/") and f.endswith((".c", ".h"))]


def survey(root: str, edits: Edits | None = None) -> Survey:
    """Survey every .c/.h under root/sys, as edits leave it."""
    sv = Survey(modules=module_sources(root))
    edits = edits or Edits(root)
    for rel in sources(root, edits):
        f = os.path.basename(rel)
        if rel in (TYPES_H, TYPES_C) or _PORT_TYPES_C.match(rel):
            continue
        text = edits.read(rel)
        if text is None:
            continue
        if "malloc_type" in text:
            for m in _DROPPER.finditer(text):
                if len(m.group(2).split(",")) > len(m.group(3).split(",")) and \
                        re.search(m.group(1) + r"\s*\([^;{]*struct\s+malloc_type\s*\*", text):
                    sv.droppers.append((rel, text.count("\n", 0, m.start()) + 1,
                                        m.group(0), m.group(1)))
        if "M_" not in text and "free" not in text and "alloc" not in text:
            continue
        code = strip(text)      # comments and literals blanked, offsets kept
        if f.endswith(".c") and _MODULE.search(code):
            sv.modules.setdefault(rel, os.path.splitext(f)[0])
        sv.detached.update(_DETACH.findall(code))
        if f.endswith(".c"):
            for t in set(_TYPE_WORD.findall(code)):
                sv.mentions[t].add(rel)
        for m in _CALL.finditer(code):
            a = allocators.TABLE[m.group(1)]
            assert a.mtype is not None      # every malloc(9) function takes one
            args = _args(code, m.end() - 1)
            if not a.arity or len(args) in a.arity:
                t = " ".join(args[a.mtype].replace("\\", " ").split())
                rec = allocators.type_arg(t)
                if rec is not None and rec != t:        # M_RECORDED(T): the
                    sv.used.setdefault(rec, rel)        # record has its size
                    sv.sized.add(rec)
                elif _MTYPE.match(t) and t not in FLAGS | {allocators.AS_ALLOCATED}:
                    sv.used.setdefault(t, rel)
                    if (m.group(1) == "free" and len(args) == 3 and
                            args[2].strip() != "0") or m.group(1) == "malloc_strfree":
                        sv.sized.add(t)
                    elif m.group(1) in ("free", "realloc"):
                        sv.unsized.add(t)
                elif t in _NO_TYPE:
                    sv.untyped.append((rel, code.count("\n", 0, m.start()) + 1,
                                       m.group(1), t))
        for m in _DEF.finditer(code):       # the names from the text itself
            kind, t, short, desc = (_DEF.match(text, m.start()) or m).groups(default="")
            if kind == "DECLARE":
                sv.declared.add(t)
            elif not rel.startswith("sys/sys/malloc"):
                sv.defined[t].append((rel, short, desc))
        for t in _STATIC_DEF.findall(code):         # file-local: not declared
            sv.statics.setdefault(t, rel)
            sv.aliases.add(t)
        for m in _ALIAS.finditer(code):
            sv.aliases.add(m.group(1))
            sv.alias_lines.append((rel, code.count("\n", 0, m.start()) + 1,
                                   text[m.start():m.end()], m.group(1)))
    sv.defined = dict(sv.defined)
    return sv


def _short(t: str) -> str:
    return t[2:].lower() if t.startswith("M_") else t.lower()


def install(tree: Tree, tm: TagMap, out=print, outdir: str | None = None,
            in_place: bool = True) -> int:
    """install-shim: plan every change (plan()), then write it to the
    tree (in_place), and/or as OUTDIR/shim.diff with OUTDIR/shim.md saying
    what changed in which file and why.  Exit status as plan()'s."""
    edits, status = plan(tree, tm, out)
    if outdir:
        n = write_patch(outdir, edits)
        out(f"install-shim: {n} files in {os.path.join(outdir, 'shim.diff')} (p1, "
            f"`git apply` or `patch -p1` in TREE), why each changed in "
            f"{os.path.join(outdir, 'shim.md')}"
            + ("" if in_place else "; the tree is untouched"))
    if in_place:
        edits.apply()
    return status


def plan(tree: Tree, tm: TagMap, out=print, base: dict | None = None
         ) -> tuple[Edits, int]:
    """Every change install-shim makes to tree, in memory (Edits over
    base, the texts some files have before it: see Edits).  Returns the
    edits and the exit status: 1 if a type is defined twice or
    Makefile.rumpkern needs a hand, else 0."""
    root = tree.root
    edits = Edits(root, base)
    for src, dst in OVERLAY:
        sdir = os.path.join(SHIM, src)
        for f in sorted(os.listdir(sdir)):
            if f.endswith((".c", ".h")):
                shim_text = read_text(os.path.join(sdir, f))
                assert shim_text is not None        # listed just now
                edits.put(f"{dst}/{f}", shim_text,
                          "the shim: malloc(9) with real types (shim/README.md)")
                out(f"install-shim: {dst}/{f}")
    for rel, line, call, old, new in fix_type_args(edits):
        out(f"install-shim: {rel}:{line}: {call}() type argument {old} -> {new} "
            "(it never compiled while malloc() ignored its type)")
    for rel, line, old, new in fix_direct_calls(tree, tm, edits):
        why = ("<sys/malloc.h>'s free(), which takes free(p, T, n) too" if
               old.startswith("#") else "kern_malloc.c's functions take a type now")
        out(f"install-shim: {rel}:{line}: {old} -> {new} ({why})")
    sv = survey(root, edits)
    used, defined = sv.used, sv.defined
    for rel, line, call, t in sv.untyped:
        out(f"install-shim: warning: {rel}:{line}: {call}() is given no malloc type "
            f"({t}): with real types it must name one, the same at the allocation "
            "and at the free")
    for rel, line, text, name in sv.droppers:
        _remove_define(edits, rel, text,
                       f"macro {name}() dropped its malloc type argument (malloc() "
                       "used to ignore it); the type must reach the function now")
        out(f"install-shim: {rel}:{line}: removed macro {name}(), which dropped its "
            "malloc type argument (malloc() used to ignore it; now the type must "
            "reach the function)")
    for rel, line, text, name in sv.alias_lines:
        if name in defined:
            _remove_define(edits, rel, text,
                           f"#define {name} as another type made {defined[name][0][0]}'s "
                           f"MALLOC_DEFINE({name}) a second definition of that type",
                           declares=False)
            sv.aliases.discard(name)
            out(f"install-shim: {rel}:{line}: removed #define {name} as another type: "
                f"{defined[name][0][0]} defines {name} (MALLOC_DEFINE), which the alias "
                "made a second definition of that type; it is a type of its own now")
    types = (set(used) | set(tm.tags) | set(defined) | sv.declared) - sv.aliases - FLAGS
    twice = {t: fs for t, fs in defined.items() if len(fs) > 1 and
             _one_kernel_builds_two(root, [f for f, _, _ in fs])}
    for t, fs in sorted(twice.items()):
        out(f"install-shim: warning: {t} is defined {len(fs)} times: "
            + ", ".join(f for f, _, _ in fs))
    to_define = sorted(t for t in types if t not in defined)
    headerless = sv.headerless() & set(to_define)
    edits.put(TYPES_H, types_header(types),
              f"generated: a declaration of each of the {len(types)} malloc types the "
              "tree uses, so that every file including <sys/malloc.h> sees them")
    edits.put(TYPES_C, types_source(to_define, headerless, tm, used),
              f"generated: a definition of each of the {len(to_define)} types no file "
              f"defines ({len(headerless)} header-less: every free passes the size)")
    for page, where in install_man_pages(edits):
        out(f"install-shim: {where}/{page}")

    status = _list_sources(edits, out)
    missing = port_gaps(root, sv, types, to_define)
    for port, ts in sorted(missing.items()):
        status |= _define_in_port(edits, port, ts, sv, tm, used, out)
    undetached = sv.undetached_module_types()
    for t, f, mod in undetached:
        out(f"install-shim: warning: {t} is defined in {f}, part of loadable module "
            f"{mod}, and nothing calls malloc_type_detach({t}): unloading the module "
            f"would leave the type table pointing into it; its modcmd should call "
            f"malloc_type_attach({t}) on MODULE_CMD_INIT and malloc_type_detach({t}) "
            f"on MODULE_CMD_FINI")
    out(f"install-shim: {len(types)} malloc types declared in {TYPES_H}; "
        f"{len(to_define)} defined in {TYPES_C} ({len(headerless)} of them header-less, "
        f"every free passing the size), {len(types) - len(to_define)} "
        f"by their own files; {sum(len(ts) for ts in missing.values())} defined for "
        f"{len(missing)} ports whose kernels name them but build none of their "
        f"definitions; {len(twice)} defined more than once; "
        f"{len(undetached)} module types never detached")
    return edits, (1 if twice or status else 0)


def _one_kernel_builds_two(root: str, files: list[str]) -> bool:
    """Whether one port's kernels build two of files (each defining the
    same type): sparc64's and sparc's MD code may each define a type,
    no kernel builds both.  A file no config file lists counts as built
    everywhere."""
    builders = builds(root)
    maybe = [builders.get(f) for f in files]
    if any(b is None for b in maybe):
        return True
    bs = [b for b in maybe if b is not None]    # all of them
    ports: set[str] = set().union(*bs)
    return any(sum(1 for b in bs if MI in b or p in b) > 1 for p in ports)


def port_gaps(root: str, sv: Survey, types: set[str], to_define: list[str]
              ) -> dict[str, list[str]]:
    """Port -> the types the files its kernels build name (tree.builds:
    sys/conf/files plus the port's own config files) but whose definition
    none of them holds: a type MALLOC_DEFINEd only in another port's MD
    code, or in a files.* this port does not include.  A type no file
    defines is kern_malloc_types.c's, which sys/conf/files gives every
    kernel; files no config lists (rump's, modules') are not counted."""
    cfg = Configs(root)
    builders = cfg.builds()
    mi = set(to_define)

    def built(rel: str, port: str) -> bool:
        b = builders.get(rel)
        return b is not None and (MI in b or port in b)

    out: dict[str, list[str]] = {}
    for port in cfg.ports():
        gaps = sorted(t for t in types if t not in mi and t in sv.defined
                      and any(built(f, port) for f in sv.mentions.get(t, ()))
                      and not any(built(f, port) for f, _, _ in sv.defined[t]))
        if gaps:
            out[port] = gaps
    return out


def _define_in_port(edits: Edits, port: str, ts: list[str], sv: Survey, tm: TagMap,
                    used: dict, out) -> int:
    """sys/arch/PORT/PORT/malloc_types_PORT.c defining ts, listed in
    files.PORT: only that port's kernels get these definitions, so they
    meet the other ports' own (a type defined in one port's MD code)
    nowhere.  1 if the port has no files.PORT to list it in."""
    conf = f"sys/arch/{port}/conf/files.{port}"
    if edits.read(conf) is None:
        out(f"install-shim: warning: {port}'s kernels name {', '.join(ts)} but build "
            f"none of their definitions, and there is no {conf} to list one in")
        return 1
    sub = port if os.path.isdir(os.path.join(edits.root, "sys", "arch", port, port)) else ""
    rel = os.path.join("arch", port, sub, f"malloc_types_{port}.c")
    edits.put("sys/" + rel, types_source(ts, sv.headerless() & set(ts), tm, used),
              f"generated: the {len(ts)} malloc types {port}'s files name whose "
              "definitions its kernels do not build (another port's MD code defines them)")
    line = f"file\t{rel}"
    edits.edit(conf, lambda text: text if line in text else
               text + ("" if text.endswith("\n") else "\n") + line + "\n",
               f"{rel} listed: {port}'s kernels define the types it names "
               "that no file of theirs defines")
    out(f"install-shim: {port}: {', '.join(ts)} defined in sys/{rel} (listed in {conf}): "
        "its kernels name them and build none of their definitions")
    return 0


def types_header(types) -> str:
    """sys/sys/malloc_types.h: a MALLOC_DECLARE of each type.  (free()
    takes both forms whatever the tree does: no MALLOC_SIZED_FREE here.)"""
    lines = [GENERATED, "#ifndef _SYS_MALLOC_TYPES_H_", "#define _SYS_MALLOC_TYPES_H_", ""]
    lines += [f"MALLOC_DECLARE({t});" for t in sorted(types)]
    lines += ["", "#endif /* !_SYS_MALLOC_TYPES_H_ */", ""]
    return "\n".join(lines)


def types_source(to_define, headerless, tm: TagMap, used) -> str:
    """sys/kern/kern_malloc_types.c: a definition of each type in to_define,
    header-less (MALLOC_DEFINE_SIZED) for those in headerless."""
    lines = [GENERATED, "#include <sys/cdefs.h>", "#include <sys/param.h>",
             "#include <sys/malloc.h>", "",
             "/*",
             " * MALLOC_DEFINE_SIZED: every free of the type in the tree passes its",
             " * size (free(p, T, n)), so its blocks are kmem's own: kmem's alignment,",
             " * no header (shim/README.md).",
             " */", ""]
    for t in to_define:
        tag = tm.tags.get(t)
        short, desc = (tag.short, tag.description) if tag else \
            (_short(t), f"used in {used.get(t, 'the tree')}")
        define = "MALLOC_DEFINE_SIZED" if t in headerless else "MALLOC_DEFINE"
        lines.append(f'{define}({t}, "{short}", "{desc}");')
    return "\n".join(lines) + "\n"


def write_patch(outdir: str, edits: Edits) -> int:
    """OUTDIR/shim.diff (every change, a git-style diff that `git apply`,
    `git am` and `patch -p1` take in TREE) and OUTDIR/shim.md (each file,
    what and why).  Returns the number of files."""
    from ..report import git_diff
    os.makedirs(outdir, exist_ok=True)
    changed = edits.changed()
    with open(os.path.join(outdir, "shim.diff"), "w", encoding="utf-8",
              errors="surrogateescape") as fp:
        fp.write("".join(git_diff(rel, old, new) for rel, old, new, _ in changed))
    with open(os.path.join(outdir, "shim.md"), "w", encoding="utf-8") as fp:
        fp.write(shim_report(changed))
    return len(changed)


def shim_report(changed) -> str:
    """What install-shim changes, file by file, and why (shim.md)."""
    L = ["# install-shim: the changes", "",
         "Apply first, as a commit of its own: converted code calls",
         "free(p, T, n) and names the types declared here.", ""]
    for rel, old, _new, whys in changed:
        L.append(f"- `{rel}`{' (new)' if old is None else ''}: " + "; ".join(dict.fromkeys(whys)))
    return "\n".join(L) + "\n"


def _list_sources(edits: Edits, out) -> int:
    """kern_malloc_types.c in every list of kernel sources of the tree:
    sys/conf/files (with the shim's options, shim/conf/files.malloc, if the
    shim ships them) and the rump kernel's Makefile.rumpkern."""
    status = 0
    opts = read_text(CONF_OPTIONS) if os.path.exists(CONF_OPTIONS) else None
    if edits.read("sys/conf/files") is not None:
        edits.edit("sys/conf/files", lambda text: _conf_files(text, opts),
                   "kern/kern_malloc_types.c listed (and the shim's options, "
                   "shim/conf/files.malloc), so that every kernel defines the types")
    if edits.read(RUMPKERN_MK) is not None:
        if edits.edit(RUMPKERN_MK, _rumpkern_mk,
                      "kern_malloc_types.c listed: a rump kernel builds from this "
                      "list, not sys/conf/files"):
            out(f"install-shim: {RUMPKERN_MK}: kern_malloc_types.c listed")
        elif not re.search(r"\bkern_malloc_types\.c\b", edits.read(RUMPKERN_MK) or ""):
            out(f"install-shim: warning: {RUMPKERN_MK}: no kern_malloc.c line to list "
                "kern_malloc_types.c after; add it to SRCS by hand")
            status = 1
    return status


def _conf_files(text: str, opts: str | None) -> str:
    """sys/conf/files with the shim's options and kern_malloc_types.c
    appended, each once.  The options' block that an older shim put there
    (files.malloc's first line, then its comments and defflag/defparam
    lines) is replaced by today's, in place: config(1) refuses an option
    defined twice, so a tree shimmed before an option was added would not
    config if the new block were appended after the old one."""
    add = []
    if opts and opts.strip() and opts.strip() not in text:
        old = _old_options_block(text, opts)
        if old is not None:
            text = text[:old.start()] + opts.rstrip("\n") + "\n" + text[old.end():]
        else:
            add.append(opts.rstrip("\n"))
    if "kern/kern_malloc_types.c" not in text:
        add.append(CONF_LINE)
    if not add:
        return text
    return text + ("" if text.endswith("\n") else "\n") + "\n".join(add) + "\n"


def _old_options_block(text: str, opts: str) -> re.Match | None:
    """Where an earlier version of the shim's options block is in text:
    from its first line (the same in every version) through the comment,
    defflag, defparam and continuation lines after it."""
    first = opts.lstrip("\n").split("\n", 1)[0]
    if not first.startswith("#"):
        return None
    return re.search(r"^" + re.escape(first) + r"\n(?:(?:#|defflag\b|defparam\b|[ \t]+\S).*\n)*",
                     text, re.M)


def _rumpkern_mk(text: str) -> str:
    """Makefile.rumpkern with kern_malloc_types.c after kern_malloc.c."""
    if re.search(r"\bkern_malloc_types\.c\b", text):
        return text
    m = _RUMP_SRC.search(text)
    if not m:
        return text
    line = m.group(1).replace("SRCS+=", "      ").replace("SRCS=", "     ")
    line = line + "kern_malloc_types.c"
    if m.group(2).strip():
        line = _align_backslash(line, m.group(0))
    else:                               # kern_malloc.c ended its list
        line = "SRCS+=\tkern_malloc_types.c"
    return text[:m.end()] + "\n" + line + text[m.end():]


def fix_type_args(edits: Edits) -> list[tuple[str, int, str, str, str]]:
    """Apply TYPE_FIXES; return (file, line, call, old, new) for each change."""
    done = []
    for rel in sorted({f[0] for f in TYPE_FIXES}):
        text = edits.read(rel)
        if text is None:
            continue
        fixed = _type_args(rel, text)[1]
        if edits.edit(rel, lambda t, rel=rel: _type_args(rel, t)[0],
                      "malloc type arguments that never compiled while malloc() "
                      "ignored its type: " + ", ".join(f"{old} -> {new}"
                                                       for _, _, _, old, new in fixed)):
            done += fixed
    return done


def _type_args(rel: str, text: str) -> tuple[str, list]:
    """TYPE_FIXES applied to rel's text: (new text, [(file, line, call,
    old, new)])."""
    code = strip(text)
    edits, done = [], []
    for m in _CALL.finditer(code):
        a = allocators.TABLE[m.group(1)]
        assert a.mtype is not None          # every malloc(9) function takes one
        commas, close = arg_commas(code, m.end() - 1)
        bounds = [m.end()] + [c + 1 for c in commas]
        spans = list(zip(bounds, [c for c in commas] + [close]))
        if len(spans) not in a.arity:
            continue
        args = [" ".join(code[b:e].split()) for b, e in spans]
        for frel, call, ptr, old, new in TYPE_FIXES:
            if (frel, call) == (rel, m.group(1)) and args[a.mtype] == old and \
                    (ptr is None or a.ptr is not None and args[a.ptr] == ptr):
                b, e = spans[a.mtype]
                lead = len(text[b:e]) - len(text[b:e].lstrip())
                edits.append((b + lead, e, new))
                done.append((rel, code.count("\n", 0, m.start()) + 1, call, old, new))
                break
    for b, e, new in reversed(edits):
        tail = text[b:e]
        text = text[:b] + new + tail[len(tail.rstrip()):] + text[e:]
        sol = text.rfind("\n", 0, b) + 1
        eol = text.find("\n", b)
        eol = len(text) if eol < 0 else eol
        old_line = text[sol:eol].replace(new, tail.rstrip(), 1)
        if text[sol:eol].endswith("\\"):
            body = text[sol:eol][:-1].rstrip()
            text = text[:sol] + _align_backslash(body, old_line) + text[eol:]
    return text, done


# NetBSD's kern_malloc(size, flags), kern_free(addr), kern_realloc(addr,
# size, flags): the shim's take a type.  (Called directly by NetBSD-current's
# dev/audio/audio.c; drm_gem.h #defines free(addr, type) as kern_free(addr).)
_DIRECT = {"kern_malloc": (2, "malloc", 1), "kern_free": (1, "free", 1),
           "kern_realloc": (3, "realloc", 2)}
_DIRECT_RE = re.compile(r"\bkern_(malloc|free|realloc)\s*\(")
_DEFINE_HEAD = re.compile(r"[ \t]*#[ \t]*define[ \t]+\w+\(([^)]*)\)")
# A header that #undefs free (to declare a member of that name) and then
# defines it again as NetBSD's two-argument macro: drm_gem.h's
# "#define free(addr, type) kern_free(addr)" (or, installed by an older
# install-shim, kern_free(addr, type)).  Converted code that includes it
# frees with free(p, T, n), so it becomes <sys/malloc.h>'s own free().
_FREE_REDEFINED = re.compile(
    r"^([ \t]*#[ \t]*define[ \t]+)free\(\s*(\w+)\s*,\s*(\w+)\s*\)([ \t]+)"
    r"kern_free\(\s*\2\s*(?:,\s*\3\s*)?\)[ \t]*$", re.M)
FREE_AGAIN = "free(...)\t\t\t__malloc_free(__VA_ARGS__)"


def fix_direct_calls(tree: Tree, tm: TagMap, edits: Edits) -> list[tuple[str, int, str, str]]:
    """Rewrite the direct calls of kern_malloc.c's functions with NetBSD's
    arguments as the malloc(9) calls they are, with the file's type from
    the tag map; in a macro definition with a `type` parameter the call
    stays and passes that type; a header's own definition of free() as
    NetBSD's (drm_gem.h's #define free(addr, type) kern_free(addr))
    becomes <sys/malloc.h>'s, which takes free(p, T, n) too.  Return
    (file, line, old, new) for each."""
    done = []
    for rel in sources(tree.root, edits):
        if rel in ("sys/kern/kern_malloc.c", "sys/sys/malloc.h"):
            continue
        if rel not in edits.text and rel not in edits.base:
            with open(os.path.join(tree.root, rel), "rb") as fp:
                if b"kern_" not in fp.read():
                    continue
        text = edits.read(rel)
        if text is None or not (_DIRECT_RE.search(text) or _FREE_REDEFINED.search(text)):
            continue
        mtype = tm.tag_for(rel, tree.driver_of(rel))
        _new, fixed = _direct_calls(rel, text, mtype)
        whys = ["free() defined again as NetBSD's two-argument macro: now "
                "<sys/malloc.h>'s, which takes free(p, T, n) too"
                for f in fixed if f[2].startswith("#")][:1]
        if len(whys) < len(fixed):
            whys.append("direct calls of kern_malloc.c's functions with NetBSD's "
                        "arguments: they take a malloc type now")
        if fixed and edits.edit(rel, lambda t, rel=rel, mt=mtype: _direct_calls(rel, t, mt)[0],
                                "; ".join(whys)):
            done += fixed
    return done


def _direct_calls(rel: str, text: str, mtype: str) -> tuple[str, list]:
    """fix_direct_calls on one file's text: (new text, [(file, line, old,
    new)])."""
    done = []
    for m in reversed(list(_FREE_REDEFINED.finditer(text))):
        new = m.group(1) + FREE_AGAIN
        done.append((rel, text.count("\n", 0, m.start()) + 1, m.group(0).strip(), new))
        text = text[:m.start()] + new + text[m.end():]
    code = strip(text)
    edits = []
    for m in _DIRECT_RE.finditer(code):
        nargs, becomes, at = _DIRECT["kern_" + m.group(1)]
        commas, close = arg_commas(code, m.end() - 1)
        if len(commas) + 1 != nargs or code[m.start() - 1:m.start()] in ("_", "."):
            continue
        line_start = code.rfind("\n", 0, m.start()) + 1
        head = _DEFINE_HEAD.match(code, line_start)
        params = [p.strip() for p in head.group(1).split(",")] if head else []
        mt = mtype
        if "type" in params:
            mt, becomes = "type", "kern_" + m.group(1)
        bounds = [m.end()] + [c + 1 for c in commas]
        args = [text[b:e].strip() for b, e in zip(bounds, commas + [close])]
        new = f"{becomes}({', '.join(args[:at] + [mt] + args[at:])})"
        edits.append((m.start(), close + 1, new))
        done.append((rel, code.count("\n", 0, m.start()) + 1, text[m.start():close + 1], new))
    for a, b, new in reversed(edits):
        text = text[:a] + new + text[b:]
    return text, sorted(done, key=lambda d: d[1])


MAN_PAGES = (("malloc.9", "share/man/man9"), ("mallocstat.1", "share/man/man1"))


def install_man_pages(edits: Edits) -> list[tuple[str, str]]:
    """shim/man's pages where NetBSD keeps them, when the tree has those
    directories: [(page, directory)]."""
    done = []
    for page, where in MAN_PAGES:
        src = os.path.join(SHIM, "man", page)
        if os.path.isdir(os.path.join(edits.root, where)) and os.path.exists(src):
            text = read_text(src)
            assert text is not None
            edits.put(f"{where}/{page}", text, "the shim's manual page")
            done.append((page, where))
    return done


def _align_backslash(body: str, old_line: str) -> str:
    """body + tabs + a backslash in the column old_line had it (style(9)
    lines up the continuation backslashes of a macro)."""
    col = len(old_line.rstrip("\\").expandtabs(8))
    if not old_line.rstrip().endswith("\\"):
        return body
    out, width = body, len(body.expandtabs(8))
    while width < col:
        out += "\t"
        width = (width // 8 + 1) * 8
    if out == body:
        out += " "
    return out + "\\"


_KNOWS_TYPE = re.compile(r"^\s*struct\s+malloc_type\s*;|^\s*#\s*include\s*<sys/malloc(var)?\.h>",
                         re.M)


def _remove_define(edits: Edits, rel: str, define: str, why: str,
                   declares: bool = True) -> None:
    """Delete one #define (with its continuation lines) from a file.  A
    dropper macro (declares) also rewrote the prototype it sits beside,
    which now names struct malloc_type for the first time: if nothing in
    the file declares it, a `struct malloc_type;` takes the macro's place
    (else gcc declares it inside the parameter list, a type no caller can
    match)."""
    edits.edit(rel, lambda text: _without_define(text, define, declares), why)


def _without_define(text: str, define: str, declares: bool) -> str:
    at = text.find(define.lstrip("\n"))
    if at < 0:
        return text
    end = text.find("\n", at + len(define.lstrip("\n")))
    end = len(text) if end < 0 else end + 1
    instead = "" if not declares or _KNOWS_TYPE.search(text) else "struct malloc_type;\n"
    return text[:at] + instead + text[end:]


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as fp:
        fp.write(text)
    os.replace(tmp, path)
