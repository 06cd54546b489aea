"""Text transforms around spatch (marks, body elision, includes) and
spatch bins."""
import os
from types import SimpleNamespace

import pytest

from k2m.c import cscan
from k2m.rewrite import includes, spatch, textual

SRC = """\
static int
a(void)
{
\tp = kmem_alloc(8, KM_SLEEP);
\treturn 0;
}

static void
b(int x)
{
\tif (x)
\t\tprintf("b\\n");
}

static void
c(void)
{
#ifdef DEBUG
\tprintf("c\\n");
#endif
}

static void
d(int x)
{
#ifdef NEW
\tif (x) {
#else
\tif (!x) {
#endif
\t\tprintf("d\\n");
\t}
}

static void
e(void)
{
#define E_DEBUG 1
\tprintf("e\\n");
}
"""


def hide_bodies(text, lines):
    edits, bodies = textual.body_edits(text, lines, cscan.scan(text, "f.c").functions)
    return textual.apply(text, edits), bodies


def test_hide_bodies_keeps_planned_and_preprocessor_bodies():
    text, bodies = hide_bodies(SRC, {4})
    assert "kmem_alloc" in text                  # a() has a planned line
    assert 'printf("b' not in text               # b() is elided ...
    assert "#ifdef DEBUG" not in text            # c(): its #ifdef closes inside it
    assert len(bodies) == 2
    assert "#ifdef NEW" in text                  # d(): each branch opens a brace
    assert "#define E_DEBUG" in text             # e(): a #define may be used after it
    assert text.count("\n") == SRC.count("\n")   # lines keep their numbers
    assert textual.restore_bodies(text, bodies) == SRC


def test_restore_bodies_refuses_a_moved_body():
    text, bodies = hide_bodies(SRC, {4})
    broken = text.replace("/*k2m-body-0*/", "")
    with pytest.raises(ValueError):
        textual.restore_bodies(broken, bodies)


def test_bins_balance_by_size_and_cover_every_file(tmp_path):
    sizes = [900, 500, 400, 300, 200, 100, 50]
    files = []
    for i, n in enumerate(sizes):
        (tmp_path / f"f{i}.c").write_text("x" * n)
        files.append(f"f{i}.c")
    bins = spatch._bins(str(tmp_path), files, 3)
    assert len(bins) == 3
    assert sorted(f for _, chunk in bins for f in chunk) == sorted(files)
    loads = [sum(os.path.getsize(tmp_path / f) for f in chunk) for _, chunk in bins]
    assert max(loads) == 900                     # the best: the largest file alone
    for name, chunk in bins:                     # a --file-groups list
        groups = (tmp_path / name).read_text().split("\n\n")
        assert [g for g in groups if g] == chunk


CALLS = """\
void
f(struct softc *sc)
{
\tsc->a = kmem_alloc (sc->n *
\t    sizeof(int), KM_SLEEP);
\tkmem_free(sc->a, sc->n * sizeof(int));
}
"""


def planned(text):
    return [(s, "M_TEST") for s in cscan.scan(text, "f.c").sites]


def test_marks_carry_the_tag_and_come_out_again():
    marked = textual.apply(CALLS, textual.site_edits(CALLS, planned(CALLS), mark=True))
    assert "k2m_kmem_alloc (sc->n *\n\t    sizeof(int), M_TEST, KM_SLEEP)" in marked
    assert "k2m_kmem_free(sc->a, M_TEST, sc->n * sizeof(int))" in marked
    assert marked.count("\n") == CALLS.count("\n")
    assert textual.unmark(marked) == CALLS      # what spatch did not convert


def test_sites_rewritten_by_text():
    out = textual.apply(CALLS, textual.site_edits(CALLS, planned(CALLS), mark=False))
    assert "malloc (sc->n *\n\t    sizeof(int), M_TEST, M_WAITOK)" in out
    assert "free(sc->a, M_TEST, sc->n * sizeof(int))" in out
    out = textual.apply(CALLS, textual.site_edits(CALLS, planned(CALLS), mark=False,
                                                  forms=textual.Forms(sized_free=False)))
    assert "free(sc->a, M_TEST)" in out


HELPERS = """\
void
f(struct softc *sc, const char *s)
{
\tsc->a = kmem_asprintf("%s%d", s, 1);
\tsc->b = kmem_strdupsize(s, &sc->n, KM_NOSLEEP);
\tsc->c = kmem_tmpbuf_alloc(sc->n, sc->buf, sizeof(sc->buf), KM_SLEEP);
\tkmem_tmpbuf_free(sc->c, sc->n, sc->buf);
\tkmem_strfree(sc->a);
}
"""


@pytest.mark.parametrize("call, marked", [
    ("kmem_asprintf", 'k2m_kmem_asprintf(M_TEST, "%s%d", s, 1)'),
    ("kmem_strdupsize", "k2m_kmem_strdupsize(s, &sc->n, M_TEST, KM_NOSLEEP)"),
    ("kmem_tmpbuf_alloc",
     "k2m_kmem_tmpbuf_alloc(sc->n, sc->buf, sizeof(sc->buf), M_TEST, KM_SLEEP)"),
    ("kmem_tmpbuf_free", "k2m_kmem_tmpbuf_free(sc->c, sc->n, sc->buf, M_TEST)"),
    ("kmem_strfree", "k2m_kmem_strfree(sc->a, M_TEST)"),
])
def test_helper_marks_put_the_type_where_the_helper_takes_it(call, marked):
    """Each helper's mark puts the type where the shim's helper takes it
    (first, before the flags, or last), and comes out again."""
    sites = [(s, "M_TEST") for s in cscan.scan(HELPERS, "f.c").sites if s.callee == call]
    out = textual.apply(HELPERS, textual.site_edits(HELPERS, sites, mark=True))
    assert marked in out
    assert textual.unmark(out) == HELPERS


@pytest.mark.parametrize("action,want", [
    ("replace", "#include <sys/param.h>\n#include <sys/malloc.h>\n"),
    ("after-kmem", "#include <sys/param.h>\n#include <sys/kmem.h>\n#include <sys/malloc.h>\n"),
    ("after-param", "#include <sys/param.h>\n#include <sys/malloc.h>\n#include <sys/kmem.h>\n"),
    ("after-includes", "#include <sys/param.h>\n#include <sys/kmem.h>\n#include <sys/malloc.h>\n"),
    (None, "#include <sys/param.h>\n#include <sys/kmem.h>\n"),
])
def test_add_include(action, want):
    assert includes.add("#include <sys/param.h>\n#include <sys/kmem.h>\n", action) == want


def test_kmem_h_included_twice_becomes_malloc_h_once():
    """alpha's shared_intr.c and amd64's netbsd32_machdep.c include
    <sys/kmem.h> twice: malloc.h replaces them once in a branch of the
    #ifs, and once in each other branch."""
    text = ("#include <sys/param.h>\n#include <sys/kmem.h>\n#include <sys/kmem.h>\n"
            "#ifdef X\n#include <sys/kmem.h>\n#else\n#include <sys/kmem.h>\n"
            "#include <sys/kmem.h>\n#endif\n")
    assert includes.add(text, "replace") == (
        "#include <sys/param.h>\n#include <sys/malloc.h>\n#ifdef X\n#include <sys/malloc.h>\n"
        "#else\n#include <sys/malloc.h>\n#endif\n")


def test_include_once_after_an_anchor_included_twice():
    """vfs_cache.c includes <sys/param.h> twice: <sys/malloc.h> follows
    the first; one in each branch of an #if before it, where either branch
    may be the one compiled."""
    text = ("#ifdef _KERNEL\n#include <sys/param.h>\n#else\n#include <sys/param.h>\n#endif\n"
            "#include <sys/param.h>\n#include <sys/types.h>\n#include <sys/param.h>\n")
    out = includes.add(text, "after-param")
    assert out.count("#include <sys/malloc.h>\n") == 3, out
    assert out.endswith("#include <sys/param.h>\n#include <sys/malloc.h>\n"
                        "#include <sys/types.h>\n#include <sys/param.h>\n"), out


@pytest.mark.parametrize("path,want", [("sys/kern/a.c", "replace"), ("sys/sys/a.h", "after-kmem")])
def test_a_header_keeps_kmem_h(path, want):
    """A .c file whose kmem(9) is all converted has <sys/kmem.h> replaced;
    a header keeps it, for its includers (sys/namei.h: uvm_map.c uses
    KM_SLEEP and has it from there)."""
    text = "#include <sys/param.h>\n#include <sys/kmem.h>\n\nvoid f(void)\n{\n" \
        "\tvoid *p = kmem_alloc(8, KM_SLEEP);\n\tkmem_free(p, 8);\n}\n"
    ff = cscan.scan(text, path)
    ff.includes = ["sys/param.h", "sys/kmem.h"]
    conv = [SimpleNamespace(site=s) for s in ff.sites]     # decisions: their sites
    assert includes.action(ff, text, conv) == want


def test_a_file_with_only_its_own_header_gets_malloc_h_after_it():
    """chfs's ebh.c includes only "ebh.h" (which has <sys/kmem.h>): it gets
    <sys/malloc.h> after its last leading #include, or M_CHFS is
    undeclared; a header like that is a finding for its includers."""
    text = ('#include "ebh.h"\n\nvoid\nf(void)\n{\n\tvoid *p = kmem_alloc(8, KM_SLEEP);\n'
            '#include "inner.h"\n\tkmem_free(p, 8);\n}\n')
    ff = cscan.scan(text, "sys/ufs/chfs/ebh.c")
    ff.includes = ["sys/ufs/chfs/ebh.h"]
    conv = [SimpleNamespace(site=s) for s in ff.sites]
    assert includes.action(ff, text, conv) == "after-includes"
    assert includes.add(text, "after-includes").startswith(
        '#include "ebh.h"\n#include <sys/malloc.h>\n\nvoid\n')
    ff.path = "sys/ufs/chfs/ebh_misc.h"
    assert includes.action(ff, text, conv) == "none"


def test_new_malloc_h_keeps_its_macros_off_members():
    """subr_thmap.c calls thmap->ops->free(addr, len): given <sys/malloc.h>
    by the conversion, free() the macro took it.  The member call is put
    in parentheses where malloc.h is added, nowhere else."""
    text = ("#include <sys/param.h>\n#include <sys/kmem.h>\n\t"
            "thmap->ops->free(gcaddr, len);\n\tx = f(a)->m.malloc(n);\n"
            "\tsc[i].ops.free(p, q);\n\tfree(p, M_X);\n")
    out = includes.add(text, "after-kmem")
    assert "\t(thmap->ops->free)(gcaddr, len);\n\tx = (f(a)->m.malloc)(n);\n" in out
    assert "\t(sc[i].ops.free)(p, q);\n\tfree(p, M_X);\n" in out
    assert includes.add(text, None) == text


def test_unmark_refuses_a_mark_without_its_type():
    with pytest.raises(ValueError):
        textual.unmark("\tp = k2m_kmem_alloc(n + 1, KM_SLEEP);\n")


@pytest.mark.parametrize("callee, flags, intr, variable, want", [
    ("kmem_alloc", "KM_SLEEP", False, False, "M_WAITOK"),
    ("kmem_zalloc", "KM_NOSLEEP", False, False, "M_NOWAIT | M_ZERO"),
    ("kmem_alloc", "c ? KM_NOSLEEP : KM_SLEEP", False, False, "c ? M_NOWAIT : M_WAITOK"),
    ("kmem_alloc", "c ? KM_SLEEP : KM_SLEEP", False, False, None),
    ("kmem_alloc", "kmflags", False, False, None),          # not known to be km_flag_t
    ("kmem_alloc", "kmflags", False, True, "(kmflags & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK"),
    ("kmem_zalloc", "sc->sc_kmf", False, True,
     "((sc->sc_kmf & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) | M_ZERO"),
    ("kmem_intr_alloc", "f", True, True, "(f & KM_NOSLEEP) ? (M_NOWAIT | M_INTR) : M_WAITOK"),
    ("kmem_intr_zalloc", "f", False, True, "((f & KM_NOSLEEP) ? M_NOWAIT : M_WAITOK) | M_ZERO"),
    ("kmem_strdup", "f", False, True, None),                 # helpers: constants only
])
def test_flags_forms(callee, flags, intr, variable, want):
    from k2m.rewrite.flags import translate
    assert translate(callee, flags, intr, variable=variable) == want


def test_a_file_spatch_left_unfinished_in_a_group_is_run_alone(tmp_path, monkeypatch):
    """A fake spatch that does nothing to a file group and converts a file
    given alone: run() hands back the file converted (NetBSD-current's
    isa/fd.c, marked still after its group, converted alone)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "spatch"
    fake.write_text('#!/bin/sh\nfor a; do last=$a; done\n'
                    'case " $* " in *" --file-groups "*) exit 0;; esac\n'
                    'sed -i "s/k2m_kmem_alloc(\\(.*\\), KM_SLEEP)/malloc(\\1, M_WAITOK)/" '
                    '"$last"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    inputs = {"sys/dev/a.c": "p = k2m_kmem_alloc(8, M_X, KM_SLEEP);\n",
              "sys/dev/b.c": "int b;\n"}
    res = spatch.run(inputs, str(tmp_path / "work"), 1, unfinished="k2m_kmem_")
    assert res.outputs["sys/dev/a.c"] == "p = malloc(8, M_X, M_WAITOK);\n"
    assert res.outputs["sys/dev/b.c"] == "int b;\n" and not res.failed
    res = spatch.run(inputs, str(tmp_path / "work2"), 1)       # without: as the group left it
    assert res.outputs["sys/dev/a.c"] == inputs["sys/dev/a.c"]


def test_malloc_h_goes_in_the_kernel_part_when_all_kmem_is_there():
    """vfs_wapbl.c is also built in user space (fsck): its kmem(9) calls
    are all in its leading #ifdef _KERNEL part, and so goes <sys/malloc.h>,
    after the last #include there; a file with kmem(9) outside that part
    gets it after <sys/param.h> as before."""
    head = ("#include <sys/param.h>\n#include <sys/types.h>\n\n#ifdef _KERNEL\n"
            "#include <sys/atomic.h>\n#if NFOO > 0\n#include <sys/foo.h>\n#endif\n"
            "#include <sys/vnode.h>\n\n#define\twalloc(s)\tkmem_alloc((s), KM_SLEEP)\n"
            "#define\twfree(a, s)\tkmem_free((a), (s))\n#else\n#include <stdlib.h>\n"
            "#define\twalloc(s)\tmalloc(s)\n#endif\n")
    ff = cscan.scan(head, "sys/kern/vfs_wapbl.c")
    ff.includes = ["sys/param.h", "sys/types.h", "sys/atomic.h", "sys/vnode.h"]
    conv = [SimpleNamespace(site=s) for s in ff.sites]
    assert len(conv) == 2 and includes.action(ff, head, conv) == "in-kernel-part"
    assert "#include <sys/vnode.h>\n#include <sys/malloc.h>\n\n#define\twalloc" in \
        includes.add(head, "in-kernel-part")
    text = head + "\nvoid\nf(void)\n{\n\tvoid *p = kmem_alloc(8, KM_SLEEP);\n}\n"
    ff = cscan.scan(text, "sys/kern/vfs_wapbl.c")
    ff.includes = ["sys/param.h", "sys/types.h", "sys/atomic.h", "sys/vnode.h"]
    conv = [SimpleNamespace(site=s) for s in ff.sites]
    assert includes.action(ff, text, conv) == "after-param"
