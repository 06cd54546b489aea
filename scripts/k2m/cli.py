"""Command line: `kmem2malloc convert|retag|audit|install-shim|check|rumptest|boottest`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from . import tagmap, tree as treemod
from .c import factcache
from .kernel.boottest import BootTestError
from .kernel.rumptest import RumpTestError

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MAP = os.path.join(TOP, "tag-map.yaml")

DESCRIPTION = """\
Convert NetBSD kernel code from kmem(9) back to malloc(9) with named,
per-subsystem malloc types (tag-map.yaml), keeping every alloc/free pair in
one family.  TREE is a source tree holding sys/; PATHs are relative to it
(default: sys/dev).  convert and audit only read the tree, unless convert
is given --in-place; install-shim writes the shim into it (with --out, a
patch instead), and check its baseline (TREE/.kmem2malloc-check.json);
rumptest and boottest only read it.  To commit: convert's OUT/series/, the
malloc(9) change first, then one commit per driver or commit group.
"""

EPILOG = """\
examples:
  kmem2malloc convert --out /tmp/k2m ~/src            # diffs + report, tree untouched
  kmem2malloc convert --in-place ~/src sys/dev/usb    # rewrite one subsystem
  kmem2malloc audit ~/src sys/dev/pci                 # kmem users left, and why
  kmem2malloc install-shim ~/src                      # malloc(9) with real types
  kmem2malloc install-shim --out /tmp/shim ~/src      # ... as a patch, tree untouched
  cd ~/src && git am /tmp/k2m/series/*.patch          # convert's series, malloc(9) first
  kmem2malloc check ~/src sys/dev                     # compile + warnings baseline ...
  kmem2malloc convert --in-place ~/src && kmem2malloc install-shim ~/src
  kmem2malloc check ~/src sys/dev                     # ... and the regressions
  kmem2malloc rumptest --obj /tmp/rk ~/rump/src       # build a rump kernel, run it
  kmem2malloc boottest --tools ~/boot-tools ~/src     # build a kernel, boot it in qemu

exit status: 0 done; 1 done, but something needs a look (a spatch error or difference, a
count mismatch, a mixed pair, a type defined twice, a check regression, a
rumptest or boottest failure); 2 bad input, nothing written; 130 interrupted.
"""


def _jobs(s: str) -> int:
    n = int(s)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def either(p: argparse.ArgumentParser, on: str, off: str, dest: str, on_help: str,
           off_help: str) -> None:
    """Two options that set dest, True (on, the default) or False (off)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(on, dest=dest, action="store_true", default=True, help=on_help)
    g.add_argument(off, dest=dest, action="store_false", help=off_help)


def cache_options(p: argparse.ArgumentParser) -> None:
    """--cache DIR and --no-cache, of the commands that scan (factcache.py)."""
    kept = p.add_mutually_exclusive_group()
    kept.add_argument("--cache", default=factcache.default_dir(), metavar="DIR",
                      help="keep the scan's facts (headers' declarations, each file's "
                      "scan) here across runs, keyed by content and this code's version "
                      "(default: $XDG_CACHE_HOME/kmem2malloc, else ~/.cache/kmem2malloc)")
    kept.add_argument("--no-cache", action="store_true",
                      help="neither read nor write the cache")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kmem2malloc", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    def common(sp, with_map=True):
        sp.add_argument("tree", metavar="TREE", help="source tree holding sys/")
        sp.add_argument("paths", metavar="PATH", nargs="*",
                        help="files or directories relative to TREE (default: sys/dev)")
        sp.add_argument("-j", "--jobs", type=_jobs, default=os.cpu_count() or 1,
                        help="parallel jobs (default: number of CPUs)")
        if with_map:
            sp.add_argument("--tag-map", default=DEFAULT_MAP, metavar="F",
                            help="the tag map (default: tag-map.yaml beside scripts/)")

    c = sub.add_parser("convert", help="rewrite kmem(9) to malloc(9); write diffs and a report",
                       description="Plan, rewrite, verify, check the rewrite with "
                       "cocci/'s rules (spatch), and write "
                       "OUT/diffs/<driver>.diff, OUT/report.json, OUT/report.md and "
                       "OUT/series/ (the commits to apply in order with git am: "
                       "0001 the malloc(9) change install-shim makes, then one per "
                       "commit group or driver).")
    common(c)
    c.add_argument("--out", default="kmem2malloc-out", metavar="DIR",
                   help="where diffs and reports go (default: ./kmem2malloc-out)")
    c.add_argument("--in-place", action="store_true",
                   help="also replace the changed files in TREE, each atomically "
                   "(not done if anything needs a look: a spatch error or "
                   "difference, a count mismatch, a mixed pair created)")
    c.add_argument("--hosts", metavar="FILE",
                   help="GNU parallel sshloginfile: spread spatch over these machines "
                   "(OUT must be on a file system they share)")
    c.add_argument("--timeout", type=_jobs, default=120, metavar="SEC",
                   help="spatch's time limit per file (default: 120)")
    either(c, "--sized-free", "--unsized-free", "sized_free",
           "write OpenBSD's free(p, T, n), kmem_free's size kept as written (the "
           "default: kmem's size check, alignment and no dead size computation survive; "
           "the shim's free() takes both forms, installed before or after)",
           "write free(p, T), NetBSD's two-argument form, and drop kmem_free's size")
    either(c, "--convert-size-mismatch", "--keep-size-mismatch", "convert_size_mismatch",
           "convert a pair whose kmem_free size disagrees with the allocation's, the "
           "size as written (the default: a size-mismatch finding says where; free(p, "
           "T, n) is checked under DIAGNOSTIC as kmem's KMEM_SIZE checks it, so the bug "
           "neither hides nor moves)",
           "keep such a pair as kmem (fix the size in a commit of its own first, then "
           "convert)")
    c.add_argument("--no-series", dest="series", action="store_false",
                   help="do not write OUT/series/ (the default writes it: git am-able "
                   "patches, 0001 the malloc(9) change install-shim makes, planned over "
                   "the converted tree, then one per commit group or driver, each with "
                   "a commit message; it surveys all of sys/ as install-shim does, "
                   "a minute or two on NetBSD-current)")
    either(c, "--spatch-check", "--no-spatch-check", "spatch_check",
           "check the rewrite with cocci/'s rules (the default): spatch "
           "rewrites the same planned calls and its output must be the "
           "text rewrite's, file by file; a difference is a spatch-differs "
           "finding and exit status 1",
           "skip that check: the output is the same, the scan-based "
           "verify of every site still runs, and no spatch is needed.  The "
           "check's spatch outputs are cached (--cache) by their input, so "
           "it costs most on a tree's first run (sys/ of NetBSD-current: "
           "about 40 s of 100 s cold, 3 s of 22 s warm).  For "
           "repeated runs while working on a tree; keep the check for "
           "the run you commit, since it is what catches a rewrite "
           "bug the counts cannot see (a wrong flag, a lost line break)")
    c.add_argument("--intr-flag", action="store_true",
                   help="write kmem_intr_alloc(n, KM_NOSLEEP) as malloc(n, T, "
                   "M_NOWAIT | M_INTR) (the shim's MALLOC_CHECK_INTR checks it)")

    cache_options(c)
    t = sub.add_parser("retag", help="give legacy malloc(9) calls of a generic type "
                       "(M_DEVBUF, M_TEMP) their owner's type; write diffs and a report",
                       description="After convert: the malloc(9), realloc and free "
                       "calls naming a generic type (tag-map.yaml's retag: types) get "
                       "the type the tag map gives their owner, paired as convert pairs "
                       "(an allocation and every free of its memory change together or "
                       "not at all); memory of a scratch type (retag: scratch, M_TEMP) "
                       "freed only in the function allocating it keeps it.  Writes "
                       "OUT/diffs/, OUT/report.json, OUT/report.md and OUT/series/.")
    common(t)
    t.add_argument("--out", default="kmem2malloc-retag", metavar="DIR",
                   help="where diffs and reports go (default: ./kmem2malloc-retag)")
    t.add_argument("--in-place", action="store_true",
                   help="also replace the changed files in TREE, each atomically (not "
                   "done if the output of any file failed its check)")
    t.add_argument("--no-series", dest="series", action="store_false",
                   help="do not write OUT/series/")
    t.add_argument("--unsized", choices=["record", "keep", "header"], default="record",
                   help="memory whose new type is header-less (every free of it passes "
                   "its size, so install-shim keeps kmem's alignment for its converted "
                   "code) and whose frees cannot be given the size (not fixed): "
                   "`record` (default) allocates it malloc(n, M_RECORDED(T), f), the "
                   "shim recording its type and size, and frees it free(p, "
                   "M_ASALLOCATED): a spin mutex per call; `keep` leaves it its old "
                   "type (reason `header`); `header` names T all the same, so T gets a "
                   "header and its converted code loses kmem's alignment "
                   "(report.json's headers_given)")
    cache_options(t)

    a = sub.add_parser("audit", help="list the kmem(9) users left, and why")
    common(a)
    a.add_argument("--json", action="store_true", help="print JSON")

    s = sub.add_parser("install-shim", help="copy shim/ into TREE/sys and generate "
                       "the malloc type declarations and definitions",
                       description="Install malloc(9) with real types into TREE: the "
                       "shim's headers and kern_malloc.c, the generated type "
                       "declarations (sys/sys/malloc_types.h) and definitions "
                       "(sys/kern/kern_malloc_types.c), listed in sys/conf/files and "
                       "rump's Makefile.rumpkern, and the callers that must now pass a "
                       "type.  Either order works: before or after convert (free() "
                       "takes free(p, T) and free(p, T, n)); run it again after each "
                       "convert, since the type lists follow the tree.  For a "
                       "committable series use convert's OUT/series/, whose first "
                       "commit is this change.")
    s.add_argument("tree", metavar="TREE")
    s.add_argument("--tag-map", default=DEFAULT_MAP, metavar="F")
    s.add_argument("--out", metavar="DIR",
                   help="write the change as DIR/shim.diff (git apply, patch -p1) and "
                   "DIR/shim.md (each file: what changed and why) instead of "
                   "changing TREE; with --in-place, both")
    s.add_argument("--in-place", action="store_true",
                   help="change TREE (the default without --out)")

    k = sub.add_parser("check", help="compile as the kernel would (-O2, its warning "
                       "flags, malloc type symbols): what compiled before and does not now, "
                       "new warnings, undefined or duplicate types (no substitute for build.sh)")
    common(k, with_map=False)
    k.add_argument("--baseline", metavar="FILE",
                   help="results to compare with (default: TREE/.kmem2malloc-check.json; "
                   "written by the first run, so run check once before converting)")
    k.add_argument("--out", metavar="FILE", help="also write each file's result as JSON")
    k.add_argument("--arch", metavar="LIST",
                   help="compile for these CPUs or ports (comma separated: x86_64, i386, "
                   "arm, aarch64, mips, mipsel, powerpc, sparc, sparc64, alpha, hppa, m68k, "
                   "riscv, sh3; or a port such as evbarm, pmax, atari), or `all`; each file "
                   "only on the ports whose config files build it, one port per CPU.  "
                   "Default: x86_64 (amd64).  The compilers: `make deps-cross`")
    k.add_argument("--against", metavar="BEFORE",
                   help="the tree before the conversion (a pristine copy): compile only "
                   "the files that differ from it and the .c files that include a header "
                   "that differs, in both trees, and compare (no baseline used); the "
                   "fast pass to run before a commit")
    k.add_argument("--all-before", action="store_true",
                   help="with --against: compile every file in BEFORE too.  By default "
                   "after is compiled first, and before only where after has an error or "
                   "a warning: a file that compiles after without a warning can be "
                   "neither a regression nor have a new warning (about half the time)")

    r = sub.add_parser("rumptest", help="build a rump kernel from a tree (converted and "
                       "shimmed, or pristine), run buildrump.sh's tests and our workload in it",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="""\
Build a rump kernel from TREE with buildrump.sh (DIAGNOSTIC on), run
buildrump.sh's tests, then our workload (shim/rumptest/) in the running
kernel: tmpfs, FFS on vnd(4), TCP/UDP over lo0, sysctl; in-kernel ns per
kmem_alloc+kmem_free and malloc+free pair; alignment of both for sizes 8 B
to 3 pages; kern.malloc_stats as a mallocstat table.  TREE has the layout
of rumpkernel/src-netbsd (branch buildrump-src, NetBSD 7.99), or that
tree with a NetBSD-current sys/ (README: rumptest), told apart by
__NetBSD_Version__; converted and shimmed (install-shim: the kernel is
built with MALLOC_DEBUG_TYPES, so every wrong-type free panics), or
pristine (the shim's steps are skipped).  Needs gcc and makefs (Debian
packages).  5 to 45 minutes on 2 cores from clean, with the load; with
the same --obj, later runs are incremental.""",
                       epilog="exit status: 0 all built, all tests passed, no panic, "
                       "alignment never below kmem's; 1 otherwise; 2 bad input.\n")
    r.add_argument("tree", metavar="TREE", help="rump-buildable NetBSD tree holding sys/")
    r.add_argument("--buildrump", metavar="DIR",
                   help="buildrump.sh checkout (default: buildrump.sh beside TREE)")
    r.add_argument("--obj", metavar="DIR",
                   help="build here and keep it: DIR/rump (lib/, include/) is the installed "
                   "rump kernel, others can link against it (default: a temporary "
                   "directory, removed if all passed)")
    r.add_argument("-j", "--jobs", type=_jobs, default=min(2, os.cpu_count() or 1),
                   help="make jobs (default: 2)")
    r.add_argument("--json", metavar="FILE",
                   help="write tests, mallocstat records, pair_ns, pair_ratio, alignment")
    r.add_argument("--no-debug-types", dest="debug_types", action="store_false",
                   help="build a shimmed kernel without MALLOC_DEBUG_TYPES, to time the "
                   "shim as it ships (the option serialises every malloc and free on one "
                   "lock); a wrong-type free then panics only where DIAGNOSTIC's footer fits")
    r.add_argument("--sites", action="store_true",
                   help="build a shimmed kernel with the shim's MALLOC_SITES too (usage by "
                   "call site) and print the running kernel's top sites (mallocstat -S); a "
                   "change of these options rebuilds --obj's kernel from scratch")
    b = sub.add_parser("boottest", help="build an amd64 kernel from a NetBSD-current tree "
                       "(converted and shimmed, or pristine), boot it in qemu, run our init",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="""\
Build an amd64 kernel from TREE (a NetBSD-current tree: sys/ and
common/lib) with Debian's gcc and binutils: config(1) and NetBSD's make
files from --tools, the config boot/K2M_QEMU (or --config), DIAGNOSTIC
on, and on a shimmed tree the shim's MALLOC_DEBUG_TYPES (every wrong-type
free panics).  Boot it with qemu-system-x86_64 -kernel (TCG, -smp 2,
serial console) on an FFS image whose /sbin/init is ours (boot/init.c):
fork+exec, tmpfs, a file on the FFS root, TCP over lo0, a module loaded
and unloaded, a device detached and re-attached (drvctl), and
kern.malloc_stats sent over the console in hex, then power-off.  Prints
each stage and step, and the mallocstat table of a shimmed kernel.
Needs Debian's bmake, gcc, binutils, makefs and qemu-system-x86 (make
qemu).  About 6 to 10 minutes to build on 2 cores, 10 s to boot.""",
                       epilog="""\
--tools DIR holds bin/nbconfig (a config(1) that reads NetBSD-current's
files, version 20180827), bin/nbgenassym and share/mk (README: boottest).

exit status: 0 built, booted, every step passed, nothing panicked; 1
otherwise (the kernel config, logs, image and console.log are kept);
2 bad input.
""")
    b.add_argument("tree", metavar="TREE", help="NetBSD-current tree holding sys/ and common/")
    b.add_argument("--tools", metavar="DIR",
                   help="config(1), genassym and share/mk (default: tools beside TREE)")
    b.add_argument("--config", metavar="FILE",
                   help="kernel config (default: boot/K2M_QEMU); keep its com0 console, "
                   "virtio disks, root on ld0d, XENPVHVM and COPY_SYMTAB")
    b.add_argument("--obj", metavar="DIR",
                   help="build here and keep it (default: a temporary directory, removed "
                   "if all passed)")
    b.add_argument("-j", "--jobs", type=_jobs, default=min(2, os.cpu_count() or 1),
                   help="make jobs (default: 2)")
    b.add_argument("--json", metavar="FILE",
                   help="write build stages and seconds, boot_s, steps, mallocstat records")
    return p


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `... | head` ends quietly
    args = parser().parse_args(argv)
    try:
        if args.cmd == "boottest":     # checks its own input (BootTestError)
            from .kernel import boottest
            return boottest.run(args.tree, args.tools, args.config, args.obj, args.jobs,
                                args.json)
        tree = treemod.open_tree(args.tree)
        paths = getattr(args, "paths", None) or ["sys/dev"]
        if args.cmd == "convert":
            from . import convert
            tm = tagmap.load(args.tag_map)
            from .rewrite.textual import Forms
            return convert.run(tree, paths, tm, args.out, args.jobs, args.in_place,
                               args.hosts, args.timeout,
                               forms=Forms(args.sized_free, args.intr_flag),
                               convert_mismatched=args.convert_size_mismatch,
                               series=args.series, spatch_check=args.spatch_check,
                               cache=None if args.no_cache else args.cache)
        if args.cmd == "retag":
            from . import retag
            return retag.run(tree, paths, tagmap.load(args.tag_map), args.out, args.jobs,
                             args.in_place, args.series, retag.Unsized(args.unsized),
                             cache=None if args.no_cache else args.cache)
        if args.cmd == "audit":
            from . import audit
            return audit.run(tree, paths, args.jobs, args.json,
                             tagmap.load(args.tag_map))
        if args.cmd == "install-shim":
            from .kernel import shim
            tm = tagmap.load(args.tag_map)
            return shim.install(tree, tm, outdir=args.out,
                                in_place=args.in_place or not args.out)
        if args.cmd == "check":
            from .kernel import check
            return check.run(tree, paths, args.jobs, args.baseline, args.out,
                             arch=args.arch, against=args.against,
                             all_before=args.all_before)
        if args.cmd == "rumptest":
            from .kernel import rumptest
            return rumptest.run(args.tree, args.buildrump, args.obj, args.jobs, args.json,
                                debug_types=args.debug_types, sites=args.sites)
    except (tagmap.TagMapError, treemod.TreeError, RumpTestError, BootTestError) as e:
        print(f"kmem2malloc: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kmem2malloc: interrupted; the tree is unchanged "
              "(with --in-place, each file is either old or new)", file=sys.stderr)
        return 130
    except Exception as e:  # a clear line, not a traceback; K2M_DEBUG=1 shows it
        if os.environ.get("K2M_DEBUG"):
            raise
        print(f"kmem2malloc: error: {e.__class__.__name__}: {e}", file=sys.stderr)
        return 1
    return 0
