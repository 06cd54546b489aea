"""Pairing: which kmem sites may be converted, and with which type, in
three layers, each using the one below:

    flow.py    the flow graph: where a pointer can go (assignments, calls,
               returns, members), from the scan's facts (c/), and reach()
    pairs.py   the pairs: the frees each allocation's memory reaches, the
               guesses for those no flow joins, components, mixed pairs
    plan.py    the plan: each kmem site converted with a type (the
               owners', owner_types) or kept, with the reason

This re-exports what the commands use (pairing.pair, pairing.decide ...).
"""

from .flow import Ports, flow_graph, reach
from .pairs import Pairs, UnionFind, components, mixed_pairs, pair, pair_id
from .plan import Decision, Plan, decide, owner_types, paired_by

__all__ = ["Ports", "flow_graph", "reach", "Pairs", "UnionFind", "components", "mixed_pairs",
           "pair", "pair_id", "Decision", "Plan", "decide", "owner_types", "paired_by"]
