// plan.cocci -- loads the converter's per-file plan; always first.
//
// The driver (scripts/kmem2malloc) decides, before spatch runs, which call
// sites may be converted (pairs are converted together or not at all) and
// which malloc type each file gets.  It writes that plan as JSON and names
// it in $K2M_PLAN; the rules below ask it through these functions, keyed by
// the file name spatch was given and the line of the call.
//
// Without $K2M_PLAN (running a rule file by hand) every site is converted
// with the type M_KMEM2MALLOC, so the rules can be tried on their own.

@initialize:python@
@@
import json, os

K2M_PLAN = {}
if os.environ.get("K2M_PLAN"):
    with open(os.environ["K2M_PLAN"]) as fp:
        K2M_PLAN = json.load(fp)

def k2m_file(p):
    return K2M_PLAN.get(p[0].file, {})

def k2m_convert(p):
    """May the call at position p be converted?"""
    if not K2M_PLAN:
        return True
    return str(p[0].line) in k2m_file(p).get("convert", {})

def k2m_tag(p):
    """The malloc type the plan gives the call at position p."""
    return k2m_file(p).get("convert", {}).get(str(p[0].line), "M_KMEM2MALLOC")

def k2m_include(p, action):
    """Is `action` what the plan says for this file's includes?"""
    return k2m_file(p).get("include") == action

KM_TO_M = {"KM_SLEEP": "M_WAITOK", "KM_NOSLEEP": "M_NOWAIT"}

def k2m_flags(fn, flags):
    """kmem flags -> malloc flags; None if not a form we translate."""
    f = " ".join(flags.split())
    zero = fn in ("kmem_zalloc", "kmem_intr_zalloc")
    if f in KM_TO_M:
        return KM_TO_M[f] + (" | M_ZERO" if zero else "")
    import re
    m = re.fullmatch(r"(.+?)\s*\?\s*(KM_SLEEP|KM_NOSLEEP)\s*:\s*(KM_SLEEP|KM_NOSLEEP)", f)
    if m and m.group(2) != m.group(3):
        e = "%s ? %s : %s" % (m.group(1), KM_TO_M[m.group(2)], KM_TO_M[m.group(3)])
        return "(%s) | M_ZERO" % e if zero else e
    return None
