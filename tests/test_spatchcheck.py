"""The two engines of the rewrite agree: textual.rewrite (what convert
writes) and cocci/'s rules (its check, spatchcheck.py).

The differential test plans each golden case as convert does, runs
cocci/'s rules over the marked input with spatch, puts spatch's output
through convert's own finishing (restyle, include) and requires convert's
output byte for byte; not through spatchcheck.compare, so that a mistake
there cannot hide a disagreement.  The other tests show the check
failing where the engines disagree, and the call spatch cannot parse.
"""
import json
import os
import shutil
import subprocess

import pytest

from test_golden import CASES, GOLDEN, SHARED, options

from k2m import cli, convert
from k2m.c import cscan
from k2m.rewrite import flags, includes, restyle, spatch, textual
from k2m.c.cscan import Context
from k2m.tree import open_tree


def forms_of(opts):
    return textual.Forms(sized_free="--unsized-free" not in opts,
                         intr_flag="--intr-flag" in opts)


@pytest.mark.parametrize("case", CASES)
def test_both_engines_give_the_same_output(tmp_path, case):
    dev = tmp_path / "sys" / "dev" / "golden"
    dev.mkdir(parents=True)
    for f in [case + ".c"] + SHARED:
        shutil.copy(os.path.join(GOLDEN, f), dev / f)
    opts = options(case)
    forms = forms_of(opts)
    tree = open_tree(str(tmp_path))
    sc = convert.scan(tree, ["sys/dev/golden"], 1, log=lambda *a: None,
                      unit_of=lambda p: "golden")
    rw = convert.rewrite(sc, lambda p: "M_GOLDEN", 1, forms,
                         "--keep-size-mismatch" not in opts)
    p = f"sys/dev/golden/{case}.c"
    old, sites = sc.texts[p], convert.planned(rw.plan, p)
    inp = textual.spatch_input(old, sites, sc.facts[p].functions, forms)
    in_code = [s for s, _ in sites if s.context == Context.CODE]
    if inp is None:         # nothing for spatch: under #if 0, in #defines, or kept
        assert not in_code
        return
    res = spatch.run({p: inp.text}, str(tmp_path / "work"), 1, virtuals=forms.virtuals())
    assert not res.failed, res.failed
    got = textual.spatch_output(inp, res.outputs[p])
    assert textual.left_marks(got) == []            # spatch rewrote every call
    taker = sc.free_taken.get(p)
    if taker:
        got = includes.call_free_function(got, taker, forms.free_function)
    got = includes.add(restyle.restyle(old, got), rw.includes[p], taker)
    assert got == rw.outputs[p]
    assert got != old


def test_a_wrong_text_rewrite_fails_the_check(example_tree, tmp_path, monkeypatch):
    """The text rewrite writes a wrong flag (every kmem flag M_WAITOK):
    spatch writes M_NOWAIT for KM_NOSLEEP, and the check reports the line
    and exits 1.  Without the check the same wrong output passes: the
    scan-based verify counts calls, it does not read their flags."""
    real = flags.translate
    monkeypatch.setattr(flags, "translate",
                        lambda callee, f, *a, **k: real(callee, "KM_SLEEP", *a, **k))
    out = tmp_path / "out"
    assert cli.main(["convert", "-j", "1", "--no-series", "--out", str(out),
                     str(example_tree)]) == 1
    rep = json.loads((out / "report.json").read_text())
    differs = [(x["path"], f["line"], f["message"]) for x in rep["files"]
               for f in x["findings"] if f["kind"] == "spatch-differs"]
    nosleep = [(x["path"], n) for x in rep["files"] if x["diff"]
               for n, line in enumerate((example_tree / x["path"]).read_text().split("\n"), 1)
               if "KM_NOSLEEP" in line]
    assert nosleep and sorted((p, n) for p, n, _ in differs) == sorted(nosleep)
    assert all("M_NOWAIT" in m for _, _, m in differs)
    assert rep["summary"]["spatch_check"]["differs"] == len(differs)
    assert cli.main(["convert", "-j", "1", "--no-series", "--no-spatch-check",
                     "--out", str(tmp_path / "unchecked"), str(example_tree)]) == 0
    rep = json.loads((tmp_path / "unchecked" / "report.json").read_text())
    assert rep["summary"]["spatch_check"] is None


def test_a_spatch_that_edits_another_line_fails_the_check(example_tree, tmp_path,
                                                          monkeypatch):
    """spatch's output changes a line with no call to rewrite (it has
    reformatted unusual #defines): a difference at that line; the output
    is the text rewrite's all the same."""
    real = spatch.run

    def meddling(inputs, *a, **kw):
        res = real(inputs, *a, **kw)
        for path in res.outputs:
            if path.endswith("iicmux.c"):
                res.outputs[path] = res.outputs[path].replace(
                    "#include <sys/param.h>\n", "#include <sys/param.h> \n")
        return res
    monkeypatch.setattr(spatch, "run", meddling)
    out = tmp_path / "out"
    assert cli.main(["convert", "-j", "1", "--no-series", "--no-cache", "--out", str(out),
                     str(example_tree)]) == 1
    rep = json.loads((out / "report.json").read_text())
    entry = next(x for x in rep["files"] if x["path"].endswith("iicmux.c"))
    text = (example_tree / entry["path"]).read_text()
    line = text.split("\n").index("#include <sys/param.h>") + 1
    assert [(f["kind"], f["line"]) for f in entry["findings"]] == [("spatch-differs", line)]
    assert all(s["status"] == "converted" for s in entry["sites"])
    assert "+\tsc->sc_busses = malloc(" in (out / "diffs" / entry["diff"]).read_text()


def test_spatchs_output_is_kept_for_the_next_convert(example_tree, tmp_path, monkeypatch):
    """A second convert of the same tree with the same cache runs no
    spatch (every file's output is kept, keyed by its marked input) and
    reports the same; a file changed since is checked again, alone."""
    cache, calls = tmp_path / "cache", []
    real = spatch.run

    def counting(inputs, *a, **kw):
        calls.append(sorted(inputs))
        return real(inputs, *a, **kw)
    monkeypatch.setattr(spatch, "run", counting)

    def convert_(out):
        assert cli.main(["convert", "-j", "1", "--no-series", "--cache", str(cache),
                         "--out", str(tmp_path / out), str(example_tree)]) == 0
        return json.loads((tmp_path / out / "report.json").read_text())["summary"]
    first = convert_("a")
    assert calls[0] and first["spatch_check"]["compared"] > 0
    assert convert_("b") == first and calls[1] == []
    one = next(example_tree.rglob("iicmux.c"))
    one.write_text(one.read_text() + "\n/* changed */\n")
    convert_("c")
    assert calls[2] == [str(one.relative_to(example_tree))]


def test_cocci_rules_run_by_hand_on_marked_input(tmp_path):
    """The rules stay usable alone, as Linux's coccicheck runs its own:
    each cocci/ file by itself, with the options its header gives, over
    a marked file (every call marked, no body elided) gives the text
    rewrite."""
    src = open(os.path.join(GOLDEN, "helpers.c")).read()
    sites = [(s, "M_GOLDEN") for s in cscan.scan(src, "helpers.c").sites
             if s.is_kmem and s.context == Context.CODE]
    assert len(sites) > 10
    marked = tmp_path / "marked.c"
    marked.write_text(textual.apply(src, textual.site_edits(src, sites, mark=True)))
    for rules in spatch.RULE_FILES:
        p = subprocess.run(["spatch", "--very-quiet", "--sp-file",
                            os.path.join(spatch.COCCI_DIR, rules), "--no-includes",
                            "--max-width", "10000", "--macro-file-builtins",
                            os.path.join(spatch.COCCI_DIR, "netbsd_macros.h"),
                            "-D", "sized_free", "--in-place", str(marked)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    want = textual.rewrite(src, sites)
    assert restyle.restyle(src, marked.read_text()) == restyle.restyle(src, want)
    assert "k2m_" not in marked.read_text()
