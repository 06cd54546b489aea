#!/usr/bin/python3
"""Benchmark: `kmem2malloc convert` against a bare one-rule spatch run.

All run in this one invocation over the same input, interleaved: bare
spatch, convert, convert --no-spatch-check, bare spatch, ... (--rounds
rounds, default 3).  The bare baseline is `spatch --sp-file ONE_RULE
--dir TREE/PATH -j N`, a single kmem_alloc -> malloc rule, diff to
/dev/null; convert is the whole converter (scan, plan, rewrite, verify,
spatch check, diffs, report; --no-series), and again without its spatch
check.  A noisy machine slows all of a round alike, so the ratios of the
medians are fair where the seconds are not: quote them.

convert's fact cache (--cache, factcache.py) is a directory of this run,
empty at the start: the first round is cold (every header and file
parsed, the cache filled), the later rounds warm (what the tree did not
change is read from the cache, as a user's second convert is).  The
first round is printed on its own; the medians and their ratios are of
the warm rounds (of the one round with --rounds 1).  Prints each run's
wall time and peak RSS.
"""

import argparse
import os
import statistics
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
    ap.add_argument("path", nargs="?", default="sys")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3, help="rounds to run (default: 3)")
    a = ap.parse_args()
    bare_t, k2m_t, nock_t = [], [], []
    print(f"bench-convert: {a.tree}/{a.path}, {a.jobs} jobs, {a.rounds} rounds", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        rule = os.path.join(tmp, "one.cocci")
        with open(rule, "w") as fp:
            fp.write(ONE_RULE)
        bare_cmd = ["spatch", "--very-quiet", "--sp-file", rule, "--dir",
                    os.path.join(a.tree, a.path), "-j", str(a.jobs)]
        k2m_cmd = [sys.executable, os.path.join(TOP, "scripts", "kmem2malloc"), "convert",
                   "-j", str(a.jobs), "--no-series", "--cache", os.path.join(tmp, "cache"),
                   "--out", os.path.join(tmp, "out"), a.tree, a.path]
        with open(os.devnull, "w") as null:
            for i in range(a.rounds):
                bare, bare_rss = timed(bare_cmd, stdout=null, stderr=null)
                k2m, k2m_rss = timed(k2m_cmd, stdout=null)
                nock, _ = timed(k2m_cmd + ["--no-spatch-check"], stdout=null)
                bare_t.append(bare)
                k2m_t.append(k2m)
                nock_t.append(nock)
                what = "cold cache" if i == 0 else "warm cache"
                print(f"  round {i + 1} ({what}): bare spatch {bare:7.2f} s ({bare_rss:6.1f} MiB)"
                      f"   convert {k2m:7.2f} s ({k2m_rss:6.1f} MiB), ratio {k2m / bare:5.2f}"
                      f"   --no-spatch-check {nock:7.2f} s, ratio {nock / bare:5.2f}",
                      flush=True)
    warm = slice(1, None) if a.rounds > 1 else slice(None)
    bare_m = statistics.median(bare_t[warm])
    k2m_m, nock_m = statistics.median(k2m_t[warm]), statistics.median(nock_t[warm])
    print(f"  cold (round 1)         : convert / bare {k2m_t[0] / bare_t[0]:5.2f}")
    print(f"  median bare spatch     : {bare_m:8.2f} s")
    print(f"  median convert (warm)  : {k2m_m:8.2f} s, ratio of medians {k2m_m / bare_m:5.2f}")
    print(f"  the same, --no-spatch-check: {nock_m:8.2f} s, ratio of medians "
          f"{nock_m / bare_m:5.2f}")


if __name__ == "__main__":
    main()
