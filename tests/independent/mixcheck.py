#!/usr/bin/python3
"""mixcheck: find memory that one allocator family allocates and the other
releases (kmem(9) memory reaching free(9), malloc(9) memory reaching
kmem_free), in a NetBSD tree, by C type.

An independent check of kmem2malloc's conversions: it shares no code with
scripts/k2m.  It reads each C file with libclang (Debian python3-clang-14)
and keys memory by its C type, or for generic pointers by its place; see
README.md beside this file for the rule, its blind spots and its numbers.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

RULE = """\
rule: memory is keyed by the pointee C type of what an allocation is stored into
  and of what is freed (struct/union types, casts included) and by the place
  (record::member path, function:local, global, function return), following
  simple assignments, parameters and out-parameters within a file; for generic
  pointers a sizeof of a struct in the size argument counts as the type. A free
  takes the nearest allocations of its file (fewest assignments; a typed free's
  own place before its type) and reports those of the other family; if its file
  has none, those of the whole tree, and then only a key all of whose
  allocations are of the other family.
blind spots: code clang did not see (#if'd out, other architectures, files that
  did not parse, opt_*.h stand-ins are empty); generic memory handed to another
  file's function, or freed through a pointer to it; tests and flags that keep
  one struct type's two families apart in one file; a reused generic local."""


def die(msg: str) -> None:
    print(f"mixcheck: {msg}", file=sys.stderr)
    sys.exit(2)


def checked_input(a) -> list[str]:
    """The PATHs to read, after checking TREE (and --before's), PATHs,
    -I directories and -j as both checkers take them; bad input dies."""
    trees = [a.tree] + ([a.before] if a.before else [])
    for t in trees:
        if not os.path.isdir(os.path.join(t, "sys")):
            die(f"{t}: not a NetBSD tree (no sys/ directory)")
    paths = a.paths or ["sys"]
    for p in paths:
        if os.path.isabs(p) or ".." in p.split(os.sep):
            die(f"{p}: PATH must be relative to TREE")
        for t in trees:
            if not os.path.exists(os.path.join(t, p)):
                die(f"{os.path.join(t, p)}: no such file or directory")
    for d in a.includes:
        if not os.path.isdir(d):
            die(f"{d}: not a directory")
    if a.jobs < 1:
        die("--jobs must be at least 1")
    return paths


def candidates(tree: str, paths: list[str], call_re) -> tuple[list[str], int]:
    """The .c files under PATHs that may call an allocator; and how many
    .c files there were."""
    out = []
    total = 0
    for p in paths:
        top = os.path.join(tree, p)
        if os.path.isfile(top):
            walk = [(os.path.dirname(top), [], [os.path.basename(top)])]
        else:
            walk = os.walk(top)
        for d, dirs, files in walk:
            dirs.sort()
            for f in sorted(files):
                if not f.endswith(".c"):
                    continue
                total += 1
                fp = os.path.join(d, f)
                try:
                    with open(fp, errors="replace") as fh:
                        if call_re.search(fh.read()):
                            out.append(fp)
                except OSError:
                    pass
    return sorted(set(out)), total


_scanner = None


def _init(tree: str, workdir: str, extra: list[str], interfaces: bool = False) -> None:
    global _scanner
    import cfacts
    _scanner = cfacts.Scanner(cfacts.Env(tree, workdir, extra), interfaces)


def _scan(path: str) -> dict:
    return _scanner.scan(path).to_json()


def scan_tree(tree: str, paths: list[str], jobs: int, extra: list[str],
              verbose: bool, interfaces: bool = False, prog: str = "mixcheck",
              only: list[str] | None = None) -> dict:
    """Scan the candidate files under PATHs (cfacts.Scanner; interfaces:
    see there, typecheck.py's reading), or the files ONLY."""
    import cfacts
    if only is None:
        files, total = candidates(tree, paths, cfacts.CALL_RE)
    else:
        files, total = only, 0
    workdir = tempfile.mkdtemp(prefix=f"{prog}.")
    try:
        cfacts.Env(tree, workdir, extra)         # links made once, before the workers
        t0 = time.monotonic()
        if jobs > 1 and len(files) > 1:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs, _init, (tree, workdir, extra, interfaces)) as pool:
                results = []
                for i, r in enumerate(pool.imap_unordered(_scan, files, chunksize=2)):
                    results.append(r)
                    if verbose and (i + 1) % 100 == 0:
                        print(f"{prog}: {tree}: {i + 1}/{len(files)} files",
                              file=sys.stderr)
        else:
            _init(tree, workdir, extra, interfaces)
            results = [_scan(f) for f in files]
        secs = time.monotonic() - t0
        standins = sorted(n for n in os.listdir(os.path.join(workdir, "standins"))
                          if not n.startswith("prelude."))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results.sort(key=lambda r: r["path"])
    return {"files": results, "c_files": total, "seconds": secs, "standins": standins}


def coverage(scan: dict) -> dict:
    files = scan["files"]
    parsed = [f for f in files if f["parsed"]]
    return {
        "c_files": scan["c_files"],
        "candidates": len(files),
        "parsed": len(parsed),
        "not_parsed": len(files) - len(parsed),
        "clean": sum(1 for f in parsed if not f["errors"] and not f["fatal"]),
        "with_errors": sum(1 for f in parsed if f["errors"] or f["fatal"]),
        "with_fatal": sum(1 for f in parsed if f["fatal"]),
        "errors": sum(f["errors"] for f in parsed),
        # the text names allocators, libclang saw none of them: all of it
        # under a false #if (or in comments)
        "saw_no_call": sum(1 for f in parsed if f["text_calls"] and not f["seen_calls"]),
        "text_calls": sum(f["text_calls"] for f in parsed),
        "seen_calls": sum(f["seen_calls"] for f in parsed),
        "standins": len(scan["standins"]),
        "seconds": round(scan["seconds"], 1),
    }


def describe(e: dict) -> str:
    fn = f" in {e['function']}()" if e["function"] else ""
    call = e["written"] if e["written"] == e["call"] else f"{e['written']} ({e['call']})"
    return f"{call} at {e['file']}:{e['line']}{fn}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="mixcheck.py",
        description="Find mixed allocator pairs in a NetBSD tree: memory allocated "
        "by kmem(9) (kmem_alloc, kmem_zalloc, kmem_intr_*, kmem_asprintf, "
        "kmem_strdup*, kmem_strndup, kmem_tmpbuf_alloc) and released by free(9) "
        "or malloc_tmpbuf_free, or allocated by malloc(9) (malloc, realloc, "
        "malloc_asprintf, malloc_strdup*, malloc_strndup, malloc_tmpbuf_alloc) and "
        "released by kmem_free, kmem_intr_free, kmem_strfree or kmem_tmpbuf_free. "
        "Memory is identified by its C type (libclang), or for generic pointers by "
        "where it is kept.",
        epilog="Exit status: 0 no mix (with --before: none created by the "
        "conversion); 1 mixes found (with --before: some created); 2 bad input. "
        "Example: mixcheck.py --before ~/src.orig --json mix.json ~/src sys/dev")
    ap.add_argument("tree", metavar="TREE", help="a NetBSD tree (a directory holding sys/)")
    ap.add_argument("paths", metavar="PATH", nargs="*",
                    help="files or directories under TREE to read (default: sys)")
    ap.add_argument("--before", metavar="TREE0",
                    help="the same tree before the conversion: each mix found in TREE "
                    "is then marked as already in the input or created")
    ap.add_argument("--json", metavar="FILE", help="also write the findings as JSON")
    ap.add_argument("-I", dest="includes", metavar="DIR", action="append", default=[],
                    help="another include directory (e.g. a tree's common/include "
                    "when TREE lacks one)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="parallel parsers (default: the number of CPUs)")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    ap.add_argument("--list-unlinked", action="store_true",
                    help="also list the frees that no allocation could be linked to")
    a = ap.parse_args(argv)

    try:
        import clang.cindex
        del clang
    except ImportError:
        die("libclang Python bindings missing: apt-get install python3-clang-14")
    import mixrule

    paths = checked_input(a)

    scan = scan_tree(a.tree, paths, a.jobs, a.includes, a.verbose)
    res = mixrule.link(mixrule.unique_events(scan["files"]))
    gone = None
    cov0 = None
    findings0 = None
    if a.before:
        scan0 = scan_tree(a.before, paths, a.jobs, a.includes, a.verbose)
        res0 = mixrule.link(mixrule.unique_events(scan0["files"]))
        gone = mixrule.classify(res, res0)
        findings0 = [f.to_json() for f in res0.findings]
        cov0 = coverage(scan0)
    cov = coverage(scan)
    created = sum(1 for f in res.findings if f.origin == "created")
    inputs = sum(1 for f in res.findings if f.origin == "input")
    bad = created if a.before else len(res.findings)

    out = sys.stdout
    print(f"mixcheck: {a.tree} {' '.join(paths)}" + (f" (before: {a.before})" if a.before else ""),
          file=out)
    print(RULE, file=out)
    print(f"coverage: {cov['candidates']} of {cov['c_files']} .c files call an allocator; "
          f"{cov['parsed']} parsed by libclang ({cov['clean']} without errors, "
          f"{cov['with_errors']} with errors: {cov['errors']} errors, {cov['with_fatal']} "
          f"with a missing header), {cov['not_parsed']} not parsed; "
          f"{cov['standins']} stand-in headers; {cov['seconds']} s", file=out)
    print(f"calls seen: {cov['seen_calls']} of the {cov['text_calls']} that the text names "
          f"(comments and #if'd code included); {cov['saw_no_call']} files in which "
          f"libclang saw none", file=out)
    if cov0:
        print(f"coverage before: {cov0['parsed']} parsed, {cov0['with_errors']} with errors",
              file=out)
    print(f"sites: {res.allocs} allocations ({len(res.allocs_unkeyed)} not stored anywhere "
          f"nameable), {res.frees} frees: {res.frees_linked} linked to an allocation "
          f"({len(res.frees_ambiguous)} of them only ambiguously: in other files, to both "
          f"families), {len(res.frees_unlinked)} to none", file=out)
    nfree = len({id(f.free) for f in res.findings})
    if a.before:
        print(f"mixed pairs: {len(res.findings)} ({created} created by the conversion, "
              f"{inputs} already in the input; {gone} of the input's gone) "
              f"at {nfree} free sites", file=out)
    else:
        print(f"mixed pairs: {len(res.findings)} at {nfree} free sites", file=out)
    if cov["saw_no_call"]:
        print("files with allocator calls of which libclang saw none: "
              + " ".join(f["path"] for f in scan["files"]
                         if f["parsed"] and f["text_calls"] and not f["seen_calls"]), file=out)
    # one paragraph per free site: the allocations that reach it, each
    # with the key linking them
    groups: dict[int, list] = {}
    for f in res.findings:
        groups.setdefault(id(f.free), []).append(f)
    for fs in groups.values():
        fr = fs[0].free
        origins = sorted({f.origin for f in fs if f.origin})
        tag = f" {'+'.join(origins)}" if origins else ""
        print(f"MIX{tag}: {fr['family']} release {describe(fr)}", file=out)
        for f in fs:
            otag = f"{f.origin}, " if f.origin and len(origins) > 1 else ""
            print(f"    of {f.alloc['family']} {describe(f.alloc)} [{otag}{f.tier}: "
                  f"{', '.join(f.keys)}]", file=out)
    if a.list_unlinked:
        for e in res.frees_unlinked:
            keys = ", ".join(k[0] for k in e["keys"]) or "no key"
            print(f"unlinked free {describe(e)}: {keys}", file=out)

    if a.json:
        doc = {
            "version": 1,
            "tree": a.tree, "before": a.before, "paths": paths,
            "rule": RULE,
            "coverage": cov, "coverage_before": cov0,
            "summary": {"allocs": res.allocs, "frees": res.frees,
                        "frees_linked": res.frees_linked,
                        "frees_ambiguous": len(res.frees_ambiguous),
                        "frees_unlinked": len(res.frees_unlinked),
                        "allocs_unkeyed": len(res.allocs_unkeyed),
                        "mixed_pairs": len(res.findings),
                        "created": created if a.before else None,
                        "in_input": inputs if a.before else None,
                        "input_mixes_gone": gone},
            "findings": [f.to_json() for f in res.findings],
            "findings_before": findings0,
            "frees_ambiguous": res.frees_ambiguous,
            "frees_unlinked": res.frees_unlinked,
            "files_with_errors": [{k: f[k] for k in ("path", "parsed", "errors", "fatal",
                                                     "messages")}
                                  for f in scan["files"]
                                  if not f["parsed"] or f["errors"] or f["fatal"]],
        }
        with open(a.json, "w") as fp:
            json.dump(doc, fp, indent=1)
            fp.write("\n")
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
