"""install-shim and check on the example tree: after conversion and
install-shim every file still compiles, every type is declared once and
defined exactly once."""
import json
import os
import re
import shutil
import subprocess

from conftest import TOP, run, snapshot


def converted_with_shim(tree, tmp_path):
    p = run("check", str(tree), "sys/dev")
    assert p.returncode == 0 and "baseline written" in p.stdout, p.stdout + p.stderr
    assert run("convert", "--in-place", "--out", str(tmp_path / "out"), str(tree)).returncode == 0
    p = run("install-shim", str(tree))
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_install_shim_declares_and_defines_each_type_once(example_tree, tmp_path):
    out = converted_with_shim(example_tree, tmp_path)
    sysdir = example_tree / "sys"
    assert (sysdir / "sys" / "malloc.h").read_text().count("malloc_types.h") >= 1
    declared = set(re.findall(r"MALLOC_DECLARE\((\w+)\)",
                              (sysdir / "sys" / "malloc_types.h").read_text()))
    # the tag map's types, the converted code's, and those old callers pass
    assert {"M_USBDEV", "M_PCIDEV", "M_ICDEV", "M_I2C", "M_DEVBUF", "M_TEMP",
            "M_OLDM", "M_OLDMSCRATCH"} <= declared
    defs = {}
    for f in sysdir.rglob("*.c"):
        for t in re.findall(r"^MALLOC_(?:JUST)?DEFINE(?:_SIZED)?\((\w+),", f.read_text(), re.M):
            defs.setdefault(t, []).append(str(f))
    assert all(len(v) == 1 for v in defs.values()), {k: v for k, v in defs.items() if len(v) > 1}
    assert declared <= set(defs), declared - set(defs)
    assert defs["M_OLDM"][0].endswith("oldm.c")          # its own file keeps it
    assert defs["M_TEMP"][0].endswith("kern_malloc.c")   # built-in
    assert defs["M_OLDMSCRATCH"][0].endswith("kern_malloc_types.c")
    assert "kern/kern_malloc_types.c" in (sysdir / "conf" / "files").read_text()
    # a type every free of which passes the size is header-less; one an old
    # caller frees with free(p, T) keeps its header; free() takes both forms
    # whatever the tree does, so no option is turned on for it
    types_c = (sysdir / "kern" / "kern_malloc_types.c").read_text()
    assert re.search(r"^MALLOC_DEFINE_SIZED\(M_I2C,", types_c, re.M)
    assert re.search(r"^MALLOC_DEFINE\(M_OLDMSCRATCH,", types_c, re.M)
    assert "MALLOC_SIZED_FREE" not in (sysdir / "sys" / "malloc_types.h").read_text()
    assert "0 defined more than once" in out
    # a second install changes nothing
    before = snapshot(example_tree)
    assert run("install-shim", str(example_tree)).returncode == 0
    assert snapshot(example_tree) == before


def test_converted_examples_compile_against_the_shim(example_tree, tmp_path):
    converted_with_shim(example_tree, tmp_path)
    res = tmp_path / "check.json"
    p = run("check", "--out", str(res), str(example_tree), "sys/dev",
            "sys/kern/kern_malloc_types.c")
    assert p.returncode == 0, p.stdout
    assert "0 regressions" in p.stdout and "0 new warnings" in p.stdout
    assert "0 link problems" in p.stdout
    files = json.loads(res.read_text())["ports"]["amd64"]["files"]   # per port (--arch)
    # kern_malloc.c comes along (with kern_malloc_types.c it defines the
    # types); the example tree lacks headers it needs, so its types are
    # found in its source instead
    assert len(files) == 10, files
    assert all(v["ok"] for f, v in files.items() if f != "sys/kern/kern_malloc.c"), files
    assert "M_OLDMSCRATCH" in files["sys/kern/kern_malloc_types.c"]["defines"]
    assert "M_I2C" in files["sys/dev/i2c/iicmux.c"]["refs"]


def test_check_lists_a_regression(example_tree, tmp_path):
    converted_with_shim(example_tree, tmp_path)
    f = example_tree / "sys" / "dev" / "i2c" / "iicmux.c"
    f.write_text(f.read_text().replace("M_I2C", "M_NO_SUCH_TYPE", 1))
    p = run("check", str(example_tree), "sys/dev")
    assert p.returncode == 1
    assert "1 regressions" in p.stdout and "REGRESSION sys/dev/i2c/iicmux.c" in p.stdout


def test_shim_headers_alone_are_warning_free(tmp_path):
    """The kernel sources themselves are built by the harness; here the
    public header must also compile on its own with the strict flags."""
    src = tmp_path / "t.c"
    src.write_text("#include <sys/malloc.h>\nvoid *f(void);\n"
                   "void *f(void) { return malloc(1, M_DEVBUF, M_WAITOK); }\n")
    import os
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run(["gcc", "-fsyntax-only", "-D_KERNEL", "-Wall", "-Wextra",
                        "-Wstrict-prototypes", "-Wmissing-prototypes", "-Werror",
                        "-I", os.path.join(top, "shim", "harness", "include"),
                        "-I", os.path.join(top, "shim"), str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_install_shim_removes_a_macro_that_drops_the_type(example_tree):
    h = example_tree / "sys" / "dev" / "pci" / "oldmvar.h"
    proto = "void *oldm_alloc(void *, int, struct malloc_type *, int);\n"
    h.write_text("#define KEEP 1\n#define oldm_alloc(sc, n, t, f) \\\n"
                 "    oldm_alloc(sc, n, f)\n" + proto)
    p = run("install-shim", str(example_tree))
    assert p.returncode == 0
    assert "sys/dev/pci/oldmvar.h:2: removed macro oldm_alloc()" in p.stdout
    # the prototype now names struct malloc_type: declared before it
    assert h.read_text() == "#define KEEP 1\nstruct malloc_type;\n" + proto
    # a header that knows the type already gets nothing more; two macros, one line
    h.write_text("#include <sys/malloc.h>\n#define oldm_alloc(sc, n, t, f) oldm_alloc(sc, n, f)\n"
                 + proto)
    assert run("install-shim", str(example_tree)).returncode == 0
    assert h.read_text() == "#include <sys/malloc.h>\n" + proto
    h.write_text("#define oldm_alloc(sc, n, t, f) oldm_alloc(sc, n, f)\n"
                 "#define oldm_free(p, t) oldm_free(p)\n" + proto +
                 "void oldm_free(void *, struct malloc_type *);\n")
    assert run("install-shim", str(example_tree)).returncode == 0
    assert h.read_text() == "struct malloc_type;\n" + proto + \
        "void oldm_free(void *, struct malloc_type *);\n"


def test_install_shim_removes_an_alias_that_a_file_defines(example_tree):
    """libnv: nv_compat.h's #define M_NVLIST M_TEMP and nvlist.c's
    MALLOC_DEFINE(M_NVLIST, ...) made a second M_TEMP once MALLOC_DEFINE
    defines something.  The alias goes, M_NVLIST is a type of its own
    (declared, defined by nvlist.c alone); an alias no file defines stays."""
    d = example_tree / "sys" / "dev" / "nv"
    d.mkdir()
    (d / "nv_compat.h").write_text("#include <sys/malloc.h>\n#define\tM_NVLIST\t\tM_TEMP\n"
                                   "#define\tM_OTHER\tM_DEVBUF\n")
    (d / "nvlist.c").write_text('#include "nv_compat.h"\n'
                                'MALLOC_DEFINE(M_NVLIST, "nvlist", "kernel nvlist");\n')
    p = run("install-shim", str(example_tree))
    assert p.returncode == 0, p.stdout
    assert "sys/dev/nv/nv_compat.h:2: removed #define M_NVLIST" in p.stdout
    assert (d / "nv_compat.h").read_text() == \
        "#include <sys/malloc.h>\n#define\tM_OTHER\tM_DEVBUF\n"
    types_h = (example_tree / "sys" / "sys" / "malloc_types.h").read_text()
    types_c = (example_tree / "sys" / "kern" / "kern_malloc_types.c").read_text()
    assert "MALLOC_DECLARE(M_NVLIST);" in types_h and "M_NVLIST" not in types_c
    assert "M_OTHER" not in types_h


def test_install_shim_warns_of_module_types_never_detached(example_tree):
    """A type defined in a loadable module's sources must be detached by the
    module on unload; install-shim names each one that nothing detaches,
    whether the file holds MODULE() itself or a sys/modules Makefile lists it."""
    sysdir = example_tree / "sys"
    ts = sysdir / "dev" / "i2c" / "tempsen.c"
    ts.write_text(ts.read_text() + '\nMALLOC_DEFINE(M_TEMPSEN, "tempsen", "readings");\n')
    frob = sysdir / "dev" / "ic" / "frob.c"
    frob.write_text(frob.read_text() + '\nMALLOC_DEFINE(M_FROBQ, "frobq", "queue");\n')
    mk = sysdir / "modules" / "frob" / "Makefile"
    mk.parent.mkdir(parents=True)
    mk.write_text('.include "../Makefile.inc"\n\n.PATH:\t${S}/dev/ic\n\n'
                  'KMOD=\tfrob\nSRCS=\tfrob.c \\\n\tfrob_other.c\n')
    p = run("install-shim", str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    warned = re.findall(r"warning: (M_\w+) is defined in (\S+), part of loadable module (\w+)",
                        p.stdout)
    assert sorted(warned) == [("M_FROBQ", "sys/dev/ic/frob.c", "frob"),
                              ("M_TEMPSEN", "sys/dev/i2c/tempsen.c", "tempsen")], p.stdout
    assert "2 module types never detached" in p.stdout
    # a modcmd that detaches its type (attach on init, detach on fini)
    ts.write_text(ts.read_text().replace(
        "\tcase MODULE_CMD_INIT:\n\tcase MODULE_CMD_FINI:\n\t\treturn 0;",
        "\tcase MODULE_CMD_INIT:\n\t\tmalloc_type_attach(M_TEMPSEN);\n\t\treturn 0;\n"
        "\tcase MODULE_CMD_FINI:\n\t\tmalloc_type_detach(M_TEMPSEN);\n\t\treturn 0;"))
    assert "malloc_type_detach(M_TEMPSEN)" in ts.read_text()
    p = run("install-shim", str(example_tree))
    assert "M_TEMPSEN is defined" not in p.stdout and "1 module types never detached" in p.stdout


def test_install_shim_survey_sees_a_call_after_a_url_string(example_tree):
    """The survey reads code through cscan's lexer: "http://x" is a string,
    not the start of a comment that would hide the rest of the line."""
    f = example_tree / "sys" / "dev" / "pci" / "oldm.c"
    f.write_text(f.read_text() + '\nstatic const char *url = "http://x"; '
                 'void *oldm_p(void); void *oldm_p(void) '
                 '{ return malloc(1, M_FOOBAR, M_WAITOK); }\n'
                 '/* free(p, M_INCOMMENT); */ const char *s = "free(p, M_INSTRING)";\n')
    assert run("install-shim", str(example_tree)).returncode == 0
    declared = (example_tree / "sys" / "sys" / "malloc_types.h").read_text()
    assert "MALLOC_DECLARE(M_FOOBAR);" in declared
    assert "M_INCOMMENT" not in declared and "M_INSTRING" not in declared


def test_install_shim_lists_the_types_file_in_the_rump_kernel(example_tree):
    """A rump kernel lists its kernel sources in Makefile.rumpkern, not
    sys/conf/files: kern_malloc_types.c goes in beside kern_malloc.c,
    backslashes lined up, once."""
    mk = example_tree / "sys" / "rump" / "librump" / "rumpkern" / "Makefile.rumpkern"
    mk.parent.mkdir(parents=True)
    mk.write_text("SRCS+=\tinit_sysctl_base.c\t\\\n\tkern_ksyms.c\t\t\\\n"
                  "\tkern_malloc.c\t\t\\\n\tkern_module.c\n\n.include <bsd.lib.mk>\n")
    p = run("install-shim", str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    assert mk.read_text() == ("SRCS+=\tinit_sysctl_base.c\t\\\n\tkern_ksyms.c\t\t\\\n"
                              "\tkern_malloc.c\t\t\\\n\tkern_malloc_types.c\t\\\n"
                              "\tkern_module.c\n\n.include <bsd.lib.mk>\n")
    before = snapshot(example_tree)
    assert run("install-shim", str(example_tree)).returncode == 0
    assert snapshot(example_tree) == before
    # kern_malloc.c last in its list: a SRCS+= line of its own
    mk.write_text("SRCS+=\tkern_ksyms.c\t\\\n\tkern_malloc.c\n")
    assert run("install-shim", str(example_tree)).returncode == 0
    assert mk.read_text() == \
        "SRCS+=\tkern_ksyms.c\t\\\n\tkern_malloc.c\nSRCS+=\tkern_malloc_types.c\n"
    # no kern_malloc.c line at all: said, exit 1
    mk.write_text("SRCS+=\tother.c\n")
    p = run("install-shim", str(example_tree))
    assert p.returncode == 1 and "add it to SRCS by hand" in p.stdout


def test_install_shim_appends_the_shim_options_once(example_tree, tmp_path, monkeypatch):
    """shim/conf/files.malloc (the shim's defflag lines), when the shim ships
    it, goes into sys/conf/files once."""
    from k2m.kernel import shim
    opts = tmp_path / "files.malloc"
    opts.write_text("defflag opt_malloc.h\tMALLOC_SIZED_FREE\n")
    monkeypatch.setattr(shim, "CONF_OPTIONS", str(opts))
    conf = example_tree / "sys" / "conf" / "files"
    before = conf.read_text()
    for _ in range(2):
        edits = shim.Edits(str(example_tree))
        assert shim._list_sources(edits, lambda s: None) == 0
        edits.apply()
    assert conf.read_text() == (before + "defflag opt_malloc.h\tMALLOC_SIZED_FREE\n"
                                "file\tkern/kern_malloc_types.c\n")


def test_install_shim_replaces_an_older_shims_options(example_tree, tmp_path, monkeypatch):
    """A tree shimmed before an option was added (its files.malloc block
    lacks MALLOC_SITES) gets today's block in place of the old one, not a
    second block after it: config(1) refuses an option defined twice."""
    from k2m.kernel import shim
    head = "# malloc(9) with real types: the options\n"
    old = head + "defflag\topt_malloc.h\t\tMALLOC_A\n\t\t\t\tMALLOC_B\n"
    new = head + "# a new comment\n" + "defflag\topt_malloc.h\t\tMALLOC_A\n" + \
        "defflag\topt_malloc_sites.h\tMALLOC_SITES\n"
    opts = tmp_path / "files.malloc"
    opts.write_text(new)
    monkeypatch.setattr(shim, "CONF_OPTIONS", str(opts))
    conf = example_tree / "sys" / "conf" / "files"
    before = conf.read_text()
    conf.write_text(before + old + "file\tkern/kern_malloc_types.c\n" + "file\tkern/after.c\n")
    for _ in range(2):
        edits = shim.Edits(str(example_tree))
        assert shim._list_sources(edits, lambda s: None) == 0
        edits.apply()
    assert conf.read_text() == (before + new + "file\tkern/kern_malloc_types.c\n"
                                "file\tkern/after.c\n")


MBUF_H = ("#define\tMEXTMALLOC(m, size, how)\t\t\t\t\t\\\n"
          "do {\t\t\t\t\t\t\t\t\t\\\n"
          "\t(m)->m_ext_storage.ext_buf = (char *)\t\t\t\t\\\n"
          "\t    malloc((size), mbtypes[(m)->m_type], (how));\t\t\\\n"
          "} while (/* CONSTCOND */ 0)\n")
UIPC_MBUF_C = ("void\nm_ext_free(struct mbuf *m)\n{\n"
               "\tfree(m->m_ext.ext_buf, m->m_ext.ext_type);\n"
               "\tfree(m->m_data, m->m_ext.ext_type);\n}\n")


def test_install_shim_fixes_type_arguments_that_never_compiled(example_tree):
    """MEXTMALLOC's storage (sys/sys/mbuf.h) and its free in m_ext_free()
    (sys/kern/uipc_mbuf.c) get M_MBUF, both sides; a call given no type (0)
    elsewhere is reported with file:line."""
    sysdir = example_tree / "sys"
    (sysdir / "sys" / "mbuf.h").write_text(MBUF_H)
    (sysdir / "kern" / "uipc_mbuf.c").write_text(UIPC_MBUF_C)
    f = sysdir / "kern" / "subr_thing.c"
    f.write_text(f.read_text() + "\nvoid thing_drop(void *p) { free(p, 0); }\n")
    line = f.read_text().count("\n")
    p = run("install-shim", str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    h = (sysdir / "sys" / "mbuf.h").read_text()
    assert h == MBUF_H.replace("mbtypes[(m)->m_type], (how));\t\t\\",
                               "M_MBUF, (how));\t\t\t\t\\")
    assert {len(line.expandtabs()) for line in h.splitlines()[:-1]} == {73}, h
    assert (sysdir / "kern" / "uipc_mbuf.c").read_text() == UIPC_MBUF_C.replace(
        "ext_buf, m->m_ext.ext_type", "ext_buf, M_MBUF")     # only the ext_buf free
    assert "sys/sys/mbuf.h:4: malloc() type argument mbtypes[(m)->m_type] -> M_MBUF" in p.stdout
    assert "sys/kern/uipc_mbuf.c:4: free() type argument m->m_ext.ext_type -> M_MBUF" in p.stdout
    assert f"warning: sys/kern/subr_thing.c:{line}: free() is given no malloc type (0)" in p.stdout
    assert "MALLOC_DECLARE(M_MBUF);" in (sysdir / "sys" / "malloc_types.h").read_text()
    assert 'MALLOC_DEFINE(M_MBUF, "mbuf"' in (sysdir / "kern" / "kern_malloc_types.c").read_text()
    before = snapshot(example_tree)
    assert "type argument" not in run("install-shim", str(example_tree)).stdout
    assert snapshot(example_tree) == before


def test_install_shim_mends_direct_callers_and_installs_man_pages(example_tree):
    """NetBSD's kern_malloc(size, flags) and kern_free(addr), called
    directly (NetBSD-current's audio.c, drm_gem.h's free macro), become
    malloc(9) calls with the file's type; the man pages go where NetBSD
    keeps them."""
    d = example_tree / "sys" / "dev" / "usb"
    (d / "direct.c").write_text(
        "#include <sys/malloc.h>\n#define\tfoo_free(addr, type)\t\tkern_free(addr)\n"
        "void *f(void *p) { kern_free(p); return kern_malloc(8, M_WAITOK); }\n")
    (example_tree / "share" / "man" / "man9").mkdir(parents=True)
    p = run("install-shim", str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    text = (d / "direct.c").read_text()
    assert "kern_free(addr, type)" in text
    assert "free(p, M_USBDEV)" in text and "malloc(8, M_USBDEV, M_WAITOK)" in text
    assert "direct.c:3: kern_free(p) -> free(p, M_USBDEV)" in p.stdout
    assert (example_tree / "share" / "man" / "man9" / "malloc.9").exists()
    assert not (example_tree / "share" / "man" / "man1").exists()


DRM_GEM_H = ("#include <sys/malloc.h>\n#undef free\n\n"
             "struct drm_gem_object_funcs {\n\tvoid (*free)(void *obj);\n};\n\n"
             "#define\tfree(addr, type)\t\tkern_free(addr)\n")
GEM_USER_C = ("#include \"drm_gem.h\"\n"
              "void f(struct drm_gem_object_funcs *, void *, void *);\n"
              "void\nf(struct drm_gem_object_funcs *funcs, void *p, void *q)\n{\n"
              "\tfree(p, M_DEVBUF, 16);\n\tfree(q, M_DEVBUF);\n"
              "\t(*funcs->free)(p);\n}\n")


def _compile(src, *include):
    """gcc as check and a kernel build compile (-std=gnu99, the kernel's
    warnings, -Werror) against the shim's headers."""
    import os
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    from k2m.kernel import check
    return subprocess.run(["gcc", "-std=gnu99", "-fsyntax-only", "-D_KERNEL",
                           *check.WARNINGS, "-Werror",
                           *[f"-I{i}" for i in include],
                           "-I", os.path.join(top, "shim", "harness", "include"),
                           "-I", os.path.join(top, "shim"), str(src)],
                          capture_output=True, text=True)


def test_install_shim_gives_drm_gem_h_the_free_that_takes_the_size(example_tree):
    """drm_gem.h #undefs free (a member of that name) and defines it again
    as NetBSD's two-argument macro: converted drm code that includes it
    frees with free(p, T, n) (i915_gem_region.c, drm_gem_cma_helper.c ...).
    install-shim makes it <sys/malloc.h>'s free(), which takes both."""
    h = example_tree / "sys" / "external" / "bsd" / "drm2" / "dist" / "include" / "drm"
    h.mkdir(parents=True)
    (h / "drm_gem.h").write_text(DRM_GEM_H)
    (h / "user.c").write_text(GEM_USER_C)
    before = _compile(h / "user.c")
    assert before.returncode != 0 and "passed 3 arguments" in before.stderr
    p = run("install-shim", str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "drm_gem.h:8: #define\tfree(addr, type)\t\tkern_free(addr) -> " \
        "#define\tfree(...)\t\t\t__malloc_free(__VA_ARGS__)" in p.stdout
    after = _compile(h / "user.c")
    assert after.returncode == 0, after.stderr
    # an older install-shim's kern_free(addr, type) is mended the same way
    (h / "drm_gem.h").write_text(DRM_GEM_H.replace("kern_free(addr)", "kern_free(addr, type)"))
    assert run("install-shim", str(example_tree)).returncode == 0
    assert _compile(h / "user.c").returncode == 0


def test_free_takes_two_or_three_arguments_and_says_so_otherwise(tmp_path):
    """<sys/malloc.h>'s free() with -std=gnu99 and the kernel's warnings:
    both forms compile warning-free, with no option; another count is an
    error that names the rule."""
    src = tmp_path / "t.c"
    for body, ok in (("free(p, M_DEVBUF); free(p, M_DEVBUF, n * sizeof(int));", True),
                     ("free(p, M_ASALLOCATED, MAX(n, 8));", True),
                     ("free(p);", False), ("free(p, M_DEVBUF, n, 0);", False)):
        src.write_text("#include <sys/param.h>\n#include <sys/malloc.h>\n"
                       "void f(void *, unsigned long);\n"
                       f"void\nf(void *p, unsigned long n)\n{{\n\t{body}\n}}\n")
        r = _compile(src)
        assert (r.returncode == 0) == ok, (body, r.stderr)
        assert ok or "free_takes_2_or_3_arguments" in r.stderr


def test_install_shim_out_writes_a_patch_and_leaves_the_tree(example_tree, tmp_path):
    before = snapshot(example_tree)
    p = run("install-shim", "--out", str(tmp_path / "o"), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "the tree is untouched" in p.stdout
    assert snapshot(example_tree) == before
    md = (tmp_path / "o" / "shim.md").read_text()
    assert "`sys/sys/malloc_types.h` (new): generated" in md
    assert "`sys/conf/files`: kern/kern_malloc_types.c listed" in md
    r = subprocess.run(["patch", "-p1", "-s", "-i", str(tmp_path / "o" / "shim.diff")],
                       cwd=example_tree, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    other = tmp_path / "other"
    shutil.copytree(os.path.join(TOP, "examples"), other)
    assert run("install-shim", str(other)).returncode == 0
    assert snapshot(example_tree) == snapshot(other)


def test_install_shim_out_and_in_place_does_both(example_tree, tmp_path):
    p = run("install-shim", "--out", str(tmp_path / "o"), "--in-place", str(example_tree))
    assert p.returncode == 0 and "untouched" not in p.stdout
    assert (example_tree / "sys" / "sys" / "malloc_types.h").exists()
    assert "+MALLOC_DECLARE(M_USBDEV);" in (tmp_path / "o" / "shim.diff").read_text()
