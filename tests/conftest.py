"""Shared helpers for the kmem2malloc tests."""
import os
import shutil
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K2M = os.path.join(TOP, "scripts", "kmem2malloc")
sys.path.insert(0, os.path.join(TOP, "scripts"))

GOLD_MAP = """\
version: 1
default: M_GOLDEN
tags:
  M_GOLDEN: {short: golden, description: golden tests}
"""


def run(*args, cwd=None, check=False):
    """Run scripts/kmem2malloc; return the CompletedProcess."""
    p = subprocess.run([sys.executable, K2M, *args], cwd=cwd, text=True,
                       capture_output=True)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def snapshot(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            with open(p, "rb") as fp:
                out[os.path.relpath(p, root)] = fp.read()
    return out


@pytest.fixture
def example_tree(tmp_path):
    """A private copy of examples/."""
    dst = tmp_path / "tree"
    shutil.copytree(os.path.join(TOP, "examples"), dst)
    return dst


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """convert's fact cache (factcache) in a directory of the session's,
    not the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
