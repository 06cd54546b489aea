"""The series (convert's OUT/series/, series.py) and install-shim --out: a
committer applies the malloc(9) change first, then the conversions, with
git am or patch -p1, and gets what convert --in-place and install-shim
give; after the first patch the tree compiles as before."""
import os
import shutil
import subprocess

import pytest

from conftest import TOP, run, snapshot

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]

# a file both steps change: the shim mends its direct kern_malloc() call
# (NetBSD-current's audio.c), the conversion its kmem(9) calls
BOTH_C = """\
#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/malloc.h>

void *both_buf(void);
void both_done(void *);
void *both_raw(void);

void *
both_buf(void)
{
\treturn kmem_alloc(32, KM_SLEEP);
}

void
both_done(void *p)
{
\tkmem_free(p, 32);
}

void *
both_raw(void)
{
\treturn kern_malloc(16, M_WAITOK);
}
"""


def git(tree, *args):
    return subprocess.run([*GIT, *args], cwd=tree, capture_output=True, text=True)


def committed(tree):
    """tree as a git repository, everything committed."""
    assert git(tree, "init", "-q").returncode == 0
    git(tree, "add", "-A")
    assert git(tree, "commit", "-qm", "pristine").returncode == 0
    return tree


@pytest.fixture
def trees(tmp_path):
    """The example tree with BOTH_C, twice: one for the series, one
    converted in place and shimmed (the result the series must give)."""
    out = []
    for name in ("series", "in-place"):
        t = tmp_path / name
        shutil.copytree(os.path.join(TOP, "examples"), t)
        (t / "sys" / "dev" / "usb" / "both.c").write_text(BOTH_C)
        out.append(t)
    p = run("convert", "--in-place", "--no-series", "--out", str(tmp_path / "o2"), str(out[1]))
    assert p.returncode == 0, p.stdout + p.stderr
    assert run("install-shim", str(out[1])).returncode == 0
    return out[0], out[1], tmp_path / "out"


def series_of(tree, out):
    p = run("convert", "--out", str(out), str(tree))
    assert p.returncode == 0, p.stdout + p.stderr
    names = [n for n in (out / "series" / "series").read_text().split("\n")
             if n and not n.startswith("#")]
    return [out / "series" / n for n in names]


def test_git_am_of_the_series_gives_convert_in_place_and_install_shim(trees):
    tree, want, out = trees
    committed(tree)
    patches = series_of(tree, out)
    assert patches[0].name.startswith("0001-malloc-9")
    r = git(tree, "am", *map(str, patches))
    assert r.returncode == 0, r.stdout + r.stderr
    got, expect = snapshot(tree), snapshot(want)
    got = {k: v for k, v in got.items() if not k.startswith(".git" + os.sep)}
    assert got == expect
    log = git(tree, "log", "--format=%s").stdout.split("\n")
    assert log[len(patches) - 1] == "malloc(9): real malloc types; free(9) takes the size too"
    assert "ubar: use malloc(9) with M_USBDEV instead of kmem(9)" in log
    # the message: the type, each file, and the findings to know
    frob = git(tree, "log", "--format=%B", "--grep=^frob:").stdout
    assert 'M_ICDEV ("icdev")' in frob
    assert "- sys/dev/ic/frob.c: 5 kmem(9) calls converted" in frob
    assert "To know" in frob and "frob_pci.c:28 cross-type:" in frob


def test_patch_p1_in_the_series_order_gives_the_same(trees):
    tree, want, out = trees
    for p in series_of(tree, out):
        r = subprocess.run(["patch", "-p1", "-s", "-i", str(p)], cwd=tree,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    assert snapshot(tree) == snapshot(want)


def test_a_file_both_steps_change_is_split_between_them(trees):
    """0001 mends both.c's kern_malloc() only; its conversion comes later,
    from the text 0001 left."""
    tree, _, out = trees
    patches = series_of(tree, out)
    first = patches[0].read_text()
    assert "+\treturn malloc(16, M_USBDEV, M_WAITOK);" in first
    assert "kmem_alloc(32" not in first
    later = "".join(p.read_text() for p in patches[1:])
    assert "-\treturn kmem_alloc(32, KM_SLEEP);" in later
    assert "kern_malloc" not in later


def test_after_the_first_patch_the_tree_compiles_as_before(trees):
    tree, _, out = trees
    base = out.parent / "base.json"
    p = run("check", "--baseline", str(base), str(tree), "sys/dev")
    assert p.returncode == 0 and "baseline written" in p.stdout, p.stdout + p.stderr
    patches = series_of(tree, out)
    for step in (patches[:1], patches[1:]):
        for patch in step:
            r = subprocess.run(["patch", "-p1", "-s", "-i", str(patch)], cwd=tree,
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        p = run("check", "--baseline", str(base), str(tree), "sys/dev")
        assert p.returncode == 0, p.stdout
        assert "0 regressions" in p.stdout and "0 new warnings" in p.stdout


def test_the_shim_commit_says_each_file_and_condenses_module_warnings(tmp_path):
    from k2m import series
    from k2m.kernel import shim
    (tmp_path / "sys" / "dev").mkdir(parents=True)
    (tmp_path / "sys" / "dev" / "a.c").write_text("kern_free(p);\n")
    e = shim.Edits(str(tmp_path))
    e.put("sys/sys/malloc.h", "x\n", "the shim")
    e.edit("sys/dev/a.c", lambda t: t.replace("kern_free(p)", "free(p, M_A)"), "direct calls")
    lines = ["install-shim: warning: M_A is defined in sys/a.c, part of loadable module a, "
             "and nothing calls malloc_type_detach(M_A): ...",
             "install-shim: warning: M_B is defined in sys/b.c, part of loadable module b, "
             "and nothing calls malloc_type_detach(M_B): ...",
             "install-shim: warning: sys/x.c:3: free() is given no malloc type (0): ..."]
    # a.c is converted too: its shim edit is replayed on its pristine text
    step, left = series.shim_step(e, {"sys/dev/a.c": "kern_free(p);\nkmem_free(q, 1);\n"}, lines)
    body = " ".join(step.body.split())
    assert "2 types defined in loadable modules" in body and "M_A (a), M_B (b)" in body
    assert "- sys/x.c:3: free() is given no malloc type" in body
    assert "- sys/sys/malloc.h (new): the shim." in body
    assert step.files["sys/dev/a.c"] == ("kern_free(p);\nkmem_free(q, 1);\n",
                                         "free(p, M_A);\nkmem_free(q, 1);\n")
    assert left == {"sys/dev/a.c": "free(p, M_A);\nkmem_free(q, 1);\n"}


def test_either_order_gives_the_same_tree_once_install_shim_runs_again(tmp_path):
    """install-shim before convert works (free() takes both forms); convert
    then says to run install-shim again, and that gives the tree of the
    other order (only the header-less types differed in between)."""
    trees = []
    for order in (("install-shim", "convert"), ("convert", "install-shim")):
        t = tmp_path / "-".join(order)
        shutil.copytree(os.path.join(TOP, "examples"), t)
        for cmd in order:
            args = ["--in-place", "--no-series", "--out", str(tmp_path / (t.name + "-o"))] \
                if cmd == "convert" else []
            p = run(cmd, *args, str(t))
            assert p.returncode == 0, p.stdout + p.stderr
            assert ("run install-shim again" in p.stdout) == (order[0] == "install-shim"
                                                              and cmd == "convert")
        trees.append(t)
    first, second = snapshot(trees[0]), snapshot(trees[1])
    differ = sorted(k for k in first if first[k] != second.get(k))
    assert differ == ["sys/kern/kern_malloc_types.c"]
    assert run("install-shim", str(trees[0])).returncode == 0
    assert snapshot(trees[0]) == second
