"""`kmem2malloc check`: a gcc -fsyntax-only pre-flight, before and after.

For users without a NetBSD cross toolchain: each .c file under PATHs is
syntax-checked by the host gcc against the tree's own headers, as a
kernel file (-D_KERNEL, -nostdinc, machine -> amd64).  Headers that
config(1) would generate (opt_*.h, locators.h, ioconf.h, ...) are empty
stand-ins made on demand.  The first run records a baseline; a later run
compares and lists the files that compiled before and do not now.  No
substitute for build.sh: it proves only that the converted sources still
parse and type-check with the headers it could find.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

from .tree import Tree

MACHINE = ("machine", "sys/arch/amd64/include"), ("amd64", "sys/arch/amd64/include"), \
    ("x86", "sys/arch/x86/include"), ("prop", "common/include/prop")
FLAGS = ["-fsyntax-only", "-nostdinc", "-ffreestanding", "-D_KERNEL", "-D__NetBSD__",
         "-U__linux__", "-Ulinux", "-w", "-std=gnu99"]
_MISSING = re.compile(r"fatal error: ([\w./-]+\.h): No such file")
BASELINE = ".kmem2malloc-check.json"


def _incdir(root: str) -> str:
    d = tempfile.mkdtemp(prefix="k2m-check-")
    for name, target in MACHINE:
        t = os.path.join(root, target)
        if os.path.isdir(t):
            os.symlink(t, os.path.join(d, name))
    return d


def compile_one(root: str, inc: str, stubs: str, rel: str) -> tuple[bool, str]:
    """Syntax-check one file; make empty stand-ins for generated headers."""
    cmd = ["gcc", *FLAGS, "-I", os.path.join(root, "sys"), "-I", inc, "-I", stubs,
           os.path.join(root, rel)]
    for _ in range(40):
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode == 0:
            return True, ""
        m = _MISSING.search(p.stderr)
        if not m or "/" in m.group(1) or not _generated(m.group(1)):
            break
        open(os.path.join(stubs, m.group(1)), "a").close()
    first = next((l for l in p.stderr.splitlines() if "error" in l), p.stderr[:200])
    return False, first.replace(root + "/", "")


def _generated(h: str) -> bool:
    return h.startswith("opt_") or h in ("locators.h", "ioconf.h") or \
        re.fullmatch(r"[a-z0-9_]+\.h", h) is not None and not h.startswith("sys")


def run(tree: Tree, paths: list[str], jobs: int, baseline: str | None,
        out_json: str | None, out=print) -> int:
    root = tree.root
    files = []
    for p in paths:
        full = os.path.join(root, p)
        if os.path.isfile(full):
            files.append(p)
        for d, dirs, fs in os.walk(full):
            dirs.sort()
            files += [os.path.relpath(os.path.join(d, f), root) for f in sorted(fs)
                      if f.endswith(".c")]
    inc, stubs = _incdir(root), tempfile.mkdtemp(prefix="k2m-stubs-")
    with ThreadPoolExecutor(jobs) as ex:
        res = dict(zip(files, ex.map(lambda f: compile_one(root, inc, stubs, f), files)))
    now = {f: ok for f, (ok, _) in res.items()}
    ok = sum(now.values())
    out(f"check: {ok} of {len(files)} files pass gcc -fsyntax-only")
    base_path = baseline or os.path.join(root, BASELINE)
    status = 0
    if os.path.exists(base_path):
        with open(base_path) as fp:
            before = json.load(fp)["files"]
        regress = sorted(f for f, was in before.items() if was and not now.get(f, True))
        fixed = sorted(f for f, was in before.items() if not was and now.get(f))
        out(f"check: against {base_path}: {sum(before.values())} passed before, "
            f"{len(regress)} regressions, {len(fixed)} newly passing")
        for f in regress:
            out(f"  REGRESSION {f}: {res[f][1]}")
        status = 1 if regress else 0
    else:
        with open(base_path, "w") as fp:
            json.dump({"version": 1, "files": now}, fp, indent=1, sort_keys=True)
        out(f"check: baseline written to {base_path}; run check again after "
            "converting to compare")
    if out_json:
        with open(out_json, "w") as fp:
            json.dump({"version": 1, "files": {f: {"ok": o, "error": e}
                                               for f, (o, e) in res.items()}},
                      fp, indent=1, sort_keys=True)
    return status
