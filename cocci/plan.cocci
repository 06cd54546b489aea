// plan.cocci -- loads the converter's per-file plan; always first.
//
// The driver (scripts/kmem2malloc) decides, before spatch runs, which call
// sites may be converted (pairs are converted together or not at all) and
// which malloc type each file gets.  It writes that plan as JSON and names
// it in $K2M_PLAN; the rules below ask it through these functions, keyed by
// the file name spatch was given and the line of the call.
//
// Run by hand: PYTHONPATH=scripts spatch --sp-file ... (plan.cocci first).
// Without $K2M_PLAN every site is converted with the type M_KMEM2MALLOC,
// so the rules can be tried on their own.

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

# One translation of the flags, shared with the driver: module k2m.flags
# (the driver puts scripts/ on PYTHONPATH; by hand, set PYTHONPATH=scripts).
from k2m.flags import translate as k2m_flags
