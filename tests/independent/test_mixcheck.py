"""mixcheck's own tests, on the fixture tree beside this file.

Each fixture marks what must be found: a comment `mix:A1` (labels
separated by commas, one label naming one pair in the whole fixture tree)
on an allocation line and on a free line means that pair must be
reported, and no other pair may be; `ambiguous` and
`unlinked` on a free line say how it must be counted.  Nothing here
imports scripts/k2m.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MIXCHECK = os.path.join(HERE, "mixcheck.py")
FIXTURES = os.path.join(HERE, "fixtures")
MARK = re.compile(r"/\*\s*(mix:[A-Za-z0-9,]+|ambiguous|unlinked)\s*\*/")

if not os.environ.get("CI"):      # in CI (make deps installed it) a missing one fails
    pytest.importorskip("clang.cindex", reason="needs python3-clang-14")


def mixcheck(*args):
    p = subprocess.run([sys.executable, MIXCHECK, "-j", "2", *args], text=True,
                       capture_output=True)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    return p


def run_json(tmp_path, *args):
    out = tmp_path / "mix.json"
    p = mixcheck("--json", str(out), *args)
    return p, json.loads(out.read_text())


def markers(root):
    """{label: {(file, line), ...}}, and {file:line: word} for the others."""
    pairs, words = {}, {}
    for d, _, fs in os.walk(os.path.join(root, "sys")):
        for f in fs:
            path = os.path.join(d, f)
            rel = os.path.relpath(path, root)
            for n, line in enumerate(open(path), 1):
                m = MARK.search(line)
                if not m:
                    continue
                if m.group(1).startswith("mix:"):
                    for label in m.group(1)[4:].split(","):
                        pairs.setdefault(label, set()).add((rel, n))
                else:
                    words[f"{rel}:{n}"] = m.group(1)
    return pairs, words


def found_pairs(doc):
    return {frozenset({(f["alloc"]["file"], f["alloc"]["line"]),
                       (f["free"]["file"], f["free"]["line"])})
            for f in doc["findings"]}


def test_fixtures_exactly_the_marked_mixes(tmp_path):
    p, doc = run_json(tmp_path, FIXTURES)
    assert p.returncode == 1
    pairs, words = markers(FIXTURES)
    want = set()
    for label, sites in pairs.items():
        assert len(sites) == 2, f"label {label} must mark two lines"
        want.add(frozenset(sites))
    got = found_pairs(doc)
    assert got - want == set(), "reported, not marked"
    assert want - got == set(), "marked, not reported"
    amb = {f"{e['file']}:{e['line']}" for e in doc["frees_ambiguous"]}
    unl = {f"{e['file']}:{e['line']}" for e in doc["frees_unlinked"]}
    assert amb == {k for k, w in words.items() if w == "ambiguous"}
    assert unl == {k for k, w in words.items() if w == "unlinked"}
    cov = doc["coverage"]
    assert cov["parsed"] == cov["candidates"] == cov["clean"] == 13
    assert doc["summary"]["mixed_pairs"] == len(want)


def test_fixture_tiers_and_keys(tmp_path):
    _, doc = run_json(tmp_path, FIXTURES)
    by_free = {(f["free"]["file"], f["free"]["line"]): f for f in doc["findings"]}
    pi = [f for f in doc["findings"] if f["free"]["function"] == "putter_fop_close"]
    assert len(pi) == 1 and pi[0]["tier"] == "file"
    assert pi[0]["keys"] == ["T:struct putter_instance@sys/dev/misc/fdclone.c"]
    assert pi[0]["free"]["written"] == "free" and pi[0]["free"]["call"] == "kern_free"
    ring = by_free[("sys/dev/ic/foo.c", 15)]
    assert ring["tier"] == "tree"
    assert ring["keys"] == ["T:struct foo_ring@sys/dev/ic/foovar.h"]


def test_paths_limit_what_is_read(tmp_path):
    # only ic/: the ring's allocation (pci/) is not seen, nothing is linked
    p, doc = run_json(tmp_path, FIXTURES, "sys/dev/ic")
    assert p.returncode == 0
    assert doc["findings"] == []
    assert doc["summary"]["frees_unlinked"] == 2


def converted_pair(tmp_path):
    """A tree and its 'conversion': one pair converted whole, one free
    converted without its allocation (created), one mix that was already
    in the input; the conversion also adds a line at the top."""
    before = tmp_path / "before"
    shutil.copytree(os.path.join(FIXTURES, "sys", "sys"), before / "sys" / "sys")
    src = before / "sys" / "dev" / "x.c"
    src.parent.mkdir(parents=True)
    src.write_text("""\
#include <sys/kmem.h>
#include <sys/malloc.h>
struct whole { int w; };
struct half { int h; };
struct old { int o; };
void
a(struct whole **wp, struct half **hp, struct old **op)
{
	*wp = kmem_alloc(sizeof(**wp), KM_SLEEP);
	*hp = kmem_alloc(sizeof(**hp), KM_SLEEP);
	*op = malloc(sizeof(**op), M_TEST, M_WAITOK);
}
void
b(struct whole *w, struct half *h, struct old *o)
{
	kmem_free(w, sizeof(*w));
	kmem_free(h, sizeof(*h));
	kmem_free(o, sizeof(*o));
}
""")
    after = tmp_path / "after"
    shutil.copytree(before, after)
    text = src.read_text()
    text = "/* converted */\n" + text
    text = text.replace("*wp = kmem_alloc(sizeof(**wp), KM_SLEEP)",
                        "*wp = malloc(sizeof(**wp), M_TEST, M_WAITOK)")
    text = text.replace("kmem_free(w, sizeof(*w))", "free(w, M_TEST)")
    text = text.replace("kmem_free(h, sizeof(*h))", "free(h, M_TEST)")
    (after / "sys" / "dev" / "x.c").write_text(text)
    return before, after


def test_before_classifies(tmp_path):
    before, after = converted_pair(tmp_path)
    p, doc = run_json(tmp_path, "--before", str(before), str(after))
    assert p.returncode == 1, p.stdout
    got = {(f["origin"], f["alloc"]["line"], f["free"]["line"]) for f in doc["findings"]}
    assert got == {("created", 11, 18), ("input", 12, 19)}
    assert doc["summary"]["created"] == 1 and doc["summary"]["in_input"] == 1
    assert "1 created by the conversion, 1 already in the input" in p.stdout


def test_before_only_input_mixes_exit_0(tmp_path):
    before, after = converted_pair(tmp_path)
    x = after / "sys" / "dev" / "x.c"
    x.write_text(x.read_text().replace("free(h, M_TEST)", "kmem_free(h, sizeof(*h))"))
    p, doc = run_json(tmp_path, "--before", str(before), str(after))
    assert p.returncode == 0, p.stdout
    assert [f["origin"] for f in doc["findings"]] == ["input"]
    # without --before the same mix fails the run
    assert mixcheck(str(after)).returncode == 1


@pytest.mark.parametrize("args, msg", [
    (["/nonexistent"], "not a NetBSD tree"),
    ([FIXTURES, "sys/nothing"], "no such file or directory"),
    ([FIXTURES, "/sys"], "must be relative"),
    (["--before", "/nonexistent", FIXTURES], "not a NetBSD tree"),
    (["-I", "/nonexistent", FIXTURES], "not a directory"),
])
def test_bad_input_one_line_exit_2(args, msg):
    p = subprocess.run([sys.executable, MIXCHECK, *args], text=True, capture_output=True)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and msg in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_code_that_did_not_compile_links_nothing(tmp_path):
    # nfs_lock.c (FreeBSD code in NetBSD's tree): free(p->p_nlminfo, ...)
    # names a member struct proc does not have; clang's recovery leaves
    # `p`, which must not make it a free of a struct proc
    tree = tmp_path / "t"
    shutil.copytree(os.path.join(FIXTURES, "sys", "sys"), tree / "sys" / "sys")
    (tree / "sys" / "kern").mkdir()
    (tree / "sys" / "kern" / "a.c").write_text(
        "#include <sys/kmem.h>\nstruct proc { int p_pid; };\n"
        "struct proc *newproc(void) { return kmem_zalloc(sizeof(struct proc), KM_SLEEP); }\n")
    (tree / "sys" / "kern" / "b.c").write_text(
        "#include <sys/malloc.h>\nstruct proc { int p_pid; };\n"
        "void release(struct proc *p) { free(p->p_nlminfo, M_TEST); }\n")
    (tree / "sys" / "sys" / "proc.h").write_text("struct proc { int p_pid; };\n")
    for f in ("a.c", "b.c"):
        p = tree / "sys" / "kern" / f
        p.write_text(p.read_text().replace("struct proc { int p_pid; };", "#include <sys/proc.h>"))
    p, doc = run_json(tmp_path, str(tree))
    assert p.returncode == 0, p.stdout
    assert doc["summary"]["frees_unlinked"] == 1
    assert doc["coverage"]["with_errors"] == 1 and doc["coverage"]["errors"] == 1
