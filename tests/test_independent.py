"""The converter checked by tests/independent/mixcheck.py, which shares no
code with it: converting the example tree creates no mixed pair, with or
without the shim installed; and a mix planted in the converted tree is
found (so the check can fail)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import TOP, run

MIXCHECK = f"{TOP}/tests/independent/mixcheck.py"

if not os.environ.get("CI"):      # in CI (make deps installed it) a missing one fails
    pytest.importorskip("clang.cindex", reason="needs python3-clang-14")


def mixcheck(tmp_path, *args):
    out = tmp_path / "mix.json"
    p = subprocess.run([sys.executable, MIXCHECK, "-j", "2", "--json", str(out), *args],
                       text=True, capture_output=True)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    return p, json.loads(out.read_text())


@pytest.fixture
def converted(tmp_path):
    before = tmp_path / "before"
    after = tmp_path / "after"
    shutil.copytree(f"{TOP}/examples", before)
    shutil.copytree(before, after)
    p = run("convert", "--in-place", "--out", str(tmp_path / "out"), str(after))
    assert p.returncode == 0, p.stdout + p.stderr
    return before, after


def test_example_converted_no_mixed_pair(tmp_path, converted):
    before, after = converted
    p, doc = mixcheck(tmp_path, "--before", str(before), str(after))
    assert p.returncode == 0, p.stdout
    s = doc["summary"]
    assert s["mixed_pairs"] == 0 and s["created"] == 0
    # it did look: every file parsed (with errors: without the shim the
    # typed helpers, their types and free's third argument are unknown)
    assert doc["coverage"]["parsed"] == 9


def test_example_converted_and_shimmed_no_mixed_pair(tmp_path, converted):
    before, after = converted
    p = run("install-shim", str(after))
    assert p.returncode == 0, p.stdout + p.stderr
    p, doc = mixcheck(tmp_path, "--before", str(before), str(after), "sys/dev")
    assert p.returncode == 0, p.stdout
    assert doc["summary"]["mixed_pairs"] == 0
    # with the shim every file parses cleanly and every free is linked
    assert doc["coverage"]["parsed"] == doc["coverage"]["clean"] == 8
    assert doc["summary"]["frees"] == doc["summary"]["frees_linked"] == 17


def test_example_planted_mix_is_found(tmp_path, converted):
    # undo the conversion of one allocation, keep its converted free
    before, after = converted
    f = after / "sys" / "dev" / "i2c" / "iicmux.c"
    text = f.read_text()
    assert "malloc(nbusses * sizeof(*sc->sc_busses), M_I2C,\n\t    M_WAITOK | M_ZERO)" in text
    f.write_text(text.replace(
        "malloc(nbusses * sizeof(*sc->sc_busses), M_I2C,\n\t    M_WAITOK | M_ZERO)",
        "kmem_zalloc(nbusses * sizeof(*sc->sc_busses), KM_SLEEP)")
        .replace("#include <sys/malloc.h>", "#include <sys/kmem.h>\n#include <sys/malloc.h>"))
    assert run("install-shim", str(after)).returncode == 0     # free(p, T, n) declared
    p, doc = mixcheck(tmp_path, "--before", str(before), str(after), "sys/dev")
    assert p.returncode == 1
    [m] = doc["findings"]
    assert m["origin"] == "created"
    assert (m["alloc"]["call"], m["free"]["written"]) == ("kmem_zalloc", "free")
    assert m["free"]["file"] == "sys/dev/i2c/iicmux.c"
    assert m["keys"] == ["M:struct iicmux_softc@sys/dev/i2c/iicmux.c::sc_busses"]
