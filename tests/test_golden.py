"""Golden tests: tests/golden/NAME.c converted must equal NAME.expected.c.

Each case is converted alone, in a scratch tree of its own (at
sys/dev/golden/NAME.c, with goldvar.h beside it), so that cases cannot
pair with each other, with a tag map whose only type is M_GOLDEN; then its
output is converted again, which must change nothing.  K2M_REGEN=1
rewrites the expected files (review the diff before committing them).
"""
import os
import shutil

import pytest

from conftest import GOLD_MAP, TOP, run

GOLDEN = os.path.join(TOP, "tests", "golden")
CASES = sorted(f[:-2] for f in os.listdir(GOLDEN)
               if f.endswith(".c") and not f.endswith(".expected.c"))
SHARED = [f for f in os.listdir(GOLDEN) if f.endswith(".h")]


def convert(tmp, tree, name):
    tm = tmp / "map.yaml"
    tm.write_text(GOLD_MAP)
    p = run("convert", "--tag-map", str(tm), "--out", str(tmp / name), "-j", "1",
            "--in-place", str(tree))
    assert p.returncode == 0, p.stdout + p.stderr
    return tmp / name


@pytest.mark.parametrize("case", CASES)
def test_golden(tmp_path, case):
    dev = tmp_path / "tree" / "sys" / "dev" / "golden"
    dev.mkdir(parents=True)
    for f in [case + ".c"] + SHARED:
        shutil.copy(os.path.join(GOLDEN, f), dev / f)
    convert(tmp_path, tmp_path / "tree", "out1")
    got = (dev / f"{case}.c").read_text()
    exp_path = os.path.join(GOLDEN, f"{case}.expected.c")
    if os.environ.get("K2M_REGEN"):
        with open(exp_path, "w") as fp:
            fp.write(got)
    with open(exp_path) as fp:
        assert got == fp.read()
    # a fixed point: converting the output again changes nothing
    out = convert(tmp_path, tmp_path / "tree", "out2")
    assert (dev / f"{case}.c").read_text() == got
    assert os.listdir(out / "diffs") == []
