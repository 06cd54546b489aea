"""check --arch: which ports build a file (config files), the targets and
flags it is compiled with (a fake cross compiler on PATH), the fast pass's
choice of files, and the per-port report."""
import os
import shutil
import sys

from conftest import run
from k2m import tree
from k2m.kernel import ports

CONF = {
    "conf/files": "file\tkern/subr_a.c\nfile\tkern/subr_b.c\nfile\tkern/subr_c.c\n",
    "dev/sbus/files.sbus": "file\tdev/sbus/s.c\ts\n",
    "arch/sparc64/conf/std.sparc64": "machine\tsparc64\n",
    "arch/sparc64/conf/files.sparc64": "include \"dev/sbus/files.sbus\"\n"
                                       "file\tarch/sparc64/sparc64/md.c\n",
    "arch/sparc/conf/std.sparc": "machine\tsparc\n",
    "arch/sparc/conf/files.sparc": "include \"dev/sbus/files.sbus\"\n",
    "arch/amd64/conf/std.amd64": "machine amd64 x86\n",
    "arch/i386/conf/std.i386": "machine i386 x86\n",
    "arch/x86/conf/files.x86": "file\tarch/x86/x86/xmd.c\n",
    "arch/macppc/conf/std.macppc": "machine\tmacppc powerpc\n",
    "arch/vax/conf/std.vax": "machine\tvax\n",
    "arch/vax/conf/files.vax": "file\tarch/vax/vax/v.c\n",
    "arch/alpha/conf/std.alpha": "machine\talpha\n",
    "arch/alpha/conf/files.alpha": "file\tarch/alpha/alpha/a.c\n",
    "arch/evbarm/conf/std.generic": "machine evbarm arm\n",
    "arch/evbarm/conf/std.rpi": "machine evbarm arm\n",
    "arch/evbarm/conf/std.generic64": "machine evbarm aarch64\n",
    "arch/evbarm/conf/files.evbarm": "",
    "arch/aarch64/conf/files.aarch64": "file\tarch/aarch64/aarch64/p.c\n",
    "arch/arm/conf/files.arm": "file\tarch/arm/arm/q.c\n",
}
HEADER = "#define THING_GET(x)\t((x) + 1)\n#define OTHER(x)\t(x)\n"
SOURCES = {
    "kern/subr_a.c": "int subr_a(int);\nint subr_a(int x) { return x; }\n",
    "kern/subr_b.c": '#include "thing.h"\nint subr_b(int);\nint subr_b(int x) '
                     "{ return THING_GET(x); }\n",
    "kern/subr_c.c": '#include "thing.h"\nint subr_c(int);\nint subr_c(int x) '
                     "{ return OTHER(x); }\n",
    "kern/thing.h": HEADER,
    "dev/sbus/s.c": "int s_f(int);\nint s_f(int x) { return x + 2; }\n",
    "arch/vax/vax/v.c": "int v_f(void);\nint v_f(void) { return 0; }\n",
    "arch/alpha/alpha/a.c": "int a_f(void);\nint a_f(void) { return 0; }\n",
}


def write_sys(root, files):
    """files (sys/-relative path -> text) written under root/sys."""
    for rel, text in files.items():
        p = root / "sys" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def make_tree(root):
    return write_sys(root, {**CONF, **SOURCES})


def test_which_ports_build_a_file_comes_from_the_config_files(tmp_path):
    root = str(make_tree(tmp_path))
    b = tree.builds(root)
    assert b["sys/kern/subr_a.c"] == {tree.MI}
    assert b["sys/dev/sbus/s.c"] == {"sparc", "sparc64"}        # included by both
    assert b["sys/arch/x86/x86/xmd.c"] == {"amd64", "i386"}      # machine line's files.x86
    assert b["sys/arch/sparc64/sparc64/md.c"] == {"sparc64"}
    assert "sys/kern/thing.h" not in b
    pd = tree.port_dirs(root)
    assert pd["evbarm"] == ["arm", "aarch64"]      # most kernels first and "x86" not in pd


def test_targets_one_port_per_cpu_mi_on_two(tmp_path):
    root = str(make_tree(tmp_path))
    b, pd = tree.builds(root), tree.port_dirs(root)
    every = ports.parse_arch("all", pd)

    def names(rel, arches=every):
        return [t.name for t in ports.targets_for(rel, b.get(rel), pd, arches)]
    assert names("sys/kern/subr_a.c") == ["amd64", "macppc"]   # 64 LE, 32 BE
    assert names("sys/kern/subr_a.c", ["x86_64"]) == ["amd64"]
    assert sorted(names("sys/dev/sbus/s.c")) == ["sparc", "sparc64"]
    assert names("sys/arch/aarch64/aarch64/p.c") == ["evbarm-aarch64"]  # by its directory
    assert names("sys/arch/arm/arm/q.c") == ["evbarm"]
    assert names("sys/arch/vax/vax/v.c") == ["vax"]
    t = ports.targets_for("sys/arch/aarch64/aarch64/p.c", b.get("sys/arch/aarch64/aarch64/p.c"),
                          pd, every)[0]
    assert t.cpu.name == "aarch64" and "arm" in t.machine and t.port == "evbarm"
    assert ports.parse_arch("evbarm", pd) == ["arm", "aarch64"]
    try:
        ports.parse_arch("pdp11", pd)
        raise AssertionError("an unknown --arch must be refused")
    except ValueError as e:
        assert "pdp11" in str(e)


FAKE = """#!{python}
# a cross gcc stand-in: records how it was called, compiles with the host's
import os, sys
with open(os.environ["FAKE_LOG"], "a") as fp:
    fp.write(os.path.basename(sys.argv[0]) + " " + " ".join(sys.argv[1:]) + "\\n")
args, skip = [], False
for a in sys.argv[1:]:
    if skip:
        skip = False
    elif a == "-G":
        skip = True
    elif not a.startswith("-m"):
        args.append(a)
os.execv("{gcc}", ["gcc"] + args)
"""


def fake_path(tmp_path, triples):
    """A PATH with the host's gcc, nm and as, and fake cross gccs."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("gcc", "nm", "as"):
        os.symlink(shutil.which(tool), bin_ / tool)
    for t in triples:
        f = bin_ / f"{t}-gcc-12"
        f.write_text(FAKE.format(python=sys.executable, gcc=shutil.which("gcc")))
        f.chmod(0o755)
        os.symlink(shutil.which("nm"), bin_ / f"{t}-nm")
    return str(bin_)


def test_fast_pass_per_port_flags_and_report(tmp_path):
    before = make_tree(tmp_path / "before")
    after = make_tree(tmp_path / "after")
    s = after / "sys" / "dev" / "sbus" / "s.c"
    s.write_text(s.read_text().replace("{ return", "{ int unused = 1; return"))
    (after / "sys" / "kern" / "thing.h").write_text(HEADER.replace("+ 1", "+ 2"))
    for f in ("arch/vax/vax/v.c", "arch/alpha/alpha/a.c"):
        (after / "sys" / f).write_text((after / "sys" / f).read_text() + "\n")
    log = tmp_path / "log"
    env_path, env_log = os.environ["PATH"], os.environ.get("FAKE_LOG")
    os.environ["PATH"] = fake_path(tmp_path, ["sparc64-linux-gnu", "powerpc-linux-gnu"])
    os.environ["FAKE_LOG"] = str(log)
    try:
        p = run("check", "--arch", "all", "--against", str(before), "-j", "2",
                str(after), "sys")
    finally:
        os.environ["PATH"] = env_path
        if env_log is None:
            del os.environ["FAKE_LOG"]
    out = p.stdout
    assert p.returncode == 1, (out, p.stderr)
    # the fast pass: what changed, and the includer that uses THING_GET;
    # subr_c.c includes thing.h but uses only OTHER, subr_a.c nothing
    assert "3 .c and 1 headers differ" in out and "4 .c files to compile" in out, out
    calls = log.read_text().splitlines()
    assert not any("subr_a.c" in c or "subr_c.c" in c for c in calls), calls
    sparc = [c for c in calls if c.endswith("dev/sbus/s.c") and " -m32 " in c]
    sparc64 = [c for c in calls if c.endswith("dev/sbus/s.c") and "-mcmodel=medlow" in c]
    # s.c warns after: compiled before too, on each port
    assert len(sparc) == 2 and len(sparc64) == 2
    assert all(c.startswith("sparc64-linux-gnu-gcc-12 ") and "-D_LP64" in c for c in sparc64)
    assert not any("-D_LP64" in c for c in sparc)
    # subr_b.c compiles after without a warning: before is not compiled
    assert len([c for c in calls if c.startswith("powerpc-linux-gnu-gcc-12 ")
                and c.endswith("kern/subr_b.c")]) == 1
    assert "(1 clean after, not compiled before)" in out
    assert "a full pass (every .c under sys, both trees) would be " in out
    # per port: the new warning on both sparcs, none elsewhere
    assert "NEW WARNING sys/dev/sbus/s.c:2: in s_f(): unused variable 'unused' " \
        "[-Wunused-variable] (on sparc)" in out
    assert "[-Wunused-variable] (on sparc64)" in out
    assert "check: macppc: against" in out and "check: amd64: against" in out
    for port in ("amd64", "macppc"):
        line = next(li for li in out.splitlines() if li.startswith(f"check: {port}: against"))
        assert "0 regressions" in line and "0 new warnings" in line, line
    # no compiler: vax has none, alpha's is not installed (the package named)
    assert "vax: not compiled: no compiler (vax: Debian has no cross gcc for it)" in out
    assert "install gcc-12-alpha-linux-gnu" in out and "make deps-cross" in out
    assert "Traceback" not in p.stderr
    # coverage: 1 of the 3 changed .c compiled on a port that builds them
    assert "coverage: 1 of 3 changed .c files" in out, out
    assert "2 no compiler for the ports that build it: sys/arch/alpha/alpha/a.c, " \
        "sys/arch/vax/vax/v.c" in out


def test_warning_flags_follow_the_port(tmp_path):
    from k2m.kernel import check
    conf = tmp_path / "sys" / "conf"
    conf.mkdir(parents=True)
    (conf / "Makefile.kern.inc").write_text(
        "CWARNFLAGS+=\t-Wall\n"
        ".  if ${MACHINE} == \"i386\" || ${MACHINE_ARCH} == \"x86_64\" || \\\n"
        "\t${MACHINE_ARCH} == \"sparc64\" || ${MACHINE} == \"prep\"\n"
        "CWARNFLAGS+=\t-Wextra\n.  endif\n"
        ".if ${MACHINE} != \"vax\"\nCWARNFLAGS+=\t-Wnovax\n.else\nCWARNFLAGS+=\t-Wvax\n.endif\n")
    root = str(tmp_path)
    assert check.warning_flags(root) == ["-Wall", "-Wextra", "-Wnovax"]
    assert check.warning_flags(root, "sparc64", "sparc64") == ["-Wall", "-Wextra", "-Wnovax"]
    assert check.warning_flags(root, "evbarm", "arm") == ["-Wall", "-Wnovax"]
    assert check.warning_flags(root, "vax", "vax") == ["-Wall", "-Wvax"]


def test_header_keys_name_what_changed(tmp_path):
    from k2m.kernel import check
    before = "/* a comment */\n#define A(x) \\\n\t(x)\n#define B 1\nint f(int);\n"
    after = "/* the comment rewritten */\n#define A(x) \\\n\t((x) + 1)\n#define B 1\n" \
        "int f(int);\nint g(int);\n"
    assert check.header_keys(str(tmp_path), before, after) == {"A", "g"}


def test_install_shim_defines_each_type_in_every_port_that_names_it(tmp_path):
    """sparc64's MD code defines M_SBUSDMA and the sbus driver, which sparc
    builds too, names it: sparc's kernel gets its own definition (in
    files.sparc, not sys/conf/files, where sparc64's would meet it).  A
    type only sparc's MD code names and nothing defines goes to
    kern_malloc_types.c, which sys/conf/files gives every kernel."""
    import re
    from k2m.kernel import check
    conf = {
        "conf/files": "file\tkern/kern_malloc.c\n",
        "dev/sbus/files.sbus": "file\tdev/sbus/s.c\ts\n",
        "arch/sparc64/conf/std.sparc64": "machine\tsparc64\n",
        "arch/sparc64/conf/files.sparc64": "include \"dev/sbus/files.sbus\"\n"
                                           "file\tarch/sparc64/sparc64/md.c\n",
        "arch/sparc/conf/std.sparc": "machine\tsparc\n",
        "arch/sparc/conf/files.sparc": "include \"dev/sbus/files.sbus\"\n"
                                       "file\tarch/sparc/sparc/md.c\n",
        "arch/sparc64/sparc64/md.c":
            "#include <sys/malloc.h>\n"
            "MALLOC_DEFINE(M_SBUSDMA, \"sbusdma\", \"sbus DMA maps\");\n"
            "void *md(void) { return malloc(8, M_SBUSDMA, M_WAITOK); }\n",
        "arch/sparc/sparc/md.c":
            "#include <sys/malloc.h>\n"
            "void *md(void) { return malloc(8, M_SPARCMD, M_WAITOK); }\n",
        "dev/sbus/s.c":
            "#include <sys/malloc.h>\n"
            "void s(void *p) { free(p, M_SBUSDMA); }\n",
    }
    write_sys(tmp_path, conf)
    p = run("install-shim", str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "sparc: M_SBUSDMA defined in sys/arch/sparc/sparc/malloc_types_sparc.c " \
        "(listed in sys/arch/sparc/conf/files.sparc)" in p.stdout, p.stdout
    assert "1 defined for 1 ports" in p.stdout
    sys_ = tmp_path / "sys"
    assert "file\tarch/sparc/sparc/malloc_types_sparc.c" in \
        (sys_ / "arch/sparc/conf/files.sparc").read_text()
    assert re.search(r"^MALLOC_DEFINE\(M_SBUSDMA,",
                     (sys_ / "arch/sparc/sparc/malloc_types_sparc.c").read_text(), re.M)
    assert "malloc_types" not in (sys_ / "arch/sparc64/conf/files.sparc64").read_text()
    types_c = (sys_ / "kern/kern_malloc_types.c").read_text()
    assert "M_SPARCMD" in types_c and "M_SBUSDMA" not in types_c
    # per port, each type its files name is defined exactly once
    root = str(tmp_path)
    b, defs = tree.builds(root), check.source_definitions(root)
    for port in ("sparc", "sparc64"):
        for t in ("M_SBUSDMA", "M_SPARCMD"):
            n = [f for f in defs.get(t, []) if check.builds_file(b, f, port)]
            assert len(n) == 1, (port, t, n)
    # a second install changes nothing
    before = open(sys_ / "arch/sparc/conf/files.sparc").read()
    assert run("install-shim", str(tmp_path)).returncode == 0
    assert open(sys_ / "arch/sparc/conf/files.sparc").read() == before


def test_config_headers_stand_in_for_configs_per_port(tmp_path):
    """ioconf.h and locators.h as config(1) writes them, from the config
    files the port's kernels read: cfdrivers, pseudo-devices' attach
    functions, locators with their defaults and count (an array locator
    takes as many slots as it has elements)."""
    from k2m.kernel import check
    conf = {
        "conf/files": "device\tpci {[dev = -1], [function = -1]}\n"
                      "define\tisa {[port = -1], [irq[2] = {-1, -1}], drq}\n"
                      "defpseudo\tbpfilter\n",
        "arch/atari/conf/std.atari": "machine\tatari m68k\n",
        "arch/atari/conf/files.atari": "device\tite: tty\n",
        "arch/mac68k/conf/std.mac68k": "machine\tmac68k m68k\n",
        "arch/mac68k/conf/files.mac68k": "defpseudo ite\n"
                                         "defparam opt_ite.h ITE_ROWS = 25 ITE_COLS=80\n"
                                         "defparam opt_ite.h\tITE_NAME := \"\\\"ite\\\"\"\n"
                                         "defparam opt_ite.h ITE_NONE\n",
    }
    write_sys(tmp_path, conf)
    atari = check.config_headers(str(tmp_path), "atari")
    assert atari["locators.h"].splitlines() == [
        "#define PCICF_DEV 0", "#define PCICF_DEV_DEFAULT -1",
        "#define PCICF_FUNCTION 1", "#define PCICF_FUNCTION_DEFAULT -1",
        "#define PCICF_NLOCS 2",
        "#define ISACF_PORT 0", "#define ISACF_PORT_DEFAULT -1",
        "#define ISACF_IRQ 1", "#define ISACF_DRQ 3", "#define ISACF_NLOCS 4"]
    io = atari["ioconf.h"]
    assert "extern struct cfdriver pci_cd;" in io and "extern struct cfdriver ite_cd;" in io
    assert "void bpfilterattach(int);" in io and "void iteattach(int);" not in io
    mac = check.config_headers(str(tmp_path), "mac68k", frozenset({"ITE_COLS"}))
    assert "void iteattach(int);" in mac["ioconf.h"]
    # a defparam's default, unless the kernel's options set it
    assert mac["opt_ite.h"] == '#define ITE_ROWS\t25\n#define ITE_NAME\t"\\"ite\\""\n'
    assert "opt_ite.h" not in atari


def test_options_from_the_first_kernel_config_where_there_is_no_generic(tmp_path):
    """hpcarm has no GENERIC: its options come from its first kernel config
    by name (IPAQ), which includes the SoC's std file with ARM_INTR_IMPL,
    not from std.hpcarm alone, which lacks it."""
    conf = {
        "arch/hpcarm/conf/std.hpcarm": "machine\thpcarm arm\n",
        "arch/hpcarm/conf/std.sa11x0": "options\tARM_INTR_IMPL=\"<arch/arm/sa11x0/intr.h>\"\n",
        "arch/hpcarm/conf/IPAQ": "include \"arch/hpcarm/conf/std.hpcarm\"\n"
                                 "include \"arch/hpcarm/conf/std.sa11x0\"\noptions\tCPU_SA1100\n",
        "arch/hpcarm/conf/INSTALL_IPAQ": "options\tINSTALL\n",
    }
    write_sys(tmp_path, conf)
    root = str(tmp_path)
    t = ports.target("hpcarm", "arm", tree.port_dirs(root)["hpcarm"])
    opts = ports.kernel_options(root, t)
    assert "-DARM_INTR_IMPL=<arch/arm/sa11x0/intr.h>" in opts and "-DCPU_SA1100" in opts
    assert "-DINSTALL" not in opts


def test_makeoptions_and_the_kernel_that_builds_a_file(tmp_path):
    """config(1)'s makeoptions reach a file through its attributes
    (CPPFLAGS.drmkms) and through what the kernel selects (npf -> libnv)
    or the file's own line needs (pf),
    ifdef/elifdef/else pick one branch; a port's file GENERIC does not
    select is compiled with a kernel that does (OCTEON: LP64, mips64),
    with that kernel's CFLAGS and its needs-flag counts."""
    from k2m.kernel import check
    from k2m.kernel.makeoptions import MakeOptions
    conf = {
        "conf/files": "define\tlibnv\ndefpseudo npf: libnv\ndefine\tdrmkms\n"
                      "makeoptions\tlibnv\tCPPFLAGS+=\"-I$S/external/libnv\"\n"
                      "makeoptions\tgone\tCPPFLAGS+=\"-DGONE\"\n"
                      "makeoptions\tpf\tCPPFLAGS+=\"-I$S/dist/pf\"\n"
                      "file\tdist/pf/net/pf_ioctl.c\tpf\n"
                      "makeoptions\tdrmkms\t\"CPPFLAGS.drmkms\"+=\"-I${S}/drm\"\n"
                      "file\tdev/d.c\t\tdrmkms\nfile\tdev/e.c\n"
                      "ifdef npf\nmakeoptions npf COPTS+=\"-DNPF_ON\"\n"
                      "elifdef cavium\nmakeoptions cavium COPTS+=\"-DCAVIUM_ON\"\n"
                      "else\nmakeoptions COPTS+=\"-DNEITHER\"\nendif\n",
        "arch/evbmips/conf/std.evbmips": "machine\tevbmips mips\n",
        "arch/evbmips/conf/files.evbmips": "device\tcavium\n"
                                           "file\tarch/evbmips/x/oct.c\tcavium | octbus\n",
        "arch/evbmips/conf/std.octeon": "makeoptions\tLP64=\"yes\"\n"
                                        "makeoptions\tCFLAGS+=\"-march=octeon+\"\n"
                                        "include \"arch/evbmips/conf/files.octeon\"\n",
        # read only by the kernels that include it: its standard file is
        # theirs, not every evbmips kernel's
        "arch/evbmips/conf/files.octeon": "file\tarch/evbmips/x/octstd.c\n",
        "arch/evbmips/conf/Makefile.evbmips.inc": "CFLAGS+=\t-mfoo\n.if defined(X)\n"
                                                  "CFLAGS+=\t-mbar\n.endif\n",
        "arch/evbmips/conf/GENERIC": "include \"arch/evbmips/conf/std.evbmips\"\n"
                                     "pseudo-device\tnpf\n",
        "arch/evbmips/conf/OCTEON": "include \"arch/evbmips/conf/std.evbmips\"\n"
                                    "include \"arch/evbmips/conf/std.octeon\"\n"
                                    "cavium0\tat mainbus?\n",
    }
    write_sys(tmp_path, conf)
    root = str(tmp_path)
    S = os.path.join(root, "sys")
    t = ports.target("evbmips", "mips", tree.port_dirs(root)["evbmips"])
    mo = MakeOptions(root, "evbmips", {"evbmips", "mips"}, ports.kernel_lines(root, t))
    assert mo.flags("sys/dev/d.c") == ([], ["-mfoo", f"-I{S}/external/libnv", f"-I{S}/drm",
                                            "-DNPF_ON"])
    assert mo.flags("sys/dev/e.c")[1] == ["-mfoo", f"-I{S}/external/libnv", "-DNPF_ON"]
    # no kernel here selects pf: its file is compiled as a kernel that
    # builds it would, with pf's makeoptions (i386 ALL's pf, <net/pfvar.h>)
    assert mo.flags("sys/dist/pf/net/pf_ioctl.c")[1] == [
        "-mfoo", f"-I{S}/external/libnv", f"-I{S}/dist/pf", "-DNPF_ON"]
    assert mo.selects("sys/dev/e.c") is True and mo.selects("sys/dev/nowhere.c") is None
    assert mo.selects("sys/arch/evbmips/x/oct.c") is False and not mo.lp64
    assert mo.selects("sys/arch/evbmips/x/octstd.c") is False
    first, last = mo.flags("sys/rump/librump/rumpkern/x.c")
    assert last == [] and "-D_RUMPKERNEL" in first and f"-I{S}/rump/include" in first
    # the kernel that builds oct.c: OCTEON, 64-bit
    k = check.Kernels(root)
    assert k.choose(t, "sys/dev/e.c") is t
    o = k.choose(t, "sys/arch/evbmips/x/oct.c")
    assert (o.name, o.cpu.name, o.kernel) == \
        ("evbmips@OCTEON", "mips64", "arch/evbmips/conf/OCTEON")
    assert k.choose(t, "sys/arch/evbmips/x/octstd.c").name == "evbmips@OCTEON"
    cc = check.Compiler(root, str(tmp_path / "work"), set(), o)
    assert cc.makeoptions.flags("sys/dev/e.c")[1] == ["-march=octeon+", "-mfoo", "-DCAVIUM_ON"]
    cc._stub("cavium.h")
    cc._stub("npf.h")
    cc._stub("opt_cavium.h")
    stubs = tmp_path / "work" / "stubs"
    assert (stubs / "cavium.h").read_text() == "#define NCAVIUM\t1\n"
    assert (stubs / "npf.h").read_text() == "" == (stubs / "opt_cavium.h").read_text()
