"""`kmem2malloc audit`: the kmem(9) users left under some paths, and why.

The same scan and pairing plan as `convert`, without rewriting: each kmem
call site is listed with the reason it stays kmem, or "convertible" if
`convert` would rewrite it now.
"""

from __future__ import annotations

import json
import os
from collections import Counter

from . import pairing
from .convert import owner_of
from .c.scanning import context_files, scan_all
from .tagmap import TagMap
from .tree import Tree, source_files


def collect(tree: Tree, paths: list[str], jobs: int, tagmap: TagMap) -> list[dict]:
    targets = source_files(tree, paths)
    tset = set(targets)
    context = context_files(tree, tset)
    facts, _ = scan_all(tree.root, targets + context, jobs)

    def tag_of(path: str) -> str:
        return tagmap.tag_for(path, tree.driver_of(path))

    plan = pairing.decide(pairing.pair(facts, tree.clusters(targets),
                                       owner_of(tree, tag_of), tree.kernels),
                          tset, tag_of)
    rows = []
    for d in plan.decisions:
        s = d.site
        rows.append({
            "path": s.path, "line": s.line, "call": s.callee, "function": s.func,
            "subsystem": os.path.dirname(s.path), "driver": tree.driver_of(s.path),
            "reason": d.reason or "convertible: `kmem2malloc convert` rewrites it",
        })
    return rows


def run(tree: Tree, paths: list[str], jobs: int, as_json: bool, tagmap: TagMap,
        out=print) -> int:
    rows = collect(tree, paths, jobs, tagmap)
    if as_json:
        out(json.dumps({"version": 1, "paths": paths, "sites": rows}, indent=1))
        return 0
    out(f"{len(rows)} kmem(9) call sites under {', '.join(paths)}")
    for title, key in (("by subsystem", "subsystem"), ("by driver", "driver"),
                       ("by function called", "call")):
        out(f"\n{title}:")
        for k, n in sorted(Counter(r[key] for r in rows).items(),
                           key=lambda kv: (-kv[1], kv[0])):
            out(f"  {n:6d}  {k}")
    out("\nsites:")
    for r in rows:
        out(f"  {r['path']}:{r['line']}: {r['call']} in {r['function']}: {r['reason']}")
    return 0
