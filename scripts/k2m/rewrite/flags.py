"""kmem(9) allocation flags to malloc(9) flags: the one place that knows.

Used by the planner (which flags can be converted) and by textual.rewrite
(the rewrite convert writes).  cocci/kmem_calls.cocci and
cocci/kmem_helpers.cocci spell out the same forms in SmPL, convert's check
of the rewrite; the golden cases alloc_flags.c, intr.c and helpers.c hold
every one of them, and tests/test_spatchcheck.py runs them through both.
"""

import re

KM_TO_M = {"KM_SLEEP": "M_WAITOK", "KM_NOSLEEP": "M_NOWAIT"}
_COND = re.compile(r"(.+?)\s*\?\s*(KM_SLEEP|KM_NOSLEEP)\s*:\s*(KM_SLEEP|KM_NOSLEEP)")
_ALTS = re.compile(r"\?\s*((?:KM_SLEEP|KM_NOSLEEP)\s*:\s*(?:KM_SLEEP|KM_NOSLEEP))\s*\Z")
ZERO = ("kmem_zalloc", "kmem_intr_zalloc")
INTR = ("kmem_intr_alloc", "kmem_intr_zalloc")
# the allocations whose flags may be a km_flag_t variable (the forms of
# cocci/kmem_calls.cocci; the string helpers' flags must be constants)
KMEM_VAR = ("kmem_alloc", "kmem_zalloc") + INTR


def translate(callee: str, flags: str | None, intr_flag: bool = False,
              variable: bool = False) -> str | None:
    """malloc(9) flags for kmem flags of callee, or None if not a form we
    translate: KM_SLEEP, KM_NOSLEEP, or c ? KM_SLEEP : KM_NOSLEEP (either
    order); the zalloc variants add M_ZERO; with intr_flag, an
    interrupt-safe allocation that may not sleep says so (M_NOWAIT |
    M_INTR: a kernel with MALLOC_CHECK_INTR checks it).

    variable: flags is a variable the scanner found declared km_flag_t
    (uvm_amap.c's kmflags, pcq_create's parameter); it becomes
    (v & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK, which is what kmem(9) makes of
    it: kmem asserts that exactly one of KM_SLEEP and KM_NOSLEEP is set.
    The scanner takes only variables of kmem(9) functions (KMEM_VAR)."""
    f = " ".join((flags or "").split())
    zero = callee in ZERO
    nowait = "M_NOWAIT | M_INTR" if intr_flag and callee in INTR else "M_NOWAIT"
    to_m = {"KM_SLEEP": "M_WAITOK", "KM_NOSLEEP": nowait}
    if f in to_m:
        return to_m[f] + (" | M_ZERO" if zero else "")
    if variable and callee in KMEM_VAR and f not in ("KM_SLEEP", "KM_NOSLEEP"):
        alt = f"({nowait})" if "|" in nowait else nowait
        e = f"({f} & KM_NOSLEEP) ? {alt} : M_WAITOK"
        return f"({e}) | M_ZERO" if zero else e
    m = _COND.fullmatch(f)
    if not m or m.group(2) == m.group(3):
        return None
    alts = [to_m[m.group(2)], to_m[m.group(3)]]
    alts = [f"({a})" if "|" in a else a for a in alts]
    e = "%s ? %s : %s" % (m.group(1), alts[0], alts[1])
    return "(%s) | M_ZERO" % e if zero else e


def edit(callee: str, flags: str, intr_flag: bool = False,
         variable: bool = False) -> tuple[int, int, str] | None:
    """translate() as an edit of the flags text: (start, end, replacement).
    In c ? KM_SLEEP : KM_NOSLEEP, the condition stays as written and only
    the alternatives are replaced (not in the zalloc forms, which put the
    whole in parentheses): cocci/'s rules keep the condition as context,
    and with it its line breaks (kern_lwp.c breaks the line after `?`)."""
    new = translate(callee, flags, intr_flag, variable)
    if new is None:
        return None
    m = _ALTS.search(flags)
    if m and callee not in ZERO and "& KM_NOSLEEP)" not in new:    # not the variable form
        return m.start(1), m.end(1), new.rsplit("? ", 1)[-1]
    return 0, len(flags), new
