"""What a run writes: per-driver diffs, report.json, report.md."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict

from . import allocators
from .c.factcache import FactCache, digest
from .rewrite import linediff
from .allocators import Role

REPORT_VERSION = 2


def write_json(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fp:
        json.dump(obj, fp, indent=1, sort_keys=True)
        fp.write("\n")
    os.replace(tmp, path)


def _range(start: int, stop: int) -> str:
    """A hunk header's range, as diff -u writes it."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start + 1 if length else start},{length}"


def unified(path: str, old: str, new: str) -> str:
    """A diff that `git apply` and `patch -p1` take, run from the tree root."""
    a = linediff.lines(old)
    b = linediff.lines(new)
    out: list[str] = []
    for group in linediff.matcher(a, b).get_grouped_opcodes(3):
        if not out:
            out += [f"--- a/{path}\n", f"+++ b/{path}\n"]
        out.append(f"@@ -{_range(group[0][1], group[-1][2])} "
                   f"+{_range(group[0][3], group[-1][4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in a[i1:i2]]
                continue
            out += ["-" + line for line in a[i1:i2]]
            out += ["+" + line for line in b[j1:j2]]
    return "".join(line if line.endswith("\n") else
                   line + "\n\\ No newline at end of file\n" for line in out)


def git_diff(rel: str, old: str | None, new: str) -> str:
    """One file's change as git writes it (`diff --git`, a new file from
    /dev/null), p1: what `git am`, `git apply` and `patch -p1` take."""
    body = unified(rel, old or "", new)
    if not body:
        return ""
    head = [f"diff --git a/{rel} b/{rel}\n"]
    if old is None:
        head += ["new file mode 100644\n", "--- /dev/null\n"]
        body = body.split("\n", 1)[1]           # the "--- a/" line
    return "".join(head) + body


def diff_name(driver: str) -> str:
    if driver.startswith("dir:"):
        driver = "dir-" + driver[4:].replace("/", "_")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", driver) + ".diff"


def _site(d) -> dict:
    s = d.site
    out = {"line": s.line, "function": s.func, "call": s.callee,
           "scope": s.scope, "status": "converted" if d.tag else "kept",
           "key": None if s.key is None else str(s.key), "paired_by": d.paired_by}
    if s.objtype:
        out["object_type"] = s.objtype
    if d.tag:
        out["tag"] = d.tag
    else:
        out["reason"] = d.reason
    return out


def summary(results, created, mixed_in, pairs=None, check=None) -> dict:
    """The numbers of a run.  Calls inside an allocator's implementation
    are not a caller's sites: they are counted apart (allocator_sites).
    check: convert's spatchcheck.Outcome (None: not run)."""
    every = [d for r in results for d in r.decisions]
    sites = [d for d in every if d.paired_by != "allocator"]
    conv = sum(1 for d in sites if d.tag)
    by = {k: sum(1 for d in sites if d.paired_by == k)
          for k in ("type", "place", "name", "guess", "unpaired")}
    # frees converted though no allocation reaches them (joined by a guess
    # with their driver's allocations that may be their memory's)
    unverified = sum(1 for d in sites if d.tag and d.paired_by in ("guess", "unpaired")
                     and allocators.TABLE[d.site.callee].role == Role.FREE)
    return {
        "files": len(results),
        "files_changed": sum(1 for r in results if r.new != r.old),
        "kmem_sites": len(sites),
        "allocator_sites": len(every) - len(sites),
        "paired_by": by,
        "unverified_frees": unverified,
        "converted": conv,
        "kept": len(sites) - conv,
        "converted_percent": round(100.0 * conv / len(sites), 2) if sites else 100.0,
        "findings": sum(len(r.findings) for r in results),
        "mixed_pairs_created": len(created),
        "mixed_pairs_in_input": len(mixed_in),
        "spatch_errors": sum(1 for r in results for f in r.findings
                             if f.kind == "spatch-error"),
        "pairs_size_confirmed": pairs.size_confirmed if pairs else 0,
        "size_mismatches": len({f for _, f in pairs.size_mismatched}) if pairs else 0,
        "spatch_check": None if check is None else {
            "compared": check.compared, "not_checked": check.not_checked,
            "differs": sum(1 for r in results for f in r.findings
                           if f.kind == "spatch-differs")},
    }


def check_text(s: dict) -> str:
    """The spatch check's numbers, in words."""
    c = s["spatch_check"]
    if c is None:
        return "not run (--no-spatch-check)"
    return (f"{c['compared']} sites compared, {c['not_checked']} not checked, "
            f"{c['differs']} differences")


def summary_text(s: dict, outdir: str) -> str:
    return (f"kmem2malloc: {s['kmem_sites']} kmem call sites in {s['files']} files: "
            f"{s['converted']} converted ({s['converted_percent']}%), {s['kept']} kept "
            f"with a reason; {s['files_changed']} files changed; "
            f"{s['findings']} findings; mixed pairs created: {s['mixed_pairs_created']}; "
            f"spatch errors: {s['spatch_errors']}\n"
            f"kmem2malloc: spatch check: {check_text(s)}\n"
            f"kmem2malloc: diffs in {os.path.join(outdir, 'diffs')}/, report in "
            f"{os.path.join(outdir, 'report.md')} and report.json")


def commit_groups(results, pairs) -> tuple[dict[str, set[str]], list[list[str]]]:
    """Diffs that must go in together: memory allocated in one and released
    in another (or a macro converted in one and used in another).  Returns
    {diff: the other diffs it depends on} and the groups of more than one
    diff, each sorted."""
    diff_of, conv = {}, set()
    for r in results:
        for d in r.decisions:
            if d.tag:
                conv.add(id(d.site))
                if r.new != r.old:
                    diff_of[id(d.site)] = diff_name(r.driver)
    deps: dict[str, set[str]] = defaultdict(set)
    parent: dict[str, str] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for a, f in (pairs.edges if pairs else ()):
        sa, sf = pairs.sites[a], pairs.sites[f]
        da, df = diff_of.get(id(sa)), diff_of.get(id(sf))
        if da and df and da != df and id(sa) in conv and id(sf) in conv:
            deps[da].add(df)
            deps[df].add(da)
            parent[find(da)] = find(df)
    groups: dict[str, list[str]] = defaultdict(list)
    for d in deps:
        groups[find(d)].append(d)
    return dict(deps), sorted(sorted(g) for g in groups.values())


def write_diffs(outdir, results, cache: FactCache | None = None) -> None:
    """OUT/diffs/<driver>.diff for each driver with a changed file (those
    of an earlier run removed); cache: each file's diff kept across runs,
    keyed by its path and both texts (difflib is slow on big files)."""
    cache = cache or FactCache(None)
    ddir = os.path.join(outdir, "diffs")
    os.makedirs(ddir, exist_ok=True)
    for f in os.listdir(ddir):
        if f.endswith(".diff"):
            os.unlink(os.path.join(ddir, f))
    by_driver = defaultdict(list)
    for r in results:
        if r.new != r.old:
            key = cache.key("diff", r.path, digest(r.old), digest(r.new)) if cache.top else ""
            diff = cache.get(key, str)
            if diff is None:
                diff = unified(r.path, r.old, r.new)
                cache.put(key, diff)
            by_driver[r.driver].append(diff)
    for drv, parts in by_driver.items():
        with open(os.path.join(ddir, diff_name(drv)), "w", encoding="utf-8",
                  errors="surrogateescape") as fp:
            fp.write("".join(parts))


def write_all(outdir, tree, paths, tagmap, results, created, mixed_in, pairs=None,
              options=None, check=None, cache: FactCache | None = None) -> None:
    write_diffs(outdir, results, cache)
    s = summary(results, created, mixed_in, pairs, check)
    deps, groups = commit_groups(results, pairs)
    with open(os.path.join(outdir, "commit-groups.txt"), "w") as fp:
        fp.write("# diffs to commit together: memory allocated in one is released in another\n")
        fp.write("".join(" ".join(g) + "\n" for g in groups))
    doc = {
        "version": REPORT_VERSION,
        "tree": tree.root,
        "paths": paths,
        "tag_map": tagmap.path,
        # convert's options: --sized-free (or --unsized-free), --intr-flag,
        # --convert-size-mismatch (or --keep-size-mismatch), --spatch-check
        # (or --no-spatch-check)
        "options": options or {},
        "summary": s,
        "mixed_pairs_created": sorted(created.values()),
        "mixed_pairs_in_input": sorted(mixed_in.values()),
        # files that implement an allocator: never rewritten nor paired
        "allocator_files": dict(sorted(pairs.allocators.items())) if pairs else {},
        # diffs that must be committed together (also in commit-groups.txt)
        "commit_groups": groups,
        "files": [{
            "path": r.path, "driver": r.driver, "tag": r.tag,
            "diff": diff_name(r.driver) if r.new != r.old else None,
            "depends_on": sorted(deps.get(diff_name(r.driver), ())) if r.new != r.old else [],
            "sites": [_site(d) for d in r.decisions],
            "findings": [{"kind": f.kind, "line": f.line, "message": f.message}
                         for f in r.findings],
        } for r in results if r.decisions or r.findings],
    }
    write_json(os.path.join(outdir, "report.json"), doc)
    with open(os.path.join(outdir, "report.md"), "w") as fp:
        fp.write(markdown(doc))


def markdown(doc: dict) -> str:
    s = doc["summary"]
    L = ["# kmem2malloc report", "",
         f"Tree `{doc['tree']}`, paths {', '.join('`%s`' % p for p in doc['paths'])}, "
         f"tag map `{doc['tag_map']}`; options: "
         + (", ".join("--" + k.replace("_", "-") for k, v in doc["options"].items() if v)
            or "none") + ".", "",
         "| | |", "|---|---|"]
    for k in ("files", "files_changed", "kmem_sites", "converted", "converted_percent",
              "kept", "findings", "mixed_pairs_created", "mixed_pairs_in_input",
              "spatch_errors", "allocator_sites", "pairs_size_confirmed",
              "size_mismatches"):
        L.append(f"| {k.replace('_', ' ')} | {s[k]} |")
    L.append(f"| spatch check | {check_text(s)} |")
    L.append("| sites told apart by | " + ", ".join(
        f"{k} {v}" for k, v in s["paired_by"].items()) + " |")
    if doc["allocator_files"]:
        L += ["", "## Allocator implementations", "",
              "They define an allocator: their calls are not a caller's, never "
              "converted and never paired with one.", ""]
        L += [f"- `{p}`: {', '.join(names)}" for p, names in doc["allocator_files"].items()]
    if doc["mixed_pairs_created"]:
        L += ["", "## Mixed pairs created (a bug: please report)", ""]
        L += [f"- {g}" for g in doc["mixed_pairs_created"]]
    if doc["mixed_pairs_in_input"]:
        L += ["", "## Mixed pairs already in the input", "",
              "Allocated by one family and released by the other before conversion "
              "(or linked by name only): not created by kmem2malloc, worth a look.", ""]
        L += [f"- {g}" for g in doc["mixed_pairs_in_input"][:50]]
        if len(doc["mixed_pairs_in_input"]) > 50:
            L.append(f"- ... and {len(doc['mixed_pairs_in_input']) - 50} more in report.json")
    if doc["commit_groups"]:
        L += ["", "## Diffs to commit together", "",
              "Memory allocated in one is released in another: committed apart, "
              "one half would be kmem and the other malloc (commit-groups.txt).", ""]
        L += ["- " + ", ".join(f"`{d}`" for d in g) for g in doc["commit_groups"]]
    L += ["", "## Files to review", "",
          "Every file with a kept site or a finding.  Converted sites are in the diffs.", ""]
    for f in doc["files"]:
        kept = [x for x in f["sites"] if x["status"] == "kept"]
        if not kept and not f["findings"]:
            continue
        conv = len(f["sites"]) - len(kept)
        L.append(f"### `{f['path']}` ({f['driver']}, {f['tag']}): "
                 f"{conv} converted, {len(kept)} kept")
        L.append("")
        for x in kept:
            L.append(f"- line {x['line']} `{x['call']}` {x['scope']}: "
                     f"kept: {x['reason']}")
        for x in f["findings"]:
            L.append(f"- line {x['line']} **{x['kind']}**: {x['message']}")
        L.append("")
    L += ["## Converted files", "", "| file | driver | type | converted |",
          "|---|---|---|---|"]
    for f in doc["files"]:
        conv = sum(1 for x in f["sites"] if x["status"] == "converted")
        if conv:
            L.append(f"| `{f['path']}` | {f['driver']} | {f['tag']} | {conv} |")
    return "\n".join(L) + "\n"
