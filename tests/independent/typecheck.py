#!/usr/bin/python3
"""typecheck: find free(9) calls that can receive memory allocated with
another malloc type (a DIAGNOSTIC kernel with kmem2malloc's shim panics:
"free(p, M_B): allocated as M_A"), across files, in a NetBSD tree after
kmem2malloc convert and install-shim.

An independent check of kmem2malloc's typing: it shares no code with
scripts/k2m.  It reads each C file with libclang (cfacts.py, as
mixcheck.py does), after macro expansion, and follows memory through the
whole tree; see README.md beside this file for the rule, its keys, its
blind spots and its numbers, and typerule.py for the linking.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

RULE = """\
rule: memory is followed from each allocation forward and from each free backward
  through simple assignments, tree-wide: within a file through locals, members and
  globals, across files through the parameters of functions with external
  linkage (out-parameters too, also handed on in a struct member: a vnode
  operation's *ap->a_cookies), what functions return, globals and header inline
  functions. A free is
  linked to the nearest allocations of its own file (ambiguous when only the
  struct type links them and the file also allocates that struct under the
  free's type), to every allocation in other files whose path meets its own at a
  function's parameter, return or a global; if none, to every allocation of the
  struct type it frees (or of a struct beginning with it), and for a generic
  pointer to those of the member it is kept in when none of them has the free's
  type. A member of a function's own struct (a local, a parameter) is that
  function's. A linked allocation whose malloc type is another than the free's is
  a wrong-type free.
  A sized free(p, T, n) is checked against the same allocations: where clang
  folds both sizes to constants (sizeof, offsetof, enum and macro constants and
  arithmetic of those), another size than a linked allocation's is a wrong-size
  free; where either is not a constant, or nothing is linked, it is unchecked.
blind spots: code clang did not see (#if'd out, other architectures, files that
  did not parse, files that call no allocator); function pointers (ops vectors,
  callbacks); types passed as variables; a free linked in its own file is not
  also checked against other files' allocations of its struct or member; sizes
  that are variables (a length kept in a member) are not compared."""


STANDALONE = re.compile(r"(^|/)stand/|^sys/lib/libsa/")
# P:<function>#<n>*: what a function stores through its parameter n
OUT_PARAM = re.compile(r"P:(\w+)#\d+\*")
# a function's definition in KNF: its name begins a line
DEFINITION = re.compile(r"^([A-Za-z_]\w*)\(", re.M)
# x->NAME = y->z; (or x.NAME = ...): a member stored from another member
MEMBER_STORE = re.compile(r"(?:->|\.)\s*(\w+)\s*=(?!=)[^;]*?(?:->|\.)\s*\w+\s*;")


def die(msg: str) -> None:
    print(f"typecheck: {msg}", file=sys.stderr)
    sys.exit(2)


def arch_ports(tree: str) -> dict[str, set]:
    """{port: the other sys/arch directories its conf/ files name}: amd64's
    files.amd64 includes arch/x86/..., evbarm's arch/arm/..."""
    top = os.path.join(tree, "sys", "arch")
    out: dict[str, set] = {}
    try:
        ports = sorted(os.listdir(top))
    except OSError:
        return out
    for p in ports:
        conf = os.path.join(top, p, "conf")
        refs: set[str] = set()
        try:
            names = os.listdir(conf)
        except OSError:
            names = []
        for n in names:
            try:
                with open(os.path.join(conf, n), errors="replace") as fp:
                    refs.update(re.findall(r"\barch/([A-Za-z0-9_]+)/", fp.read()))
            except OSError:
                pass
        out[p] = refs - {p}
    return out


def handing_on(tree: str, paths: list[str], files: list[dict]) -> list[str]:
    """The .c files under PATHs that were not read (they call no
    allocator) but may hand on memory that read files allocate or free:
    those that define a function that no read file defines, into whose
    out-parameter a read file hands a place (`f(&p)`: vnode_if.c's
    VOP_READDIR hands its caller's &cookies on to a file system), and
    those that store a member from another member (`x->m = y->n`), m
    being a generic member that a read file of their directory frees
    (iscsi_send.c: sess->s_target_list = ccb->ccb_text_data, freed by
    iscsi_ioctl.c)."""
    defined: set[str] = set()
    wanted: set[str] = set()
    freed: set[tuple[str, str]] = set()       # (directory, member)
    for f in files:
        g = f.get("graph") or {}
        defined.update(g.get("defines", []))
        for s, _ in g.get("edges", []):
            m = OUT_PARAM.fullmatch(s)
            if m:
                wanted.add(m.group(1))
        for e in f.get("events", []):
            if e["kind"] == "free" and e["place"].startswith("M:") \
                    and e["place"] not in g.get("types", {}):
                member = re.sub(r"[]*[]+$", "", e["place"].rsplit("::", 1)[1])
                freed.add((os.path.dirname(e["file"]), member.rsplit(".", 1)[-1]))
    wanted -= defined
    read = {f["path"] for f in files}
    out = []
    for p in paths:
        top = os.path.join(tree, p)
        walk = [(os.path.dirname(top), [], [os.path.basename(top)])] \
            if os.path.isfile(top) else os.walk(top)
        for d, dirs, names in walk:
            dirs.sort()
            for n in sorted(names):
                path = os.path.join(d, n)
                if not n.endswith(".c") or os.path.relpath(path, tree) in read:
                    continue
                try:
                    with open(path, errors="replace") as fp:
                        text = fp.read()
                except OSError:
                    continue
                here = os.path.dirname(os.path.relpath(path, tree))
                if wanted.intersection(DEFINITION.findall(text)) or \
                        any((here, m) in freed for m in MEMBER_STORE.findall(text)):
                    out.append(path)
    return out


def describe(e: dict, with_type: bool = True) -> str:
    fn = f" in {e['function']}()" if e["function"] else ""
    call = e["written"] if e["written"] == e["call"] else f"{e['written']} ({e['call']})"
    t = ""
    if with_type:
        t = f" as {e['mtype']}" if e.get("mtype") else f" [{e['family']}]"
    return f"{call}{t} at {e['file']}:{e['line']}{fn}"


def size_of(e: dict) -> str:
    """An event's size: its value and, where that is not all of it, the text."""
    if e["size"] is None:
        return e["sizetext"] or "none"
    if e["sizetext"] == str(e["size"]):
        return e["sizetext"]
    return f"{e['size']} ({e['sizetext']})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="typecheck.py",
        description="Find free(9) calls (free(p, T), free(p, T, n), malloc_tmpbuf_free, "
        "malloc_strfree, realloc) that can receive memory allocated with another malloc "
        "type than T (malloc, realloc, malloc_asprintf, malloc_strdup*, malloc_strndup, "
        "malloc_tmpbuf_alloc), following memory across files; also functions returning "
        "kmem(9) memory that free(9) releases (or malloc memory that kmem_free "
        "releases), frees without a type (free(p, 0)), and sized frees free(p, T, n) "
        "whose constant n is not a linked allocation's constant size.  Run it on a tree after "
        "kmem2malloc install-shim: NetBSD's own <sys/malloc.h> drops the type argument.",
        epilog="Exit status: 0 no wrong-type free, no wrapper mix (with --before: none "
        "involving a converted site) and no wrong-size free; 1 some; 2 bad input. "
        "Example: typecheck.py --json types.json ~/src sys/dev")
    ap.add_argument("tree", metavar="TREE", help="a NetBSD tree (a directory holding sys/)")
    ap.add_argument("paths", metavar="PATH", nargs="*",
                    help="files or directories under TREE to read (default: sys)")
    ap.add_argument("--before", metavar="TREE0",
                    help="the same tree before the conversion (its <sys/malloc.h> may "
                    "drop the types): each finding is marked as already in the input "
                    "(both sites malloc(9) calls in TREE0) or converted (a site was a "
                    "kmem(9) call)")
    ap.add_argument("--json", metavar="FILE", help="also write the findings as JSON")
    ap.add_argument("-I", dest="includes", metavar="DIR", action="append", default=[],
                    help="another include directory (e.g. a tree's common/include "
                    "when TREE lacks one)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="parallel parsers (default: the number of CPUs)")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    ap.add_argument("--list", action="append", default=[],
                    choices=["mixed", "unlinked", "ambiguous", "dynamic", "wrappers",
                             "sizes"],
                    help="also list: mixed pairs not through a wrapper, frees linked to "
                    "nothing, ambiguous frees, frees of a non-constant type, every "
                    "function returning allocated memory, sized frees whose size was not "
                    "checked, with the reason (repeatable)")
    a = ap.parse_args(argv)

    try:
        import clang.cindex
        del clang
    except ImportError:
        die("libclang Python bindings missing: apt-get install python3-clang-14")
    import mixcheck
    import mixrule
    import sizerule
    import typerule

    paths = mixcheck.checked_input(a)
    if a.json:
        try:
            open(a.json, "a").close()
        except OSError as e:
            die(f"{a.json}: {e.strerror}")

    scan = mixcheck.scan_tree(a.tree, paths, a.jobs, a.includes, a.verbose,
                              interfaces=True, prog="typecheck")
    extra = handing_on(a.tree, paths, scan["files"])
    if extra:
        more = mixcheck.scan_tree(a.tree, paths, a.jobs, a.includes, a.verbose,
                                  interfaces=True, prog="typecheck", only=extra)
        scan["handing_on"] = more["files"]
    events = mixrule.unique_events(scan["files"])
    # standalone code (boot loaders: */stand/*, libsa) has its own
    # alloc()/free(p, size), never the kernel's malloc(9)
    standalone = [e for e in events if STANDALONE.search(e["file"])]
    events = [e for e in events if not STANDALONE.search(e["file"])]
    res = typerule.link(events, scan["files"] + scan.get("handing_on", []),
                        arch_ports(a.tree))
    sizes = sizerule.check(res.links, res.frees_ambiguous)
    cov = mixcheck.coverage(scan)
    before = None
    if a.before:
        scan0 = mixcheck.scan_tree(a.before, paths, a.jobs, a.includes, a.verbose,
                                   prog="typecheck")
        before = {mixrule.site_id(e): e["family"]
                  for e in mixrule.unique_events(scan0["files"])}
        for f in res.findings:
            sites = [x for x in (f.alloc, f.free) if x is not None]
            f.origin = "input" if all(before.get(mixrule.site_id(x)) == "malloc"
                                      for x in sites) else "converted"

    kinds: dict[str, list] = {"wrong-type": [], "wrapper": [], "untyped": [], "mixed": []}
    for f in res.findings:
        kinds[f.kind].append(f)
    wrong = kinds["wrong-type"]
    nwrong = len({id(f.free) for f in wrong})
    nowner = sum(1 for e in events if e["kind"] == "free" and e["family"] == "malloc"
                 and e.get("mtype", "") == "")

    out = sys.stdout
    print(f"typecheck: {a.tree} {' '.join(paths)}", file=out)
    print(RULE, file=out)
    print(f"coverage: {cov['candidates']} of {cov['c_files']} .c files call an allocator; "
          f"{cov['parsed']} parsed by libclang ({cov['clean']} without errors, "
          f"{cov['with_errors']} with errors: {cov['errors']} errors, {cov['with_fatal']} "
          f"with a missing header), {cov['not_parsed']} not parsed; {cov['seconds']} s",
          file=out)
    print(f"handing on: {len(extra)} more files read, which call no allocator but define "
          f"a function whose out-parameter a read file uses, or store a member another "
          f"file of their directory frees", file=out)
    if standalone:
        print(f"standalone code (*/stand/*, sys/lib/libsa: its own free(p, size)): "
              f"{len(standalone)} calls not read", file=out)
    print(f"sites: {res.allocs} allocations, {res.frees} malloc(9) frees: {res.frees_typed} "
          f"of a constant type, {len(res.frees_untyped)} untyped (0/NULL), "
          f"{len(res.frees_dynamic)} of a type not a constant"
          + (f" ({nowner} with no type argument at all: is the shim installed?)"
             if nowner else "") + "; "
          f"{res.frees_linked} linked (file {res.by_tier['file']}, interface "
          f"{res.by_tier['interface']}, type {res.by_tier['type']}, member "
          f"{res.by_tier['member']}), {len(res.frees_ambiguous)} of them ambiguous, "
          f"{len(res.frees_unlinked)} to nothing", file=out)
    print(f"wrong-type frees: {nwrong} free sites, {len(wrong)} pairs "
          f"({sum(1 for f in wrong if f.partial)} partial); wrapper mixes: "
          f"{len(kinds['wrapper'])} pairs through "
          f"{len({f.wrapper for f in kinds['wrapper']})} functions; untyped frees: "
          f"{len(kinds['untyped'])}; other mixed pairs (mixcheck's): {len(kinds['mixed'])}",
          file=out)
    why = ", ".join(f"{len(fs)} {u.value}" for u, fs in sizes.unchecked.items())
    folded = [e for e in sizes.zero if e["sizetext"] != "0"]
    print(f"sized frees (free(p, T, n), n not 0): {len(sizes.sized)}: {len(sizes.right)} "
          f"right, {sizes.wrong_frees()} wrong-size ({len(sizes.wrong)} pairs; "
          f"{sizes.pairs_right} pairs of one size), "
          f"{sum(len(fs) for fs in sizes.unchecked.values())} unchecked ({why}); "
          f"{len(sizes.zero)} free(p, T, 0) (size unknown) not counted, "
          f"{len(folded)} of them with a size that is 0 only folded", file=out)
    if a.before:
        conv = [f for f in wrong if f.origin == "converted"]
        print(f"  against {a.before}: wrong-type frees at "
              f"{len({id(f.free) for f in conv})} free sites ({len(conv)} pairs) involve a "
              f"site the conversion made from kmem(9); "
              f"{len({id(f.free) for f in wrong if f.origin == 'input'})} free sites "
              f"were malloc(9) on both sides before", file=out)

    def paragraphs(fs, tag):
        groups: dict[int, list] = {}
        for f in fs:
            groups.setdefault(id(f.free), []).append(f)
        for g in groups.values():
            fr = g[0].free
            origins = sorted({f.origin for f in g if f.origin})
            otag = f" {'+'.join(origins)}" if origins else ""
            print(f"{tag}{otag}: {describe(fr)}", file=out)
            for f in g:
                if f.alloc is None:
                    continue
                extra = ", partial" if f.partial else ""
                if len(origins) > 1:
                    extra += f", {f.origin}"
                via = f" through {f.wrapper}()" if f.wrapper else ""
                print(f"    of {describe(f.alloc)}{via} [{f.tier}{extra}: "
                      f"{', '.join(f.keys)}]", file=out)

    paragraphs(wrong, "WRONG-TYPE")
    last = None
    for sf in sizes.wrong:
        if sf.free is not last:
            print(f"WRONG-SIZE: {describe(sf.free)}: size {size_of(sf.free)}", file=out)
            last = sf.free
        print(f"    of {describe(sf.alloc)}: size {size_of(sf.alloc)} "
              f"[{sf.tier}: {', '.join(sf.keys)}]", file=out)
    for e in folded:
        print(f"ZERO-SIZE: {describe(e)}: size {size_of(e)} (0 is \"unknown\": a "
              f"header-less type panics)", file=out)
    paragraphs(kinds["wrapper"], "WRAPPER")
    for f in kinds["untyped"]:
        otag = f" {f.origin}" if f.origin else ""
        print(f"UNTYPED{otag}: {describe(f.free)}", file=out)
    if "mixed" in a.list:
        paragraphs(kinds["mixed"], "MIXED")
    if "unlinked" in a.list:
        for e in res.frees_unlinked:
            print(f"unlinked free {describe(e)}: {e['place'] or 'no place'}", file=out)
    if "ambiguous" in a.list:
        for e in res.frees_ambiguous:
            print(f"ambiguous free {describe(e)}: {e['place'] or 'no place'}", file=out)
    if "dynamic" in a.list:
        for e in res.frees_dynamic:
            print(f"dynamic-type free {describe(e)}", file=out)
    if "sizes" in a.list:
        for u, fs in sizes.unchecked.items():
            for e in fs:
                print(f"unchecked sized free {describe(e)}: size {size_of(e)}: {u.value}",
                      file=out)
    if "wrappers" in a.list:
        for fn, fam in res.wrappers.items():
            print(f"returns allocated memory: {fn}() [{fam}]", file=out)

    if a.json:
        doc = {
            "version": 1, "tree": a.tree, "before": a.before, "paths": paths, "rule": RULE,
            "coverage": cov,
            "handing_on": sorted(f["path"] for f in scan.get("handing_on", [])),
            "summary": {"allocs": res.allocs, "frees": res.frees,
                        "frees_typed": res.frees_typed,
                        "frees_untyped": len(res.frees_untyped),
                        "frees_dynamic": len(res.frees_dynamic),
                        "frees_linked": res.frees_linked, "by_tier": res.by_tier,
                        "frees_ambiguous": len(res.frees_ambiguous),
                        "frees_unlinked": len(res.frees_unlinked),
                        "wrong_type_frees": nwrong, "wrong_type_pairs": len(wrong),
                        "wrapper_pairs": len(kinds["wrapper"]),
                        "untyped": len(kinds["untyped"]),
                        "standalone_calls": len(standalone),
                        "wrong_type_pairs_converted": sum(
                            1 for f in wrong if f.origin == "converted") if a.before else None,
                        "mixed_pairs": len(kinds["mixed"]),
                        "sized_frees": len(sizes.sized), "sizes_right": len(sizes.right),
                        "wrong_size_frees": sizes.wrong_frees(),
                        "wrong_size_pairs": len(sizes.wrong),
                        "size_pairs_right": sizes.pairs_right,
                        "sizes_unchecked": {u.name.lower(): len(fs)
                                            for u, fs in sizes.unchecked.items()},
                        "sized_frees_zero": len(sizes.zero),
                        "sized_frees_zero_folded": len(folded)},
            "findings": [f.to_json() for f in res.findings],
            "size_findings": [f.to_json() for f in sizes.wrong],
            "sized_frees_zero": sizes.zero,
            "sizes_unchecked": {u.name.lower(): fs for u, fs in sizes.unchecked.items()},
            "frees_ambiguous": res.frees_ambiguous,
            "frees_unlinked": res.frees_unlinked,
            "frees_dynamic": res.frees_dynamic,
            "wrappers": res.wrappers,
            "files_with_errors": [{k: f[k] for k in ("path", "parsed", "errors", "fatal",
                                                     "messages")}
                                  for f in scan["files"]
                                  if not f["parsed"] or f["errors"] or f["fatal"]],
        }
        with open(a.json, "w") as fp:
            json.dump(doc, fp, indent=1)
            fp.write("\n")
    bad = wrong + kinds["wrapper"]
    if a.before:
        bad = [f for f in bad if f.origin == "converted"]
    # NetBSD's own free(9) takes no size: every sized free is the conversion's
    return 1 if bad or sizes.wrong else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
