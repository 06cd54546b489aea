"""factcache.py: the scan's facts kept across runs, keyed by content."""
import os
import pickle
import shutil
import subprocess
import sys
import time

import pytest

from conftest import run, snapshot
from k2m.c import cdecl, cscan, factcache, scanning
from k2m.c.factcache import FactCache

HEADER = "struct foo { int a; };\ntypedef struct foo *foo_t;\n"


def write(root, files):
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def view(text):
    return scanning._code_view(text)


def refuse(text):
    raise AssertionError("parsed: the cache was not used")


def header_cache(root, parse, cache):
    return cdecl.HeaderCache(str(root), lambda p: scanning.read(str(root), p), parse, cache)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    write(root, {"sys/sys/foo.h": HEADER})
    return root


def test_a_header_read_again_is_a_hit(tree, tmp_path):
    cache = FactCache(str(tmp_path / "cache"))
    first = header_cache(tree, view, cache).decls("sys/sys/foo.h")
    again = header_cache(tree, refuse, cache).decls("sys/sys/foo.h")
    assert again.typedefs == first.typedefs == {"foo_t": cdecl.CType("struct foo", 1)}
    assert again.structs == {"struct foo": {"a": cdecl.CType("int", 0)}}


def test_a_changed_header_is_a_miss(tree, tmp_path):
    cache = FactCache(str(tmp_path / "cache"))
    header_cache(tree, view, cache).decls("sys/sys/foo.h")
    write(tree, {"sys/sys/foo.h": HEADER.replace("struct foo *foo_t", "struct bar *foo_t")})
    with pytest.raises(AssertionError, match="parsed"):
        header_cache(tree, refuse, cache).decls("sys/sys/foo.h")
    got = header_cache(tree, view, cache).decls("sys/sys/foo.h")
    assert got.typedefs == {"foo_t": cdecl.CType("struct bar", 1)}


def test_another_code_version_is_a_miss(tree, tmp_path):
    top = str(tmp_path / "cache")
    header_cache(tree, view, FactCache(top, version="one")).decls("sys/sys/foo.h")
    header_cache(tree, refuse, FactCache(top, version="one")).decls("sys/sys/foo.h")
    with pytest.raises(AssertionError, match="parsed"):
        header_cache(tree, refuse, FactCache(top, version="two")).decls("sys/sys/foo.h")


def test_the_code_version_is_the_packages_sources(tmp_path):
    assert FactCache(str(tmp_path)).version == FactCache(str(tmp_path)).version
    assert len(FactCache(str(tmp_path)).version) == 64
    assert FactCache(None).key("decls", "x") != FactCache(None, version="v").key("decls", "x")


def test_the_code_version_covers_every_subpackage(tmp_path):
    """A change to any module of the package, in whichever subpackage,
    gives another version (a changed parser must not read old facts)."""
    pkg = tmp_path / "k2m"
    shutil.copytree(os.path.dirname(os.path.dirname(factcache.__file__)), pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))

    def version():
        return subprocess.run([sys.executable, "-c", "from k2m.c import factcache; "
                               "print(factcache.code_version())"], cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout

    seen = {version()}
    for module in ("c/cscan.py", "rewrite/flags.py", "kernel/shim.py", "pairing/__init__.py",
                   "convert.py"):
        with open(pkg / module, "a") as fp:
            fp.write("# changed\n")
        seen.add(version())
    assert len(seen) == 6


def entries(top):
    return [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]


@pytest.mark.parametrize("junk", [b"", b"not a pickle", pickle.dumps("a string")[:-1],
                                  pickle.dumps(["a list, not facts"])])
def test_a_corrupt_entry_is_a_miss(tree, tmp_path, junk):
    top = str(tmp_path / "cache")
    header_cache(tree, view, FactCache(top)).decls("sys/sys/foo.h")
    (entry,) = entries(top)
    with open(entry, "wb") as fp:
        fp.write(junk)
    got = header_cache(tree, view, FactCache(top)).decls("sys/sys/foo.h")
    assert got.typedefs == {"foo_t": cdecl.CType("struct foo", 1)}
    # and it was written again, whole
    assert header_cache(tree, refuse, FactCache(top)).decls("sys/sys/foo.h").typedefs == \
        got.typedefs


def test_versions_unused_for_a_week_are_removed(tree, tmp_path):
    """Each code version has a directory of its own; another version's,
    unused for PRUNE_DAYS, goes when a cache is opened, a recent one stays
    (two checkouts may share the cache)."""
    top = tmp_path / "cache"
    header_cache(tree, view, FactCache(str(top), version="a" * 64)).decls("sys/sys/foo.h")
    header_cache(tree, view, FactCache(str(top), version="b" * 64)).decls("sys/sys/foo.h")
    assert sorted(os.listdir(top)) == ["a" * 16, "b" * 16]
    week = time.time() - (factcache.PRUNE_DAYS + 1) * 86400
    os.utime(top / ("a" * 16), (week, week))
    FactCache(str(top), version="c" * 64)
    assert sorted(os.listdir(top)) == ["b" * 16, "c" * 16]
    os.utime(top / ("b" * 16), (week, week))
    FactCache(str(top), version="b" * 64)           # its own: used again, kept
    assert sorted(os.listdir(top)) == ["b" * 16, "c" * 16]
    assert header_cache(tree, refuse, FactCache(str(top), version="b" * 64)) \
        .decls("sys/sys/foo.h").typedefs


def test_an_unwritable_cache_is_no_cache(tree, tmp_path):
    (tmp_path / "file").write_text("")
    cache = FactCache(str(tmp_path / "file" / "cache"))        # under a file: cannot be made
    got = header_cache(tree, view, cache).decls("sys/sys/foo.h")
    assert got.typedefs == {"foo_t": cdecl.CType("struct foo", 1)}


C_FILE = "#include <sys/foo.h>\nvoid f(foo_t p) { kmem_free(p, 8); }\n"


def test_a_files_scan_follows_its_headers(tmp_path):
    """A file's scan facts are kept, keyed by its headers' texts too: a
    changed header changes the scan of a file that did not change."""
    root = tmp_path / "tree"
    write(root, {"sys/sys/foo.h": HEADER, "sys/dev/x.c": C_FILE})
    cache = FactCache(str(tmp_path / "cache"))

    def objtype():
        facts, _ = scanning.scan_all(str(root), ["sys/dev/x.c"], jobs=1, cache=cache)
        return facts[0].sites[0].objtype

    assert objtype() == "struct foo"
    n = len(entries(cache.top))
    assert objtype() == "struct foo"
    assert len(entries(cache.top)) == n                 # all hits: nothing new
    write(root, {"sys/sys/foo.h": HEADER.replace("struct foo *foo_t", "struct bar *foo_t")})
    assert objtype() == "struct bar"


def test_the_parallel_scan_reads_what_the_serial_one_wrote(tmp_path, monkeypatch):
    """Workers use the cache as the caller does: the facts of a warm
    parallel scan are those of a cold one, and nothing is parsed again."""
    root = tmp_path / "tree"
    files = {f"sys/dev/x{i}.c": C_FILE for i in range(40)}
    write(root, {"sys/sys/foo.h": HEADER, **files})
    cache = FactCache(str(tmp_path / "cache"))
    cold, _ = scanning.scan_all(str(root), sorted(files), jobs=2, cache=cache)
    monkeypatch.setattr(cscan, "scan", refuse)          # inherited by the forked workers
    monkeypatch.setattr(cdecl, "file_decls", refuse)
    warm, _ = scanning.scan_all(str(root), sorted(files), jobs=2, cache=cache)
    assert repr(warm) == repr(cold) and "struct foo" in repr(warm)


def test_convert_with_a_corrupt_cache(example_tree, tmp_path):
    """Every entry corrupt: convert says nothing of it and writes what it
    writes without a cache."""
    top = tmp_path / "cache"
    plain = run("convert", "--no-cache", "--no-series", "--out", str(tmp_path / "plain"),
                str(example_tree), check=True)
    run("convert", "--cache", str(top), "--no-series", "--out", str(tmp_path / "o1"),
        str(example_tree), check=True)
    assert entries(top)
    for e in entries(top):
        with open(e, "r+b") as fp:
            fp.truncate(os.path.getsize(e) // 2)
    p = run("convert", "--cache", str(top), "--no-series", "--out", str(tmp_path / "o2"),
            str(example_tree), check=True)
    assert "Traceback" not in p.stderr and p.stdout == plain.stdout.replace("plain", "o2")
    assert snapshot(tmp_path / "o2") == snapshot(tmp_path / "plain")
