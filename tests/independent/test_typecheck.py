"""typecheck's own tests, on the fixture tree fixtures_types/ beside this
file (a tree after conversion and install-shim: its <sys/malloc.h> is the
shim's form).

Each fixture marks what must be found: `wrong:L` on an allocation line
and on a free line (labels separated by commas, one label naming one pair
in the whole tree) means that wrong-type pair must be reported, and no
other may be; `wrapper:L` likewise for an allocation reaching a free of
the other family through a function's return; `untyped`, `ambiguous`
and `dynamic` on a free line say how it must be counted.  Nothing here
imports scripts/k2m; the converter is run as a program only.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
TYPECHECK = os.path.join(HERE, "typecheck.py")
FIXTURES = os.path.join(HERE, "fixtures_types")
MARK = re.compile(r"/\*\s*((?:wrong|wrapper):[A-Za-z0-9,]+|untyped|ambiguous|dynamic)\s*\*/")

if not os.environ.get("CI"):      # in CI (make deps installed it) a missing one fails
    pytest.importorskip("clang.cindex", reason="needs python3-clang-14")


def typecheck(*args):
    p = subprocess.run([sys.executable, TYPECHECK, "-j", "2", *args], text=True,
                       capture_output=True)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    return p


def run_json(tmp_path, *args):
    out = tmp_path / "types.json"
    p = typecheck("--json", str(out), *args)
    return p, json.loads(out.read_text())


def markers(root):
    """{kind: {label: {(file, line), ...}}}, and {file:line: word}."""
    pairs, words = {"wrong": {}, "wrapper": {}}, {}
    for d, _, fs in os.walk(os.path.join(root, "sys")):
        for f in fs:
            path = os.path.join(d, f)
            rel = os.path.relpath(path, root)
            for n, line in enumerate(open(path), 1):
                for m in MARK.finditer(line):
                    w = m.group(1)
                    if ":" in w:
                        kind, labels = w.split(":")
                        for label in labels.split(","):
                            pairs[kind].setdefault(label, set()).add((rel, n))
                    else:
                        words[f"{rel}:{n}"] = w
    return pairs, words


def found(doc, kind):
    return {frozenset({(f["alloc"]["file"], f["alloc"]["line"]),
                       (f["free"]["file"], f["free"]["line"])})
            for f in doc["findings"] if f["kind"] == kind}


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tc")
    return run_json(tmp, FIXTURES)


@pytest.mark.parametrize("kind", ["wrong", "wrapper"])
def test_fixtures_exactly_the_marked_pairs(fixture_run, kind):
    p, doc = fixture_run
    assert p.returncode == 1
    pairs, _ = markers(FIXTURES)
    want = set()
    for label, sites in pairs[kind].items():
        assert len(sites) == 2, f"label {kind}:{label} must mark two lines"
        want.add(frozenset(sites))
    got = found(doc, {"wrong": "wrong-type", "wrapper": "wrapper"}[kind])
    assert got - want == set(), "reported, not marked"
    assert want - got == set(), "marked, not reported"
    cov = doc["coverage"]
    assert cov["parsed"] == cov["candidates"] == cov["clean"] == 48
    # vop_if.c for VOP_RD()'s out-parameter, isc_send.c for its member store
    assert doc["handing_on"] == ["sys/dev/isc/isc_send.c", "sys/kern/vop_if.c"]


def test_fixtures_counts(fixture_run):
    _, doc = fixture_run
    _, words = markers(FIXTURES)

    def sites(es):
        return {f"{e['file']}:{e['line']}" for e in es}
    untyped = {f"{f['free']['file']}:{f['free']['line']}" for f in doc["findings"]
               if f["kind"] == "untyped"}
    assert untyped == {k for k, w in words.items() if w == "untyped"}
    assert sites(doc["frees_ambiguous"]) == {k for k, w in words.items() if w == "ambiguous"}
    assert sites(doc["frees_dynamic"]) == {k for k, w in words.items() if w == "dynamic"}
    # an untyped free is not a wrong-type one, though M_AAA memory reaches it
    wrong = {f"{f['free']['file']}:{f['free']['line']}" for f in doc["findings"]
             if f["kind"] == "wrong-type"}
    assert not untyped & wrong
    assert doc["summary"]["mixed_pairs"] == 0


def by_free(doc, where):
    fs = [f for f in doc["findings"] if f"{f['free']['file']}:{f['free']['line']}" == where]
    assert len(fs) == 1, fs
    return fs[0]


@pytest.mark.parametrize("where, tier, key, ftype, atype", [
    # a struct member, typed and generic: by the member
    ("sys/dev/ic/foo.c:8", "member", "M:struct foo_softc@sys/dev/ic/foovar.h::sc_ring", "M_AAA",
     "M_DEVBUF"),
    ("sys/dev/ic/foo.c:9", "member", "M:struct foo_softc@sys/dev/ic/foovar.h::sc_buf",
     "M_AAA", "M_DEVBUF"),
    # a function's parameter (generic, and a struct), a returned string, an
    # out-parameter, a global
    ("sys/kern/blob.c:12", "interface", "P:blob_release#0", "M_BBB", "M_AAA"),
    ("sys/kern/blob.c:18", "interface", "P:obj_destroy#0", "M_AAA", "M_BBB"),
    ("sys/dev/misc/users.c:36", "interface", "R:name_make", "M_BBB", "M_AAA"),
    ("sys/dev/misc/users.c:45", "interface", "P:get_str#0*", "M_TEMP", "M_AAA"),
    ("sys/dev/misc/users.c:52", "interface", "G:gtab_mem", "M_TEMP", "M_AAA"),
    # an out-parameter handed on in a vnode operation's argument struct
    # (readdir's cookies), through a stub that calls no allocator
    ("sys/nfs/nfs_srv.c:14", "interface", "M:struct vop_rd_args@sys/sys/vop.h::a_cookies*",
     "M_TEMP", "M_AAA"),
    # member to member in a third file of the subsystem (iscsi's
    # s_target_list), not by the struct its size names
    ("sys/dev/isc/isc_ioctl.c:21", "interface", "M:struct isc_ccb@sys/dev/isc/isc_var.h::c_text",
     "M_BBB", "M_AAA"),
    # member to member inside a macro (bpf.c's ROTATE_BUFFERS)
    ("sys/net/rot.c:51", "file", "M:struct rotd@sys/net/rot.c::rd_sbuf", "M_BBB", "M_AAA"),
    # one file
    ("sys/dev/misc/local.c:10", "file", "L:sys/dev/misc/local.c:local_wrong:p", "M_BBB",
     "M_AAA"),
    # a struct beginning with the one freed
    ("sys/net/raw_cb.c:10", "type", "T:struct rawcb@sys/net/raw_cb.h", "M_PCB", "M_KEY"),
])
def test_wrong_type_tiers_keys_types(fixture_run, where, tier, key, ftype, atype):
    _, doc = fixture_run
    f = by_free(doc, where)
    assert f["kind"] == "wrong-type"
    assert (f["tier"], f["free_type"], f["alloc_type"]) == (tier, ftype, atype)
    assert key in f["keys"]


def test_partial_and_wrappers(fixture_run):
    p, doc = fixture_run
    # raw_detach also receives rtsock's M_PCB memory: partial
    assert by_free(doc, "sys/net/raw_cb.c:10")["partial"]
    assert not by_free(doc, "sys/dev/ic/foo.c:8")["partial"]
    w = {f"{f['free']['file']}:{f['free']['line']}": f["wrapper"] for f in doc["findings"]
         if f["kind"] == "wrapper"}
    # the outermost wrapper: fw_get() returns fw_malloc()'s memory
    assert w == {"sys/dev/misc/fwuser.c:18": "fw_malloc", "sys/dev/misc/fwuser.c:19": "fw_get",
                 "sys/dev/misc/fwuser.c:21": "mw_alloc"}
    assert doc["wrappers"]["fw_get"] == "kmem" and doc["wrappers"]["mw_alloc"] == "malloc"
    assert "WRONG-TYPE: free (kern_free_sized) as M_BBB at sys/kern/blob.c:12" in p.stdout
    assert "of malloc (kern_malloc) as M_AAA at sys/dev/misc/users.c:21" in p.stdout


def test_paths_limit_what_is_read(tmp_path):
    # ic/ alone: the allocations (pci/) are not seen, nothing is linked
    p, doc = run_json(tmp_path, FIXTURES, "sys/dev/ic")
    assert p.returncode == 0, p.stdout
    assert doc["findings"] == []
    assert doc["summary"]["frees_unlinked"] == 4


def test_stub_read_for_the_out_parameter_it_hands_on(tmp_path):
    # vop_if.c calls no allocator: read because nfs_srv.c hands VOP_RD()
    # &cookies and no other file defines it; without nfs_srv.c, not read
    p, doc = run_json(tmp_path, FIXTURES, "sys/nfs", "sys/fs", "sys/kern/vop_if.c")
    assert "handing on: 1 more files read" in p.stdout
    assert found(doc, "wrong-type") == {frozenset({("sys/fs/xfs/xfs_vnops.c", 15),
                                                   ("sys/nfs/nfs_srv.c", 14)})}
    p, doc = run_json(tmp_path, FIXTURES, "sys/fs", "sys/kern/vop_if.c")
    assert "handing on: 0 more files read" in p.stdout
    # the stub outside PATHs: the free's memory is not seen
    p, doc = run_json(tmp_path, FIXTURES, "sys/nfs", "sys/fs")
    assert "handing on: 0 more files read" in p.stdout
    assert doc["findings"] == [] and doc["summary"]["frees_unlinked"] == 1


def test_right_types_exit_0(tmp_path):
    # the same tree with every wrong type made right: nothing to report
    tree = tmp_path / "t"
    shutil.copytree(FIXTURES, tree)
    fixes = {
        "sys/dev/pci/foo_pci.c": [("M_DEVBUF", "M_AAA")],
        "sys/dev/misc/users.c": [("malloc(16, M_AAA", "malloc(16, M_BBB"),
                                 ("sizeof(*o), M_BBB", "sizeof(*o), M_AAA"),
                                 ("M_TEMP", "M_AAA"),
                                 ("malloc_strfree(s, M_BBB", "malloc_strfree(s, M_AAA")],
        "sys/dev/misc/local.c": [("M_BBB", "M_AAA"), ("free(u, NULL)", "free(u, M_AAA)")],
        "sys/net/keysock.c": [("M_KEY", "M_PCB")],
        "sys/kern/twotypes.c": [("sizeof(struct tq), M_BBB", "sizeof(struct tq), M_AAA")],
        "sys/kern/localnode.c": [("free(node.k_data, M_BBB, 8);\t\t\t\t/*",
                                  "free(node.k_data, M_AAA, 8);\t\t\t\t/*")],
        "sys/arch/riscv/riscv/dma.c": [("M_BBB", "M_AAA")],
        "sys/arch/amd64/amd64/dmx_md.c": [("M_AAA", "M_BBB")],
        "sys/net/rot.c": [("free(d->rd_hbuf, M_BBB", "free(d->rd_hbuf, M_AAA")],
        "sys/dev/isc/isc_rcv.c": [("M_AAA", "M_BBB")],
        "sys/fs/xfs/xfs_vnops.c": [("M_AAA", "M_TEMP")],
        "sys/kern/fwload.c": [("kmem_alloc(n, KM_SLEEP)", "malloc(n, M_DEVBUF, M_WAITOK)"),
                              ("kmem_free(p, n)", "free(p, M_DEVBUF, n)"),
                              ("malloc(n, M_TEMP", "kmem_alloc(n, KM_SLEEP); (void)(M_TEMP")],
    }
    for rel, subs in fixes.items():
        f = tree / rel
        text = f.read_text()
        for a, b in subs:
            assert a in text, (rel, a)
            text = text.replace(a, b)
        f.write_text(text)
    f = tree / "sys/kern/fwload.c"
    f.write_text(f.read_text().replace("(void)(M_TEMP, M_WAITOK)", "(void)M_WAITOK"))
    p, doc = run_json(tmp_path, str(tree))
    assert p.returncode == 0, p.stdout
    assert [f for f in doc["findings"] if f["kind"] != "mixed"] == [], p.stdout
    assert doc["coverage"]["clean"] == 48, doc["files_with_errors"]


def test_tree_without_the_shim_says_so(tmp_path):
    # NetBSD's own <sys/malloc.h> drops the type: nothing to compare
    tree = tmp_path / "t"
    shutil.copytree(FIXTURES, tree)
    h = tree / "sys/sys/malloc.h"
    text = h.read_text()
    text = re.sub(r"#define\tfree\(\.\.\.\).*", "#define\tfree(addr, type, ...)\tkern_free(addr)",
                  text)
    text = text.replace("void\tkern_free(void *, struct malloc_type *);",
                        "void\tkern_free(void *);")
    h.write_text(text)
    p, doc = run_json(tmp_path, str(tree), "sys/dev/misc/local.c")
    assert "with no type argument at all: is the shim installed?" in p.stdout
    assert not [f for f in doc["findings"] if f["kind"] == "wrong-type"
                and f["free"]["call"] == "kern_free"]


def test_store_that_did_not_compile_links_in_its_file(tmp_path):
    """nfs_clbio.c (FreeBSD code): the struct uio it allocates is kept in
    bp->b_caller1, a member NetBSD's struct buf does not have, so the
    allocation seems not to escape; its free still takes it, not another
    file's struct uio."""
    tree = tmp_path / "t"
    shutil.copytree(os.path.join(FIXTURES, "sys", "sys"), tree / "sys" / "sys")
    (tree / "sys" / "sys" / "uio.h").write_text(
        "struct uio { int uio_resid; };\nstruct buf { void *b_data; };\n")
    (tree / "sys" / "fs").mkdir()
    (tree / "sys" / "fs" / "clbio.c").write_text("""\
#include <sys/malloc.h>
#include <sys/uio.h>

void
directio_write(struct buf *bp)
{
	struct uio *t_uio = malloc(sizeof(struct uio), M_AAA, M_WAITOK);

	bp->b_caller1 = t_uio;
}

void
doio_directwrite(struct buf *bp)
{
	struct uio *uiop = (struct uio *)bp->b_data;

	free(uiop, M_AAA);
}
""")
    (tree / "sys" / "kern").mkdir()
    (tree / "sys" / "kern" / "other.c").write_text("""\
#include <sys/malloc.h>
#include <sys/uio.h>

struct uio *other_uio;

void
other(void)
{
	other_uio = malloc(sizeof(struct uio), M_BBB, M_WAITOK);
}
""")
    p, doc = run_json(tmp_path, str(tree))
    assert p.returncode == 0, p.stdout
    assert doc["coverage"]["with_errors"] == 1
    assert doc["summary"]["by_tier"]["file"] == 1


def test_before_marks_converted_and_input(tmp_path):
    # before: foo_pci.c's ring was a kmem allocation (the conversion made it
    # the M_DEVBUF malloc); local.c was as it is
    before = tmp_path / "before"
    shutil.copytree(FIXTURES, before)
    f = before / "sys/dev/pci/foo_pci.c"
    text = f.read_text().replace("#include <sys/malloc.h>",
                                 "#include <sys/kmem.h>\n#include <sys/malloc.h>")
    text = text.replace("malloc(sizeof(*sc->sc_ring), M_DEVBUF, M_WAITOK)",
                        "kmem_alloc(sizeof(*sc->sc_ring), KM_SLEEP)")
    f.write_text(text)
    p, doc = run_json(tmp_path, "--before", str(before), FIXTURES, "sys/dev")
    assert p.returncode == 1, p.stdout
    origin = {(x["free"]["file"], x["free"]["line"]): x["origin"] for x in doc["findings"]
              if x["kind"] == "wrong-type"}
    assert origin[("sys/dev/ic/foo.c", 8)] == "converted"
    assert origin[("sys/dev/misc/local.c", 10)] == "input"
    assert list(origin.values()).count("converted") == 1
    assert "WRONG-TYPE converted: free (kern_free_sized) as M_AAA at sys/dev/ic/foo.c:8" \
        in p.stdout
    # nothing converted: every finding is the input's, exit 0
    p, doc = run_json(tmp_path, "--before", FIXTURES, FIXTURES, "sys/dev")
    assert p.returncode == 0, p.stdout
    assert {x["origin"] for x in doc["findings"]} == {"input"}


@pytest.mark.parametrize("args, msg", [
    (["/nonexistent"], "not a NetBSD tree"),
    ([FIXTURES, "sys/nothing"], "no such file or directory"),
    ([FIXTURES, "/sys"], "must be relative"),
    (["-I", "/nonexistent", FIXTURES], "not a directory"),
    (["--before", "/nonexistent", FIXTURES], "not a NetBSD tree"),
    (["-j", "0", FIXTURES], "--jobs must be at least 1"),
    (["--json", "/nonexistent/x.json", FIXTURES], "x.json"),
])
def test_bad_input_one_line_exit_2(args, msg):
    p = subprocess.run([sys.executable, TYPECHECK, *args], text=True, capture_output=True)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and msg in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_converted_examples_have_no_wrong_type(tmp_path):
    """The converter, run as a program on examples/ then install-shim: no
    wrong-type free and no wrapper mix (so the check reads a real
    conversion), and a wrong type planted in it is found."""
    k2m = os.path.join(TOP, "scripts", "kmem2malloc")
    tree = tmp_path / "ex"
    shutil.copytree(os.path.join(TOP, "examples"), tree)
    for args in (["convert", "--in-place", "--out", str(tmp_path / "out"), str(tree)],
                 ["install-shim", str(tree)]):
        r = subprocess.run([sys.executable, k2m, *args], text=True, capture_output=True)
        assert r.returncode == 0, r.stdout + r.stderr
    p, doc = run_json(tmp_path, str(tree), "sys/dev")
    assert p.returncode == 0, p.stdout
    s = doc["summary"]
    assert s["frees"] > 0 and s["frees_typed"] == s["frees"]
    assert s["frees_linked"] == s["frees"]
    # plant one: the first typed free of the tree under another type
    for f in sorted((tree / "sys" / "dev").rglob("*.c")):
        text = f.read_text()
        m = re.search(r"\bfree\(([^;]*?), (M_[A-Z0-9_]+)", text)
        if m:
            f.write_text(text[:m.start(2)] + "M_PLANTED" + text[m.end(2):])
            break
    hdr = tree / "sys" / "sys" / "malloc_types.h"
    hdr.write_text(hdr.read_text().replace("#endif /* !_SYS_MALLOC_TYPES_H_ */",
                                           "MALLOC_DECLARE(M_PLANTED);\n"
                                           "#endif /* !_SYS_MALLOC_TYPES_H_ */"))
    p, doc = run_json(tmp_path, str(tree), "sys/dev")
    assert p.returncode == 1, p.stdout
    assert {f["free_type"] for f in doc["findings"] if f["kind"] == "wrong-type"} == {"M_PLANTED"}


def test_recorded_blocks_freed_as_allocated(tmp_path):
    """A shared release site (the shim's M_RECORDED(T) and M_ASALLOCATED):
    pcb_free() frees two owners' blocks as allocated, which is right when
    every block reaching it records its type; a recorded block freed with
    a type leaves its record (wrong-type), and a block that records
    nothing reaching the as-allocated free is untyped."""
    tree = tmp_path / "t"
    shutil.copytree(os.path.join(FIXTURES, "sys", "sys"), tree / "sys" / "sys")
    mh = tree / "sys" / "sys" / "malloc.h"
    mh.write_text(mh.read_text().replace("#endif\n", """\
#define	M_RECORDED(t)	((struct malloc_type *)((unsigned long)(t) | 1UL))
#define	M_ASALLOCATED	((struct malloc_type *)0)
#endif
"""))
    (tree / "sys" / "sys" / "pcb.h").write_text(
        "struct pcb { int pcb_x; };\nvoid pcb_free(struct pcb *);\n")
    files = {
        "kern/pcb.c": "void\npcb_free(struct pcb *p)\n{\n"
                      "\tfree(p, M_ASALLOCATED, sizeof(*p));\n}\n",
        "dev/a.c": "void\na(void)\n{\n"
                   "\tstruct pcb *p = malloc(sizeof(*p), M_RECORDED(M_AAA), M_WAITOK);\n"
                   "\n\tpcb_free(p);\n}\n",
        "net/b.c": "void\nb(void)\n{\n"
                   "\tstruct pcb *q = malloc(sizeof(*q), M_RECORDED(M_BBB), M_WAITOK);\n"
                   "\n\tpcb_free(q);\n}\n",
    }
    for path, body in files.items():
        (tree / "sys" / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / "sys" / path).write_text(
            "#include <sys/malloc.h>\n#include <sys/pcb.h>\n\n" + body)
    p, doc = run_json(tmp_path, str(tree))
    assert p.returncode == 0, p.stdout
    assert doc["findings"] == []
    # a recorded block freed with its type; a plain one freed as allocated
    (tree / "sys" / "dev" / "c.c").write_text("""\
#include <sys/malloc.h>
#include <sys/pcb.h>

struct pcb_holder { char *h_buf; };

void
c(struct pcb_holder *h)
{
	h->h_buf = malloc(8, M_RECORDED(M_AAA), M_WAITOK);
	free(h->h_buf, M_AAA, 8);
}
""")
    p, doc = run_json(tmp_path, str(tree))
    assert p.returncode == 1, p.stdout
    assert [(f["kind"], f["free"]["file"], f["free"]["line"]) for f in doc["findings"]] == \
        [("wrong-type", "sys/dev/c.c", 10)]


SIZED = {
    "dev/sz/sz.c": """\
#include <sys/malloc.h>

#define	GOLD_RINGSIZE	16

struct x { int x_a; char x_b[12]; };
struct a { int a_a; };
struct b { long b_a[3]; };
struct e { };
struct sz_softc { int *sc_ring; short *sc_ring2; struct a *sc_a; char *sc_var; struct e *sc_e; };
void	sz_put(struct a *);

void
sz_attach(struct sz_softc *sc, size_t n)
{
	struct x *p = malloc(sizeof(struct x), M_AAA, M_WAITOK);
	char *q = malloc(n, M_AAA, M_WAITOK);				/* alloc:q */
	struct a *r = malloc(sizeof(*r), M_AAA, M_WAITOK);		/* alloc:r */
	struct a *w = malloc(sizeof(struct b), M_AAA, M_WAITOK);	/* alloc:w */

	free(p, M_AAA, sizeof(*p));					/* right:p */
	free(q, M_AAA, 64);						/* unchecked:q */
	sz_put(r);
	sz_put(w);
	sc->sc_ring = malloc(GOLD_RINGSIZE * sizeof(int), M_AAA, M_WAITOK);
	sc->sc_ring2 = malloc(GOLD_RINGSIZE * sizeof(short), M_AAA, M_WAITOK);	/* alloc:ring2 */
	sc->sc_a = malloc(sizeof(struct a), M_AAA, M_WAITOK);		/* alloc:a */
	sc->sc_var = malloc(n, M_AAA, M_WAITOK);
}

void
sz_detach(struct sz_softc *sc, size_t n)
{
	free(sc->sc_ring, M_AAA, GOLD_RINGSIZE * sizeof(int));		/* right:ring */
	free(sc->sc_ring2, M_AAA, GOLD_RINGSIZE * sizeof(int));	/* wrong:ring2 */
	free(sc->sc_a, M_AAA, sizeof(struct b));			/* wrong:a */
	free(sc->sc_var, M_AAA, n);					/* unchecked:var */
	free(sc, M_AAA, 0);
	free(sc->sc_e, M_AAA, sizeof(*sc->sc_e));			/* zero:e */
	free(sc, M_AAA);
}
""",
    "kern/szlib.c": """\
#include <sys/malloc.h>

struct a { int a_a; };

void
sz_put(struct a *ap)
{
	free(ap, M_AAA, sizeof(*ap));					/* wrong:put */
}
""",
}


def sized_tree(tmp_path, files=SIZED):
    tree = tmp_path / "t"
    shutil.copytree(os.path.join(FIXTURES, "sys", "sys"), tree / "sys" / "sys")
    for rel, text in files.items():
        (tree / "sys" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / "sys" / rel).write_text(text)
    return tree


def line_of(files, mark):
    """(file, line) of the line marked /* MARK */."""
    for rel, text in files.items():
        for n, line in enumerate(text.splitlines(), 1):
            if f"/* {mark} */" in line:
                return (f"sys/{rel}", n)
    raise AssertionError(mark)


def test_sized_frees_wrong_right_unchecked(tmp_path):
    """free(p, T, n): n against the linked allocations' sizes, where clang
    folds both to constants: sizeof(*p) is sizeof(struct x); a macro
    constant times a sizeof is folded; sizeof(struct b) is not the size of
    a struct a; a free that receives two allocations (through sz_put's
    parameter) is wrong for the one of another size; a variable size,
    the free's or the allocation's, is unchecked; n 0 is not counted."""
    p, doc = run_json(tmp_path, str(sized_tree(tmp_path)), "--list", "sizes")
    assert p.returncode == 1, p.stdout
    assert doc["coverage"]["clean"] == 2, doc["files_with_errors"]
    s = doc["summary"]
    assert [f for f in doc["findings"] if f["kind"] != "mixed"] == []   # types are right
    got = {((f["free"]["file"], f["free"]["line"]), (f["alloc"]["file"], f["alloc"]["line"]),
            f["free_size"], f["alloc_size"]) for f in doc["size_findings"]}
    assert got == {
        (line_of(SIZED, "wrong:ring2"), line_of(SIZED, "alloc:ring2"), 64, 32),
        (line_of(SIZED, "wrong:a"), line_of(SIZED, "alloc:a"), 24, 4),
        (line_of(SIZED, "wrong:put"), line_of(SIZED, "alloc:w"), 4, 24),
    }
    assert (s["sized_frees"], s["sizes_right"], s["wrong_size_frees"], s["wrong_size_pairs"],
            s["sized_frees_zero"], s["sized_frees_zero_folded"]) == (7, 2, 3, 3, 2, 1)
    # sizeof of an empty struct is GNU C's 0: "unknown" to the shim
    assert [(e["file"], e["line"]) for e in doc["sized_frees_zero"]
            if e["sizetext"] != "0"] == [line_of(SIZED, "zero:e")]
    assert "ZERO-SIZE: free (kern_free_sized) as M_AAA at sys/dev/sz/sz.c:%d in sz_detach(): " \
        "size 0 (sizeof(*sc->sc_e))" % line_of(SIZED, "zero:e")[1] in p.stdout
    # sz_put's free is right for r: one of its two pairs
    assert s["size_pairs_right"] == 3
    unchecked = {k: {(e["file"], e["line"]) for e in v}
                 for k, v in doc["sizes_unchecked"].items() if v}
    assert unchecked == {"free_size": {line_of(SIZED, "unchecked:var")},
                         "alloc_size": {line_of(SIZED, "unchecked:q")}}
    where = "sys/dev/sz/sz.c:%d" % line_of(SIZED, "wrong:ring2")[1]
    assert (f"WRONG-SIZE: free (kern_free_sized) as M_AAA at {where} in sz_detach(): "
            f"size 64 (GOLD_RINGSIZE * sizeof(int))") in p.stdout
    assert "size 32 (GOLD_RINGSIZE * sizeof(short))" in p.stdout
    assert "size 64: a linked allocation's size is not a constant" in p.stdout


def test_sized_frees_all_right_exit_0(tmp_path):
    files = dict(SIZED)
    files["dev/sz/sz.c"] = files["dev/sz/sz.c"] \
        .replace("GOLD_RINGSIZE * sizeof(short), M_AAA", "GOLD_RINGSIZE * sizeof(int), M_AAA") \
        .replace("free(sc->sc_a, M_AAA, sizeof(struct b))", "free(sc->sc_a, M_AAA, 4)") \
        .replace("malloc(sizeof(struct b), M_AAA", "malloc(sizeof(struct a), M_AAA")
    p, doc = run_json(tmp_path, str(sized_tree(tmp_path, files)))
    assert p.returncode == 0, p.stdout
    s = doc["summary"]
    assert (s["sized_frees"], s["sizes_right"], s["wrong_size_frees"]) == (7, 5, 0)
    assert doc["size_findings"] == []


def test_size_of_a_struct_that_did_not_compile_is_unchecked(tmp_path):
    """clang folds sizeof of a struct it could not compile (a member of a
    type from a missing header: xen's privcmd.c) to 1: not a size."""
    files = {"dev/sz/bad.c": """\
#include <sys/malloc.h>

struct bad { int b_a; unknown_t b_b[8]; };
struct holder { struct bad h_bad; };

void
bad(void)
{
	struct bad *p = malloc(sizeof(*p), M_AAA, M_WAITOK);
	struct holder *h = malloc(sizeof(struct holder), M_AAA, M_WAITOK);

	free(p, M_AAA, 1);
	free(h, M_AAA, 1);
}
"""}
    p, doc = run_json(tmp_path, str(sized_tree(tmp_path, files)))
    assert doc["coverage"]["with_errors"] == 1
    s = doc["summary"]
    assert (s["sized_frees"], s["sizes_right"], s["sizes_unchecked"]["alloc_size"]) == (2, 0, 2)
