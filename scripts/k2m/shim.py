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
   then defined exactly once; a type the tree already defines twice is
   reported.
5. Warn about each type defined in a loadable module's sources (listed in
   a sys/modules/*/Makefile, or holding a MODULE() line) that nothing
   passes to malloc_type_detach():
   the module's modcmd must attach it on MODULE_CMD_INIT and detach it on
   MODULE_CMD_FINI, as NetBSD 5's modules did, or the type table keeps a
   pointer into the module after it is unloaded.  NetBSD's module loader
   has no hook that runs after MODULE_CMD_FINI, so kern_malloc.c cannot
   do it by itself.

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
import shutil
from collections import defaultdict
from dataclasses import dataclass, field

from . import allocators
from .cscan import arg_commas, match_paren, split_args, strip
from .tagmap import TagMap
from .tree import Tree

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
_MK_VAR = re.compile(r"^\s*(\.PATH\s*:|SRCS\s*\+?=)\s*(.*)$")   # .PATH: d, SRCS+= f
_ALIAS = re.compile(r"^\s*#\s*define\s+(M_\w+)\s+\(?\s*M_\w+\s*\)?\s*$", re.M)
_MTYPE = re.compile(r"M_[A-Z0-9_]+\Z")
# #define f(a, b, type, c) f(a, b, c): a wrapper that drops a malloc type
# because malloc() used to throw it away (dev/isa/isadmavar.h).
_DROPPER = re.compile(r"^[ \t]*#[ \t]*define\s+(\w+)\(([^)]*)\)\s*\\?\s*\1\(([^)]*)\)", re.M)
FLAGS = {"M_WAITOK", "M_NOWAIT", "M_ZERO", "M_CANFAIL", "M_INTR"}
GENERATED = "/* Generated by kmem2malloc install-shim from tag-map.yaml and the tree: do not edit. */\n"


def _args(text: str, openp: int) -> list[str]:
    """The arguments of the call whose '(' is at openp."""
    return split_args(text[openp + 1:match_paren(text, openp) - 1])


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
    found = {}
    mdir = os.path.join(root, "sys", "modules")
    for mod in sorted(os.listdir(mdir)) if os.path.isdir(mdir) else []:
        mk = os.path.join(mdir, mod, "Makefile")
        if not os.path.isfile(mk):
            continue
        with open(mk, encoding="utf-8", errors="replace") as fp:
            text = fp.read().replace("\\\n", " ")
        paths, srcs = [os.path.join(mdir, mod)], []
        for line in text.splitlines():
            m = _MK_VAR.match(line)
            if m:
                words = m.group(2).split("#")[0].split()
                if m.group(1).startswith(".PATH"):
                    paths += [w.replace("${S}", os.path.join(root, "sys")) for w in words]
                else:
                    srcs += [w for w in words if w.endswith(".c")]
        for src in srcs:
            for p in paths:
                if os.path.isfile(os.path.join(p, src)):
                    found.setdefault(os.path.relpath(os.path.join(p, src), root), mod)
                    break
    return found


def survey(root: str) -> Survey:
    """Survey every .c/.h under root/sys."""
    sv = Survey(modules=module_sources(root))
    for d, dirs, files in os.walk(os.path.join(root, "sys")):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            rel = os.path.relpath(path, root)
            if rel in (TYPES_H, TYPES_C):
                continue
            with open(path, encoding="utf-8", errors="replace") as fp:
                text = fp.read()
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
            for m in _CALL.finditer(code):
                a = allocators.TABLE[m.group(1)]
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


def install(tree: Tree, tm: TagMap, out=print) -> int:
    root = tree.root
    for src, dst in OVERLAY:
        sdir = os.path.join(SHIM, src)
        for f in sorted(os.listdir(sdir)):
            if f.endswith((".c", ".h")):
                shutil.copyfile(os.path.join(sdir, f), os.path.join(root, dst, f))
                out(f"install-shim: {dst}/{f}")
    for rel, line, call, old, new in fix_type_args(root):
        out(f"install-shim: {rel}:{line}: {call}() type argument {old} -> {new} "
            "(it never compiled while malloc() ignored its type)")
    for rel, line, old, new in fix_direct_calls(tree, tm):
        out(f"install-shim: {rel}:{line}: {old} -> {new} (kern_malloc.c's functions "
            "take a type now)")
    sv = survey(root)
    used, defined = sv.used, sv.defined
    for rel, line, call, t in sv.untyped:
        out(f"install-shim: warning: {rel}:{line}: {call}() is given no malloc type "
            f"({t}): with real types it must name one, the same at the allocation "
            "and at the free")
    for rel, line, text, name in sv.droppers:
        _remove_define(os.path.join(root, rel), text)
        out(f"install-shim: {rel}:{line}: removed macro {name}(), which dropped its "
            "malloc type argument (malloc() used to ignore it; now the type must "
            "reach the function)")
    for rel, line, text, name in sv.alias_lines:
        if name in defined:
            _remove_define(os.path.join(root, rel), text, declares=False)
            sv.aliases.discard(name)
            out(f"install-shim: {rel}:{line}: removed #define {name} as another type: "
                f"{defined[name][0][0]} defines {name} (MALLOC_DEFINE), which the alias "
                "made a second definition of that type; it is a type of its own now")
    types = (set(used) | set(tm.tags) | set(defined) | sv.declared) - sv.aliases - FLAGS
    twice = {t: fs for t, fs in defined.items() if len(fs) > 1}
    for t, fs in sorted(twice.items()):
        out(f"install-shim: warning: {t} is defined {len(fs)} times: "
            + ", ".join(f for f, _, _ in fs))
    to_define = sorted(t for t in types if t not in defined)

    headerless = sv.headerless() & set(to_define)
    lines = [GENERATED, "#ifndef _SYS_MALLOC_TYPES_H_", "#define _SYS_MALLOC_TYPES_H_", ""]
    if sv.sized:
        # the tree frees with sizes (kmem2malloc convert's default form):
        # <sys/malloc.h> takes free(p, T, n) in every build of the tree,
        # with or without opt_malloc.h (rump, check)
        lines += ["#ifndef MALLOC_SIZED_FREE", "#define\tMALLOC_SIZED_FREE\t1",
                  "#endif", ""]
    lines += [f"MALLOC_DECLARE({t});" for t in sorted(types)]
    lines += ["", "#endif /* !_SYS_MALLOC_TYPES_H_ */", ""]
    _write(os.path.join(root, TYPES_H), "\n".join(lines))

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
    _write(os.path.join(root, TYPES_C), "\n".join(lines) + "\n")
    for page, where in install_man_pages(root):
        out(f"install-shim: {where}/{page}")

    status = _list_sources(root, out)
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
        f"by their own files; {len(twice)} defined more than once; "
        f"{len(undetached)} module types never detached")
    return 1 if twice or status else 0


def _list_sources(root: str, out) -> int:
    """kern_malloc_types.c in every list of kernel sources of the tree:
    sys/conf/files (with the shim's options, shim/conf/files.malloc, if the
    shim ships them) and the rump kernel's Makefile.rumpkern."""
    status = 0
    conf = os.path.join(root, "sys", "conf", "files")
    if os.path.exists(conf):
        with open(conf, encoding="utf-8", errors="surrogateescape") as fp:
            text = fp.read()
        add = []
        if os.path.exists(CONF_OPTIONS):
            with open(CONF_OPTIONS, encoding="utf-8") as fp:
                opts = fp.read()
            if opts.strip() and opts.strip() not in text:
                add.append(opts.rstrip("\n"))
        if "kern/kern_malloc_types.c" not in text:
            add.append(CONF_LINE)
        if add:
            _write(conf, text + ("" if text.endswith("\n") else "\n") + "\n".join(add) + "\n")
    mk = os.path.join(root, RUMPKERN_MK)
    if os.path.exists(mk):
        with open(mk, encoding="utf-8", errors="surrogateescape") as fp:
            text = fp.read()
        if not re.search(r"\bkern_malloc_types\.c\b", text):
            m = _RUMP_SRC.search(text)
            if m:
                line = m.group(1).replace("SRCS+=", "      ").replace("SRCS=", "     ")
                line = line + "kern_malloc_types.c"
                if m.group(2).strip():
                    line = _align_backslash(line, m.group(0))
                else:                               # kern_malloc.c ended its list
                    line = "SRCS+=\tkern_malloc_types.c"
                _write(mk, text[:m.end()] + "\n" + line + text[m.end():])
                out(f"install-shim: {RUMPKERN_MK}: kern_malloc_types.c listed")
            else:
                out(f"install-shim: warning: {RUMPKERN_MK}: no kern_malloc.c line to list "
                    "kern_malloc_types.c after; add it to SRCS by hand")
                status = 1
    return status


def fix_type_args(root: str) -> list[tuple[str, int, str, str, str]]:
    """Apply TYPE_FIXES; return (file, line, call, old, new) for each change."""
    done = []
    for rel in sorted({f[0] for f in TYPE_FIXES}):
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="surrogateescape") as fp:
            text = fp.read()
        code = strip(text)
        edits = []
        for m in _CALL.finditer(code):
            a = allocators.TABLE[m.group(1)]
            commas, close = arg_commas(code, m.end() - 1)
            bounds = [m.end()] + [c + 1 for c in commas]
            spans = list(zip(bounds, [c for c in commas] + [close]))
            if len(spans) not in a.arity:
                continue
            args = [" ".join(code[b:e].split()) for b, e in spans]
            for frel, call, ptr, old, new in TYPE_FIXES:
                if (frel, call) == (rel, m.group(1)) and args[a.mtype] == old and \
                        (ptr is None or args[a.ptr] == ptr):
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
        if edits:
            _write(path, text)
    return done


# NetBSD's kern_malloc(size, flags), kern_free(addr), kern_realloc(addr,
# size, flags): the shim's take a type.  (Called directly by NetBSD-current's
# dev/audio/audio.c; drm_gem.h #defines free(addr, type) as kern_free(addr).)
_DIRECT = {"kern_malloc": (2, "malloc", 1), "kern_free": (1, "free", 1),
           "kern_realloc": (3, "realloc", 2)}
_DIRECT_RE = re.compile(r"\bkern_(malloc|free|realloc)\s*\(")
_DEFINE_HEAD = re.compile(r"[ \t]*#[ \t]*define[ \t]+(\w+)\(([^)]*)\)")
# A header that #undefs free (drm_gem.h: a struct member of that name) and
# defines it again afterwards must define it as <sys/malloc.h> does: with
# MALLOC_SIZED_FREE, free(p, T, n) too, or every sized free after it stops
# compiling ("macro free passed 3 arguments": drm in GENERIC, boottest).
FREE_AGAIN = ("#ifdef MALLOC_SIZED_FREE\n"
              "#define\tfree(...)\t\t\t\t\t\t\t\\\n"
              "\t__free_pick(__VA_ARGS__, __free_3, __free_2, )(__VA_ARGS__)\n"
              "#else\n"
              "#define\tfree(addr, type)\t\tkern_free(addr, type)\n"
              "#endif")


def fix_direct_calls(tree: Tree, tm: TagMap) -> list[tuple[str, int, str, str]]:
    """Rewrite the direct calls of kern_malloc.c's functions with NetBSD's
    arguments as the malloc(9) calls they are, with the file's type from
    the tag map; in a macro definition with a `type` parameter the call
    stays and passes that type, and a definition of free itself (drm_gem.h
    #undefs free for a struct member and ends with #define free(addr,
    type) kern_free(addr)) becomes <sys/malloc.h>'s (FREE_AGAIN).  Return
    (file, line, old, new) for each."""
    root, done = tree.root, []
    for d, dirs, files in os.walk(os.path.join(root, "sys")):
        dirs.sort()
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(d, f), root)
            if not f.endswith((".c", ".h")) or rel in ("sys/kern/kern_malloc.c",
                                                       "sys/sys/malloc.h"):
                continue
            with open(os.path.join(d, f), "rb") as fp:
                if b"kern_" not in fp.read():
                    continue
            with open(os.path.join(d, f), encoding="utf-8", errors="surrogateescape") as fp:
                text = fp.read()
            code = strip(text)
            edits = []
            for m in _DIRECT_RE.finditer(code):
                nargs, becomes, at = _DIRECT["kern_" + m.group(1)]
                commas, close = arg_commas(code, m.end() - 1)
                if len(commas) + 1 != nargs or code[m.start() - 1:m.start()] in ("_", "."):
                    continue
                line_start = code.rfind("\n", 0, m.start()) + 1
                head = _DEFINE_HEAD.match(code, line_start)
                params = [p.strip() for p in head.group(2).split(",")] if head else []
                line_end = code.find("\n", m.start())
                line_end = len(code) if line_end < 0 else line_end
                if head and head.group(1) == "free" and params == ["addr", "type"] and \
                        m.group(1) == "free" and not code[:line_end].endswith("\\"):
                    # free itself defined again: as <sys/malloc.h> defines it
                    edits.append((line_start, line_end, FREE_AGAIN))
                    done.append((rel, code.count("\n", 0, m.start()) + 1,
                                 text[line_start:line_end].strip(), "free as <sys/malloc.h>"))
                    continue
                if "type" in params:
                    mtype, becomes = "type", "kern_" + m.group(1)
                else:
                    mtype = tm.tag_for(rel, tree.driver_of(rel))
                bounds = [m.end()] + [c + 1 for c in commas]
                args = [text[b:e].strip() for b, e in zip(bounds, commas + [close])]
                new = f"{becomes}({', '.join(args[:at] + [mtype] + args[at:])})"
                edits.append((m.start(), close + 1, new))
                done.append((rel, code.count("\n", 0, m.start()) + 1,
                             text[m.start():close + 1], new))
            for a, b, new in reversed(edits):
                text = text[:a] + new + text[b:]
            if edits:
                _write(os.path.join(d, f), text)
    return done


MAN_PAGES = (("malloc.9", "share/man/man9"), ("mallocstat.1", "share/man/man1"))


def install_man_pages(root: str) -> list[tuple[str, str]]:
    """shim/man's pages where NetBSD keeps them, when the tree has those
    directories: [(page, directory)]."""
    done = []
    for page, where in MAN_PAGES:
        src = os.path.join(SHIM, "man", page)
        if os.path.isdir(os.path.join(root, where)) and os.path.exists(src):
            shutil.copyfile(src, os.path.join(root, where, page))
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


def _remove_define(path: str, define: str, declares: bool = True) -> None:
    """Delete one #define (with its continuation lines) from a file.  A
    dropper macro (declares) also rewrote the prototype it sits beside,
    which now names struct malloc_type for the first time: if nothing in
    the file declares it, a `struct malloc_type;` takes the macro's place
    (else gcc declares it inside the parameter list, a type no caller can
    match)."""
    with open(path, encoding="utf-8", errors="surrogateescape") as fp:
        text = fp.read()
    at = text.find(define.lstrip("\n"))
    if at >= 0:
        end = text.find("\n", at + len(define.lstrip("\n")))
        end = len(text) if end < 0 else end + 1
        instead = "" if not declares or _KNOWS_TYPE.search(text) else "struct malloc_type;\n"
        _write(path, text[:at] + instead + text[end:])


def _write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fp:
        fp.write(text)
    os.replace(tmp, path)
