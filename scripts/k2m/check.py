"""`kmem2malloc check`: compile before and after, as the kernel would.

For users without a NetBSD cross toolchain: each .c file under PATHs is
compiled by the host gcc to an object, as a kernel file (-D_KERNEL,
-nostdinc, machine amd64, -O2) with the kernel's warning flags: the
CWARNFLAGS of the tree's own sys/conf/Makefile.kern.inc (-Wall -Wextra
...; WARNINGS below if the tree has none).  Headers that config(1) would
generate (opt_*.h, locators.h, ioconf.h, ...) are empty stand-ins made on
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
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .tree import Tree, TreeError

MACHINE = ("machine", "sys/arch/amd64/include"), ("amd64", "sys/arch/amd64/include"), \
    ("x86", "sys/arch/x86/include"), ("prop", "common/include/prop")
FLAGS = ["-c", "-O2", "-nostdinc", "-ffreestanding", "-fno-common", "-D_KERNEL",
         "-D__NetBSD__", "-U__linux__", "-Ulinux", "-std=gnu99"]
# sys/conf/Makefile.kern.inc's CWARNFLAGS for x86_64 (NetBSD 7.99 and
# 10.99 agree but for -Wno-type-limits, -Walloca and packed members), used
# when a tree has no Makefile.kern.inc to read them from.
WARNINGS = ["-Wall", "-Wno-main", "-Wno-format-zero-length", "-Wpointer-arith",
            "-Wmissing-prototypes", "-Wstrict-prototypes", "-Wold-style-definition",
            "-Wswitch", "-Wshadow", "-Wcast-qual", "-Wwrite-strings",
            "-Wno-unreachable-code", "-Wno-pointer-sign", "-Wno-attributes",
            "-Wextra", "-Wno-unused-parameter", "-Wno-sign-compare"]
KERN_INC = "sys/conf/Makefile.kern.inc"
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


def warning_flags(root: str) -> list[str]:
    """The CWARNFLAGS a kernel of this tree is built with (gcc, x86_64):
    every `CWARNFLAGS+=` of sys/conf/Makefile.kern.inc but the per-file
    and per-compiler ones (CWARNFLAGS.clang, CWARNFLAGS.ah_regdomain.c)."""
    path = os.path.join(root, KERN_INC)
    if not os.path.exists(path):
        return list(WARNINGS)
    with open(path, encoding="utf-8", errors="replace") as fp:
        text = fp.read().replace("\\\n", " ")
    flags: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^CWARNFLAGS\s*\+=\s*(.*)$", line)
        if not m:
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


def _symbols(obj: str, types: set[str]) -> tuple[list[str], list[str]]:
    """Malloc type symbols an object defines (globally) and references."""
    p = subprocess.run(["nm", "-P", obj], capture_output=True, text=True)
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


class Compiler:
    def __init__(self, root: str, work: str, types: set[str]):
        self.root, self.types = root, types
        self.inc, self.stubs, self.objs = (os.path.join(work, d) for d in ("inc", "stubs", "obj"))
        for d in (self.inc, self.stubs, self.objs):
            os.makedirs(d)
        for name, target in MACHINE:
            t = os.path.join(root, target)
            if os.path.isdir(t):
                os.symlink(t, os.path.join(self.inc, name))
        self.flags = FLAGS + warning_flags(root)

    def compile(self, rel: str) -> FileResult:
        """Compile one file; make empty stand-ins for generated headers."""
        obj = os.path.join(self.objs, rel.replace("/", "__") + ".o")
        cmd = ["gcc", *self.flags, "-I", os.path.join(self.root, "sys"), "-I", self.inc,
               "-I", self.stubs, "-o", obj, os.path.join(self.root, rel)]
        env = {**os.environ, "LC_ALL": "C"}         # plain quotes in messages
        for _ in range(40):
            p = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if p.returncode == 0:
                defs, refs = _symbols(obj, self.types)
                os.unlink(obj)
                return FileResult(True, "", _warnings(p.stderr, self.root, rel), defs, refs)
            m = _MISSING.search(p.stderr)
            if not m or "/" in m.group(1) or not _generated(m.group(1)):
                break
            open(os.path.join(self.stubs, m.group(1)), "a").close()
        first = next((l for l in p.stderr.splitlines() if "error" in l), p.stderr[:200])
        return FileResult(False, first.replace(self.root + "/", ""))


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


def _defined_in_sources(root: str, names: set[str]) -> dict[str, str]:
    """name -> a .c file of the tree with its MALLOC_DEFINE/JUSTDEFINE."""
    if not names:
        return {}
    pat = re.compile(r"MALLOC_(?:JUST)?DEFINE\s*\(\s*(" + "|".join(sorted(names)) + r")\b")
    found: dict[str, str] = {}
    for d, dirs, fs in os.walk(os.path.join(root, "sys")):
        dirs.sort()
        for f in sorted(fs):
            if not f.endswith(".c"):
                continue
            with open(os.path.join(d, f), "rb") as fp:
                data = fp.read()
            if b"MALLOC_" not in data:
                continue
            for m in pat.finditer(data.decode("utf-8", "replace")):
                found.setdefault(m.group(1), os.path.relpath(os.path.join(d, f), root))
    return found


def link_problems(root: str, res: dict[str, FileResult]) -> dict[str, str]:
    """{problem key: description} for malloc types referenced and defined
    by no object and no source, or defined by more than one object."""
    defined, referenced = {}, {}
    for f, r in res.items():
        for t in r.defines:
            defined.setdefault(t, []).append(f)
        for t in r.refs:
            referenced.setdefault(t, []).append(f)
    missing = set(referenced) - set(defined)
    elsewhere = _defined_in_sources(root, missing)
    out = {}
    for t in sorted(missing - set(elsewhere)):
        fs = referenced[t]
        out[f"undefined:{t}"] = (f"UNDEFINED {t}: referenced by {', '.join(fs[:5])}"
                                 + (f" and {len(fs) - 5} more" if len(fs) > 5 else "")
                                 + "; no file defines it")
    for t, fs in sorted(defined.items()):
        if len(fs) > 1:
            out[f"duplicate:{t}"] = f"DUPLICATE {t}: defined in {', '.join(fs)}"
    return out


def run(tree: Tree, paths: list[str], jobs: int, baseline: str | None,
        out_json: str | None, out=print) -> int:
    root = tree.root
    files = files_under(root, paths)
    files += [f for f in SHIM_FILES if f not in files and os.path.exists(os.path.join(root, f))]
    types_h = os.path.join(root, "sys", "sys", "malloc_types.h")
    types = set()
    if os.path.exists(types_h):
        with open(types_h) as fp:
            types = set(_DECLARED.findall(fp.read()))
    with tempfile.TemporaryDirectory(prefix="k2m-check-") as work:
        cc = Compiler(root, work, types)
        with ThreadPoolExecutor(jobs) as ex:
            res = dict(zip(files, ex.map(cc.compile, files)))
    problems = link_problems(root, res)
    ok = sum(r.ok for r in res.values())
    nwarn = sum(len(r.warnings) for r in res.values())
    out(f"check: {ok} of {len(files)} files compile (gcc -c -O2, the kernel's "
        f"warning flags); {nwarn} warnings")
    nref = len({t for r in res.values() for t in r.refs})
    out(f"check: malloc types: {nref} referenced, {len(problems)} link problems")
    for p in problems.values():
        out(f"  {p}")
    base_path = baseline or os.path.join(root, BASELINE)
    status = 0
    now = {f: {"ok": r.ok, "error": r.error, "warnings": r.warnings,
               "defines": r.defines, "refs": r.refs} for f, r in res.items()}
    if os.path.exists(base_path):
        with open(base_path) as fp:
            base = json.load(fp)
        before = {f: v if isinstance(v, dict) else {"ok": v} for f, v in base["files"].items()}
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
        new_link = sorted(set(problems) - set(base.get("link", {})))
        out(f"check: against {base_path}: {sum(v['ok'] for v in before.values())} compiled "
            f"before, {len(regress)} regressions, {len(fixed)} newly compiling, "
            f"{len(new_warn)} new warnings, {len(new_link)} new link problems")
        for f in regress:
            out(f"  REGRESSION {f}: {res[f].error}")
        for f, k, line in new_warn:
            wfile, func, msg = k.split("|", 2)
            out(f"  NEW WARNING {wfile}:{line}: " + (f"in {func}(): " if func else "")
                + msg + (f" (compiling {f})" if wfile != f else ""))
        for k in new_link:
            out(f"  NEW {problems[k]}")
        status = 1 if regress or new_warn or new_link else 0
    else:
        with open(base_path, "w") as fp:
            json.dump({"version": 2, "files": now, "link": problems}, fp, indent=1,
                      sort_keys=True)
        out(f"check: baseline written to {base_path}; run check again after "
            "converting to compare")
    if out_json:
        with open(out_json, "w") as fp:
            json.dump({"version": 2, "files": now, "link": problems}, fp, indent=1,
                      sort_keys=True)
    return status
