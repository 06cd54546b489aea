"""Kernel sources compiled outside the kernel.

A tree-wide change must look past sys/ at what else compiles kernel
sources: NetBSD's ATF tests build sys/uvm/uvm_physseg.c in user space
(tests/sys/uvm/t_uvm_physseg.c #includes "uvm/uvm_physseg.c" after
kmem_alloc() and kmem_free() stand-ins of its own), and a Makefile
outside sys/ may list a kernel file in SRCS along a .PATH into sys/.
Such a build sees the converted malloc(9) calls with its own stand-ins,
or with libc's malloc(): convert lists each user with the file it
compiles (a finding), and the user needs the malloc(9) stand-ins.

sys/ itself (kernels, rump, modules) and common/ (built by both) are not
"outside".
"""

from __future__ import annotations

import os
import re

# #include "uvm/uvm_physseg.c", #include <dir/file.c>
_C_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*["<]([^">]+\.c)[">]', re.M)
_MK_VAR = re.compile(r"^\s*(\.PATH(?:\.c)?\s*:|SRCS(?:\.[\w.-]+)?\s*\+?=)\s*(.*)$")
_NOT_OUTSIDE = ("sys", "common", ".git")


def makefile_sources(path: str, variables: dict[str, str]) -> list[str]:
    """The .c files a Makefile's SRCS (SRCS.prog too) find along its
    .PATH (and its own directory), absolute; variables: what ${S},
    ${NETBSDSRCDIR}, ... stand for.  Unknown variables leave a path
    unresolved, so it finds nothing."""
    with open(path, encoding="utf-8", errors="replace") as fp:
        text = fp.read().replace("\\\n", " ")
    here = os.path.dirname(path)
    paths, srcs = [here], []
    for line in text.splitlines():
        m = _MK_VAR.match(line)
        if not m:
            continue
        words = m.group(2).split("#")[0].split()
        if m.group(1).startswith(".PATH"):
            for w in words:
                for k, v in {**variables, ".CURDIR": here}.items():
                    w = w.replace("${%s}" % k, v)
                paths.append(os.path.normpath(os.path.join(here, w)))
        else:
            srcs += [w for w in words if w.endswith(".c")]
    found = []
    for src in srcs:
        for p in paths:
            if os.path.isfile(os.path.join(p, src)):
                found.append(os.path.join(p, src))
                break
    return found


def users(root: str, files: set[str]) -> dict[str, list[str]]:
    """{file: [user, ...]} for the files (tree-relative, under sys/)
    compiled by code outside sys/: a .c file that #includes one (matched
    by the included path's tail: "uvm/uvm_physseg.c" is
    sys/uvm/uvm_physseg.c), or a Makefile whose SRCS find one."""
    if not files:
        return {}
    by_tail: dict[str, list[str]] = {}
    for f in files:
        parts = f.split("/")
        for i in range(len(parts)):
            by_tail.setdefault("/".join(parts[i:]), []).append(f)
    variables = {"NETBSDSRCDIR": root, "S": os.path.join(root, "sys")}
    out: dict[str, list[str]] = {}
    for top in sorted(os.listdir(root)):
        if top in _NOT_OUTSIDE or not os.path.isdir(os.path.join(root, top)):
            continue
        for d, dirs, names in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(d, name)
                rel = os.path.relpath(path, root)
                if name.endswith(".c"):
                    with open(path, "rb") as fp:
                        data = fp.read()
                    if b'.c"' not in data and b".c>" not in data:
                        continue
                    for m in _C_INCLUDE.finditer(data.decode("utf-8", "replace")):
                        tail = os.path.normpath(m.group(1)).lstrip("./")
                        for f in by_tail.get(tail, []) if "/" in tail else []:
                            out.setdefault(f, []).append(rel)
                elif name == "Makefile" or name.endswith(".mk") or name == "Makefile.inc":
                    for src in makefile_sources(path, variables):
                        f = os.path.relpath(src, root)
                        if f in files:
                            out.setdefault(f, []).append(rel)
    return {f: sorted(set(us)) for f, us in out.items()}
