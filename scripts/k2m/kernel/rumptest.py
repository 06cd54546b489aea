"""`kmem2malloc rumptest`: the converted kernel, running.

TREE is a NetBSD tree a rump kernel builds from: the layout of
rumpkernel/src-netbsd (branch buildrump-src, NetBSD 7.99), or that tree
with a NetBSD-current sys/ (the "hybrid" tree of README: rumptest); told
apart by sys/sys/param.h's __NetBSD_Version__.  Converted and shimmed
(install-shim), or pristine: without the shim, the steps that need it (the
timing, the alignment sweep, the malloc_stats table) are skipped, each with
its reason.  rumptest

1. builds and installs a rump kernel from it with buildrump.sh (DIAGNOSTIC
   on, as buildrump.sh does by default; the flags gcc 12 needs for the 2016
   code), then runs buildrump.sh's own tests (on the current layout
   rumptest builds and runs them itself: 7.99's Makefiles do not link
   against NetBSD 10's components, OWN_TESTS);
2. builds our kernel component (shim/rumptest/k2mtest.c, with the tree's
   rumpmake, so with the kernel's flags and symbol renaming) and our
   workload (shim/rumptest/workload.c) against the installed kernel, and
   an FFS image with makefs;
3. runs the workload: it boots the kernel, exercises tmpfs, FFS on vnd(4),
   TCP and UDP over lo0 and sysctl (and, on the current layout, md(4) and
   cgd(4) on it), frees what it allocated, times
   kmem_alloc+kmem_free against malloc+free inside the kernel (a
   header-less type freed with its size, as converted code frees, and a
   header type freed as legacy callers free), sweeps the alignment of each
   from 8 bytes to 3 pages, and reads kern.malloc_stats;
4. prints the mallocstat table of the running kernel, the ns per pair and
   their ratio, and the alignment found; --json writes all of it.

Exit status 0 only if everything built, every test passed, nothing
panicked and the header-less type's alignment was never below kmem's (a
header type's is reported, not checked: its 8-byte header costs it
kmem's alignment by design); 1 otherwise; 2
for bad input (nothing run).  Without --obj the build happens in a
temporary directory, removed afterwards unless something failed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from . import shim as shimmod

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SHIM = os.path.join(TOP, "shim")
RUMPTEST = os.path.join(SHIM, "rumptest")
# What buildrump.sh needs on a current Debian for the 2016 tree: host tools
# (nbmake) and a few tentative definitions in two libraries need
# -fcommon under gcc >= 10; gcc 12 warns where the tree's gcc did not.
BUILDRUMP_ENV = {"HOST_CFLAGS": "-O -fcommon"}
BUILDRUMP_FLAGS = ["-V", "NOGCCERROR=1", "-F", "CFLAGS=-fcommon"]
# A shimmed tree's kernel also records every header-less block's type
# (the shim's MALLOC_DEBUG_TYPES): any wrong-type free panics, whatever
# the size, not only where the DIAGNOSTIC footer fits.
# With --sites, also the shim's MALLOC_SITES (Setup.shim_options): usage
# by call site (kern.malloc_sites), of which the top rows are printed.
SITES_TOP = 20
# Our component's types (shim/rumptest/k2mtest.c): the benchmark's millions
# of requests are left out of the kernel's usage.
OUR_TYPES = ("k2mtest", "k2mtest-sized")
# Components the workload links: the devices, file systems and network it uses.
RUMP_LIBS = ["rumpkern_k2mtest", "rumpdev_vnd", "rumpdev_disk", "rumpdev",
             "rumpfs_ffs", "rumpfs_tmpfs", "rumpvfs",
             "rumpnet_netinet", "rumpnet_net", "rumpnet", "rump", "rumpuser"]
# NetBSD 8 and later (the hybrid tree of README: rumptest): librumpvfs
# needs fifofs, which needs local-domain sockets and so the socket layer
# (librumpnet, which needs net/if.c: librumpnet_net); and the drivers the
# workload adds there, each with what it needs (cgd: the kernel's AES).
CURRENT_NEEDS = {"rumpvfs": ["rumpvfs_fifofs", "rumpnet_local", "rumpnet_net", "rumpnet"]}
CURRENT_DRIVERS = {"md": ["rumpdev_md"], "cgd": ["rumpdev_cgd", "rumpkern_crypto"]}
CURRENT_VERSION = 800000000     # __NetBSD_Version__ of NetBSD 8.0: the 10.x layout from here
COMPONENT = ("Makefile", "k2mtest.c", "k2mtest.h")
HELLO = "kmem2malloc rumptest\n"        # workload.c reads it back from the image
RUN_GUARD = 1800                        # seconds: a hang guard, not a time limit
# buildrump.sh's tests (tests/testrump.sh): what each prints when it starts.
BUILDRUMP_TESTS = (("init", "bootstrap test"), ("fstest", "VFS test"),
                   ("fstest_img", "VFS test with actual file system"),
                   ("simpleclient", "Remote communication"),
                   ("nettest_simple", "IPv4 networking test"),
                   ("nettest_simple6", "IPv6 networking test"),
                   ("nettest_routed", "Routed IPv4 networking test"),
                   ("nettest_routed6", "Routed IPv6 networking test"),
                   ("dynamic", "Dynamic loading of components"))

# The same tests as rumptest runs them itself on the current layout, where
# buildrump.sh's `tests` (7.99's Makefiles and headers) cannot build them:
# (name, sources under buildrump.sh/tests, the components 7.99's Makefile
# links (workload_libs() adds what 10.x needs), the commands testrump.sh
# runs, in the test's directory: {prog} the program, {tests} buildrump.sh's
# tests/, {rump} the installed kernel, {brtests} the programs' directory).
_NET = ["rumpnet_shmif", "rumpnet_config", "rumpnet_netinet", "rumpnet_net", "rumpnet",
        "@sysproxy", "rump", "rumpuser"]
_NET6 = [x.replace("rumpnet_netinet", "rumpnet_netinet6") for x in _NET]
_ROUTED_TAIL = ["RUMP_SERVER=unix://routerctrl {brtests}/simpleclient/simpleclient"]
OWN_TESTS = (
    ("init", ["init/init.c"], ["rump", "rumpuser"], ["{prog}"]),
    ("fstest", ["fstest/fstest.c"], ["rumpfs_kernfs", "rumpvfs", "rump", "rumpuser"],
     ["{prog}"]),
    ("fstest_img", ["fstest_img/fstest2.c"],
     ["rumpfs_sysvbfs", "rumpdev_disk", "rumpdev", "rumpvfs", "rump", "rumpuser"],
     ["{prog} {tests}/fstest_img"]),
    ("simpleclient", ["simpleclient/simpleclient.c"], ["@rumpclient"],
     ["RUMP_SERVER=unix://mysocket {rump}/bin/rump_server unix://mysocket",
      "RUMP_SERVER=unix://mysocket {prog}"]),
    ("nettest_simple", ["nettest_simple/nettest_simple.c"], _NET,
     ["rm -f busmem", "{prog} server", "{prog} client"]),
    ("nettest_simple6", ["nettest_simple/nettest_simple.c"], _NET6,
     ["rm -f busmem", "{prog} server6", "{prog} client6"]),
    ("nettest_routed", ["nettest_routed/nettest_routed.c"], _NET,
     ["rm -f busmem1 busmem2", "{prog} server", "{prog} router unix://routerctrl",
      "{prog} client"] + _ROUTED_TAIL),
    ("nettest_routed6", ["nettest_routed/nettest_routed.c"], _NET6,
     ["rm -f busmem1 busmem2", "{prog} server6", "{prog} router6 unix://routerctrl",
      "{prog} client6"] + _ROUTED_TAIL),
    ("dynamic", ["dynamic/dynamic.c"], ["rump", "rumpuser"], ["{prog}"]),
)
DYNAMIC_SKIP = 37           # dynamic's exit status when components cannot be dlopen()ed
# What the NetBSD 10 headers need before <rump/rump_syscalls.h> (idtype_t,
# fixed-width types), included ahead of 7.99's test sources.
CURRENT_INCLUDES = ["-include", "stdint.h", "-include", "sys/wait.h"]


class RumpTestError(Exception):
    """Bad input: one line for the user, exit status 2."""


@dataclass
class Layout:
    """What kind of tree: its NetBSD version (sys/sys/param.h) and whether
    install-shim ran."""
    version: int | None         # __NetBSD_Version__, None if not found
    shim: bool

    @property
    def current(self) -> bool:
        """A NetBSD-current sys/ (the hybrid tree), not 7.99's."""
        return self.version is not None and self.version >= CURRENT_VERSION

    @property
    def name(self) -> str:
        v = self.version
        release = "NetBSD ?" if v is None else \
            f"NetBSD {v // 100000000}.{v // 1000000 % 100}.{v // 100 % 100}"
        return release + (", shimmed" if self.shim else ", without the shim")


@dataclass
class Setup:
    src: str            # the tree (holds sys/)
    buildrump: str      # the buildrump.sh script
    obj: str            # obj/ (build), rump/ (installed kernel), logs, workload
    jobs: int
    keep: bool          # --obj given: never removed
    layout: Layout = field(default_factory=lambda: Layout(None, True))
    debug_types: bool = True    # a shimmed kernel with MALLOC_DEBUG_TYPES
    sites: bool = False         # a shimmed kernel with MALLOC_SITES

    def shim_options(self) -> list[str]:
        """The shim's options this kernel is built with."""
        if not self.layout.shim:
            return []
        return (["MALLOC_DEBUG_TYPES"] if self.debug_types else []) + \
            (["MALLOC_SITES"] if self.sites else [])


@dataclass
class Result:
    tests: dict = field(default_factory=dict)      # name -> "passed" | "failed" | "skipped"
    types: list = field(default_factory=list)      # mallocstat -j records
    table: str = ""                                 # mallocstat's table
    sites: list = field(default_factory=list)      # mallocstat -S -j records
    sites_table: str = ""                           # mallocstat -S's top rows
    bench: dict = field(default_factory=dict)
    alignment: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)    # stage -> wall seconds

    def ok(self) -> bool:
        return bool(self.tests) and all(v in ("passed", "skipped") for v in self.tests.values())

    def to_json(self) -> dict:
        pair = pair_summary(self.bench) if self.bench else {}
        return {"tests": self.tests, "types": self.types, "sites": self.sites,
                "pair_ns": {"kmem": pair.get("kmem"), "malloc": pair.get("malloc"),
                            "malloc_hdr": pair.get("malloc_hdr"),
                            "kmem_intr": pair.get("kmem_intr")},
                "pair_ratio": pair.get("ratio"), "pair_ratio_hdr": pair.get("ratio_hdr"),
                "pair_by_size": pair.get("by_size", []),
                "alignment": alignment_summary(self.alignment) if self.alignment else {},
                "usage": usage(self.types),
                "seconds": self.seconds}


# --------------------------------------------------------------------------
# Input

def netbsd_version(src: str) -> int | None:
    """__NetBSD_Version__ of the tree's sys/sys/param.h (799003400 for
    7.99.34, 1099001200 for 10.99.12)."""
    try:
        with open(os.path.join(src, "sys", "sys", "param.h"), encoding="utf-8",
                  errors="replace") as fp:
            m = re.search(r"^#define\s+__NetBSD_Version__\s+(\d+)", fp.read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def detect(tree: str, src: str) -> Layout:
    """The layout of a tree a rump kernel builds from; bad input raises.
    No shim at all is a pristine tree (the shim's steps are skipped); part
    of it is a mistake."""
    if not os.path.exists(os.path.join(src, shimmod.RUMPKERN_MK)):
        raise RumpTestError(f"{tree}: not a tree a rump kernel builds from (no "
                            f"{shimmod.RUMPKERN_MK}; see README: rumptest)")
    with open(os.path.join(src, shimmod.RUMPKERN_MK), encoding="utf-8",
              errors="replace") as fp:
        listed = "kern_malloc_types.c" in fp.read()
    parts = [listed, os.path.exists(os.path.join(src, shimmod.TYPES_C)),
             os.path.exists(os.path.join(src, shimmod.TYPES_H))]
    if any(parts) and not all(parts):
        raise RumpTestError(f"{tree}: the shim is installed in part; run "
                            f"`kmem2malloc install-shim {tree}` again")
    version = netbsd_version(src)
    if version is None:
        raise RumpTestError(f"{tree}: no __NetBSD_Version__ in sys/sys/param.h")
    return Layout(version, all(parts))


def add_needs(libs: list[str], layout: Layout) -> list[str]:
    """libs with what each needs on the layout (CURRENT_NEEDS), put before it."""
    libs = list(libs)
    if layout.current:
        for lib, needs in CURRENT_NEEDS.items():
            if lib in libs:
                at = libs.index(lib)
                libs[at:at] = [x for x in needs if x not in libs]
    return libs


def workload_libs(layout: Layout, drivers: list[str]) -> list[str]:
    """The components the workload links, in link order, for the layout
    and the extra drivers it tests (CURRENT_DRIVERS)."""
    libs = add_needs(RUMP_LIBS, layout)
    if layout.current:
        extra = [x for d in drivers for x in CURRENT_DRIVERS[d]]
        libs[1:1] = [x for x in extra if x not in libs]
    return libs


def own_test_libs(libs: list[str], layout: Layout, installed: set[str]) -> list[str]:
    """The link list of one of OWN_TESTS: 7.99's, with what the layout
    needs; @sysproxy is rumpkern_sysproxy where it is a component of its
    own (as 7.99's tests/Makefile.inc adds it), @rumpclient the client
    library (no kernel)."""
    out = []
    for x in libs:
        if x == "@sysproxy":
            out += ["rumpkern_sysproxy"] if "rumpkern_sysproxy" in installed else []
        elif x == "@rumpclient":
            out.append("rumpclient")
        else:
            out.append(x)
    return add_needs(out, layout)


def own_test_script(cmds: list[str], **where: str) -> str:
    """The shell script of one of OWN_TESTS: its commands, stopping at the
    first that fails (testrump.sh's `|| die`)."""
    return "set -e\n" + "\n".join(c.format(**where) for c in cmds) + "\n"


def workload_defines(layout: Layout, drivers: list[str]) -> list[str]:
    """-D flags of the workload: K2M_SHIM for the shim's steps, one per
    extra driver."""
    return (["-DK2M_SHIM"] if layout.shim else []) + \
        [f"-DK2M_{d.upper()}" for d in drivers]


def drivers_for(layout: Layout, installed: set[str]) -> tuple[list[str], list[str]]:
    """The extra drivers (beyond vnd) the workload tests: on the current
    layout each one whose components are installed (lib names without
    lib/.so); with the reason for each left out."""
    if not layout.current:
        return [], []
    chosen, why = [], []
    for d, libs in CURRENT_DRIVERS.items():
        missing = [x for x in libs if x not in installed]
        if missing:
            why.append(f"{d}: not tested (lib{missing[0]}.so not installed)")
        else:
            chosen.append(d)
    return chosen, why


def installed_libs(libdir: str) -> set[str]:
    """The components installed in libdir: {"rumpvfs", "rumpdev_md", ...}."""
    try:
        names = os.listdir(libdir)
    except OSError:
        return set()
    return {n[3:-3] for n in names if n.startswith("lib") and n.endswith(".so")}


def setup(tree: str, buildrump: str | None, obj: str | None, jobs: int,
          debug_types: bool = True, sites: bool = False) -> Setup:
    """Check everything rumptest needs before anything runs."""
    src = os.path.abspath(tree)
    layout = detect(tree, src)
    br = buildrump or os.path.join(os.path.dirname(src), "buildrump.sh")
    script = br if os.path.isfile(br) else os.path.join(br, "buildrump.sh")
    if not os.path.isfile(script):
        raise RumpTestError(f"{br}: no buildrump.sh there (give --buildrump DIR; "
                            "see README: rumptest)")
    for tool, pkg in (("gcc", "gcc"), ("makefs", "makefs")):
        if shutil.which(tool) is None:
            raise RumpTestError(f"{tool} not found: install Debian's {pkg} package")
    if obj is not None and os.path.exists(obj) and not os.path.isdir(obj):
        raise RumpTestError(f"{obj}: not a directory")
    if sites and not layout.shim:
        raise RumpTestError(f"{tree}: --sites needs the shim (install-shim): MALLOC_SITES "
                            "is its option")
    keep = obj is not None
    obj = os.path.abspath(obj) if obj else tempfile.mkdtemp(prefix="k2m-rumptest-")
    os.makedirs(obj, exist_ok=True)
    return Setup(src, os.path.abspath(script), obj, jobs, keep, layout, debug_types, sites)


# --------------------------------------------------------------------------
# Parsing what the programs print (pure; tested with canned output)

def parse_buildrump_tests(text: str, status: int) -> dict:
    """buildrump.sh `tests` output -> {test: passed|failed|skipped}.  A test
    passed if it started and a later one started too (testrump.sh stops at
    the first failure), or if the run ended in "Success"."""
    starts = []
    for name, label in BUILDRUMP_TESTS:
        m = re.search(r"^" + re.escape(label) + r"(?: \.\.\. |\n|$)", text, re.M)
        starts.append((m.start() if m else -1, name))
    success = status == 0 and re.search(r"^Success$", text, re.M) is not None
    out = {}
    for i, (at, name) in enumerate(starts):
        if at < 0:
            out[name] = "passed" if success else "failed"
            continue
        line = text[at:text.find("\n", at) if "\n" in text[at:] else len(text)]
        later = any(a > at for a, _ in starts[i + 1:])
        if "skipping test" in line:
            out[name] = "skipped"
        else:
            out[name] = "passed" if success or later else "failed"
    return out


_TEST_LINE = re.compile(r"^(PASS|FAIL|SKIP) (\w+)(?::\s*(.*)| \([\d.]+ s\))?$", re.M)
_SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", re.M)
_VERDICT = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}


def parse_workload(text: str, status: int) -> tuple[dict, list[str]]:
    """The workload's PASS/FAIL/SKIP lines -> ({test: passed|failed|skipped},
    problems).  Its last line must be "N passed, N failed[, N skipped]"
    agreeing with them, and it must have exited 0 (a panic aborts it)."""
    tests, problems = {}, []
    for verdict, name, why in _TEST_LINE.findall(text):
        tests[name] = _VERDICT[verdict]
        if verdict == "FAIL":
            problems.append(f"{name}: {why}")
    m = list(_SUMMARY.finditer(text))
    count = [sum(v == k for v in tests.values()) for k in ("passed", "failed", "skipped")]
    if not m:
        problems.append("no summary line: the workload stopped early")
    elif [int(m[-1].group(1)), int(m[-1].group(2)), int(m[-1].group(3) or 0)] != count:
        problems.append("summary line disagrees with the PASS/FAIL lines")
    if "panic" in text.lower():
        problems.append("the kernel panicked: " + next(
            line for line in text.splitlines() if "panic" in line.lower()).strip())
    if status != 0:
        problems.append(f"exit status {status}" + (" (killed by a signal: a panic aborts)"
                                                   if status < 0 else ""))
    return tests, problems


def pair_summary(bench: dict) -> dict:
    """ns per pair for each size (the best round), their means, and the
    malloc/kmem ratio of the means (malloc: the header-less type with the
    sized free); malloc_hdr (a header type, free(p, T)) and kmem_intr
    (kmem_intr_alloc+free, what kern_malloc.c calls) beside them when
    measured."""
    pairs = bench["pairs"]
    none = [None] * len(bench["sizes"])
    rows = []
    for s, k, m, mh, ki in zip(bench["sizes"], bench["kmem_ns"], bench["malloc_ns"],
                               bench.get("malloc_hdr_ns") or none,
                               bench.get("kmem_intr_ns") or none):
        row = {"size": s, "kmem": round(k / pairs, 3), "malloc": round(m / pairs, 3),
               "ratio": round(m / k, 3)}
        if mh is not None:
            row["malloc_hdr"] = round(mh / pairs, 3)
            row["ratio_hdr"] = round(mh / k, 3)
        if ki is not None:
            row["kmem_intr"] = round(ki / pairs, 3)
        rows.append(row)
    out = {}
    for col in ("kmem", "malloc", "malloc_hdr", "kmem_intr"):
        if all(col in r for r in rows):
            out[col] = round(sum(r[col] for r in rows) / len(rows), 2)
    out["ratio"] = round(out["malloc"] / out["kmem"], 3)
    if "malloc_hdr" in out:
        out["ratio_hdr"] = round(out["malloc_hdr"] / out["kmem"], 3)
    out["by_size"] = rows
    return out


def usage(types: list[dict]) -> dict:
    """How the kernel's own types were used (our component's types, which
    the benchmark drives, left out): types with requests, and the share of
    requests that went to the catch-all devbuf and temp."""
    kern = [t for t in types if t["type"] not in OUR_TYPES]
    used = [t for t in kern if t["requests"] > 0]
    reqs = sum(t["requests"] for t in used)
    generic = sum(t["requests"] for t in used if t["type"] in ("devbuf", "temp"))
    return {"used": len(used), "attached": len(kern), "requests": reqs,
            "generic_percent": round(100 * generic / reqs, 1) if reqs else 0.0}


def ours_freed(types: list[dict]) -> bool:
    """Our component's types were used and hold nothing now (the kernel's
    own types keep what they hold)."""
    mine = [t for t in types if t["type"] in OUR_TYPES]
    return len(mine) == len(OUR_TYPES) and all(
        t["requests"] > 0 and t["inuse"] == 0 and t["bytes"] == 0 for t in mine)


def alignment_summary(a: dict) -> dict:
    """Runs of sizes with the same (kmem, malloc) alignment, and the sizes
    where malloc (the header-less type) gives less than kmem; how many
    sizes the header type gives less, when measured."""
    step, kmem, mall = a["step"], a["kmem"], a["malloc"]
    runs: list[list[int]] = []      # [first size, last size, kmem, malloc]
    below = []
    for i, (k, m) in enumerate(zip(kmem, mall)):
        size = (i + 1) * step
        if m < k:
            below.append({"size": size, "kmem": k, "malloc": m})
        if runs and runs[-1][2:] == [k, m] and runs[-1][1] == size - step:
            runs[-1][1] = size
        else:
            runs.append([size, size, k, m])
    out = {"sizes": len(kmem), "from": step, "to": len(kmem) * step,
           "pagesize": a.get("pagesize"), "below_kmem": len(below),
           "below": below, "runs": runs}
    if "malloc_hdr" in a:
        out["hdr_below_kmem"] = sum(m < k for k, m in zip(kmem, a["malloc_hdr"]))
    return out


# --------------------------------------------------------------------------
# Running

class Runner:
    def __init__(self, s: Setup, res: Result, out):
        self.s, self.res, self.out = s, res, out

    def step(self, name: str, cmd: list[str], log: str, env=None, cwd=None,
             timeout=None, quiet_status=()) -> subprocess.CompletedProcess | None:
        """Run one command, output to OBJ/log; record its time; on failure
        show the end of its log."""
        path = os.path.join(self.s.obj, log)
        t0 = time.monotonic()
        with open(path, "w") as fp:
            try:
                p = subprocess.run(cmd, stdout=fp, stderr=subprocess.STDOUT, cwd=cwd,
                                   env={**os.environ, **(env or {})}, timeout=timeout)
            except subprocess.TimeoutExpired:
                p = None
        self.res.seconds[name] = round(time.monotonic() - t0, 1)
        if p is not None and p.returncode in quiet_status:
            pass
        elif p is None or p.returncode != 0:
            self.out(f"rumptest: {name}: failed "
                     f"({'hung' if p is None else f'exit {p.returncode}'}); {path}:")
            with open(path, errors="replace") as fp:
                for line in fp.read().splitlines()[-15:]:
                    self.out(f"  {line}")
        else:
            self.out(f"rumptest: {name}: ok ({self.res.seconds[name]} s)")
        return p

    def own_test(self, name: str, build: list[str], script: str, cwd: str,
                 timeout: int = 300) -> str:
        """Build and run one of OWN_TESTS; passed, failed or skipped.  The
        servers it starts detach (setsid); those still running in its
        directory afterwards are ended by their pid."""
        p = self.step(f"buildrump.{name} build", build, f"test-{name}-build.log")
        if p is None or p.returncode != 0:
            return "failed"
        p = self.step(f"buildrump.{name}", ["sh", "-c", script], f"test-{name}.log",
                      cwd=cwd, timeout=timeout,
                      quiet_status=(DYNAMIC_SKIP,) if name == "dynamic" else ())
        for pid in pids_in(cwd):
            try:
                os.kill(pid, 15)
            except OSError:
                pass
        if p is not None and name == "dynamic" and p.returncode == DYNAMIC_SKIP:
            self.out("rumptest: buildrump.dynamic: skipped (components cannot be dlopen()ed)")
            return "skipped"
        return "passed" if p is not None and p.returncode == 0 else "failed"

    def buildrump(self, *commands: str) -> list[str]:
        s = self.s
        return ([s.buildrump, "-s", s.src, "-o", os.path.join(s.obj, "obj"),
                 "-d", os.path.join(s.obj, "rump"), "-j", str(s.jobs)]
                + BUILDRUMP_FLAGS + shim_flags(s.shim_options())
                + list(commands))


def shim_flags(options: list[str]) -> list[str]:
    """buildrump.sh's flags for the shim's options, as -D flags in its
    CPPFLAGS (a rump kernel has no opt_*.h)."""
    return ["-F", "CPPFLAGS=" + " ".join("-D" + o for o in options)] if options else []


OPTIONS_STAMP = "k2m-options"   # in obj/: the shim options obj/obj was built with


def same_options(obj: str, options: list[str]) -> bool:
    """Whether obj's build was made with these options; if not, its build
    directory is removed and the stamp rewritten, so that buildrump.sh
    rebuilds every file (make sees no change in -D flags)."""
    stamp = os.path.join(obj, OPTIONS_STAMP)
    want = " ".join(options) + "\n"
    try:
        with open(stamp) as fp:
            if fp.read() == want:
                return True
    except OSError:
        pass
    shutil.rmtree(os.path.join(obj, "obj"), ignore_errors=True)
    shutil.rmtree(os.path.join(obj, "rump"), ignore_errors=True)
    with open(stamp, "w") as fp:
        fp.write(want)
    return False


def pids_in(cwd: str) -> list[int]:
    """Our processes whose working directory is cwd (a test's servers)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/cwd") == cwd and os.stat(f"/proc/{d}").st_uid == \
                        os.getuid():
                    out.append(int(d))
            except OSError:
                pass
    return out


def _print(line: str) -> None:
    print(line, flush=True)         # progress, also into a file or a pipe


def run(tree: str, buildrump: str | None, obj: str | None, jobs: int,
        json_path: str | None, out=_print, debug_types: bool = True,
        sites: bool = False) -> int:
    s = setup(tree, buildrump, obj, jobs, debug_types, sites)
    res = Result()
    try:
        _run(s, res, out)
    finally:
        if json_path:
            with open(json_path, "w") as fp:
                json.dump(dict(res.to_json(),
                               malloc_debug_types="MALLOC_DEBUG_TYPES" in s.shim_options(),
                               malloc_sites="MALLOC_SITES" in s.shim_options()),
                          fp, indent=1)
    ok = res.ok()
    passed = sum(v == "passed" for v in res.tests.values())
    failed = sum(v == "failed" for v in res.tests.values())
    if not s.keep:
        if ok:
            shutil.rmtree(s.obj, ignore_errors=True)
        else:
            out(f"rumptest: kept {s.obj} (logs, build, workload)")
    skipped = sum(v == "skipped" for v in res.tests.values())
    out(f"rumptest: {passed} passed, {failed} failed"
        + (f", {skipped} skipped" if skipped else ""))
    return 0 if ok else 1


def _run(s: Setup, res: Result, out) -> None:
    r = Runner(s, res, out)
    rump = os.path.join(s.obj, "rump")
    lay = s.layout
    out(f"rumptest: {s.src}: {lay.name}"
        + (" (NetBSD-current layout)" if lay.current else " (7.99 layout)"))
    if not lay.shim:
        out("rumptest: no shim in the tree: the kmem/malloc timing, the alignment sweep "
            "and the malloc_stats table are skipped")
    elif not s.debug_types:
        out("rumptest: without MALLOC_DEBUG_TYPES: a wrong-type free panics only where "
            "DIAGNOSTIC's footer fits; the timings are the shim's as it ships")
    if not same_options(s.obj, s.shim_options()):
        out("rumptest: the shim's options differ from the last build in this --obj "
            f"({' '.join(s.shim_options()) or 'none'}): building afresh")
    p = r.step("build", r.buildrump("tools", "build", "install"), "build.log",
               env=BUILDRUMP_ENV, cwd=os.path.dirname(s.buildrump))
    res.tests["build"] = "passed" if p and p.returncode == 0 else "failed"
    if res.tests["build"] == "failed":
        return
    if lay.current:
        own_tests(r, s, res)
    else:
        p = r.step("buildrump tests", r.buildrump("tests"), "tests.log", env=BUILDRUMP_ENV,
                   cwd=os.path.dirname(s.buildrump))
        with open(os.path.join(s.obj, "tests.log"), errors="replace") as fp:
            for name, v in parse_buildrump_tests(fp.read(), p.returncode if p else 1).items():
                res.tests[f"buildrump.{name}"] = v

    # mallocstat for the host, our component, the workload, the image
    ms = os.path.join(s.obj, "mallocstat")
    comp = os.path.join(s.obj, "k2mtest")
    wl = os.path.join(s.obj, "workload")
    rumpmake = os.path.join(s.obj, "obj", "tooldir", "rumpmake")
    image, root = os.path.join(s.obj, "ffs.img"), os.path.join(s.obj, "ffsroot")
    os.makedirs(comp, exist_ok=True)
    for f in COMPONENT:         # rumpmake builds where its Makefile is
        shutil.copyfile(os.path.join(RUMPTEST, f), os.path.join(comp, f))
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "hello.txt"), "w") as fp:
        fp.write(HELLO)
    drivers, left_out = drivers_for(lay, installed_libs(os.path.join(rump, "lib")))
    for why in left_out:
        out(f"rumptest: {why}")
    libs = ["-L", comp, "-L", os.path.join(rump, "lib"),
            "-Wl,-rpath," + comp, "-Wl,-rpath," + os.path.join(rump, "lib"),
            "-Wl,--no-as-needed"] + [f"-l{x}" for x in workload_libs(lay, drivers)] \
        + ["-lpthread", "-ldl"]
    for name, cmd, log in (
            ("mallocstat", ["gcc", "-std=gnu11", "-O2", "-I", SHIM, "-o", ms,
                            os.path.join(SHIM, "mallocstat", "mallocstat.c")], "mallocstat.log"),
            ("component", [rumpmake, "K2M_SYS=" + os.path.join(s.src, "sys")]
             + ([] if lay.shim else ["K2M_NOSHIM=1"]) + ["dependall"],
             "component.log"),
            ("workload build", ["gcc", "-std=gnu11", "-O2", "-g", "-Wall", "-Wextra"]
             + workload_defines(lay, drivers) + (["-DK2M_SITES"] if s.sites else [])
             + ["-I", os.path.join(rump, "include"), "-I", RUMPTEST,
                "-o", wl, os.path.join(RUMPTEST, "workload.c")] + libs,
             "workload-build.log"),
            ("image", ["makefs", "-t", "ffs", "-o", "version=1", "-s", "16m", "-f", "512",
                       image, root],
             "image.log")):
        p = r.step(name, cmd, log, cwd=comp if name == "component" else None)
        res.tests[name.replace(" ", "_")] = "passed" if p and p.returncode == 0 else "failed"
        if res.tests[name.replace(" ", "_")] == "failed":
            return

    rundir = os.path.join(s.obj, "run")
    os.makedirs(rundir, exist_ok=True)
    blob = os.path.join(rundir, "malloc_stats.bin")
    for f in ("workload.json", "malloc_stats.bin", "malloc_sites.bin"):
        if os.path.exists(os.path.join(rundir, f)):
            os.unlink(os.path.join(rundir, f))
    p = r.step("workload", [wl, image, rundir], "workload.log", cwd=rundir,
               timeout=RUN_GUARD)
    with open(os.path.join(s.obj, "workload.log"), errors="replace") as fp:
        text = fp.read()
    tests, problems = parse_workload(text, p.returncode if p else -9)
    for name, v in tests.items():
        res.tests[f"workload.{name}"] = v
    res.tests["workload"] = "failed" if problems else "passed"
    for why in problems:
        out(f"rumptest: workload: {why}")
    for verdict, name, why in _TEST_LINE.findall(text):
        if verdict == "SKIP":
            out(f"rumptest: workload: {name} skipped: {why}")
    wj = os.path.join(rundir, "workload.json")
    if os.path.exists(wj):
        with open(wj) as fp:
            data = json.load(fp)
        res.bench, res.alignment = data.get("bench", {}), data.get("alignment", {})
    if not lay.shim:
        res.tests["alignment"] = "skipped"
    else:
        res.tests["alignment"] = "passed" if res.alignment and \
            alignment_summary(res.alignment)["below_kmem"] == 0 else "failed"
    if os.path.exists(blob):
        t = subprocess.run([ms, "-f", blob], capture_output=True, text=True)
        j = subprocess.run([ms, "-j", "-f", blob], capture_output=True, text=True)
        if t.returncode == 0 and j.returncode == 0:
            res.table = t.stdout
            res.types = json.loads(j.stdout)["types"]
        res.tests["mallocstat"] = "passed" if res.types else "failed"
        res.tests["freed"] = "passed" if ours_freed(res.types) else "failed"
    if s.sites:
        read_sites(ms, os.path.join(rundir, "malloc_sites.bin"), res)
    report(res, out)


def read_sites(ms: str, blob: str, res: Result) -> None:
    """kern.malloc_sites as the workload saved it: mallocstat -S's top rows
    and its records; the test passes if sites were counted."""
    if os.path.exists(blob):
        t = subprocess.run([ms, "-S", "-n", str(SITES_TOP), "-f", blob],
                           capture_output=True, text=True)
        j = subprocess.run([ms, "-S", "-j", "-f", blob], capture_output=True, text=True)
        if t.returncode == 0 and j.returncode == 0:
            res.sites_table = t.stdout
            res.sites = json.loads(j.stdout).get("sites", [])
    res.tests["mallocstat_sites"] = "passed" if res.sites else "failed"


def own_tests(r: Runner, s: Setup, res: Result) -> None:
    """buildrump.sh's tests, built and run by us (OWN_TESTS)."""
    rump = os.path.join(s.obj, "rump")
    lib = os.path.join(rump, "lib")
    tests = os.path.join(os.path.dirname(s.buildrump), "tests")
    brtests = os.path.join(s.obj, "brtests")
    installed = installed_libs(lib)
    r.out(f"rumptest: buildrump.sh's tests, built by rumptest for {s.layout.name}: "
          "7.99's Makefiles do not link against NetBSD 10 (" + ", ".join(
              f"-l{x} needs {' '.join('-l' + n for n in needs)}"
              for x, needs in CURRENT_NEEDS.items()) + "; idtype_t before rump_syscalls.h)")
    for name, srcs, libs, cmds in OWN_TESTS:
        d = os.path.join(brtests, name)
        os.makedirs(d, exist_ok=True)
        prog = os.path.join(d, name)
        build = (["gcc", "-std=gnu99", "-O2", "-g"] + CURRENT_INCLUDES
                 + ["-I", os.path.join(rump, "include"), "-I", os.path.join(tests, "common"),
                    "-o", prog] + [os.path.join(tests, x) for x in srcs]
                 + ["-L", lib, "-Wl,-rpath," + lib, "-Wl,--no-as-needed"]
                 + [f"-l{x}" for x in own_test_libs(libs, s.layout, installed)]
                 + ["-lpthread", "-ldl"])
        script = own_test_script(cmds, prog=prog, tests=tests, rump=rump, brtests=brtests)
        res.tests[f"buildrump.{name}"] = r.own_test(name, build, script, d)


def report(res: Result, out) -> None:
    """What the running kernel showed."""
    if res.table:
        out("")
        out(res.table.rstrip("\n"))
        u = usage(res.types)
        out(f"rumptest: the kernel's types (not {', '.join(OUR_TYPES)}, ours): "
            f"{u['used']} used of "
            f"{u['attached']} attached; devbuf+temp {u['generic_percent']}% of "
            f"{u['requests']} requests")
    if res.sites_table:
        out("")
        out(res.sites_table.rstrip("\n"))
    if res.bench:
        p = pair_summary(res.bench)
        for row in p["by_size"]:
            out(f"rumptest: {row['size']:5d} B: kmem_alloc+kmem_free {row['kmem']:7.2f} ns, "
                f"malloc+free(p, T, n) {row['malloc']:7.2f} ns, ratio {row['ratio']:.3f}"
                + (f"; header type {row['malloc_hdr']:.2f} ns, {row['ratio_hdr']:.3f}"
                   if "malloc_hdr" in row else "")
                + (f" (kmem_intr_alloc+free {row['kmem_intr']:.2f} ns)"
                   if "kmem_intr" in row else ""))
        out(f"rumptest: ns per pair, mean of the sizes: kmem {p['kmem']}, malloc "
            f"{p['malloc']}, ratio {p['ratio']}"
            + (f"; header type {p['malloc_hdr']}, ratio {p['ratio_hdr']}"
               if "malloc_hdr" in p else "")
            + (f"; kmem_intr {p['kmem_intr']}" if "kmem_intr" in p else ""))
    if res.alignment:
        a = alignment_summary(res.alignment)
        first = a["below"][0] if a["below"] else None
        out(f"rumptest: alignment, {a['sizes']} sizes {a['from']}..{a['to']} B: malloc "
            f"(header-less) below kmem at {a['below_kmem']}" + (
                f" (first {first['size']} B: kmem {first['kmem']}, malloc {first['malloc']})"
                if first else "")
            + (f"; a header type below kmem at {a['hdr_below_kmem']} (not checked)"
               if "hdr_below_kmem" in a else ""))
