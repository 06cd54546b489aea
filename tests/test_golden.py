"""Golden tests: tests/golden/NAME.c converted must equal NAME.expected.c.

Each input is placed at sys/dev/golden/NAME.c in a scratch tree (with
goldvar.h beside it) and the whole set is converted in one run with a tag
map whose only type is M_GOLDEN.  K2M_REGEN=1 rewrites the expected files
(review the diff before committing them).
"""
import os
import shutil

import pytest

from conftest import GOLD_MAP, TOP, run

GOLDEN = os.path.join(TOP, "tests", "golden")
CASES = sorted(f[:-2] for f in os.listdir(GOLDEN)
               if f.endswith(".c") and not f.endswith(".expected.c"))


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("golden")
    dev = tmp / "tree" / "sys" / "dev" / "golden"
    dev.mkdir(parents=True)
    for f in os.listdir(GOLDEN):
        if not f.endswith(".expected.c"):
            shutil.copy(os.path.join(GOLDEN, f), dev / f)
    tm = tmp / "map.yaml"
    tm.write_text(GOLD_MAP)
    p = run("convert", "--tag-map", str(tm), "--out", str(tmp / "out"),
            "--in-place", str(tmp / "tree"))
    assert p.returncode == 0, p.stdout + p.stderr
    return dev


@pytest.mark.parametrize("case", CASES)
def test_golden(converted, case):
    got = (converted / f"{case}.c").read_text()
    exp_path = os.path.join(GOLDEN, f"{case}.expected.c")
    if os.environ.get("K2M_REGEN"):
        with open(exp_path, "w") as fp:
            fp.write(got)
    with open(exp_path) as fp:
        assert got == fp.read()


def test_golden_is_a_fixed_point(converted, tmp_path):
    """Converting the converted output again changes nothing."""
    tree = converted.parent.parent.parent
    before = {f: (converted / f).read_text() for f in os.listdir(converted)}
    tm = tmp_path / "map.yaml"
    tm.write_text(GOLD_MAP)
    p = run("convert", "--tag-map", str(tm), "--out", str(tmp_path / "out"),
            "--in-place", str(tree))
    assert p.returncode == 0, p.stderr
    assert {f: (converted / f).read_text() for f in os.listdir(converted)} == before
    assert os.listdir(tmp_path / "out" / "diffs") == []
