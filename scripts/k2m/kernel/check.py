"""`kmem2malloc check`: compile before and after, as the kernel would.

For users without a NetBSD cross toolchain: each .c file under PATHs is
compiled by the host gcc to an object, as a kernel file (-D_KERNEL,
-nostdinc, machine amd64, -O2) with the kernel's warning flags: the
CWARNFLAGS of the tree's own sys/conf/Makefile.kern.inc (-Wall -Wextra
...; WARNINGS below if the tree has none).  Headers that config(1) would
generate are stand-ins: ioconf.h and locators.h written from the port's
config files (config_headers), opt_*.h and the like empty, made on
demand.  Per file it records whether it compiles (and the first error),
its warnings, and the malloc type symbols its object defines and
references (nm).

Warnings are compared per file by function and message, not by line
(a conversion shifts lines): a warning that was not there before is a
regression, as it would stop a -Werror kernel build.

Link check: over the objects (plus the shim's kern_malloc.c and
kern_malloc_types.c, which define the types), every malloc type that is
referenced must be defined exactly once.  A type defined by no object is
looked up in the tree's sources: defined in a file not compiled here is
fine, defined nowhere is an undefined reference; a type two objects
define is a duplicate.  Both are listed with file names.

The first run records a baseline; a later run lists the regressions: a
file that compiled before and does not now, a new warning, a new link
problem.  No substitute for build.sh: it proves only that the converted
sources still compile, warning-free, with the headers it could find.

--arch LIST|all compiles each file for the ports whose kernels build it
(ports.py: the config files' `file` lines, one port per CPU, Debian's
cross gcc and that CPU's flags); amd64 alone is the default, one target
like the others.  --against BEFORE compares with a tree before the
conversion instead of a baseline, and compiles only what the conversion
can affect: the files that differ and the .c files that include (through
any chain of #include lines) a header that differs.  It compiles the
converted tree first and the tree before only where that gave an error
or a warning: a file that compiles after without one can be neither a
regression nor have a new warning.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import resource
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from ..c import brackets
from . import ports as portsmod
from .makeoptions import MakeOptions
from .ports import Target
from ..tree import MI, Configs, Tree, TreeError, builds, port_dirs

# -fno-pic -fno-pie: Debian's gcc makes PIE by default, NetBSD's kernels
# are not (and mips, amd64's -mcmodel=kernel refuse PIC outright).
FLAGS = ["-c", "-O2", "-nostdinc", "-ffreestanding", "-fno-common", "-fno-pic", "-fno-pie",
         "-D_KERNEL", "-D__NetBSD__", "-U__linux__", "-U__linux", "-U__gnu_linux__", "-Ulinux",
         "-std=gnu99"]
# sys/conf/Makefile.kern.inc's CWARNFLAGS for x86_64 (NetBSD 7.99 and
# 10.99 agree but for -Wno-type-limits, -Walloca and packed members), used
# when a tree has no Makefile.kern.inc to read them from.
WARNINGS = ["-Wall", "-Wno-main", "-Wno-format-zero-length", "-Wpointer-arith",
            "-Wmissing-prototypes", "-Wstrict-prototypes", "-Wold-style-definition",
            "-Wswitch", "-Wshadow", "-Wcast-qual", "-Wwrite-strings",
            "-Wno-unreachable-code", "-Wno-pointer-sign", "-Wno-attributes",
            "-Wextra", "-Wno-unused-parameter", "-Wno-sign-compare"]
KERN_INC = "sys/conf/Makefile.kern.inc"
XEN_INC = "sys/external/mit/xen-include-public/dist"    # amd64's GENERIC has XEN
# make variables of Makefile.kern.inc that stand for a flag (share/mk's value)
_MK_FLAGS = {"${CC_WNO_ADDRESS_OF_PACKED_MEMBER}": "-Wno-address-of-packed-member"}
_MISSING = re.compile(r"fatal error: ([\w./-]+\.h): No such file")
_IN_FUNC = re.compile(r"^([^:\n]+): In function '([^']+)':$")
_TOP = re.compile(r"^([^:\n]+): At top level:$")
_WARNING = re.compile(r"^([^:\n]+):(\d+):\d+: warning: (.*)$")
_TYPE_SYM = re.compile(r"M_[A-Z0-9_]+\Z")
_DECLARED = re.compile(r"MALLOC_DECLARE\((\w+)\)")
BASELINE = ".kmem2malloc-check.json"
SHIM_FILES = ("sys/kern/kern_malloc.c", "sys/kern/kern_malloc_types.c")


@dataclass
class FileResult:
    ok: bool
    error: str = ""
    warnings: list = field(default_factory=list)    # [key, line]; key: file|function|message
    defines: list = field(default_factory=list)     # malloc type symbols defined (global)
    refs: list = field(default_factory=list)        # and referenced, undefined here


_COND = re.compile(r'\$\{(MACHINE|MACHINE_ARCH)\}\s*(==|!=)\s*"([^"]*)"')


def _cond(expr: str, machine: str, arch: str) -> bool:
    """A make .if of ${MACHINE}/${MACHINE_ARCH} comparisons joined by ||
    or && (Makefile.kern.inc's -Wextra line); anything else is taken as
    true, as before there was --arch."""
    if not _COND.search(expr):
        return True
    ors = []
    for part in expr.split("||"):
        ands = []
        for m in _COND.finditer(part):
            val = machine if m.group(1) == "MACHINE" else arch
            ands.append((val == m.group(3)) == (m.group(2) == "=="))
        ors.append(all(ands))
    return any(ors)


def warning_flags(root: str, machine: str = "amd64", arch: str = "x86_64") -> list[str]:
    """The CWARNFLAGS a kernel of this tree is built with for MACHINE and
    MACHINE_ARCH (gcc): every `CWARNFLAGS+=` of sys/conf/Makefile.kern.inc
    whose .if holds (-Wextra is i386, x86_64, sparc64 and prep's only) but
    the per-file and per-compiler ones (CWARNFLAGS.clang, ...)."""
    path = os.path.join(root, KERN_INC)
    if not os.path.exists(path):
        return list(WARNINGS)
    with open(path, encoding="utf-8", errors="replace") as fp:
        text = fp.read().replace("\\\n", " ")
    flags: list[str] = []
    stack: list[bool] = []
    for line in text.splitlines():
        d = re.match(r"^\.\s*(if|elif|else|endif)\b(.*)$", line)
        if d:
            kind, expr = d.groups()
            if kind == "if":
                stack.append(_cond(expr, machine, arch))
            elif kind == "endif" and stack:
                stack.pop()
            elif stack:         # else, elif: the other branch
                stack[-1] = not stack[-1] if kind == "else" else _cond(expr, machine, arch)
            continue
        m = re.match(r"^CWARNFLAGS\s*\+=\s*(.*)$", line)
        if not m or not all(stack):
            continue
        for w in m.group(1).split("#")[0].split():
            w = _MK_FLAGS.get(w, w)
            if w.startswith("-W") and "$" not in w and w not in flags:
                flags.append(w)
    return flags or list(WARNINGS)


def _generated(h: str) -> bool:
    return h.startswith("opt_") or h in ("locators.h", "ioconf.h") or \
        re.fullmatch(r"[a-z0-9_]+\.h", h) is not None and not h.startswith("sys")


def _warnings(stderr: str, root: str, rel: str) -> list[list]:
    """[key, line] for each warning gcc printed compiling rel.  key =
    file|function|message, the file relative to the tree (a header reached
    through the machine/ links by its real path).  A warning in a header is
    keyed without the function: that is where the compiler chose to inline
    the header's code, which moves when the function's body changes."""
    out, func = [], ""
    for line in stderr.splitlines():
        m = _IN_FUNC.match(line)
        if m:
            func = m.group(2)
            continue
        if _TOP.match(line):
            func = ""
            continue
        m = _WARNING.match(line)
        if m:
            f = os.path.relpath(os.path.realpath(m.group(1)), root)
            out.append([f"{f}|{func if f == rel else ''}|{m.group(3)}", int(m.group(2))])
    return out


def _symbols(nm: str, obj: str, types: set[str]) -> tuple[list[str], list[str]]:
    """Malloc type symbols an object defines (globally) and references."""
    p = subprocess.run([nm, "-P", obj], capture_output=True, text=True)
    defs, refs = set(), set()
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2 or not (parts[0] in types or _TYPE_SYM.match(parts[0])):
            continue
        if parts[1] == "U":
            refs.add(parts[0])
        elif parts[1].isupper():
            defs.add(parts[0])
    return sorted(defs), sorted(refs)


_DEVICE = re.compile(r"^[ \t]*(device|defpseudo|defpseudodev)[ \t]+(\w+)", re.M)
_LOCATORS = re.compile(r"^[ \t]*(?:define|device|defpseudodev)[ \t]+(\w+)[ \t]*\{([^{}]*"
                       r"(?:\{[^{}]*\}[^{}]*)*)\}", re.M)
# `defparam opt_rasops.h RASOPS_DEFAULT_WIDTH = 80`: config(1) writes the
# default into the header when the kernel config does not set it
_DEFPARAM = re.compile(r"^[ \t]*defparam[ \t]+(opt_\w+\.h)[ \t]+((?:[^:#\n]|:=)*)", re.M)
_DEFAULT = re.compile(r"(\w+)[ \t]*:?=[ \t]*(\"(?:[^\"\\]|\\.)*\"|[^\s]+)")
_LOCATOR = re.compile(r"^\[?\s*(\w+)\s*(?:\[\s*(\d+)\s*\])?\s*(?:=\s*([^\]]*?))?\s*\]?$")


def _split_locators(body: str) -> list[str]:
    """The locators of `{[dev = -1], [irq[2] = {-1, -1}], chan}`, split
    at the commas outside brackets and braces."""
    return [x.strip() for x in brackets.split(body, ",", kinds="[{") if x.strip()]


def config_headers(root: str, port: str, options: frozenset[str] = frozenset()
                   ) -> dict[str, str]:
    """ioconf.h, locators.h and the opt_*.h of defparams with a default
    as config(1) would write them for a kernel of port with every device
    and attribute of the config files its kernels read (Configs.reads):
    `extern struct cfdriver NAME_cd;`, pseudo-devices' `void
    NAMEattach(int);`, `#define PCICF_DEV 0`, `#define
    RASOPS_DEFAULT_WIDTH 80` (unless options, the kernel's, set it).
    Empty stand-ins leave every driver that names its cfdriver or a
    locator failing, on every port, before and after: compiled by no one.
    Per port: mac68k's ite is a pseudo-device, atari's a device."""
    cfg = Configs(root)
    confs = sorted(cfg.reads(port))
    drivers: dict[str, None] = {}       # ordered sets
    pseudo: dict[str, None] = {}
    locs: dict[str, list[str]] = {}
    opts: dict[str, list[str]] = {}
    for c in confs:
        text = cfg.text(c).replace("\\\n", " ")
        for header, body in _DEFPARAM.findall(text):
            opts.setdefault(header, []).extend(
                f"#define {n}\t{v}" for n, v in _DEFAULT.findall(body) if n not in options)
        for kind, name in _DEVICE.findall(text):
            drivers.setdefault(name, None)
            if kind.startswith("defpseudo"):
                pseudo.setdefault(name, None)
        for attr, body in _LOCATORS.findall(text):
            if attr in locs:
                continue
            lines, i = [], 0
            for item in _split_locators(body):
                m = _LOCATOR.match(item)
                if not m:
                    continue
                name, n, default = m.groups()
                macro = f"{attr.upper()}CF_{name.upper()}"
                lines.append(f"#define {macro} {i}")
                if default and not n:
                    lines.append(f"#define {macro}_DEFAULT {default.strip()}")
                i += int(n) if n else 1
            if i:
                locs[attr] = lines + [f"#define {attr.upper()}CF_NLOCS {i}"]
    ioconf = ["/* check's stand-in for config(1)'s ioconf.h */"]
    ioconf += [f"void {p}attach(int);" for p in pseudo]
    ioconf += [f"extern struct cfdriver {d}_cd;" for d in drivers]
    return {"ioconf.h": "\n".join(ioconf) + "\n",
            "locators.h": "\n".join(line for ls in locs.values() for line in ls) + "\n",
            **{h: "\n".join(dict.fromkeys(ls)) + "\n" for h, ls in opts.items() if ls}}


class Compiler:
    """One tree compiled for one target: its include links, stand-ins for
    generated headers, compiler and flags."""

    def __init__(self, root: str, work: str, types: set[str], target: Target):
        self.root, self.types, self.target = root, types, target
        self.inc, self.stubs, self.objs = (os.path.join(work, d) for d in ("inc", "stubs", "obj"))
        for d in (self.inc, self.stubs, self.objs):
            os.makedirs(d)
        for name, target_dir in portsmod.include_links(root, target):
            os.symlink(os.path.join(root, target_dir), os.path.join(self.inc, name))
        kernel_opts = portsmod.kernel_options(root, target)
        set_opts = frozenset(o[2:].split("=")[0] for o in kernel_opts)
        for name, text in config_headers(root, target.port, set_opts).items():
            with open(os.path.join(self.stubs, name), "w") as fp:
                fp.write(text)
        machine_arch = {"sh3": "sh3el", "mipsel": "mipsel", "mips": "mipseb"}.get(
            target.cpu.name, target.cpu.name)
        self.makeoptions = MakeOptions(root, target.port, {target.port, target.cpu.name},
                                       portsmod.kernel_lines(root, target))
        cpu_flags = list(target.cpu.flags)
        if "-mabi=n32" in self.makeoptions.vars.get("CFLAGS", []):
            # playstation2: NetBSD's gcc defines the ABI's name, Linux's not
            cpu_flags = [f for f in cpu_flags if f != "-D__mips_o32"] + ["-D__mips_n32"]
        self.flags = FLAGS + cpu_flags + kernel_opts + \
            warning_flags(root, target.port, machine_arch)

    def _stub(self, h: str) -> None:
        """A generated header: config(1)'s needs-flag header of what the
        kernel selects counts one (fd.h: `#define NFD 1`, without which
        sun3's fd.c stops at "fdc but no fd?"), any other is empty."""
        with open(os.path.join(self.stubs, h), "a") as fp:
            name = h[:-len(".h")]
            if not name.startswith("opt_") and name in self.makeoptions.selected:
                fp.write(f"#define N{name.upper()}\t1\n")

    def compile(self, rel: str) -> FileResult:
        """Compile one file; make empty stand-ins for generated headers."""
        obj = os.path.join(self.objs, rel.replace("/", "__") + ".o")
        first, last = self.makeoptions.flags(rel)
        cmd = [self.target.cpu.gcc or "false", *self.flags, *first, "-I",
               os.path.join(self.root, "sys"), "-I", os.path.join(self.root, "sys", "arch"),
               "-I", os.path.join(self.root, XEN_INC),
               "-I", self.inc, "-I", self.stubs, *last, "-o", obj,
               os.path.join(self.root, rel)]
        env = {**os.environ, "LC_ALL": "C"}         # plain quotes in messages
        for _ in range(40):
            p = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if p.returncode == 0:
                defs, refs = _symbols(self.target.cpu.nm, obj, self.types)
                os.unlink(obj)
                return FileResult(True, "", _warnings(p.stderr, self.root, rel), defs, refs)
            m = _MISSING.search(p.stderr)
            if not m or "/" in m.group(1) or not _generated(m.group(1)):
                break
            self._stub(m.group(1))
        error = next((line for line in p.stderr.splitlines() if "error" in line), p.stderr[:200])
        return FileResult(False, error.replace(self.root + "/", ""))


def files_under(root: str, paths: list[str]) -> list[str]:
    """Tree-relative .c files under paths; a path that does not exist, or
    leads outside the tree, is an error, and so is finding no .c file."""
    files = []
    for p in paths:
        full = os.path.normpath(os.path.join(root, p))
        if full != root and not full.startswith(root + os.sep):
            raise TreeError(f"{p}: outside the tree")
        if os.path.isfile(full):
            files.append(os.path.relpath(full, root))
        elif os.path.isdir(full):
            for d, dirs, fs in os.walk(full):
                dirs.sort()
                files += [os.path.relpath(os.path.join(d, f), root) for f in sorted(fs)
                          if f.endswith(".c")]
        else:
            raise TreeError(f"{p}: no such file or directory in {root}")
    if not files:
        raise TreeError(f"no .c file under {' '.join(paths)}")
    return sorted(set(files))


_DEFINE = re.compile(r"MALLOC_(?:JUST)?DEFINE(?:_SIZED)?\s*\(\s*(M_\w+)\b")
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fp:
            return fp.read()
    except OSError:
        return b""


def _sys_sources(root: str, ext: tuple[str, ...]) -> list[str]:
    out = []
    for d, dirs, fs in os.walk(os.path.join(root, "sys")):
        dirs.sort()
        out += [os.path.relpath(os.path.join(d, f), root) for f in sorted(fs) if f.endswith(ext)]
    return out


def source_definitions(root: str) -> dict[str, list[str]]:
    """Malloc type -> the .c files of the tree with its MALLOC_DEFINE
    (JUSTDEFINE, _SIZED): where a kernel that builds them defines it."""
    found: dict[str, list[str]] = {}
    for rel in _sys_sources(root, (".c",)):
        data = _read(os.path.join(root, rel))
        if b"MALLOC_" not in data:
            continue
        for t in dict.fromkeys(_DEFINE.findall(data.decode("utf-8", "replace"))):
            found.setdefault(t, []).append(rel)
    return found


def builds_file(builders: dict[str, frozenset[str]], rel: str, port: str) -> bool | None:
    """Whether port's kernels build rel; None: no config file lists it."""
    b = builders.get(rel)
    return None if b is None else (MI in b or port in b)


def link_problems(res: dict[str, FileResult], sources: dict[str, list[str]],
                  builders: dict[str, frozenset[str]], port: str) -> dict[str, str]:
    """{problem key: description} for one port's kernel: malloc types its
    objects reference that neither an object nor a source the port builds
    (or that no config file lists) defines, and types that more than one
    object or listed source of the port defines."""
    defined: dict[str, set[str]] = {}
    referenced: dict[str, list[str]] = {}
    for f, r in res.items():
        for t in r.defines:
            defined.setdefault(t, set()).add(f)
        for t in r.refs:
            referenced.setdefault(t, []).append(f)
    unlisted: set[str] = set()
    for t, fs in sources.items():
        for f in fs:
            b = builds_file(builders, f, port)
            if b:
                defined.setdefault(t, set()).add(f)
            elif b is None:
                unlisted.add(t)
    out = {}
    for t in sorted(set(referenced) - set(defined) - unlisted):
        fs = referenced[t]
        out[f"undefined:{t}"] = (f"UNDEFINED {t}: referenced by {', '.join(fs[:5])}"
                                 + (f" and {len(fs) - 5} more" if len(fs) > 5 else "")
                                 + "; no file defines it")
    for t, ds in sorted(defined.items()):
        if len(ds) > 1:
            out[f"duplicate:{t}"] = f"DUPLICATE {t}: defined in {', '.join(sorted(ds))}"
    return out


def _resolve(root: str, rel: str, quote: str, name: str, arch_inc: dict[str, list[str]]
             ) -> list[str]:
    """The tree files an #include may name: "x.h" beside the file, <a/b.h>
    under sys/, <machine/x.h> and <FAMILY/x.h> under sys/arch/*/include."""
    out = ["sys/" + name]
    if quote == '"':
        out.append(os.path.normpath(os.path.join(os.path.dirname(rel), name)))
    first, _, rest = name.partition("/")
    if first == "machine" and rest:
        out += [d + "/" + rest for d in arch_inc["machine"]]
    elif rest:
        out.append(f"sys/arch/{first}/include/{rest}")
    return out


_DEFINE_NAME = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)")
_FUNC_NAME = re.compile(r"^(?:[A-Za-z_][\w \t\*]*?[\s\*])?(\w+)[ \t]*\(")
_WORD = re.compile(r"[A-Za-z_]\w*")
_C_WORDS = frozenset("""auto break case char const continue default do double else enum
    extern float for goto if inline int long register restrict return short signed sizeof
    static struct switch typedef union unsigned void volatile while __inline bool size_t
    define include ifdef ifndef endif undef elif defined NULL _KERNEL""".split())


def _blocks(lines: list[str]) -> list[str | None]:
    """Per line, the name whose definition holds it: a #define with its
    continuation lines, or a function (static inline in a header) from
    its first line to the `}` in column 0; None elsewhere."""
    out: list[str | None] = [None] * len(lines)
    i = 0
    while i < len(lines):
        m = _DEFINE_NAME.match(lines[i])
        f = None if m or lines[i].rstrip().endswith(";") else _FUNC_NAME.match(lines[i])
        if m:
            j = i
            while lines[j].rstrip().endswith("\\") and j + 1 < len(lines):
                j += 1
        elif f and f.group(1) not in _C_WORDS:
            j, opened = i, False
            while j + 1 < len(lines):
                opened = opened or "{" in lines[j]
                if lines[j].rstrip().endswith(";") and not opened or \
                        opened and lines[j].startswith("}"):
                    break
                j += 1
        else:
            i += 1
            continue
        mf = m or f
        assert mf is not None           # the else above went on
        name = mf.group(1)
        for k in range(i, j + 1):
            out[k] = name
        i = j + 1
    return out


def _macro_names(text: str) -> set[str]:
    return set(_DEFINE_NAME.findall("\n".join(text.splitlines())))


_TAG = re.compile(r"\b(?:struct|union|enum)[ \t]+(\w+)|\btypedef\b[^;{]*?(\w+)[ \t]*;")


def _defined_names(lines: list[str]) -> set[str]:
    """What a header defines: macros, functions, struct tags, typedefs."""
    out = {n for n in _blocks(lines) if n}
    for line in lines:
        m = _DEFINE_NAME.match(line) or _FUNC_NAME.match(line)
        if m and m.group(1) not in _C_WORDS:
            out.add(m.group(1))
        out.update(a or b for a, b in _TAG.findall(line))
    return out


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def _uncommented(text: str) -> str:
    """text without comments, each line where it was (a rewritten comment
    changes no file that includes the header)."""
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def header_keys(root: str, before: str, after: str) -> set[str]:
    """The names a header's change can reach a file through: the macro or
    function whose definition a changed line is in, the macros of a header
    it now includes (namei.h's new <sys/malloc.h>: free, malloc, ...),
    else the names on the changed line that the header defines (a
    prototype's function, a member's struct)."""
    old, new = _uncommented(before).splitlines(), _uncommented(after).splitlines()
    keys: set[str] = set()
    own = _defined_names(old) | _defined_names(new)
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        for lines, lo, hi in ((old, i1, i2), (new, j1, j2)):
            names = _blocks(lines)
            for k in range(lo, hi):
                if not lines[k].strip():
                    continue
                inc = re.match(r"^[ \t]*#[ \t]*include[ \t]*<([^>]+)>", lines[k])
                if (name := names[k]):
                    keys.add(name)
                elif inc:
                    keys |= _macro_names(_read(os.path.join(root, "sys", inc.group(1)))
                                         .decode("utf-8", "replace"))
                else:           # a declaration: the names of the header's own on it
                    keys |= set(_WORD.findall(lines[k])) & own
    return keys


def includers(root: str, headers: set[str], keys: set[str] | None = None) -> set[str]:
    """The .c files of sys/ that include one of headers, directly or
    through other headers (a textual reading of #include lines, generous
    where it cannot tell: <machine/x.h> is every port's x.h).  With keys,
    only those that use one of the names: in their own text, or through a
    macro or inline function of a header between (whose name then is a
    key too)."""
    if not headers:
        return set()
    arch = os.path.join(root, "sys", "arch")
    arch_inc = {"machine": [f"sys/arch/{d}/include" for d in sorted(os.listdir(arch))
                            if os.path.isdir(os.path.join(arch, d, "include"))]
                if os.path.isdir(arch) else []}
    rev: dict[str, set[str]] = {}
    text: dict[str, str] = {}
    for rel in _sys_sources(root, (".c", ".h")):
        data = _read(os.path.join(root, rel))
        if b"include" not in data:
            continue
        text[rel] = data.decode("utf-8", "replace")
        for q, name in _INCLUDE.findall(text[rel]):
            for h in _resolve(root, rel, q, name, arch_inc):
                rev.setdefault(h, set()).add(rel)
    keys = set(keys) if keys is not None else None
    seen, todo, out = set(headers), list(headers), set()
    while todo:
        for f in rev.get(todo.pop(), ()):
            if f.endswith(".c"):
                out.add(f)
            elif f not in seen:
                seen.add(f)
                todo.append(f)
    if keys is None:
        return out
    # a header between passes a key on through its own definitions
    for _ in range(3):
        grown = set(keys)
        for h in seen - set(headers):
            lines = text.get(h, "").splitlines()
            for name, line in zip(_blocks(lines), lines):
                if name and name not in keys and keys & set(_WORD.findall(line)):
                    grown.add(name)
        if grown == keys:
            break
        keys = grown
    return {f for f in out if keys & set(_WORD.findall(_uncommented(text.get(f, ""))))}


def changed_files(before: str, after: str, paths: list[str]) -> tuple[list[str], list[str]]:
    """(.c, .h) files under paths of after that differ from before's (or
    that before has not)."""
    cs: list[str] = []
    hs: list[str] = []
    walk: Iterable[tuple[str, list[str], list[str]]]
    for p in paths:
        base = os.path.join(after, p)
        walk = [(os.path.dirname(base), [], [os.path.basename(base)])] if os.path.isfile(base) \
            else os.walk(base)
        for d, dirs, fs in walk:
            dirs.sort()
            for f in sorted(fs):
                if not f.endswith((".c", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(d, f), after)
                if _read(os.path.join(after, rel)) != _read(os.path.join(before, rel)):
                    (cs if f.endswith(".c") else hs).append(rel)
    return sorted(set(cs)), sorted(set(hs))


class Reason(str, Enum):
    """Why a file the conversion changed was not compiled before and after."""
    NO_PORT = "no port with a compiler builds it"
    NO_COMPILER = "no compiler for the ports that build it"
    MISSING_HEADER = "a header it needs is missing (not generated by config)"
    FAILS_BEFORE = "fails before conversion"
    REGRESSION = "fails after conversion only"


@dataclass
class Plan:
    """What to compile: target name -> (target, files); file -> the
    targets it was given and why some were left out."""
    targets: dict[str, tuple[Target, list[str]]] = field(default_factory=dict)
    of_file: dict[str, list[str]] = field(default_factory=dict)
    no_compiler: dict[str, str] = field(default_factory=dict)  # target -> message
    uncompiled: dict[str, list[str]] = field(default_factory=dict)  # file -> targets


class Kernels:
    """A port's kernels, their makeoptions read once: which one a target
    compiles a file with."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._cfg = Configs(root)           # the config files, read once
        self._mo: dict[tuple[str, str | None], MakeOptions] = {}

    def _of(self, t: Target, kernel: str | None) -> MakeOptions:
        key = (t.name if kernel is None else t.port, kernel)
        if key not in self._mo:
            k = replace(t, kernel=kernel) if kernel else t
            self._mo[key] = MakeOptions(self.root, t.port, {t.port, t.cpu.name},
                                        portsmod.kernel_lines(self.root, k), self._cfg)
        return self._mo[key]

    def choose(self, t: Target, rel: str) -> Target:
        """t, or t with the first kernel config of its port that builds
        rel where t's own kernel does not (a port's file only: an MI
        file not in GENERIC stays with it, as before)."""
        if self._of(t, None).selects(rel) is not False:
            return t
        for k in portsmod.kernel_configs(self.root, t.port):
            mo = self._of(t, k)
            if mo.selects(rel) and portsmod.same_cpu(t, mo.machine):
                return portsmod.with_kernel(t, k, mo.lp64)
        return t


def make_plan(root: str, files: list[str], arches: list[str]) -> Plan:
    cfg = Configs(root)
    ports, builders = cfg.ports(), cfg.builds()
    kernels = Kernels(root)
    plan = Plan()
    for rel in files:
        names = []
        mi = builders.get(rel) is None or MI in builders[rel]
        for t in portsmod.targets_for(rel, builders.get(rel), ports, arches):
            t = t if mi else kernels.choose(t, rel)
            why = portsmod.missing_compiler(t.cpu)
            if why:
                plan.no_compiler[t.name] = why
                plan.uncompiled.setdefault(rel, []).append(t.name)
                continue
            plan.targets.setdefault(t.name, (t, []))[1].append(rel)
            names.append(t.name)
        plan.of_file[rel] = names
    for t, fs in plan.targets.values():     # the types' definitions, for the link check
        fs += [f for f in SHIM_FILES if f not in fs and os.path.exists(os.path.join(root, f))]
    return plan


def _types(root: str) -> set[str]:
    types_h = os.path.join(root, "sys", "sys", "malloc_types.h")
    if not os.path.exists(types_h):
        return set()
    with open(types_h) as fp:
        return set(_DECLARED.findall(fp.read()))


def compile_all(roots: list[str], plan: Plan, jobs: int,
                only: dict[str, set[str]] | None = None
                ) -> list[dict[str, dict[str, FileResult]]]:
    """Per root: target name -> file -> result, all jobs in one pool so
    that -j holds across ports and trees; with only, just those files of
    each target."""
    with tempfile.TemporaryDirectory(prefix="k2m-check-") as work:
        tasks = []
        for i, root in enumerate(roots):
            types = _types(root)
            for name, (t, fs) in plan.targets.items():
                fs = [f for f in fs if only is None or f in only.get(name, ())]
                if not fs:
                    continue
                cc = Compiler(root, os.path.join(work, f"{i}-{name}"), types, t)
                tasks += [(i, name, f, cc) for f in fs if os.path.exists(os.path.join(root, f))]
        with ThreadPoolExecutor(jobs) as ex:
            done = list(ex.map(lambda job: job[3].compile(job[2]), tasks))
    out: list[dict[str, dict[str, FileResult]]] = [{} for _ in roots]
    for (i, name, f, _), r in zip(tasks, done):
        out[i].setdefault(name, {})[f] = r
    return out


def _as_dict(r: FileResult) -> dict:
    return {"ok": r.ok, "error": r.error, "warnings": r.warnings,
            "defines": r.defines, "refs": r.refs}


@dataclass
class Comparison:
    regress: list[str]
    fixed: list[str]
    new_warn: list[tuple[str, str, int]]
    new_link: list[str]
    compiled_before: int


def compare(before: dict[str, dict], before_link: dict, res: dict[str, FileResult],
            problems: dict[str, str]) -> Comparison:
    """Regressions, newly compiling files, new warnings (by file, function
    and message: lines shift) and new link problems."""
    regress = sorted(f for f, v in before.items() if v["ok"] and f in res and not res[f].ok)
    fixed = sorted(f for f, v in before.items() if not v["ok"] and f in res and res[f].ok)
    new_warn = []
    for f, r in sorted(res.items()):
        if r.ok and before.get(f, {}).get("ok") and "warnings" in before[f]:
            extra = Counter(k for k, _ in r.warnings) - \
                Counter(k for k, _ in before[f]["warnings"])
            for k, line in r.warnings:
                if extra[k] > 0:
                    extra[k] -= 1
                    new_warn.append((f, k, line))
    new_link = sorted(set(problems) - set(before_link))
    return Comparison(regress, fixed, new_warn, new_link,
                      sum(v["ok"] for v in before.values()))


def _print_comparison(name: str, against: str, c: Comparison, res: dict[str, FileResult],
                      problems: dict[str, str], out, skipped: int = 0) -> None:
    out(f"check: {name}: against {against}: {c.compiled_before} compiled before"
        + (f" ({skipped} clean after, not compiled before)" if skipped else "") + ", "
        f"{len(c.regress)} regressions, {len(c.fixed)} newly compiling, "
        f"{len(c.new_warn)} new warnings, {len(c.new_link)} new link problems")
    for f in c.regress:
        out(f"  REGRESSION {f}: {res[f].error} (on {name})")
    for f, k, line in c.new_warn:
        wfile, func, msg = k.split("|", 2)
        out(f"  NEW WARNING {wfile}:{line}: " + (f"in {func}(): " if func else "")
            + msg + (f" (compiling {f})" if wfile != f else "") + f" (on {name})")
    for k in c.new_link:
        out(f"  NEW {problems[k]} (on {name})")


def _print_results(name: str, res: dict[str, FileResult], problems: dict[str, str],
                   out) -> None:
    ok = sum(r.ok for r in res.values())
    nwarn = sum(len(r.warnings) for r in res.values())
    nref = len({t for r in res.values() for t in r.refs})
    out(f"check: {name}: {ok} of {len(res)} files compile (gcc -c -O2, the kernel's "
        f"warning flags); {nwarn} warnings; malloc types: {nref} referenced, "
        f"{len(problems)} link problems")
    for p in problems.values():
        out(f"  {p} (on {name})")


def _load_baseline(path: str) -> dict[str, dict]:
    """target name -> {"files", "link"}; version 2 (amd64 only) as amd64."""
    with open(path) as fp:
        base = json.load(fp)
    if base.get("version", 2) < 3:
        files = {f: v if isinstance(v, dict) else {"ok": v} for f, v in base["files"].items()}
        return {"amd64": {"files": files, "link": base.get("link", {})}}
    return base["ports"]


def clean(r: FileResult | None) -> bool:
    """Compiled without a warning: nothing before can make it a
    regression or give it a new warning."""
    return r is not None and r.ok and not r.warnings


def coverage(changed: list[str], plan: Plan, before: dict, after: dict
             ) -> tuple[int, dict[str, list[str]]]:
    """Of the changed .c files: how many compiled after on a port that
    builds them, and before there unless after was clean (then before was
    not compiled: it cannot matter); the others grouped by Reason."""
    ok = 0
    why: dict[str, list[str]] = {}
    for f in changed:
        names = plan.of_file.get(f, [])
        if any(after.get(n, {}).get(f, FileResult(False)).ok and
               (clean(after[n][f]) and f not in before.get(n, {}) or
                before.get(n, {}).get(f, FileResult(False)).ok) for n in names):
            ok += 1
            continue
        if not names:
            r = Reason.NO_COMPILER if f in plan.uncompiled else Reason.NO_PORT
        else:
            errs = [before.get(n, {}).get(f) for n in names]
            if any(e is not None and e.ok for e in errs):
                r = Reason.REGRESSION
            elif any(e is not None and "No such file" in e.error for e in errs):
                r = Reason.MISSING_HEADER
            else:
                r = Reason.FAILS_BEFORE
        why.setdefault(r.value, []).append(f)
    return ok, why


PROP = "common/include/prop"       # proplib's headers: not under sys/


def _lacks_prop(root: str) -> bool:
    """The tree's <sys/device.h> includes <prop/proplib.h>, which it lacks
    (a checkout of sys/ alone)."""
    try:
        with open(os.path.join(root, "sys/sys/device.h"), encoding="utf-8",
                  errors="replace") as fp:
            wants = "<prop/proplib.h>" in fp.read()
    except OSError:
        return False
    return wants and not os.path.isdir(os.path.join(root, PROP))


def run(tree: Tree, paths: list[str], jobs: int, baseline: str | None,
        out_json: str | None, out=print, arch: str | None = None,
        against: str | None = None, all_before: bool = False) -> int:
    """Compile, report per target; compare with --against's tree or the
    baseline.  1 on a regression, new warning or new link problem."""
    root = tree.root
    try:
        arches = portsmod.parse_arch(arch, port_dirs(root))
    except ValueError as e:
        raise TreeError(str(e)) from None
    for t in [root] + ([os.path.abspath(against)] if against is not None else []):
        if _lacks_prop(t):
            # every file including <sys/device.h> then fails before and
            # after alike: a check that compiles next to nothing
            out(f"check: {t} has no {PROP}: <prop/proplib.h>, which <sys/device.h> "
                "includes, is missing, and most files will not compile (copy a "
                "NetBSD tree's common/ beside its sys/)")
    if against is not None:
        return _run_against(root, os.path.abspath(against), paths, arches, jobs, out_json, out,
                            all_before)
    files = files_under(root, paths)
    plan = make_plan(root, files, arches)
    for name, why in sorted(plan.no_compiler.items()):
        out(f"check: {name}: not compiled: {why}")
    res = compile_all([root], plan, jobs)[0]
    sources, builders = source_definitions(root), builds(root)
    problems = {n: link_problems(r, sources, builders, plan.targets[n][0].port)
                for n, r in res.items()}
    for name, r in sorted(res.items()):
        _print_results(name, r, problems[name], out)
    now = {"version": 3, "ports": {n: {"files": {f: _as_dict(x) for f, x in r.items()},
                                       "link": problems[n]} for n, r in res.items()}}
    base_path = baseline or os.path.join(root, BASELINE)
    status = 0
    if os.path.exists(base_path):
        base = _load_baseline(base_path)
        for name, r in sorted(res.items()):
            if name not in base:
                out(f"check: {name}: not in {base_path}: nothing to compare")
                continue
            c = compare(base[name]["files"], base[name].get("link", {}), r, problems[name])
            _print_comparison(name, base_path, c, r, problems[name], out)
            status |= 1 if c.regress or c.new_warn or c.new_link else 0
    else:
        with open(base_path, "w") as fp:
            json.dump(now, fp, indent=1, sort_keys=True)
        out(f"check: baseline written to {base_path}; run check again after "
            "converting to compare")
    if out_json:
        with open(out_json, "w") as fp:
            json.dump(now, fp, indent=1, sort_keys=True)
    return status


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run_against(root: str, before_root: str, paths: list[str], arches: list[str],
                 jobs: int, out_json: str | None, out, all_before: bool = False) -> int:
    """The fast pass: what differs from before_root, and what includes a
    header that differs, compiled in both trees on its ports."""
    if not os.path.isdir(os.path.join(before_root, "sys")):
        raise TreeError(f"--against {before_root}: not a source tree (no sys/ in it)")
    changed, headers = changed_files(before_root, root, paths)
    keys: set[str] = set()
    for h in headers:
        keys |= header_keys(root, _read(os.path.join(before_root, h)).decode("utf-8", "replace"),
                            _read(os.path.join(root, h)).decode("utf-8", "replace"))
    affected = sorted(set(changed) | includers(root, set(headers), keys))
    out(f"check: {len(changed)} .c and {len(headers)} headers differ from {before_root}; "
        f"{len(affected)} .c files to compile (those and the includers of the headers)")
    plan = make_plan(root, affected, arches)
    for name, cause in sorted(plan.no_compiler.items()):
        out(f"check: {name}: not compiled: {cause}")
    # after first: a file that compiles after without a warning can be
    # neither a regression nor have a new warning, so before compiles only
    # the rest (--all-before: everything, for "compiled before" figures)
    t0, cpu0 = time.time(), _children_cpu()
    after = compile_all([root], plan, jobs)[0]
    t1, cpu1 = time.time(), _children_cpu()
    need = {n: {f for f, r in rs.items() if all_before or not clean(r)}
            for n, rs in after.items()}
    before = compile_all([before_root], plan, jobs, need)[0]
    t2, cpu2 = time.time(), _children_cpu()
    n_after = sum(len(r) for r in after.values())
    n_before = sum(len(r) for r in before.values())
    out(f"check: after: {n_after} compiles in {t1 - t0:.0f} s ({cpu1 - cpu0:.0f} CPU s); "
        f"before: {n_before} compiles in {t2 - t1:.0f} s ({cpu2 - cpu1:.0f} CPU s), "
        f"{n_after - n_before} skipped (clean after)")
    per = (cpu2 - cpu0) / max(n_after + n_before, 1)
    full = sum(len(fs) for _, fs in make_plan(root, files_under(root, paths),
                                              arches).targets.values())
    out(f"check: a full pass (every .c under {' '.join(paths)}, both trees) would be "
        f"{2 * full} compiles: about {2 * full * per / 60 / jobs:.0f} min with -j {jobs} "
        f"at this pass's {per:.2f} CPU s a compile")
    status = 0
    report: dict[str, Any] = {"version": 3, "ports": {}}       # report.json
    b_src, b_builds = source_definitions(before_root), builds(before_root)
    a_src, a_builds = source_definitions(root), builds(root)
    for name in sorted(after):
        port = plan.targets[name][0].port
        b_res = before.get(name, {})
        b_prob = link_problems(b_res, b_src, b_builds, port)
        a_prob = link_problems(after[name], a_src, a_builds, port)
        _print_results(name, after[name], a_prob, out)
        c = compare({f: _as_dict(r) for f, r in b_res.items()}, b_prob, after[name], a_prob)
        _print_comparison(name, before_root, c, after[name], a_prob, out,
                          len(after[name]) - len(b_res))
        status |= 1 if c.regress or c.new_warn or c.new_link else 0
        report["ports"][name] = {
            "compiled_before": c.compiled_before, "compiled_after":
            sum(r.ok for r in after[name].values()), "files": len(after[name]),
            "clean_after": sum(clean(r) for r in after[name].values()),
            "before_skipped": len(after[name]) - len(b_res),
            "regressions": c.regress, "new_warnings": [list(w) for w in c.new_warn],
            "link": a_prob, "new_link": c.new_link}
    ok, why = coverage(changed, plan, before, after)
    out(f"check: coverage: {ok} of {len(changed)} changed .c files compiled before and "
        f"after on a port that builds them ({100 * ok // max(len(changed), 1)}%)")
    for reason, fs in sorted(why.items(), key=lambda kv: -len(kv[1])):
        out(f"  {len(fs)} {reason}: " + ", ".join(fs[:8]) + (" ..." if len(fs) > 8 else ""))
    report["coverage"] = {"changed": len(changed), "compiled": ok, "not": why}
    report["time"] = {"after_s": round(t1 - t0), "after_cpu_s": round(cpu1 - cpu0),
                      "before_s": round(t2 - t1), "before_cpu_s": round(cpu2 - cpu1),
                      "compiles_after": n_after, "compiles_before": n_before,
                      "full_pass_compiles": 2 * full, "jobs": jobs}
    report["results"] = {"after": {n: {f: _as_dict(x) for f, x in r.items()}
                                   for n, r in after.items()},
                         "before": {n: {f: _as_dict(x) for f, x in r.items()}
                                    for n, r in before.items()}}
    if out_json:
        with open(out_json, "w") as fp:
            json.dump(report, fp, indent=1, sort_keys=True)
    return status
