"""`kmem2malloc retag`: golden cases (tests/retag/NAME.c and
NAME.expected.c, each retagged alone at sys/dev/golden/NAME.c with a tag
map whose only owner type is M_GOLDEN, then retagged again, which must
change nothing), memory crossing owners, the report, install-shim after
it, and bad input.  K2M_REGEN=1 rewrites the expected files."""
import json
import os
import shutil

import pytest

from conftest import GOLD_MAP, TOP, run, snapshot

CASES_DIR = os.path.join(TOP, "tests", "retag")
CASES = sorted(f[:-2] for f in os.listdir(CASES_DIR)
               if f.endswith(".c") and not f.endswith(".expected.c"))

MAP = """\
version: 1
default: M_DEVBUF
tags:
  M_DEVBUF: {short: devbuf, description: d}
  M_FOO: {short: foo, description: f}
  M_BAR: {short: bar, description: b}
  M_BAZ: {short: baz, description: z}
rules:
  - {path: sys/dev/foo/**, tag: M_FOO}
  - {path: sys/dev/bar/**, tag: M_BAR}
  - {path: sys/dev/baz/**, tag: M_BAZ}
"""


def retag(tmp, tree, name, text=GOLD_MAP, *extra):
    tm = tmp / "map.yaml"
    tm.write_text(text)
    p = run("retag", "--tag-map", str(tm), "--out", str(tmp / name), "-j", "1",
            "--in-place", *extra, str(tree), "sys")
    assert p.returncode == 0, p.stdout + p.stderr
    return tmp / name, json.loads((tmp / name / "report.json").read_text())


@pytest.mark.parametrize("case", CASES)
def test_golden(tmp_path, case):
    dev = tmp_path / "tree" / "sys" / "dev" / "golden"
    dev.mkdir(parents=True)
    shutil.copy(os.path.join(CASES_DIR, case + ".c"), dev / f"{case}.c")
    retag(tmp_path, tmp_path / "tree", "out1", GOLD_MAP, "--no-series")
    got = (dev / f"{case}.c").read_text()
    exp_path = os.path.join(CASES_DIR, f"{case}.expected.c")
    if os.environ.get("K2M_REGEN"):
        with open(exp_path, "w") as fp:
            fp.write(got)
    with open(exp_path) as fp:
        assert got == fp.read()
    # idempotent: a second run changes nothing
    out, rep = retag(tmp_path, tmp_path / "tree", "out2", GOLD_MAP, "--no-series")
    assert (dev / f"{case}.c").read_text() == got
    assert os.listdir(out / "diffs") == []
    assert rep["summary"]["retyped"] == 0


def write(root, rel, text):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


HEAD = "#include <sys/param.h>\n#include <sys/malloc.h>\n\nstruct msg { int m_len; };\n\n"
RELEASE = HEAD + "void\nbar_release(struct msg *m)\n{\n\tfree(m, M_DEVBUF);\n}\n"


def alloc(name):
    return HEAD + (f"void bar_release(struct msg *);\n\nvoid\n{name}_send(void)\n{{\n"
                   "\tstruct msg *m;\n\n\tm = malloc(sizeof(*m), M_DEVBUF, M_WAITOK);\n"
                   "\tbar_release(m);\n}\n")


def sites(rep, path):
    return next(f for f in rep["files"] if f["path"] == path)["sites"]


def retag_foo(tmp_path, body):
    """Retag a tree of one file, sys/dev/foo/foo.c (HEAD + body), with MAP:
    the file's text after, and the report."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo.c", HEAD + body)
    _, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    return (tree / "sys/dev/foo/foo.c").read_text(), rep


def test_memory_is_charged_to_the_owner_that_allocates_it(tmp_path):
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo.c", alloc("foo"))
    write(tree, "sys/dev/bar/bar.c", RELEASE)
    _, rep = retag(tmp_path, tree, "out", MAP)
    assert "malloc(sizeof(*m), M_FOO, M_WAITOK)" in (tree / "sys/dev/foo/foo.c").read_text()
    assert "free(m, M_FOO);" in (tree / "sys/dev/bar/bar.c").read_text()
    kinds = [f["kind"] for f in rep["files"][0]["findings"] + rep["files"][1]["findings"]]
    assert kinds == ["cross-type"]
    assert rep["summary"]["by_type"]["M_DEVBUF"] == {
        "calls": 2, "retyped": 2, "kept": {}, "retyped_percent": 100.0,
        "handled_percent": 100.0}
    assert all(s["status"] == "retyped" and s["old_type"] == "M_DEVBUF"
               for s in sites(rep, "sys/dev/bar/bar.c"))
    series = sorted(os.listdir(tmp_path / "out" / "series"))
    assert series[-1] == "series" and len(series) == 3      # install-shim's, then retag's
    first = (tmp_path / "out" / "series" / series[0]).read_text()
    assert "Subject: [PATCH 1/2] malloc(9): the types of the legacy callers" in first
    assert "kmem(9)" not in first.split("\n---\n")[0]     # not convert's message


def test_a_release_of_two_owners_memory_records_the_type(tmp_path):
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo.c", alloc("foo"))
    write(tree, "sys/dev/baz/baz.c", alloc("baz"))
    write(tree, "sys/dev/bar/bar.c", RELEASE)
    _, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    assert "M_RECORDED(M_FOO)" in (tree / "sys/dev/foo/foo.c").read_text()
    assert "M_RECORDED(M_BAZ)" in (tree / "sys/dev/baz/baz.c").read_text()
    assert "free(m, M_ASALLOCATED);" in (tree / "sys/dev/bar/bar.c").read_text()
    assert any(f["kind"] == "shared-release" for r in rep["files"] for f in r["findings"])


def test_an_owner_whose_type_is_generic_keeps_it(tmp_path):
    tree = tmp_path / "tree"
    write(tree, "sys/dev/qux/qux.c", alloc("qux").replace("bar_release(m);", "free(m, M_DEVBUF);"))
    before = snapshot(tree)
    out, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    assert snapshot(tree) == before and os.listdir(out / "diffs") == []
    assert [s["keep"] for s in sites(rep, "sys/dev/qux/qux.c")] == ["owner-generic"] * 2
    assert "kept (owner-generic)" in (out / "report.md").read_text()


WRAPPERS = ("#define\tFOO_ALLOC(n)\tmalloc((n), M_DEVBUF, M_WAITOK)\n"
            "#define\tFOO_FREE(p)\tfree((p), M_DEVBUF)\n")


def wrapped(name):
    """A driver using foovar.h's wrapper macros, and malloc(9) itself."""
    return (HEAD + '#include "foovar.h"\n\nstruct sc { char *sc_a, *sc_b; };\n\n'
            f"void\n{name}_attach(struct sc *sc)\n{{\n"
            "\tsc->sc_a = FOO_ALLOC(16);\n\tsc->sc_b = malloc(16, M_DEVBUF, M_WAITOK);\n}\n\n"
            f"void\n{name}_detach(struct sc *sc)\n{{\n"
            "\tFOO_FREE(sc->sc_a);\n\tfree(sc->sc_b, M_DEVBUF);\n}\n")


def test_a_wrapper_macro_of_two_owners_keeps_its_type(tmp_path):
    """foovar.h's FOO_ALLOC/FOO_FREE are used by foo and bar: the one type
    in the header cannot be both owners', so the macros and their uses'
    memory keep M_DEVBUF; the owners' own calls are retyped, the name in
    the header's bodies holding nothing back (their uses are followed)."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foovar.h", WRAPPERS)
    write(tree, "sys/dev/foo/foo.c", wrapped("foo"))
    write(tree, "sys/dev/bar/bar.c", wrapped("bar").replace('"foovar.h"', '"../foo/foovar.h"'))
    _, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    assert (tree / "sys/dev/foo/foovar.h").read_text() == WRAPPERS
    assert [(s["call"], s["keep"]) for s in sites(rep, "sys/dev/foo/foovar.h")] == \
        [("malloc", "macro"), ("free", "macro")]
    assert "used by owners of M_BAR and M_FOO" in sites(rep, "sys/dev/foo/foovar.h")[0]["reason"]
    for drv, t in (("foo", "M_FOO"), ("bar", "M_BAR")):
        text = (tree / f"sys/dev/{drv}/{drv}.c").read_text()
        assert f"malloc(16, {t}, M_WAITOK)" in text and f"free(sc->sc_b, {t});" in text


def test_a_wrapper_macro_of_its_owners_header_is_retyped_with_its_uses(tmp_path):
    """foovar.h's macros are used by foo alone, one use in a file that
    names no allocator itself (isapnpres.c's ISAPNP_MALLOC): that file is
    scanned too, and the macros change together (unseen, the allocation
    kept M_DEVBUF while FOO_FREE took M_FOO)."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foovar.h", WRAPPERS)
    write(tree, "sys/dev/foo/foores.c", HEAD + '#include "foovar.h"\n\nchar *\nfoo_get(void)\n{\n'
          "\treturn FOO_ALLOC(16);\n}\n")
    write(tree, "sys/dev/foo/foo.c", HEAD + '#include "foovar.h"\n\nchar *foo_get(void);\n\n'
          "void\nfoo_attach(void)\n{\n\tchar *p = foo_get();\n\n\tFOO_FREE(p);\n"
          "\tp = malloc(4, M_DEVBUF, M_WAITOK);\n\tfree(p, M_DEVBUF);\n}\n")
    retag(tmp_path, tree, "out", MAP, "--no-series")
    assert (tree / "sys/dev/foo/foovar.h").read_text() == WRAPPERS.replace("M_DEVBUF", "M_FOO")


def test_an_owner_whose_type_is_generic_keeps_m_temp(tmp_path):
    """M_TEMP memory of an owner no rule matches (its type M_DEVBUF, as
    udf's and sljit's) keeps M_TEMP: one generic type for another tells
    vmstat -m nothing."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/qux/qux.c", RELEASE.replace("bar_release", "qux_release")
          .replace("M_DEVBUF", "M_TEMP") + alloc("qux").replace("bar_release", "qux_release")
          .replace("M_DEVBUF", "M_TEMP").split("struct msg { int m_len; };\n")[1])
    before = snapshot(tree)
    out, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    assert snapshot(tree) == before and os.listdir(out / "diffs") == []
    got = sites(rep, "sys/dev/qux/qux.c")
    assert [s["keep"] for s in got] == ["owner-generic"] * 2
    assert "its owner's type is M_DEVBUF" in got[0]["reason"] and "as generic as M_TEMP" in \
        got[0]["reason"]


def test_retagged_types_are_defined_by_install_shim(example_tree, tmp_path):
    """Retag names only the tag map's types, and install-shim declares and
    defines every one; a type a free(p, T) now names gets a header."""
    write(example_tree, "sys/dev/foo/foo.c", alloc("foo").replace("bar_release(m);",
                                                                  "free(m, M_DEVBUF);"))
    retag(tmp_path, example_tree, "out", MAP.replace("rules:", "rules:\n  - {path: sys/dev/usb/**, "
                                                     "tag: M_DEVBUF}"), "--no-series")
    tm = tmp_path / "map.yaml"
    p = run("install-shim", "--tag-map", str(tm), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    types_c = (example_tree / "sys/kern/kern_malloc_types.c").read_text()
    assert "MALLOC_DEFINE(M_FOO," in types_c        # with a header: free(m, M_FOO)
    assert "M_FOO" in (example_tree / "sys/sys/malloc_types.h").read_text()


@pytest.mark.parametrize("bad, message", [
    ("retag: {types: M_DEVBUF}\n", "retag types must be a list"),
    ("retag: {types: [M_DEVBUF], scratch: [M_TEMP]}\n", "is not one of retag types"),
    ("retag: {types: [1x]}\n", "not a valid C identifier"),
    ("retag: {kinds: [M_DEVBUF]}\n", "unknown key 'kinds'"),
    ("retag: {types: [M_TEMP], interfaces: [{name: c, type: M_DEVBUF, member: a_c, "
     "call: VOP, arg: 5, rule: r}]}\n", "'M_DEVBUF' is not one of retag types"),
    ("retag: {types: [M_TEMP], interfaces: [{name: c, type: M_TEMP, member: a_c, "
     "call: VOP, arg: five, rule: r}]}\n", "arg must be a number from 1"),
    ("retag: {types: [M_TEMP], interfaces: [{name: c, type: M_TEMP, member: a_c, "
     "call: VOP, arg: 5}]}\n", "missing 'rule'"),
])
def test_bad_tag_map_is_one_line_and_writes_nothing(tmp_path, bad, message):
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo.c", alloc("foo"))
    before = snapshot(tree)
    tm = tmp_path / "map.yaml"
    tm.write_text(MAP + bad)
    p = run("retag", "--tag-map", str(tm), "--out", str(tmp_path / "out"), "--in-place",
            str(tree), "sys")
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and message in p.stderr and "Traceback" not in p.stderr
    assert f"{tm}:{MAP.count(chr(10)) + 1}:" in p.stderr
    assert not (tmp_path / "out").exists() and snapshot(tree) == before


def test_missing_path_is_bad_input(tmp_path):
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo.c", alloc("foo"))
    p = run("retag", "--out", str(tmp_path / "out"), str(tree), "sys/nothing")
    assert p.returncode == 2 and "no such file or directory" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "out").exists()


CONVERTED = HEAD + ("struct conv { int c_n; };\n\nvoid\nfoo_conv(void)\n{\n\tstruct conv *c;\n\n"
                    "\tc = malloc(sizeof(*c), M_FOO, M_WAITOK);\n"
                    "\tfree(c, M_FOO, sizeof(*c));\n}\n")


@pytest.mark.parametrize("unsized", ["record", "keep", "header"])
def test_a_header_less_type_whose_free_cannot_pass_the_size(tmp_path, unsized):
    """A size in a variable cannot be written into the free: the memory is
    recorded (the default), keeps M_DEVBUF, or M_FOO gets a header."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/conv.c", CONVERTED)
    write(tree, "sys/dev/foo/foo.c", alloc("foo").replace("bar_release(m);",
                                                          "free(m, M_DEVBUF);")
          .replace("_send(void)", "_send(int n)").replace("sizeof(*m)", "n"))
    _, rep = retag(tmp_path, tree, "out", MAP, "--no-series", "--unsized", unsized)
    text = (tree / "sys/dev/foo/foo.c").read_text()
    kept = [s.get("keep") for s in sites(rep, "sys/dev/foo/foo.c")]
    if unsized == "record":
        assert "malloc(n, M_RECORDED(M_FOO), M_WAITOK)" in text
        assert "free(m, M_ASALLOCATED);" in text and kept == [None, None]
        assert rep["summary"]["recorded"] == 2 and rep["summary"]["headers_given"] == {}
    elif unsized == "keep":
        assert "M_DEVBUF" in text and "M_FOO" not in text and kept == ["header"] * 2
        assert rep["summary"]["headers_given"] == {}
    else:
        assert "free(m, M_FOO);" in text
        assert list(rep["summary"]["headers_given"]) == ["M_FOO"]
    # install-shim keeps M_FOO header-less unless a free(p, M_FOO) needs a header
    assert run("install-shim", "--tag-map", str(tmp_path / "map.yaml"),
               str(tree)).returncode == 0
    types_c = (tree / "sys/kern/kern_malloc_types.c").read_text()
    sized = "MALLOC_DEFINE_SIZED(M_FOO," in types_c
    assert sized == (unsized != "header"), types_c


def test_a_fixed_size_is_written_into_the_free_of_a_header_less_type(tmp_path):
    """malloc(sizeof(*m), ...) memory freed by free(m, M_DEVBUF): retyped to
    the header-less M_FOO, the free passes sizeof(*m); install-shim keeps
    M_FOO header-less."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/conv.c", CONVERTED)
    write(tree, "sys/dev/foo/foo.c", alloc("foo").replace("bar_release(m);",
                                                          "free(m, M_DEVBUF);"))
    _, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    text = (tree / "sys/dev/foo/foo.c").read_text()
    assert "free(m, M_FOO, sizeof(*m));" in text and "M_DEVBUF" not in text
    assert [s.get("size") for s in sites(rep, "sys/dev/foo/foo.c")] == [None, "sizeof(*m)"]
    assert rep["summary"]["sizes_given"] == 1 and rep["summary"]["headers_given"] == {}


def test_a_macros_free_of_a_header_less_type_is_given_no_size(tmp_path):
    """A wrapper macro's free serves each use: `free(x, M_FOO, sizeof(*x))`
    in its body would be the size of each use's pointer, not of its
    memory (pf's rs_free frees paths and anchors).  The memory is
    recorded instead, as wsemul_vt100.c's f(ptr)."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/conv.c", CONVERTED)
    write(tree, "sys/dev/foo/foo.c", alloc("foo").replace("bar_release(m);", "FOO_FREE(m);")
          .replace("void bar_release(struct msg *);\n",
                   "#define\tFOO_FREE(x)\tfree((x), M_DEVBUF)\n"))
    _, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    text = (tree / "sys/dev/foo/foo.c").read_text()
    assert "#define\tFOO_FREE(x)\tfree((x), M_ASALLOCATED)" in text
    assert "malloc(sizeof(*m), M_RECORDED(M_FOO), M_WAITOK)" in text


ISC = HEAD + ("struct ccb { char *ccb_text; };\n"
              "struct sess { char *s_list; };\n"
              "struct ev { int e_n; };\n\n")


def test_a_free_no_flow_reaches_may_release_any_of_its_owners_memory(tmp_path):
    """iscsi: a file that calls no allocator moves the text a ccb holds to
    the session (iscsi_send.c), whose free no flow reaches.  It may be any
    of the owner's memory, not only its file's: joined with the text's
    allocation, it is recorded with it, not given the size of its file's
    events (nor a type the recorded block does not take)."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo_rcv.c", ISC + (
        "void\nfoo_rcv(struct ccb *ccb, int len)\n{\n"
        "\tchar *data;\n\n\tdata = malloc(len, M_DEVBUF, M_WAITOK);\n"
        "\tccb->ccb_text = data;\n}\n\n"
        "void\nfoo_ccb_done(struct ccb *ccb)\n{\n\tfree(ccb->ccb_text, M_DEVBUF);\n}\n"))
    write(tree, "sys/dev/foo/foo_send.c", ISC + (
        "void\nfoo_send(struct sess *s, struct ccb *ccb)\n{\n"
        "\ts->s_list = ccb->ccb_text;\n\tccb->ccb_text = NULL;\n}\n"))
    write(tree, "sys/dev/foo/foo_ioctl.c", ISC + (
        "void\nfoo_event(void)\n{\n\tstruct ev *ev;\n\n"
        "\tev = malloc(sizeof(*ev), M_DEVBUF, M_WAITOK);\n\tfree(ev, M_DEVBUF);\n"
        "}\n\nvoid\nfoo_msg(void)\n{\n\tstruct msg *m;\n\n"
        "\tm = malloc(sizeof(*m), M_FOO, M_WAITOK);\n"
        "\tfree(m, M_FOO, sizeof(*m));\n}\n\n"
        "void\nfoo_logout(struct sess *s)\n{\n\tfree(s->s_list, M_DEVBUF);\n}\n"))
    retag(tmp_path, tree, "out", MAP, "--no-series")
    assert "malloc(len, M_RECORDED(M_FOO), M_WAITOK)" in \
        (tree / "sys/dev/foo/foo_rcv.c").read_text()
    ioctl = (tree / "sys/dev/foo/foo_ioctl.c").read_text()
    assert "free(s->s_list, M_ASALLOCATED);" in ioctl
    assert "free(ev, M_ASALLOCATED);" in ioctl


IFACE = """\
retag:
  types: [M_DEVBUF, M_TEMP]
  scratch: [M_TEMP]
  interfaces:
    - {name: VOP_READDIR cookies, type: M_TEMP, member: a_cookies, call: VOP_READDIR,
       arg: 5, rule: "the file system allocates them M_TEMP, the caller frees them"}
"""
READDIR_ARGS = "struct vop_readdir_args { void *a_vp; long **a_cookies; int *a_ncookies; };\n\n"


@pytest.mark.parametrize("rule", [True, False])
def test_an_interfaces_memory_keeps_the_type_its_rule_names(tmp_path, rule):
    """VOP_READDIR's cookies: the file system allocates them and hands them
    on through *ap->a_cookies (or a copy of it); its caller frees them
    after the call, a free no flow reaches.  By the tag map's rule both
    keep M_TEMP, and the
    caller's free joins none of its owner's memory: without the rule it
    is taken for the owner's buffer (kept in a global, freed elsewhere)
    and retyped with it, a free of the file system's M_TEMP memory as
    M_BAR (the compat getdents' cookiebuf, recorded with its tbuf)."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo_vnops.c", HEAD + READDIR_ARGS + (
        "int\nfoo_readdir(void *v)\n{\n\tstruct vop_readdir_args *ap = v;\n"
        "\tlong *cookies;\n\n\tcookies = malloc(8 * sizeof(long), M_TEMP, M_WAITOK);\n"
        "\t*ap->a_cookies = cookies;\n\t*ap->a_ncookies = 8;\n\treturn 0;\n}\n"))
    write(tree, "sys/dev/bar/bar_serv.c", HEAD + (
        "int VOP_READDIR(void *, void *, void *, int *, long **, int *);\n"
        "char *bar_index;\n\n"
        "void\nbar_setindex(void)\n{\n\tbar_index = malloc(64, M_TEMP, M_WAITOK);\n}\n\n"
        "void\nbar_clearindex(void)\n{\n\tfree(bar_index, M_TEMP);\n}\n\n"
        "int\nbar_readdir(void *vp)\n{\n\tlong *cookies;\n\tint eof, n;\n\n"
        "\tVOP_READDIR(vp, NULL, NULL, &eof, &cookies, &n);\n"
        "\tfree(cookies, M_TEMP);\n\treturn 0;\n}\n"))
    write(tree, "sys/dev/baz/baz_vnops.c", HEAD + READDIR_ARGS + (
        "int\nbaz_readdir(void *v)\n{\n\tstruct vop_readdir_args *ap = v;\n"
        "\tlong **cookies = ap->a_cookies;\n\tlong *bk;\n\n"
        "\tbk = *(ap->a_cookies);\n\tfree(bk, M_TEMP);\n"
        "\t*cookies = malloc(4 * sizeof(long), M_TEMP, M_WAITOK);\n\treturn 0;\n}\n"))
    _, rep = retag(tmp_path, tree, "out", MAP + IFACE if rule else MAP, "--no-series")
    serv = (tree / "sys/dev/bar/bar_serv.c").read_text()
    if not rule:        # what the rule is for
        assert "free(cookies, M_TEMP);" not in serv
        return
    assert "free(cookies, M_TEMP);" in serv
    assert "malloc(8 * sizeof(long), M_TEMP, M_WAITOK)" in \
        (tree / "sys/dev/foo/foo_vnops.c").read_text()
    assert "bar_index = malloc(64, M_BAR, M_WAITOK)" in serv
    assert "free(bar_index, M_BAR);" in serv
    kept = {(s["call"], s["line"]): s["keep"] for f in rep["files"] for s in f["sites"]
            if s["status"] == "kept"}
    # and a copy of the member (tmpfs' cookies, unionfs' cookies_bk)
    assert sorted(kept.values()) == ["interface"] * 4
    assert rep["summary"]["by_type"]["M_TEMP"]["handled_percent"] == 100.0


NOFREE_FOO = HEAD + (
    "struct handle { int h_irq; };\n"
    "void bar_register(struct handle *);\n\n"
    "void\nfoo_attach(void)\n{\n\tstruct handle *h;\n\n"
    "\th = malloc(sizeof(*h), M_DEVBUF, M_WAITOK);\n\tbar_register(h);\n}\n")
NOFREE_BAR = HEAD + (
    "struct handle { int h_irq; };\nstruct handle *handles[4];\n\n"
    "void\nbar_register(struct handle *h)\n{\n\thandles[0] = h;\n}\n")


def test_memory_no_free_of_its_struct_releases_takes_its_owners_type(tmp_path):
    """Memory handed on and never freed (pcibios' interrupt router
    handles): no free in the tree names its struct under its type, nor
    one of no known struct in its file, so none we do not see can release
    it: it is retyped (it was kept, no-free)."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo.c", NOFREE_FOO)
    write(tree, "sys/dev/bar/bar.c", NOFREE_BAR)
    _, rep = retag(tmp_path, tree, "out", MAP, "--no-series")
    assert "h = malloc(sizeof(*h), M_FOO, M_WAITOK);" in (tree / "sys/dev/foo/foo.c").read_text()
    assert all(s["status"] == "retyped" for s in sites(rep, "sys/dev/foo/foo.c"))


def test_memory_a_free_of_its_file_may_release_keeps_its_type(tmp_path):
    """twa.c: twa_get_param() allocates *param, which tr->tr_data also
    holds, a void * the file frees as M_DEVBUF; the flow graph loses the
    move (its key for *param is param's), so no free is seen to reach the
    allocation.  A free of a pointer of no known struct in the
    allocation's own file may be it: the allocation keeps M_DEVBUF, which
    that free names (kept with the input's mixed pair it is in)."""
    text, _ = retag_foo(tmp_path, (
        "struct param { int p_len; };\nstruct req { void *tr_data; };\n\n"
        "int\nfoo_get_param(struct req *tr, struct param **param)\n{\n"
        "\tif ((*param = (struct param *)malloc(512, M_DEVBUF, M_NOWAIT)) == NULL)\n"
        "\t\treturn 1;\n\ttr->tr_data = *param;\n\treturn 0;\n}\n\n"
        "void\nfoo_start(struct req *tr)\n{\n\ttr->tr_data = malloc(64, M_TEMP, M_NOWAIT);\n}\n\n"
        "void\nfoo_done(struct req *tr)\n{\n\tfree(tr->tr_data, M_DEVBUF);\n}\n"))
    assert "free(tr->tr_data, M_DEVBUF);" in text
    assert "malloc(512, M_DEVBUF, M_NOWAIT)" in text


def test_memory_a_realloc_may_move_keeps_its_type(tmp_path):
    """grf_compat.c: the first unit's malloc() of struct grf_softc is never
    freed, but the next unit's realloc(grf_softc, ...) moves it, a realloc
    kept (its first allocation is not followed): a realloc releases its
    old block, so the malloc keeps M_DEVBUF with it (retyped alone, the
    realloc of a header-less block panics the shim)."""
    text, _ = retag_foo(tmp_path, (
        "struct unit { int u_n; };\nstatic struct unit *units;\n\n"
        "void\nfoo_attach(int n)\n{\n\tstruct unit *sc;\n\n\tif (units == NULL)\n"
        "\t\tsc = malloc(sizeof(*sc), M_DEVBUF, M_WAITOK);\n\telse\n"
        "\t\tsc = realloc(units, n * sizeof(*sc), M_DEVBUF, M_WAITOK);\n"
        "\tunits = sc;\n}\n"))
    assert "sc = malloc(sizeof(*sc), M_DEVBUF, M_WAITOK);" in text
    assert "realloc(units, n * sizeof(*sc), M_DEVBUF, M_WAITOK)" in text


def test_memory_kept_between_calls_is_no_scratch_buffer(tmp_path):
    """nfs_export.c's nfs_pub.np_index: one function allocates and frees
    it, but it lives in a global between calls: it takes its owner's type.
    A local the scanner cannot declare (linux_cdrom.c's `union {...} *u1`)
    is no global: freed where allocated, it stays a scratch buffer."""
    text, rep = retag_foo(tmp_path, (
        "static char *foo_index;\n\n"
        "void\nfoo_setindex(int on)\n{\n"
        "\tif (foo_index != NULL)\n\t\tfree(foo_index, M_TEMP);\n\tfoo_index = NULL;\n"
        "\tif (on)\n\t\tfoo_index = malloc(64, M_TEMP, M_WAITOK);\n}\n\n"
        "void\nfoo_ioctl(void)\n{\n\tunion {\n\t\tint a;\n\t\tlong b;\n\t} *u1;\n\n"
        "\tu1 = malloc(sizeof(*u1), M_TEMP, M_WAITOK);\n\tfree(u1, M_TEMP);\n}\n"))
    assert "foo_index = malloc(64, M_FOO, M_WAITOK);" in text
    assert "free(foo_index, M_FOO);" in text
    assert "free(u1, M_TEMP);" in text
    assert {s["keep"] for s in sites(rep, "sys/dev/foo/foo.c") if s["line"] > 20} == {"scratch"}


def test_a_second_run_keeps_memory_a_retyped_free_may_release(tmp_path):
    """7.99's cfb.c allocates a struct rasops_info it never frees; hpcfb.c
    frees its own as M_DEVBUF, then, retyped, as M_HPC.  Judged by the
    frees of the old type alone, the first run kept cfb's and the second
    retyped it: a free of the struct, whatever its type, keeps it, and a
    second run changes nothing."""
    tree = tmp_path / "tree"
    write(tree, "sys/dev/foo/foo.c", HEAD + (
        "struct font { int f_w; };\nvoid foo_register(struct font *);\n\n"
        "void\nfoo_attach(void)\n{\n\tstruct font *f;\n\n"
        "\tf = malloc(sizeof(*f), M_DEVBUF, M_WAITOK);\n\tfoo_register(f);\n}\n"))
    write(tree, "sys/dev/bar/bar.c", HEAD + (
        "struct font { int f_w; };\nstatic struct font *cur;\n\n"
        "void\nbar_set(void)\n{\n\tcur = malloc(sizeof(*cur), M_DEVBUF, M_WAITOK);\n}\n\n"
        "void\nbar_clear(void)\n{\n\tfree(cur, M_DEVBUF);\n}\n"))
    retag(tmp_path, tree, "out", MAP, "--no-series")
    assert "free(cur, M_BAR" in (tree / "sys/dev/bar/bar.c").read_text()
    first = snapshot(tree)
    retag(tmp_path, tree, "again", MAP, "--no-series")
    assert snapshot(tree) == first
    assert "malloc(sizeof(*f), M_DEVBUF, M_WAITOK)" in (tree / "sys/dev/foo/foo.c").read_text()
