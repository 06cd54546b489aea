"""check: bad paths, warnings as regressions (by function and message,
not line), the link-level check of malloc type symbols, the kernel's
warning flags read from the tree."""
import os

from conftest import run
from test_shim import converted_with_shim


def test_a_path_that_does_not_exist_is_bad_input(example_tree, tmp_path):
    """Exit 2, one line, no baseline written, no temporary directory left."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env_tmp = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmp)
    try:
        p = run("check", str(example_tree), "sys/dev/typo")
        assert p.returncode == 2 and p.stderr.count("\n") == 1, (p.stdout, p.stderr)
        assert "sys/dev/typo: no such file or directory" in p.stderr
        assert not (example_tree / ".kmem2malloc-check.json").exists()
        p = run("check", str(example_tree), "sys/sys")       # headers only
        assert p.returncode == 2 and "no .c file under sys/sys" in p.stderr
        p = run("check", str(example_tree), "../..")
        assert p.returncode == 2 and "outside the tree" in p.stderr
        assert not (example_tree / ".kmem2malloc-check.json").exists()
        assert run("check", str(example_tree), "sys/dev").returncode == 0
        assert os.listdir(tmp) == []                    # work directories removed
    finally:
        if env_tmp is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = env_tmp


def test_a_new_warning_is_a_regression_shifted_lines_are_not(example_tree, tmp_path):
    converted_with_shim(example_tree, tmp_path)
    f = example_tree / "sys" / "dev" / "i2c" / "iicmux.c"
    text = f.read_text()
    base = tmp_path / "base.json"
    p = run("check", "--baseline", str(base), str(example_tree), "sys/dev")
    assert "baseline written" in p.stdout
    # lines shift (as a conversion shifts them): nothing new
    f.write_text("\n\n\n" + text)
    p = run("check", "--baseline", str(base), str(example_tree), "sys/dev")
    assert p.returncode == 0 and "0 new warnings" in p.stdout, p.stdout
    # a variable left unused, as a dropped kmem_free size leaves it
    at = text.index("{", text.index("iicmux_attach(")) + 1
    f.write_text(text[:at] + "\n\tsize_t sz = 4;\n" + text[at:])
    p = run("check", "--baseline", str(base), str(example_tree), "sys/dev")
    assert p.returncode == 1, p.stdout
    assert "1 new warnings" in p.stdout
    line = text[:at].count("\n") + 2
    assert (f"NEW WARNING sys/dev/i2c/iicmux.c:{line}: in iicmux_attach(): "
            "unused variable 'sz' [-Wunused-variable]") in p.stdout, p.stdout


def test_link_check_names_undefined_and_duplicate_types(example_tree, tmp_path):
    converted_with_shim(example_tree, tmp_path)
    base = tmp_path / "base.json"
    assert run("check", "--baseline", str(base), str(example_tree), "sys/dev").returncode == 0
    d = example_tree / "sys" / "dev"
    f = d / "i2c" / "tempsen.c"
    f.write_text(f.read_text() + "\nMALLOC_DECLARE(M_NOWHERE);\n"
                 "void *tempsen_lost(void);\n"
                 "void *tempsen_lost(void) { return malloc(1, M_NOWHERE, M_WAITOK); }\n"
                 'MALLOC_DEFINE(M_I2C, "i2c", "again");\n')
    p = run("check", "--baseline", str(base), str(example_tree), "sys/dev")
    assert p.returncode == 1, p.stdout
    assert "2 new link problems" in p.stdout
    assert "NEW UNDEFINED M_NOWHERE: referenced by sys/dev/i2c/tempsen.c; no file defines it" \
        in p.stdout
    assert "NEW DUPLICATE M_I2C: defined in sys/dev/i2c/tempsen.c, " \
        "sys/kern/kern_malloc_types.c" in p.stdout
    # a type defined in a source not compiled here is no problem
    (example_tree / "sys" / "kern" / "subr_nowhere.c").write_text(
        '#include <sys/malloc.h>\nMALLOC_DEFINE(M_NOWHERE, "nowhere", "x");\n')
    p = run("check", "--baseline", str(base), str(example_tree), "sys/dev")
    assert "UNDEFINED" not in p.stdout and "1 new link problems" in p.stdout


def test_warning_flags_come_from_the_tree(tmp_path):
    from k2m.kernel import check
    conf = tmp_path / "sys" / "conf"
    conf.mkdir(parents=True)
    (conf / "Makefile.kern.inc").write_text(
        "CWARNFLAGS+=\t-Wall -Wno-main\n"
        ".  if ${MACHINE_ARCH} == \"x86_64\"\nCWARNFLAGS+=\t-Wextra \\\n\t-Wno-unused-parameter\n"
        ".  endif\nCWARNFLAGS.clang+=\t-Wno-conversion\n"
        "CWARNFLAGS+=\t\t${CC_WNO_ADDRESS_OF_PACKED_MEMBER}\n"
        "CWARNFLAGS.ioconf.c= -Wno-unused-const-variable\nCWARNFLAGS+=\t-Walloca # new\n"
        "CWARNFLAGS+=\t${CWARNFLAGS.${.IMPSRC:T}}\n")
    assert check.warning_flags(str(tmp_path)) == [
        "-Wall", "-Wno-main", "-Wextra", "-Wno-unused-parameter",
        "-Wno-address-of-packed-member", "-Walloca"]
    assert check.warning_flags(str(tmp_path / "none")) == check.WARNINGS


def test_warning_keys(tmp_path):
    """By the header's real path (not the temporary machine/ link), and a
    header's warnings without the function it was inlined into."""
    from k2m.kernel import check
    real = tmp_path / "sys" / "arch" / "amd64" / "include"
    real.mkdir(parents=True)
    (real / "cpu.h").write_text("")
    inc = tmp_path / "work" / "inc"
    inc.mkdir(parents=True)
    os.symlink(real, inc / "machine")
    root = str(tmp_path)
    stderr = (f"{root}/sys/dev/x.c: In function 'x_detach':\n"
              f"{root}/sys/dev/x.c:12:9: warning: unused variable 'sz' [-Wunused-variable]\n"
              f"{inc}/machine/cpu.h:55:3: warning: array subscript 0 is outside [-Warray-bounds]\n"
              f"{root}/sys/dev/x.c: At top level:\n"
              f"{root}/sys/dev/x.c:30:1: warning: no previous prototype [-Wmissing-prototypes]\n"
              f"{root}/sys/dev/x.c:31:1: note: not a warning\n")
    assert check._warnings(stderr, root, "sys/dev/x.c") == [
        ["sys/dev/x.c|x_detach|unused variable 'sz' [-Wunused-variable]", 12],
        ["sys/arch/amd64/include/cpu.h||array subscript 0 is outside [-Warray-bounds]", 55],
        ["sys/dev/x.c||no previous prototype [-Wmissing-prototypes]", 30]]


def test_a_tree_without_proplib_is_warned_of(tmp_path):
    """A checkout of sys/ alone (NetBSD-current's isaki68k snapshot): its
    <sys/device.h> includes <prop/proplib.h>, from common/include, so
    nearly every file fails to compile before and after; check says so
    in one line at the start (it compiled 5% of a retag's files)."""
    tree = tmp_path / "tree"
    (tree / "sys/sys").mkdir(parents=True)
    (tree / "sys/dev").mkdir(parents=True)
    (tree / "sys/sys/device.h").write_text("#include <prop/proplib.h>\n")
    (tree / "sys/dev/a.c").write_text("int a;\n")
    p = run("check", "--baseline", str(tmp_path / "b.json"), str(tree), "sys/dev")
    assert "has no common/include/prop" in p.stdout, p.stdout + p.stderr
    (tree / "common/include/prop").mkdir(parents=True)
    p = run("check", "--baseline", str(tmp_path / "b.json"), str(tree), "sys/dev")
    assert "has no common/include/prop" not in p.stdout, p.stdout + p.stderr
