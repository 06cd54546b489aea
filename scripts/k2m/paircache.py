"""The pairing kept across runs (factcache), keyed by what it reads.

pairing.pair reads every file's facts, the clusters, each file's owner
(unit_of) and the ports' kernels, nothing else.  A file's facts are made
of what its scan key hashes (scanning.scan_keyed: its text, its headers',
the macros given, the code version), so the same keys, clusters, owners
and kernels make the same pairs: a warm convert reads them back instead
of pairing again (each pairing of NetBSD-current's sys is seconds).
What is kept is the Pairs without its sites, which are the facts' own
(the rest is indices into them).  Without a cache, pairing runs.

Each pairing is kept under its own input: the output's pairing (convert's
count of the mixed pairs it created) under the output's texts, so it
stays a pairing of its own, never the input's read back.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Sequence

from . import pairing
from .c.cscan import FileFacts
from .c.factcache import FactCache


def pair(facts: list[FileFacts], made_of: Sequence[str], clusters: Sequence[set[str]],
         unit_of, kernels: dict[str, frozenset[str]], cache: FactCache) -> pairing.Pairs:
    """pairing.pair(facts, clusters, unit_of, kernels), kept in cache;
    made_of: what each file's facts are made of (its scan key, and more
    for an output), in the order of facts ("": unknown, not kept)."""
    if cache.top is None or not all(made_of):
        return pairing.pair(facts, clusters, unit_of, kernels)
    own = unit_of or (lambda p: "")
    key = cache.key("pairs",
                    *(f"{ff.path} {m} {own(ff.path)}" for ff, m in zip(facts, made_of)),
                    repr([sorted(c) for c in clusters]),     # a set's order is no input
                    repr(sorted((d, sorted(ps)) for d, ps in kernels.items())))
    kept = cache.get(key, dict)
    if kept is not None:
        return pairing.Pairs([s for ff in facts for s in ff.sites], **kept)
    pairs = pairing.pair(facts, clusters, unit_of, kernels)
    cache.put(key, {f.name: getattr(pairs, f.name) for f in fields(pairs)
                    if f.name != "sites" and not f.name.startswith("_")})
    return pairs
