"""kmem(9) allocation flags to malloc(9) flags: the one place that knows.

Used by the planner (which flags can be converted) and by textual.py (the
sites under #if 0).  cocci/kmem_calls.cocci spells out the same forms in
SmPL; tests/golden/alloc_flags.c holds every form, for both kmem_alloc
and kmem_zalloc.
"""

import re

KM_TO_M = {"KM_SLEEP": "M_WAITOK", "KM_NOSLEEP": "M_NOWAIT"}
_COND = re.compile(r"(.+?)\s*\?\s*(KM_SLEEP|KM_NOSLEEP)\s*:\s*(KM_SLEEP|KM_NOSLEEP)")


def translate(callee, flags):
    """malloc(9) flags for kmem flags of callee, or None if not a form we
    translate: KM_SLEEP, KM_NOSLEEP, or c ? KM_SLEEP : KM_NOSLEEP (either
    order); the zalloc variants add M_ZERO."""
    f = " ".join((flags or "").split())
    zero = callee in ("kmem_zalloc", "kmem_intr_zalloc")
    if f in KM_TO_M:
        return KM_TO_M[f] + (" | M_ZERO" if zero else "")
    m = _COND.fullmatch(f)
    if not m or m.group(2) == m.group(3):
        return None
    e = "%s ? %s : %s" % (m.group(1), KM_TO_M[m.group(2)], KM_TO_M[m.group(3)])
    return "(%s) | M_ZERO" % e if zero else e
