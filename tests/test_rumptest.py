"""rumptest without a NetBSD tree: its checks of the input, what it reads
from buildrump.sh and the workload, and the JSON it writes (a fake
buildrump.sh stands in for the real one)."""
import json
import os
import stat

import pytest

from conftest import run
from k2m.kernel import rumptest

MK = "sys/rump/librump/rumpkern/Makefile.rumpkern"


V799, V1099 = 799003400, 1099001200


def rump_tree(tmp_path, shimmed=True, version=V799):
    """A directory laid out like buildrump-src (nothing buildable), with a
    buildrump.sh beside it that prints and fails."""
    src = tmp_path / "src"
    (src / MK).parent.mkdir(parents=True)
    (src / "sys" / "sys").mkdir(parents=True)
    (src / "sys" / "sys" / "param.h").write_text(
        f"#define\t__NetBSD_Version__\t{version}\t/* NetBSD */\n")
    (src / MK).write_text("SRCS+=\tkern_malloc.c\t\\\n" +
                          ("\tkern_malloc_types.c\n" if shimmed else "\n"))
    if shimmed:
        (src / "sys" / "kern").mkdir(parents=True)
        (src / "sys" / "kern" / "kern_malloc_types.c").write_text("")
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
    (src / "sys" / "sys" / "malloc_types.h").write_text("")     # a shim in part
    one_line_error(run("rumptest", str(src)), "install-shim", "in part")
    (src / "sys" / "sys" / "param.h").write_text("#define __NetBSD_Prereq__(a,b,c) 1\n")
    (src / "sys" / "sys" / "malloc_types.h").unlink()
    one_line_error(run("rumptest", str(src)), "__NetBSD_Version__")
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
    assert data["pair_ratio"] is None and data["malloc_debug_types"] is True
    log = (obj / "build.log").read_text()         # the recipe's flags reached buildrump.sh
    assert f"-s {src} -o {obj}/obj -d {obj}/rump -j 2 -V NOGCCERROR=1 " \
           "-F CFLAGS=-fcommon -F CPPFLAGS=-DMALLOC_DEBUG_TYPES " \
           "tools build install" in log


def test_without_obj_a_failed_run_keeps_its_directory(tmp_path, fake_path):
    src = rump_tree(tmp_path)
    p = run("rumptest", str(src))
    assert p.returncode == 1
    kept = [line for line in p.stdout.splitlines() if line.startswith("rumptest: kept ")]
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


def test_pristine_tree_is_input_and_says_what_is_skipped(tmp_path, fake_path):
    src = rump_tree(tmp_path, shimmed=False, version=V1099)
    p = run("rumptest", "--obj", str(tmp_path / "obj"), str(src))
    assert p.returncode == 1, p.stdout + p.stderr         # the fake build fails
    assert f"rumptest: {src}: NetBSD 10.99.12, without the shim (NetBSD-current layout)" \
        in p.stdout
    assert "no shim in the tree: the kmem/malloc timing" in p.stdout


def test_netbsd_version_and_layout(tmp_path):
    src = rump_tree(tmp_path, version=V1099)
    assert rumptest.netbsd_version(str(src)) == V1099
    assert rumptest.netbsd_version(str(tmp_path / "nowhere")) is None
    lay = rumptest.detect("T", str(src))
    assert lay == rumptest.Layout(V1099, True) and lay.current
    assert lay.name == "NetBSD 10.99.12, shimmed"
    old = rumptest.Layout(V799, False)
    assert not old.current and old.name == "NetBSD 7.99.34, without the shim"
    pristine = rump_tree(tmp_path / "p", shimmed=False)
    assert rumptest.detect("T", str(pristine)) == rumptest.Layout(V799, False)


def test_workload_libs_per_layout():
    old = rumptest.Layout(V799, True)
    assert rumptest.workload_libs(old, []) == rumptest.RUMP_LIBS        # 7.99 as it was
    cur = rumptest.Layout(V1099, False)
    libs = rumptest.workload_libs(cur, [])
    # 10.x librumpvfs needs fifofs, fifofs local-domain sockets
    assert libs[libs.index("rumpvfs") - 2:libs.index("rumpvfs")] == \
        ["rumpvfs_fifofs", "rumpnet_local"]          # rumpnet is there already
    assert set(libs) - set(rumptest.RUMP_LIBS) == {"rumpvfs_fifofs", "rumpnet_local"}
    libs = rumptest.workload_libs(cur, ["md", "cgd"])
    assert libs[0] == "rumpkern_k2mtest" and libs[-2:] == ["rump", "rumpuser"]
    assert {"rumpdev_md", "rumpdev_cgd", "rumpkern_crypto"} <= set(libs)
    assert len(libs) == len(set(libs))


def test_drivers_and_defines():
    cur, old = rumptest.Layout(V1099, False), rumptest.Layout(V799, True)
    everything = {"rumpdev_md", "rumpdev_cgd", "rumpkern_crypto", "rumpvfs"}
    assert rumptest.drivers_for(cur, everything) == (["md", "cgd"], [])
    chosen, why = rumptest.drivers_for(cur, everything - {"rumpkern_crypto"})
    assert chosen == ["md"] and why == ["cgd: not tested (librumpkern_crypto.so not installed)"]
    assert rumptest.drivers_for(old, everything) == ([], [])          # 7.99: vnd only
    assert rumptest.workload_defines(cur, ["md", "cgd"]) == ["-DK2M_MD", "-DK2M_CGD"]
    assert rumptest.workload_defines(old, []) == ["-DK2M_SHIM"]


def test_installed_libs(tmp_path):
    for f in ("librumpvfs.so", "librumpvfs.so.0", "librumpdev_md.so", "librump.a"):
        (tmp_path / f).write_text("")
    assert rumptest.installed_libs(str(tmp_path)) == {"rumpvfs", "rumpdev_md"}
    assert rumptest.installed_libs(str(tmp_path / "none")) == set()


def test_parse_workload_skips():
    text = ("PASS boot (0.1 s)\nSKIP bench: needs the shim's malloc types\n"
            "SKIP malloc_stats: no kern.malloc_stats in this kernel\n"
            "1 passed, 0 failed, 2 skipped\n")
    tests, problems = rumptest.parse_workload(text, 0)
    assert problems == []
    assert tests == {"boot": "passed", "bench": "skipped", "malloc_stats": "skipped"}
    _, problems = rumptest.parse_workload(text.replace("2 skipped", "1 skipped"), 0)
    assert problems == ["summary line disagrees with the PASS/FAIL lines"]


def test_own_test_libs_and_script():
    cur, old = rumptest.Layout(V1099, False), rumptest.Layout(V799, False)
    fst = dict((n, libs) for n, _, libs, _ in rumptest.OWN_TESTS)
    # fifofs and local-domain sockets need the socket layer too
    assert rumptest.own_test_libs(fst["fstest"], cur, set()) == \
        ["rumpfs_kernfs", "rumpvfs_fifofs", "rumpnet_local", "rumpnet_net", "rumpnet",
         "rumpvfs", "rump", "rumpuser"]
    assert rumptest.own_test_libs(fst["fstest"], old, set()) == fst["fstest"]
    assert rumptest.own_test_libs(fst["init"], cur, set()) == ["rump", "rumpuser"]
    net = rumptest.own_test_libs(fst["nettest_simple"], cur, {"rumpkern_sysproxy"})
    assert net[-3:] == ["rumpkern_sysproxy", "rump", "rumpuser"]
    assert "rumpkern_sysproxy" not in rumptest.own_test_libs(fst["nettest_simple"], cur, set())
    assert "rumpnet_netinet6" in rumptest.own_test_libs(fst["nettest_routed6"], cur, set())
    assert rumptest.own_test_libs(fst["simpleclient"], cur, set()) == ["rumpclient"]
    script = rumptest.own_test_script(["rm -f busmem", "{prog} server"], prog="/o/p")
    assert script == "set -e\nrm -f busmem\n/o/p server\n"


def test_own_test_verdicts(tmp_path):
    s = rumptest.Setup(str(tmp_path), "/bin/true", str(tmp_path), 1, True,
                       rumptest.Layout(V1099, False))
    lines = []
    r = rumptest.Runner(s, rumptest.Result(), lines.append)
    d = str(tmp_path)
    assert r.own_test("init", ["true"], "exit 0\n", d) == "passed"
    assert r.own_test("fstest", ["false"], "exit 0\n", d) == "failed"        # no build, no run
    assert not (tmp_path / "test-fstest.log").exists()
    assert r.own_test("fstest_img", ["true"], "set -e\nfalse\necho never\n", d) == "failed"
    assert r.own_test("dynamic", ["true"], "exit 37\n", d) == "skipped"
    assert r.own_test("init", ["true"], "exit 37\n", d) == "failed"          # 37 is dynamic's
    assert any("buildrump.dynamic: skipped" in x for x in lines)
    assert not any("buildrump.dynamic: failed" in x for x in lines)


def test_a_test_server_left_running_is_ended(tmp_path):
    s = rumptest.Setup(str(tmp_path), "/bin/true", str(tmp_path), 1, True,
                       rumptest.Layout(V1099, False))
    r = rumptest.Runner(s, rumptest.Result(), lambda line: None)
    d = tmp_path / "t"
    d.mkdir()
    # a detached "server" (setsid, as rumpuser_daemonize does) that outlives the test
    assert r.own_test("nettest_simple", ["true"],
                      "setsid sleep 300 </dev/null >/dev/null 2>&1 &\nsleep 0.3\n",
                      str(d)) == "passed"
    import time
    for _ in range(50):
        if not rumptest.pids_in(str(d)):
            break
        time.sleep(0.1)
    assert rumptest.pids_in(str(d)) == []


def test_a_shimmed_kernel_is_built_with_the_type_check_unless_told():
    """A shimmed tree's kernel is built with MALLOC_DEBUG_TYPES (every
    wrong-type free panics); --no-debug-types builds it as it ships, for
    timings; a pristine tree has no shim to give the option to."""
    def cmd(shim, debug_types=True):
        s = rumptest.Setup("/t", "/b/buildrump.sh", "/o", 2, True,
                           rumptest.Layout(V1099, shim), debug_types)
        return rumptest.Runner(s, rumptest.Result(), lambda line: None).buildrump("build")
    assert "CPPFLAGS=-DMALLOC_DEBUG_TYPES" in cmd(True)
    assert "CPPFLAGS=-DMALLOC_DEBUG_TYPES" not in cmd(True, debug_types=False)
    assert "CPPFLAGS=-DMALLOC_DEBUG_TYPES" not in cmd(False)


def test_sites_add_their_option_and_a_change_of_options_rebuilds(tmp_path):
    """--sites builds with MALLOC_SITES beside MALLOC_DEBUG_TYPES, in one
    CPPFLAGS; an --obj built with other options loses its build (make would
    not see the -D flags change), one built with the same keeps it."""
    s = rumptest.Setup("/t", "/b/buildrump.sh", "/o", 2, True,
                       rumptest.Layout(V1099, True), True, True)
    cmd = rumptest.Runner(s, rumptest.Result(), lambda line: None).buildrump("build")
    assert "CPPFLAGS=-DMALLOC_DEBUG_TYPES -DMALLOC_SITES" in cmd
    obj = tmp_path / "obj"
    (obj / "obj" / "sys").mkdir(parents=True)
    (obj / "rump" / "lib").mkdir(parents=True)
    assert not rumptest.same_options(str(obj), ["MALLOC_DEBUG_TYPES"])     # no stamp yet
    assert not (obj / "obj").exists() and not (obj / "rump").exists()
    (obj / "obj" / "sys").mkdir(parents=True)
    assert rumptest.same_options(str(obj), ["MALLOC_DEBUG_TYPES"])
    assert (obj / "obj" / "sys").exists()
    assert not rumptest.same_options(str(obj), ["MALLOC_DEBUG_TYPES", "MALLOC_SITES"])
    assert not (obj / "obj").exists()


def test_sites_need_the_shim(tmp_path):
    src = rump_tree(tmp_path, shimmed=False)
    one_line_error(run("rumptest", "--sites", str(src)), "--sites needs the shim")
