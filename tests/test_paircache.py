"""paircache.py: the pairing kept across runs, keyed by what it reads."""
from dataclasses import fields

import pytest

from k2m import paircache, pairing
from k2m.c import scanning
from k2m.c.factcache import FactCache

ALLOC = ("#include <sys/kmem.h>\nstruct foo { int a; };\n"
         "struct foo *foo_get(void) { return kmem_alloc(sizeof(struct foo), KM_SLEEP); }\n")
FREE = ("#include <sys/kmem.h>\nstruct foo { int a; };\nstruct foo *foo_get(void);\n"
        "void foo_put(struct foo *p) { kmem_free(p, sizeof(*p)); }\n")


@pytest.fixture
def scanned(tmp_path):
    root = tmp_path / "tree"
    for path, text in {"sys/dev/a.c": ALLOC, "sys/dev/b.c": FREE,
                       "sys/sys/kmem.h": "void *kmem_alloc(size_t, int);\n"}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    cache = FactCache(str(tmp_path / "cache"))
    facts, _, made_of = scanning.scan_keyed(str(root), ["sys/dev/a.c", "sys/dev/b.c"], 1, cache)
    return facts, made_of, cache


def kept(pairs):
    return {f.name: getattr(pairs, f.name) for f in fields(pairs) if not f.name.startswith("_")}


def refuse(*args):
    raise AssertionError("paired: the kept pairing was not used")


def test_the_same_input_is_paired_once(scanned, monkeypatch):
    facts, made_of, cache = scanned
    assert all(made_of)
    cold = paircache.pair(facts, made_of, [], lambda p: "u", {}, cache)
    assert cold.edges                                   # the pair is seen
    monkeypatch.setattr(pairing, "pair", refuse)
    warm = paircache.pair(facts, made_of, [], lambda p: "u", {}, cache)
    assert kept(warm) == kept(cold)


@pytest.mark.parametrize("change", ["made_of", "owner", "clusters", "kernels"])
def test_another_input_is_paired_again(scanned, monkeypatch, change):
    facts, made_of, cache = scanned
    paircache.pair(facts, made_of, [], lambda p: "u", {}, cache)
    monkeypatch.setattr(pairing, "pair", refuse)
    args = {"made_of": made_of, "clusters": [], "unit_of": lambda p: "u", "kernels": {}}
    args.update({"made_of": {"made_of": [made_of[0], made_of[1] + " out other"]},
                 "owner": {"unit_of": lambda p: p},
                 "clusters": {"clusters": [{"sys/dev/a.c", "sys/dev/b.c"}]},
                 "kernels": {"kernels": {"sys/arch/amd64": frozenset({"amd64"})}}}[change])
    with pytest.raises(AssertionError, match="kept pairing"):
        paircache.pair(facts, cache=cache, **args)


def test_without_a_cache_or_a_key_it_pairs(scanned, monkeypatch):
    facts, made_of, cache = scanned
    monkeypatch.setattr(pairing, "pair", refuse)
    for c, m in ((FactCache(None), made_of), (cache, ["", made_of[1]])):
        with pytest.raises(AssertionError, match="kept pairing"):
            paircache.pair(facts, m, [], None, {}, c)
