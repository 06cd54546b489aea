"""The tag map: the shipped one loads, and every bad map is one error line
naming file and line, exit status 2, nothing written."""
import os

import pytest

from conftest import TOP, run
from k2m import tagmap

GOOD = """\
version: 1
default: M_DEVBUF
tags:
  M_DEVBUF: {short: devbuf, description: device driver memory}
  M_USBDEV: {short: USB device, description: USB drivers}
rules:
  - {driver: frob, tag: M_USBDEV}
  - {path: sys/dev/usb/**, tag: M_USBDEV}
"""

BAD = {
    # name: (text, line, words in the message)
    "yaml": (GOOD.replace("rules:", "rules: [\n  - oops: {"), 7, "YAML error"),
    "unknown-top-key": (GOOD + "colour: blue\n", 9, "unknown key 'colour'"),
    "unknown-tag-key": (GOOD.replace("description: USB drivers",
                                     "description: USB drivers, size: 3"), 5,
                        "unknown key 'size'"),
    "unknown-rule-key": (GOOD.replace("{driver: frob,", "{drv: frob,"), 7,
                         "unknown key 'drv'"),
    "bad-identifier": (GOOD.replace("  M_USBDEV: {short: USB", "  M-USB: {short: USB"),
                       5, "not a valid C identifier"),
    "duplicate-short": (GOOD.replace("short: USB device", "short: devbuf"), 5,
                        "short name 'devbuf' already used on line 4"),
    "undefined-rule-tag": (GOOD.replace("tag: M_USBDEV}\n  - {path", "tag: M_FROB}\n  - {path"),
                           7, "rule names undefined tag 'M_FROB'"),
    "undefined-default": (GOOD.replace("default: M_DEVBUF", "default: M_NOPE"), 2,
                          "default names undefined tag 'M_NOPE'"),
    "duplicate-tag": (GOOD.replace("rules:", "  M_USBDEV: {short: usb2, description: x}\nrules:"),
                      6, "duplicate key 'M_USBDEV'"),
    "rule-without-match": (GOOD.replace("{driver: frob, tag: M_USBDEV}", "{tag: M_USBDEV}"),
                           7, "rule needs 'path' or 'driver'"),
    "missing-tags": ("version: 1\ndefault: M_X\n", 1, "missing 'tags'"),
    "empty": ("", 1, "empty tag map"),
}


def test_shipped_map_loads():
    tm = tagmap.load(os.path.join(TOP, "tag-map.yaml"))
    assert tm.default == "M_DEVBUF"
    assert tm.tag_for("sys/dev/usb/ehci.c", "ehci") == "M_USBDEV"
    assert tm.tag_for("sys/dev/pci/if_wm.c", "wm") == "M_PCIDEV"
    assert tm.tag_for("sys/dev/md.c", "md") == "M_DEVBUF"
    shorts = [t.short for t in tm.tags.values()]
    assert len(shorts) == len(set(shorts))


def test_rules_first_match_wins(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(GOOD)
    tm = tagmap.load(str(f))
    assert tm.tag_for("sys/dev/pci/frob_pci.c", "frob") == "M_USBDEV"
    assert tm.tag_for("sys/dev/usb/uhub.c", "uhub") == "M_USBDEV"
    assert tm.tag_for("sys/dev/usbx/a.c", "a") == "M_DEVBUF"


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_map(tmp_path, example_tree, name):
    text, line, words = BAD[name]
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    out = tmp_path / "out"
    p = run("convert", "--tag-map", str(f), "--out", str(out), str(example_tree))
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert f"{f}:{line}:" in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert not out.exists()


def test_missing_map_file(tmp_path, example_tree):
    p = run("convert", "--tag-map", str(tmp_path / "nope.yaml"), str(example_tree))
    assert p.returncode == 2 and "cannot read" in p.stderr
