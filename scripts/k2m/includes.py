"""#include <sys/malloc.h>: the policy and the line edit, in one place.

A file that converts anything gets <sys/malloc.h>: in place of
<sys/kmem.h> when nothing from kmem.h is left in it, else after the first
of <sys/kmem.h>, <sys/param.h>, <sys/systm.h>, <sys/types.h> it includes.
A file that had <sys/malloc.h> already loses <sys/kmem.h> when nothing
from it is left.
A file with none of those (a header, or a file its includer sets up) is a
finding: its includer must provide <sys/malloc.h>.  The edit is done on
the text, not by spatch (a line edit needs no parse).
"""

from __future__ import annotations

import re

from . import cscan

# after which include <sys/malloc.h> goes, in order of preference
INCLUDE_AFTER = {"after-kmem": "sys/kmem.h", "after-param": "sys/param.h",
                 "after-systm": "sys/systm.h", "after-types": "sys/types.h"}
KMEM_WORDS = re.compile(r"\b(kmem_\w+|KM_SLEEP|KM_NOSLEEP|km_flag_t)\b")
_INCLUDE_LINE = r"^[ \t]*#[ \t]*include[ \t]*<%s>[^\n]*\n"


def action(ff: cscan.FileFacts, text: str, conv: list) -> str | None:
    """How <sys/malloc.h> gets into text, whose facts are ff and whose
    converted decisions are conv: "replace" <sys/kmem.h>, "after-X", "drop"
    <sys/kmem.h> when the file has malloc.h already and nothing from kmem.h
    is left, None when it has malloc.h and still uses kmem.h or converts
    nothing, "none" (a finding) when it includes none of the headers to put
    it after."""
    if not conv:
        return None
    used = len(KMEM_WORDS.findall(cscan.strip(text)))
    converted = sum(1 + len(KMEM_WORDS.findall(d.site.flags or ""))
                    for d in conv)
    # a km_flag_t variable's translation reads KM_NOSLEEP: kmem.h stays
    unused = "sys/kmem.h" in ff.includes and used == converted and \
        not any(d.site.flags_km for d in conv)
    if "sys/malloc.h" in ff.includes:
        return "drop" if unused else None
    if unused:
        return "replace"
    for act, header in INCLUDE_AFTER.items():    # kmem.h first
        if header in ff.includes:
            return act
    return "none"


def add(text: str, act: str | None) -> str:
    """text with #include <sys/malloc.h> as act (action()) says: `replace`
    <sys/kmem.h> by it, `after-X` add it after every #include <sys/X.h>,
    `drop` <sys/kmem.h>; None or `none`: nothing."""
    if act == "drop":
        return re.sub(_INCLUDE_LINE % re.escape("sys/kmem.h"), "", text, flags=re.M)
    if act == "replace":
        return re.sub(_INCLUDE_LINE % re.escape("sys/kmem.h"),
                      lambda m: m.group(0).replace("sys/kmem.h", "sys/malloc.h", 1),
                      text, flags=re.M)
    if act in INCLUDE_AFTER:
        return re.sub(_INCLUDE_LINE % re.escape(INCLUDE_AFTER[act]),
                      lambda m: m.group(0) + "#include <sys/malloc.h>\n",
                      text, flags=re.M)
    return text
