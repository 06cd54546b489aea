#!/usr/bin/python3
"""Benchmark: `kmem2malloc convert` against a bare one-rule spatch run.

Both run in this one invocation over the same input: first the bare
baseline (`spatch --sp-file ONE_RULE --dir TREE/PATH -j N`, a single
kmem_alloc -> malloc rule, diff to /dev/null), then the converter (scan,
plan, one spatch run through GNU parallel, verify, diffs, report).
Prints each wall time, the ratio and each peak RSS.  The machine is
noisy: quote the ratio of one run, not the seconds.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_RULE = """\
@@
expression N;
@@
- kmem_alloc(N, KM_SLEEP)
+ malloc(N, M_DEVBUF, M_WAITOK)
"""


def timed(cmd, **kw):
    """Run cmd; return (seconds, peak RSS in MiB of its largest process)."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, **kw)
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.monotonic() - t
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"bench: {cmd[0]} failed")
    return secs, ru.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree")
    ap.add_argument("path", nargs="?", default="sys/dev")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rule = os.path.join(tmp, "one.cocci")
        with open(rule, "w") as fp:
            fp.write(ONE_RULE)
        with open(os.devnull, "w") as null:
            bare, bare_rss = timed(["spatch", "--very-quiet", "--sp-file", rule, "--dir",
                                    os.path.join(a.tree, a.path), "-j", str(a.jobs)],
                                   stdout=null, stderr=null)
            k2m, k2m_rss = timed([sys.executable, os.path.join(TOP, "scripts", "kmem2malloc"),
                                  "convert", "-j", str(a.jobs), "--out",
                                  os.path.join(tmp, "out"), a.tree, a.path],
                                 stdout=null)
    print(f"bench-convert: {a.tree}/{a.path}, {a.jobs} jobs")
    print(f"  bare spatch (one rule) : {bare:8.2f} s   peak RSS {bare_rss:7.1f} MiB")
    print(f"  kmem2malloc convert    : {k2m:8.2f} s   peak RSS {k2m_rss:7.1f} MiB")
    print(f"  ratio convert / bare   : {k2m / bare:8.2f}")


if __name__ == "__main__":
    main()
