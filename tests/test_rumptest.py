"""rumptest without a NetBSD tree: its checks of the input, what it reads
from buildrump.sh and the workload, and the JSON it writes (a fake
buildrump.sh stands in for the real one)."""
import json
import os
import stat

import pytest

from conftest import run
from k2m import rumptest

MK = "sys/rump/librump/rumpkern/Makefile.rumpkern"


def rump_tree(tmp_path, shimmed=True):
    """A directory laid out like buildrump-src (nothing buildable), with a
    buildrump.sh beside it that prints and fails."""
    src = tmp_path / "src"
    (src / MK).parent.mkdir(parents=True)
    (src / MK).write_text("SRCS+=\tkern_malloc.c\t\\\n" +
                          ("\tkern_malloc_types.c\n" if shimmed else "\n"))
    if shimmed:
        (src / "sys" / "kern").mkdir(parents=True)
        (src / "sys" / "kern" / "kern_malloc_types.c").write_text("")
        (src / "sys" / "sys").mkdir(parents=True)
        (src / "sys" / "sys" / "malloc_types.h").write_text("")
    br = tmp_path / "buildrump.sh"
    br.mkdir()
    script = br / "buildrump.sh"
    script.write_text("#!/bin/sh\necho \"fake buildrump.sh $*\"\n"
                      "echo 'nbmake: stopped in sys/rump/librump/rumpkern'\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return src


@pytest.fixture
def fake_path(tmp_path, monkeypatch):
    """makefs need not be installed for these tests."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    f = bin_ / "makefs"
    f.write_text("#!/bin/sh\nexit 0\n")
    f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}:{os.environ['PATH']}")
    return bin_


def one_line_error(p, *words):
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == "" and p.stderr.count("\n") == 1, p.stderr
    assert "Traceback" not in p.stderr
    for w in words:
        assert w in p.stderr, p.stderr


def test_bad_input_is_one_line_and_exit_2(tmp_path, fake_path):
    one_line_error(run("rumptest", str(tmp_path / "nowhere")), "no such directory")
    (tmp_path / "plain" / "sys").mkdir(parents=True)
    one_line_error(run("rumptest", str(tmp_path / "plain")), "not a tree a rump kernel builds")
    src = rump_tree(tmp_path / "a", shimmed=False)
    one_line_error(run("rumptest", str(src)), "install-shim")
    src = rump_tree(tmp_path / "b")
    one_line_error(run("rumptest", "--buildrump", str(tmp_path), str(src)), "no buildrump.sh")
    (tmp_path / "file").write_text("")
    one_line_error(run("rumptest", "--obj", str(tmp_path / "file"), str(src)), "not a directory")
    p = run("rumptest", "-j", "0", str(src))
    assert p.returncode == 2 and "must be at least 1" in p.stderr


def test_missing_makefs_is_named(tmp_path, monkeypatch):
    src = rump_tree(tmp_path)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    os.symlink("/usr/bin/gcc", bin_ / "gcc")
    monkeypatch.setenv("PATH", str(bin_))
    one_line_error(run("rumptest", str(src)), "makefs not found", "makefs package")


def test_a_failed_build_exits_1_and_says_so_in_json(tmp_path, fake_path):
    src = rump_tree(tmp_path)
    obj, js = tmp_path / "obj", tmp_path / "r.json"
    p = run("rumptest", "--obj", str(obj), "--json", str(js), str(src))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "rumptest: build: failed (exit 1)" in p.stdout
    assert "nbmake: stopped in sys/rump/librump/rumpkern" in p.stdout     # the log's end
    assert p.stdout.rstrip().endswith("rumptest: 0 passed, 1 failed")
    data = json.loads(js.read_text())
    assert set(data) >= {"tests", "types", "pair_ns", "pair_ratio", "alignment"}
    assert data["tests"] == {"build": "failed"}
    assert data["pair_ns"] == {"kmem": None, "malloc": None, "malloc_hdr": None,
                               "kmem_intr": None}
    assert data["pair_ratio"] is None
    log = (obj / "build.log").read_text()         # the recipe's flags reached buildrump.sh
    assert f"-s {src} -o {obj}/obj -d {obj}/rump -j 2 -V NOGCCERROR=1 -F CFLAGS=-fcommon " \
           "tools build install" in log


def test_without_obj_a_failed_run_keeps_its_directory(tmp_path, fake_path):
    src = rump_tree(tmp_path)
    p = run("rumptest", str(src))
    assert p.returncode == 1
    kept = [l for l in p.stdout.splitlines() if l.startswith("rumptest: kept ")]
    assert kept and os.path.isdir(kept[0].split()[2])


TESTS_OK = """Running simple tests
bootstrap test
Done
VFS test
Done
VFS test with actual file system ... done
Remote communication ... done
IPv4 networking test ... done
IPv6 networking test ... done
Routed IPv4 networking test ... done
Routed IPv6 networking test ... done
Dynamic loading of components ... component load failed, skipping test

Success
"""


def test_parse_buildrump_tests():
    got = rumptest.parse_buildrump_tests(TESTS_OK, 0)
    assert got == {n: "passed" for n, _ in rumptest.BUILDRUMP_TESTS[:-1]} | {"dynamic": "skipped"}
    # testrump.sh stops at the first failure: that one failed, the rest never ran
    cut = TESTS_OK[:TESTS_OK.index("Remote")] + "Remote communication ... rump_server failed\n"
    got = rumptest.parse_buildrump_tests(cut, 1)
    assert [got[n] for n in ("init", "fstest", "fstest_img", "simpleclient", "dynamic")] == \
        ["passed", "passed", "passed", "failed", "failed"]


WORKLOAD_OK = ("PASS boot (0.1 s)\nPASS sysctl (0.0 s)\nPASS tmpfs (0.1 s)\n"
               "PASS ffs_vnd (0.2 s)\nPASS net (0.0 s)\n5 passed, 0 failed\n")


def test_parse_workload():
    tests, problems = rumptest.parse_workload(WORKLOAD_OK, 0)
    assert problems == [] and set(tests.values()) == {"passed"} and len(tests) == 5
    tests, problems = rumptest.parse_workload(
        WORKLOAD_OK.replace("PASS net (0.0 s)", "FAIL net: connect (errno 61; 0.0 s)").replace(
            "5 passed, 0 failed", "4 passed, 1 failed"), 1)
    assert tests["net"] == "failed"
    assert problems == ["net: connect (errno 61; 0.0 s)", "exit status 1"]
    # a panic aborts the process before its summary line
    text = "PASS boot\npanic: kernel diagnostic assertion \"x\" failed\n"
    tests, problems = rumptest.parse_workload(text, -6)
    assert tests == {"boot": "passed"}
    assert "no summary line: the workload stopped early" in problems
    assert any(p.startswith("the kernel panicked: panic: kernel diagnostic") for p in problems)
    assert any("killed by a signal" in p for p in problems)
    # a summary that disagrees with the lines is not believed
    _, problems = rumptest.parse_workload("PASS boot\n2 passed, 0 failed\n", 0)
    assert problems == ["summary line disagrees with the PASS/FAIL lines"]


def test_pair_summary():
    b = {"pairs": 1000, "sizes": [16, 64], "kmem_ns": [40000, 60000], "malloc_ns": [44000, 63000]}
    s = rumptest.pair_summary(b)
    assert s["kmem"] == 50.0 and s["malloc"] == 53.5 and s["ratio"] == 1.07
    assert s["by_size"][0] == {"size": 16, "kmem": 40.0, "malloc": 44.0, "ratio": 1.1}
    assert "kmem_intr" not in s
    s = rumptest.pair_summary({**b, "kmem_intr_ns": [30000, 50000]})
    assert s["kmem_intr"] == 40.0 and s["by_size"][1]["kmem_intr"] == 50.0
    assert "malloc_hdr" not in s and "ratio_hdr" not in s
    # the header type beside the header-less one; the ratio stays the latter's
    s = rumptest.pair_summary({**b, "malloc_hdr_ns": [48000, 69000]})
    assert s["malloc_hdr"] == 58.5 and s["ratio_hdr"] == 1.17 and s["ratio"] == 1.07
    assert s["by_size"][1]["malloc_hdr"] == 69.0 and s["by_size"][1]["ratio_hdr"] == 1.15


def test_alignment_summary_finds_sizes_below_kmem():
    a = {"step": 8, "pagesize": 4096, "kmem": [8, 16, 8, 64, 64], "malloc": [8, 16, 8, 8, 64]}
    s = rumptest.alignment_summary(a)
    assert s["below_kmem"] == 1 and s["below"] == [{"size": 32, "kmem": 64, "malloc": 8}]
    assert s["runs"] == [[8, 8, 8, 8], [16, 16, 16, 16], [24, 24, 8, 8],
                         [32, 32, 64, 8], [40, 40, 64, 64]]
    assert (s["sizes"], s["from"], s["to"]) == (5, 8, 40)
    more = rumptest.alignment_summary({**a, "malloc": [16, 16, 8, 64, 4096]})
    assert more["below_kmem"] == 0           # more than kmem is fine
    assert "hdr_below_kmem" not in more
    # the header type's sizes below kmem are counted apart, not as malloc's
    hdr = rumptest.alignment_summary({**a, "malloc": a["kmem"], "malloc_hdr": [8, 8, 8, 8, 64]})
    assert hdr["below_kmem"] == 0 and hdr["hdr_below_kmem"] == 2


def test_result_json_shape():
    res = rumptest.Result(tests={"build": "passed", "alignment": "passed"},
                          types=[{"type": "temp", "inuse": 0, "requests": 2}],
                          bench={"pairs": 10, "sizes": [64], "kmem_ns": [500], "malloc_ns": [550]},
                          alignment={"step": 8, "kmem": [8], "malloc": [8]})
    j = res.to_json()
    assert j["pair_ns"] == {"kmem": 50.0, "malloc": 55.0, "malloc_hdr": None, "kmem_intr": None}
    assert j["pair_ratio"] == 1.1 and j["pair_ratio_hdr"] is None
    assert j["types"] == [{"type": "temp", "inuse": 0, "requests": 2}]
    assert j["usage"]["generic_percent"] == 100.0
    assert j["alignment"]["below_kmem"] == 0
    assert res.ok()
    res.tests["workload"] = "failed"
    assert not res.ok()
    assert not rumptest.Result().ok()        # nothing ran is no success


def test_usage_leaves_our_type_out():
    types = [{"type": "k2mtest", "requests": 1000000}, {"type": "k2mtest-sized", "requests": 7},
             {"type": "devbuf", "requests": 1},
             {"type": "temp", "requests": 3}, {"type": "vfs", "requests": 16},
             {"type": "pcb", "requests": 0}]
    assert rumptest.usage(types) == {"used": 3, "attached": 4, "requests": 20,
                                     "generic_percent": 20.0}
    assert rumptest.usage([])["generic_percent"] == 0.0


def test_ours_freed_needs_both_types_used_and_empty():
    empty = {"requests": 5, "inuse": 0, "bytes": 0}
    types = [{"type": "k2mtest", **empty}, {"type": "k2mtest-sized", **empty},
             {"type": "vfs", "requests": 9, "inuse": 3, "bytes": 300}]
    assert rumptest.ours_freed(types)
    assert not rumptest.ours_freed(types[:1] + types[2:])         # one type never attached
    assert not rumptest.ours_freed([{**types[0], "inuse": 1}] + types[1:])
    assert not rumptest.ours_freed([types[0], {**types[1], "bytes": 64}, types[2]])
    assert not rumptest.ours_freed([types[0], {**types[1], "requests": 0}, types[2]])
