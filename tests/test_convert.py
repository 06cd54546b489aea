"""`kmem2malloc convert` and `audit` on the example tree and on bad input."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import K2M, TOP, run, snapshot

KMEM_CALL = re.compile(r"\bkmem_\w+\s*\(")


def kmem_calls_in(path):
    """An independent count: kmem_*( outside comments."""
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    return len(KMEM_CALL.findall(text))


@pytest.fixture
def converted(example_tree, tmp_path):
    out = tmp_path / "out"
    before = snapshot(example_tree)
    p = run("convert", "--out", str(out), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    assert snapshot(example_tree) == before, "convert without --in-place wrote to the tree"
    return example_tree, out, json.loads((out / "report.json").read_text())


def test_nothing_lost(converted):
    tree, out, rep = converted
    seen = {f["path"] for f in rep["files"]}
    for d, _, fs in os.walk(tree / "sys" / "dev"):
        for f in fs:
            path = os.path.relpath(os.path.join(d, f), tree)
            n = kmem_calls_in(os.path.join(d, f))
            if n:
                assert path in seen, path
                entry = next(x for x in rep["files"] if x["path"] == path)
                assert len(entry["sites"]) == n, path
                for s in entry["sites"]:
                    assert s["status"] in ("converted", "kept")
                    assert s.get("tag") if s["status"] == "converted" else s["reason"]
    s = rep["summary"]
    assert s["converted"] + s["kept"] == s["kmem_sites"] == 31
    assert s["mixed_pairs_created"] == 0


def site(rep, path, line):
    f = next(x for x in rep["files"] if x["path"] == path)
    return next(s for s in f["sites"] if s["line"] == line)


def test_safety_decisions(converted):
    _, _, rep = converted
    # kmem_asprintf string freed with kmem_free(p, strlen(p) + 1): both kmem
    assert site(rep, "sys/dev/usb/ubar.c", 26)["status"] == "kept"
    assert "kmem_asprintf" in site(rep, "sys/dev/usb/ubar.c", 62)["reason"]
    # memory sys/kern frees stays kmem, with a boundary finding
    assert "subr_thing.c" in site(rep, "sys/dev/usb/ubar.c", 39)["reason"]
    # allocator macro: its free stays kmem; the other pair converts
    assert "UQUX_ALLOC" in site(rep, "sys/dev/usb/uqux.c", 36)["reason"]
    assert site(rep, "sys/dev/usb/uqux.c", 37)["status"] == "converted"
    # km_flag_t parameter: kept with its free
    assert "flags" in site(rep, "sys/dev/i2c/tempsen.c", 33)["reason"]
    assert site(rep, "sys/dev/i2c/tempsen.c", 50)["status"] == "kept"
    # two-file driver: the PCI front end frees with the chip file's type
    assert site(rep, "sys/dev/pci/frob_pci.c", 28)["tag"] == "M_ICDEV"
    # #if 0 half of a pair is converted with it
    assert site(rep, "sys/dev/usb/ubar.c", 52)["status"] == "converted"


def fields_by_family(tree):
    """{field name: {'kmem', 'malloc'}} over alloc and free sites, tree-wide,
    by name only: an independent, cruder check than the converter's."""
    fam = {}
    pat = re.compile(r"(?:->|\.)(\w+)\s*=\s*(kmem_\w*alloc|malloc)\s*\("
                     r"|\b(kmem_free|kmem_intr_free|free)\s*\(\s*[\w>.\-\[\]]*?(?:->|\.)(\w+)\s*,")
    for d, _, fs in os.walk(tree / "sys"):
        for f in fs:
            text = open(os.path.join(d, f)).read()
            for m in pat.finditer(text):
                name = m.group(1) or m.group(4)
                call = m.group(2) or m.group(3)
                fam.setdefault(name, set()).add("kmem" if call.startswith("kmem") else "malloc")
    return fam


def test_in_place_no_mixed_pairs_and_fixed_point(example_tree, tmp_path):
    p = run("convert", "--in-place", "--out", str(tmp_path / "o1"), str(example_tree))
    assert p.returncode == 0, p.stderr
    mixed = {k for k, v in fields_by_family(example_tree).items() if len(v) > 1}
    assert mixed == set(), mixed
    after = snapshot(example_tree)
    p = run("convert", "--in-place", "--out", str(tmp_path / "o2"), str(example_tree))
    assert p.returncode == 0, p.stderr
    assert snapshot(example_tree) == after
    assert os.listdir(tmp_path / "o2" / "diffs") == []


@pytest.mark.parametrize("tool", ["git", "patch"])
def test_each_diff_applies_alone(converted, tmp_path, tool):
    tree, out, _ = converted
    diffs = sorted((out / "diffs").iterdir())
    assert len(diffs) == 6
    for d in diffs:
        copy = tmp_path / f"apply-{d.stem}"
        shutil.copytree(tree, copy)
        cmd = (["git", "apply", "--check", str(d)] if tool == "git"
               else ["patch", "-p1", "--dry-run", "-s", "-i", str(d)])
        r = subprocess.run(cmd, cwd=copy, capture_output=True, text=True)
        assert r.returncode == 0, (d.name, r.stderr + r.stdout)


def test_all_diffs_equal_in_place(converted, tmp_path):
    tree, out, _ = converted
    copy = tmp_path / "applied"
    shutil.copytree(tree, copy)
    for d in sorted((out / "diffs").iterdir()):
        r = subprocess.run(["patch", "-p1", "-s", "-i", str(d)], cwd=copy)
        assert r.returncode == 0
    p = run("convert", "--in-place", "--out", str(tmp_path / "o"), str(tree))
    assert p.returncode == 0
    assert snapshot(copy) == snapshot(tree)


def test_diff_names_are_drivers(converted):
    _, out, _ = converted
    names = sorted(f.name for f in (out / "diffs").iterdir())
    assert names == ["frob.diff", "iicmux.diff", "tempsen.diff", "ubar.diff",
                     "uqux.diff", "wex.diff"]
    frob = (out / "diffs" / "frob.diff").read_text()
    assert "a/sys/dev/ic/frob.c" in frob and "a/sys/dev/pci/frob_pci.c" in frob


@pytest.mark.parametrize("args, words", [
    (["/nonexistent/tree"], "no such directory"),
    (["{tmp}"], "not a source tree"),
    (["{tree}", "sys/dev/nope"], "no such file or directory"),
    (["{tree}", "../../etc"], "outside the tree"),
])
def test_bad_tree_is_a_clear_error(example_tree, tmp_path, args, words):
    args = [a.format(tmp=tmp_path, tree=example_tree) for a in args]
    before = snapshot(example_tree)
    p = run("convert", "--out", str(tmp_path / "out"), *args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and words in p.stderr
    assert snapshot(example_tree) == before


def fake_spatch(tmp_path, body):
    """A spatch wrapper first on PATH; body is shell run before the real one."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real = shutil.which("spatch")
    w = bindir / "spatch"
    w.write_text(f"#!/bin/sh\n{body}\nexec {real} \"$@\"\n")
    w.chmod(0o755)
    return dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")


def test_unparsable_function_is_reported(example_tree, tmp_path):
    f = example_tree / "sys" / "dev" / "i2c" / "iicmux.c"
    text = f.read_text().replace("\tint i;\n\n\tsc->sc_nbusses", "\tint i;\n\t@@@ garbage;\n\tsc->sc_nbusses")
    f.write_text(text)
    out = tmp_path / "out"
    p = run("convert", "--out", str(out), str(example_tree))
    rep = json.loads((out / "report.json").read_text())
    entry = next(x for x in rep["files"] if x["path"].endswith("iicmux.c"))
    kinds = [x["kind"] for x in entry["findings"]]
    assert "spatch" in kinds
    # both halves of the pair stay kmem: the free too
    assert [s["status"] for s in entry["sites"]] == ["kept", "kept"]
    assert "spatch did not convert" in entry["sites"][0]["reason"]


def test_spatch_may_change_only_marked_calls(example_tree, tmp_path):
    """A spatch that also edits a line with no call to rewrite (as it did
    to an unusual #define) gets the file kept whole and reported."""
    real = shutil.which("spatch")
    env = fake_spatch(tmp_path, f'"{real}" "$@" || exit $?\n'
                      'for a; do case "$a" in group-*|*.c) for f in $(cat "$a" 2>/dev/null) "$a"; do '
                      'case "$f" in *iicmux.c) sed -i "s/^#include <sys\\/param.h>/#include <sys\\/param.h> /" "$f";; '
                      'esac; done;; esac; done\nexit 0')
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, K2M, "convert", "--out", str(out), str(example_tree)],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 1, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    entry = next(x for x in rep["files"] if x["path"].endswith("iicmux.c"))
    assert any(f["kind"] == "spatch-error" and "no call to rewrite" in f["message"]
               for f in entry["findings"]), entry["findings"]
    assert all(s["status"] == "kept" for s in entry["sites"])
    assert entry["diff"] is None


def test_spatch_error_touches_nothing(example_tree, tmp_path):
    # spatch gets a file (a retry) or a --file-groups list (a bin) naming it
    env = fake_spatch(tmp_path, 'for a; do case "$a" in *iicmux.c*) echo boom >&2; exit 3;; '
                      'group-*) if grep -q iicmux.c "$a"; then echo boom >&2; exit 3; fi;; '
                      'esac; done')
    before = snapshot(example_tree)
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, K2M, "convert", "--in-place", "--out", str(out),
                        str(example_tree)], env=env, capture_output=True, text=True)
    assert p.returncode == 1, p.stderr
    assert snapshot(example_tree) == before
    rep = json.loads((out / "report.json").read_text())
    entry = next(x for x in rep["files"] if x["path"].endswith("iicmux.c"))
    assert any(x["kind"] == "spatch-error" and "boom" in x["message"]
               for x in entry["findings"])
    assert rep["summary"]["spatch_errors"] == 1


def test_interrupt_touches_nothing(example_tree, tmp_path):
    env = fake_spatch(tmp_path, "sleep 30")
    before = snapshot(example_tree)
    proc = subprocess.Popen([sys.executable, K2M, "convert", "--in-place", "--out",
                             str(tmp_path / "out"), str(example_tree)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(example_tree) == before


def test_audit(example_tree):
    p = run("audit", "--json", str(example_tree))
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)["sites"]
    assert len(rows) == 31
    kept = [r for r in rows if not r["reason"].startswith("convertible")]
    assert len(kept) == 11
    assert all(r["driver"] and r["subsystem"] for r in rows)
    text = run("audit", str(example_tree), "sys/dev/usb").stdout
    assert "by driver" in text and "ubar" in text and "kmem_asprintf" in text


def test_help_teaches():
    p = run("--help")
    assert p.returncode == 0
    for word in ("convert", "audit", "install-shim", "check", "--in-place", "exit status"):
        assert word in p.stdout
