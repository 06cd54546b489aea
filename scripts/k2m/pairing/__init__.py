"""Pairing: which kmem sites may be converted, and with which type (the
modules follow; this re-exports what the commands use)."""

from .pairs import (Decision, Pairs, Plan, UnionFind, _paired_by, decide,  # noqa: F401
                    mixed_pairs, owner_types, pair)
