"""Reading boottest's serial console: what the kernel and our init
(boot/init.c) printed, as steps, a verdict and the malloc_stats blob.

Pure functions of the transcript, so that a recorded console can be
tested without qemu.  init's protocol, one line each:

    k2m-init: begin
    k2m-step: NAME ok|FAIL|skip DETAIL
    k2m-stats: begin LEN / k2m-stats: HEX / k2m-stats: end
    k2m-init: end pass=N fail=N skip=N

Kernel lines and init's may interleave (a module's printf, a driver's
attach message), so init's are found anywhere in a line, not only at its
start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The steps init runs, in order; each must report ok or skip.
STEPS = ("console", "rootrw", "log", "exec", "tmpfs", "ffs", "tcp", "module", "drvctl",
         "mounts", "swap", "devices", "stats")
# Steps that may be skipped without failing the run: stats on a kernel
# without the shim (no kern.malloc_stats); log, module, drvctl, swap and
# devices when the image (its /etc/k2mtest.conf) asks for none of them.
SKIPPABLE = ("log", "module", "drvctl", "swap", "devices", "stats")

_STEP = re.compile(r"k2m-step: (\w+) (ok|FAIL|skip)\b ?(.*)$")
_END = re.compile(r"k2m-init: end pass=(\d+) fail=(\d+) skip=(\d+)")
_STATS_BEGIN = re.compile(r"k2m-stats: begin (\d+)")
_STATS_HEX = re.compile(r"k2m-stats: ([0-9a-f]+)\s*$")
_VERDICT = {"ok": "passed", "FAIL": "failed", "skip": "skipped"}
# What a kernel prints when it stops for good: panic(9) (also init's
# death, "panic: init died (signal 0, exit 101)"), a trap in the kernel,
# a failed root mount, an init that exec cannot start.
_FATAL = re.compile(r"(?:^|\s)(panic: .*|fatal (?:page fault|protection fault|trap).*|"
                    r"cannot mount root.*|init: not found.*|"
                    r"(?:exec|execve) /sbin/init: error \d+.*)$")
# The kernel's banner (after the timestamp), to tell "no output at all"
# from "booted": "NetBSD 10.99.12 (K2M_QEMU) #0: ...".
_BANNER = re.compile(r"(NetBSD \d+\.\d+\S* \([\w.-]+\) .*)$", re.M)
_ROOT = re.compile(r"root on (\S+)")


@dataclass
class Console:
    steps: dict = field(default_factory=dict)       # name -> passed|failed|skipped
    details: dict = field(default_factory=dict)     # name -> init's words
    problems: list = field(default_factory=list)    # why the run is not a pass
    banner: str = ""                                # "NetBSD 10.99.12 (K2M_QEMU) #0: ..."
    root: str = ""                                  # what the kernel mounted as root
    began: bool = False                             # init printed its first line
    ended: bool = False                             # and its last
    stats: bytes | None = None                      # kern.malloc_stats, None if not sent
    fatal: str = ""                                 # the first panic-like line

    def ok(self) -> bool:
        return not self.problems


def parse(text: str) -> Console:
    """The transcript of one boot -> Console.  A pass needs: init began and
    ended, every step of STEPS reported ok (or skip, for SKIPPABLE ones),
    the end line's counts agreeing with the step lines, a complete stats
    blob if one began, and no panic-like line anywhere."""
    c = Console()
    m = _BANNER.search(text)
    c.banner = m.group(1).strip() if m else ""
    m = _ROOT.search(text)
    c.root = m.group(1) if m else ""
    counts = None
    stats_len: int | None = None
    hexparts: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if "k2m-init: begin" in line:
            c.began = True
        if (m := _END.search(line)):
            c.ended = True
            counts = tuple(int(x) for x in m.groups())
        if (m := _STEP.search(line)):
            name, verdict, detail = m.groups()
            c.steps[name] = _VERDICT[verdict]
            c.details[name] = detail.strip()
        if (m := _STATS_BEGIN.search(line)):
            stats_len, hexparts = int(m.group(1)), []
        elif "k2m-stats: end" in line:
            if stats_len is not None:
                c.stats = _unhex(hexparts, stats_len, c.problems)
            stats_len = None
        elif stats_len is not None and (m := _STATS_HEX.search(line)):
            hexparts.append(m.group(1))
        if not c.fatal and (m := _FATAL.search(line)):
            c.fatal = m.group(1).strip()
    _judge(c, counts, stats_len)
    return c


def _unhex(parts: list[str], length: int, problems: list) -> bytes | None:
    try:
        blob = bytes.fromhex("".join(parts))
    except ValueError:
        problems.append("stats: the hex dump is garbled")
        return None
    if len(blob) != length:
        problems.append(f"stats: {len(blob)} bytes received, {length} announced")
        return None
    return blob


def _judge(c: Console, counts, stats_len) -> None:
    p = c.problems
    if c.fatal:
        p.append(f"the kernel stopped: {c.fatal}")
    if not c.banner:
        p.append("no kernel banner on the console: the kernel did not start "
                 "(or its console is not com0)")
    if not c.began:
        p.append("init printed nothing" + (": it never ran" if not c.fatal else ""))
        return
    for name in STEPS:
        v = c.steps.get(name)
        if v is None:
            p.append(f"{name}: not reported (init stopped before it)")
        elif v == "failed":
            p.append(f"{name}: {c.details.get(name, '')}")
        elif v == "skipped" and name not in SKIPPABLE:
            p.append(f"{name}: skipped, but it may not be")
    if stats_len is not None:
        p.append("stats: the hex dump did not end")
    if not c.ended:
        p.append("init did not reach its end line")
    elif counts != tuple(sum(v == k for v in c.steps.values())
                         for k in ("passed", "failed", "skipped")):
        p.append(f"init's end line (pass/fail/skip {counts}) disagrees with its step lines")
