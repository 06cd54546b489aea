"""Which NetBSD port compiles a file, with which compiler and flags.

`check --arch` compiles each file for the ports whose kernels build it
(tree.builds(): the `file` lines config(1) reads), one target per CPU:
the port's own <machine/...> headers, its CPU family's (<arm/...>,
<mips/...>, ...), Debian's cross gcc for that CPU and the flags NetBSD's
sys/arch/*/conf/Makefile.* give that CPU's kernels, as far as they
matter to a compile (code model, no FPU, endianness; not -Wa, profiling
or sanitizer flags).  A Linux-targeted gcc compiles a -nostdinc
-ffreestanding kernel file as NetBSD's gcc would, up to ABI details a
compile check does not see.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field

from ..tree import MI, Configs


@dataclass(frozen=True)
class Cpu:
    name: str                   # MACHINE_ARCH's family: x86_64, arm, mips, ...
    triple: str | None          # Debian's cross gcc prefix; None: Debian has none
    package: str | None         # the Debian package that installs it
    flags: tuple[str, ...]      # Makefile.PORT's code-generation flags
    bits: int
    big_endian: bool
    host: bool = False          # the build machine's own gcc (amd64 today)

    @property
    def gcc(self) -> str | None:
        if self.triple is None:
            return None
        return "gcc" if self.host else f"{self.triple}-gcc-12"

    @property
    def nm(self) -> str:
        return "nm" if self.host or self.triple is None else f"{self.triple}-nm"


def _cpu(name, triple, flags, bits, be, host=False, package=None) -> Cpu:
    pkg = package or (f"gcc-12-{triple}" if triple and not host else None)
    return Cpu(name, triple, pkg, tuple(flags), bits, be, host)


# From sys/arch/*/conf/Makefile.* of NetBSD-current (10.99): what changes
# the code a file compiles to or the macros it sees.  -march where the
# Debian default is older than NetBSD's GENERIC (arm: earmv7).
CPUS: dict[str, Cpu] = {c.name: c for c in (
    _cpu("x86_64", "x86_64-linux-gnu", ["-mcmodel=kernel", "-mno-red-zone", "-mno-mmx",
         "-mno-sse", "-mno-avx", "-msoft-float", "-Damd64", "-Dx86_64"], 64, False, host=True),
    _cpu("i386", "i686-linux-gnu", ["-msoft-float", "-mno-mmx", "-mno-sse", "-mno-avx",
         "-Di386"], 32, False),
    _cpu("arm", "arm-linux-gnueabi", ["-march=armv7-a", "-mfloat-abi=soft"], 32, False),
    _cpu("aarch64", "aarch64-linux-gnu", ["-march=armv8-a+nofp+nosimd"], 64, False),
    # __mips_o32/__mips_n64: NetBSD's gcc defines them, Linux's does not
    _cpu("mips", "mips-linux-gnu", ["-mno-abicalls", "-msoft-float", "-G", "0",
         "-ffixed-24", "-D__mips_o32"], 32, True),
    _cpu("mipsel", "mipsel-linux-gnu", ["-mno-abicalls", "-msoft-float", "-G", "0",
         "-ffixed-24", "-D__mips_o32"], 32, False),
    _cpu("mips64", "mips64-linux-gnuabi64", ["-mno-abicalls", "-msoft-float", "-G", "0",
         "-ffixed-24", "-msym32", "-mabi=64", "-D__mips_n64"], 64, True),
    # -Upowerpc: Linux's gcc predefines powerpc=1, NetBSD's does not
    # (evbppc's #include PPC_INTR_IMPL, <powerpc/intr.h>, became <1/intr.h>)
    _cpu("powerpc", "powerpc-linux-gnu", ["-msoft-float", "-msdata=none",
         "-mno-strict-align", "-Upowerpc"], 32, True),
    _cpu("powerpc64", "powerpc64-linux-gnu", ["-msoft-float", "-D_LP64"], 64, True),
    _cpu("sparc", "sparc64-linux-gnu", ["-m32", "-mcpu=v8", "-mno-fpu", "-Dsparc"], 32, True),
    _cpu("sparc64", "sparc64-linux-gnu", ["-mcmodel=medlow", "-mno-fpu", "-D_LP64",
         "-Dsparc64", "-D__sparc64__"], 64, True),
    _cpu("alpha", "alpha-linux-gnu", ["-mno-fp-regs", "-Dalpha"], 64, False),
    _cpu("hppa", "hppa-linux-gnu", ["-mpa-risc-1-1", "-msoft-float", "-mdisable-fpregs",
         "-mno-space-regs", "-mfast-indirect-calls", "-mportable-runtime", "-Dhppa"],
         32, True),
    _cpu("m68k", "m68k-linux-gnu", ["-m68020-60", "-msoft-float"], 32, True),
    _cpu("riscv", "riscv64-linux-gnu", ["-mcmodel=medany", "-march=rv64imac_zicsr_zifencei",
         "-mabi=lp64"], 64, False),
    _cpu("sh3", "sh4-linux-gnu", [], 32, False),      # Debian builds no -m3
    _cpu("vax", None, [], 32, False),
    _cpu("ia64", None, [], 64, False),
)}

# A port's CPU when its machine line does not name it (x86 is two CPUs;
# "machine alpha" names only the port).
_PORT_CPU = {"amd64": "x86_64", "i386": "i386"}
# Little-endian MIPS ports (their GENERIC is mipsel); evbmips builds both,
# its representative is big-endian.
_MIPSEL = {"pmax", "hpcmips", "cobalt", "arc", "algor", "playstation2"}
# The port each CPU is compiled on when the file's builders leave a
# choice (an MI file, sys/dev/pci, sys/arch/arm, ...): README, check.
REPRESENTATIVE = {
    "x86_64": "amd64", "i386": "i386", "arm": "evbarm", "aarch64": "evbarm",
    "mips": "evbmips", "mipsel": "pmax", "powerpc": "macppc", "sparc": "sparc",
    "sparc64": "sparc64", "alpha": "alpha", "hppa": "hppa", "m68k": "amiga",
    "riscv": "riscv", "sh3": "landisk", "vax": "vax", "ia64": "ia64"}
# An MI file (sys/conf/files) is compiled for a 64-bit little-endian and
# a 32-bit big-endian kernel (amd64, macppc): both sizes of long and
# pointers, both byte orders.  A third (i386 and sparc64 were, with
# amd64) made 4,684 compiles a tree of the fast pass on current, 3,457 now.
MI_CPUS = ("x86_64", "powerpc")
DEFAULT_ARCH = ("x86_64",)      # check without --arch: amd64, as before


@dataclass(frozen=True)
class Target:
    """One port compiled with one CPU's compiler (evbarm: arm or aarch64)."""
    name: str                   # the port, or PORT-CPU for its second CPU
    port: str
    cpu: Cpu
    machine: tuple[str, ...] = field(default=())   # include dirs linked by name
    kernel: str | None = None   # its kernel config (sys/-relative); None: GENERIC's


def cpus_of(port: str, names: list[str]) -> list[str]:
    """The CPUs a port's kernels are built for, from its machine lines'
    names (port_dirs()): evbarm arm and aarch64, pmax mipsel."""
    if port in _PORT_CPU:
        return [_PORT_CPU[port]]
    out = []
    for n in names or [port]:
        if n == "mips" and port in _MIPSEL:
            n = "mipsel"
        if n in CPUS and n not in out:
            out.append(n)
    return out or ([port] if port in CPUS else [])


def target(port: str, cpu: str, names: list[str]) -> Target:
    """Port and CPU: <machine/...> is the port's, <CPU family/...> each
    name of its machine lines (x86, xen; arm; m68k, sun68k) and the port's
    own (<amd64/...>)."""
    fam = [n for n in names if n != cpu] + [port]
    fam += [{"mipsel": "mips", "mips64": "mips", "i386": "x86", "x86_64": "x86"}.get(cpu, cpu)]
    if cpu == "aarch64":
        fam += ["arm"]                  # aarch64's headers include <arm/...>
    if cpu == "sparc64":
        fam += ["sparc"]                # sparc64's <machine/cdefs.h> is <sparc/...>
    first = (cpus_of(port, names) or [cpu])[0]
    return Target(port if cpu == first else f"{port}-{cpu}", port, CPUS[cpu],
                  tuple(dict.fromkeys(fam)))


def cross_packages() -> list[str]:
    """Debian packages for every CPU check --arch all compiles."""
    return sorted({c.package for c in CPUS.values() if c.package})


def missing_compiler(cpu: Cpu) -> str | None:
    """Why a CPU cannot be compiled for here, or None."""
    if cpu.gcc is None:
        return f"no compiler ({cpu.name}: Debian has no cross gcc for it)"
    if shutil.which(cpu.gcc) is None:
        return (f"no compiler ({cpu.gcc} not found: install {cpu.package or 'gcc'}, "
                "or all of them with `make deps-cross`)")
    return None


def parse_arch(spec: str | None, ports: dict[str, list[str]]) -> list[str]:
    """--arch's LIST (CPUs or ports, comma separated) or `all`, as CPUs."""
    if not spec:
        return list(DEFAULT_ARCH)
    if spec == "all":
        return [c for c in CPUS if c not in ("mips64", "powerpc64")]
    out: list[str] = []
    for a in spec.split(","):
        a = a.strip()
        if a in CPUS:
            out.append(a)
        elif a in ports:
            out += cpus_of(a, ports[a])
        elif a:
            raise ValueError(f"--arch {a}: neither a CPU ({', '.join(CPUS)}) nor a port "
                             "of the tree")
    return list(dict.fromkeys(out))


def targets_for(rel: str, builders: frozenset[str] | None, ports: dict[str, list[str]],
                arches: list[str]) -> list[Target]:
    """The targets a file is compiled on: an MI file on MI_CPUS's
    representatives (those of arches); a port's file (sys/arch/PORT, or a
    files.* only some ports include) on one port per CPU of arches,
    the representative where it builds the file, its CPU chosen by the
    file's directory where the port has two (sys/arch/aarch64 on evbarm);
    a file of more than two CPUs (sys/dev/pci) on those of MI_CPUS.
    A file no config lists is compiled as MI: it may be a rump or module
    source, and compiling it costs nothing but time."""
    if builders is None or MI in builders:
        cpus = [c for c in MI_CPUS if c in arches] or arches[:1]
        return [target(REPRESENTATIVE[c], c, ports.get(REPRESENTATIVE[c], []))
                for c in cpus if REPRESENTATIVE.get(c) in ports or not ports]
    parts = rel.split("/")
    fam = parts[2] if len(parts) > 3 and parts[1] == "arch" else None
    chosen: dict[str, str] = {}
    for port in sorted(builders, key=lambda p: (REPRESENTATIVE.get(
            (cpus_of(p, ports.get(p, [])) or [""])[0]) != p, p)):
        cs = cpus_of(port, ports.get(port, []))
        cs = [fam] if fam in cs else cs[:1]
        for c in cs:
            if c in arches and c not in chosen:
                chosen[c] = port
    if len(chosen) > 2 and any(c in chosen for c in MI_CPUS):
        # sys/dev/pci and the like, which most ports build: as an MI file
        chosen = {c: p for c, p in chosen.items() if c in MI_CPUS}
    return [target(p, c, ports.get(p, [])) for c, p in chosen.items()]


def include_links(root: str, t: Target) -> list[tuple[str, str]]:
    """(name, dir) for the -I directory of <machine/...> and the families."""
    out = [("machine", f"sys/arch/{t.port}/include")]
    out += [(n, f"sys/arch/{n}/include") for n in t.machine]
    out += [("prop", "common/include/prop")]     # (check.PROP: warned of if missing)
    return [(n, d) for n, d in out if os.path.isdir(os.path.join(root, d))]


# The kernel whose options a port is compiled with, where not GENERIC.
# atari: its kernel configs each name one 68k CPU (ATARITT's 68030
# pflush fails with -m68020-60), std.atari none: 19 of 22 files compile
# with it, 18 with ATARITT.
_KERNEL = {"evbmips": "MALTA", "atari": "std.atari"}
_OPTION = re.compile(r"^[ \t]*(no[ \t]+)?options[ \t]+(.*)$", re.M)
_CONF_INC = re.compile(r"^[ \t]*include[ \t]+\"([^\"]+)\"", re.M)


def kernel_lines(root: str, t: Target) -> list[str]:
    """The lines of the port's GENERIC (GENERIC64 for aarch64, _KERNEL's
    or the first by name where there is none) and of the std.* files it
    includes, in order: what config(1) reads for that kernel, but for
    sys/conf's files (MI)."""
    conf = os.path.join(root, "sys", "arch", t.port, "conf")
    names = ["GENERIC64"] if t.cpu.name == "aarch64" else [_KERNEL.get(t.port, "GENERIC")]
    # no GENERIC (hpcarm, sgimips): the first kernel config by name, which
    # includes std.PORT and its SoC's or CPU's std file (ARM_INTR_IMPL,
    # MIPS3); std.PORT alone lacks those
    names += sorted(f for f in (os.listdir(conf) if os.path.isdir(conf) else ())
                    if f.isupper() and not f.startswith(("INSTALL", "MAKEDEV")))
    names.append(f"std.{t.port}")
    start = t.kernel or next((f"arch/{t.port}/conf/{n}" for n in names
                              if os.path.exists(os.path.join(conf, n))), None)
    out: list[str] = []
    seen: set[str] = set()

    def read(rel: str) -> None:
        if rel in seen or len(seen) > 50:
            return
        seen.add(rel)
        try:
            with open(os.path.join(root, "sys", rel), encoding="utf-8",
                      errors="replace") as fp:
                text = fp.read()
        except OSError:
            return
        for line in text.splitlines():
            inc = _CONF_INC.match(line)
            if inc and not inc.group(1).startswith("conf/"):
                read(inc.group(1))
            else:
                out.append(line)

    if start:
        read(start)
    return out


def kernel_configs(root: str, port: str) -> list[str]:
    """The port's kernel configs, sys/-relative, by name: where check
    looks for a kernel that builds a file GENERIC leaves out."""
    conf = os.path.join(root, "sys", "arch", port, "conf")
    names = os.listdir(conf) if os.path.isdir(conf) else []
    return [f"arch/{port}/conf/{n}" for n in sorted(names)
            if n.isupper() and not n.startswith(("INSTALL", "MAKEDEV"))]


def with_kernel(t: Target, kernel: str, lp64: bool) -> Target:
    """t compiled with another kernel config of its port (evbarm's
    GUMSTIX for pxa2x0); an LP64 kernel of a MIPS port (OCTEON) with the
    64-bit compiler."""
    cpu = CPUS["mips64"] if lp64 and t.cpu.name == "mips" else t.cpu
    return Target(f"{t.port}@{os.path.basename(kernel)}", t.port, cpu, t.machine, kernel)


def same_cpu(t: Target, machine: list[str]) -> bool:
    """A kernel whose `machine` line (["evbarm", "aarch64"]) is for t's
    CPU: evbarm's arm files are not compiled with GENERIC64."""
    family = {"mipsel": "mips", "mips64": "mips", "powerpc64": "powerpc"}.get(
        t.cpu.name, t.cpu.name)
    return len(machine) < 2 or family in machine[1:] or t.cpu.name in machine[1:]


def kernel_options(root: str, t: Target) -> list[str]:
    """-D flags for the options of the port's kernel (kernel_lines():
    macppc's PPC_OEA, evbarm's ARM_INTR_IMPL, landisk's SH4): what its
    headers #error without.  config(1) puts most in opt_*.h; as -D they
    reach every file alike.  Options of sys/conf/files (MI: DIAGNOSTIC,
    BPFJIT) stay off."""
    opts: dict[str, str | None] = {}
    for line in kernel_lines(root, t):
        m = _OPTION.match(line)
        if not m:
            continue
        for o in m.group(2).split("#")[0].split(","):
            name, eq, val = o.strip().partition("=")
            if not re.fullmatch(r"\w+", name):
                continue
            if m.group(1):
                opts.pop(name, None)
            else:
                opts[name] = val.strip().strip('"') if eq else None
    mi = mi_options(root)       # DIAGNOSTIC, BPFJIT, ...: off, as on amd64 before
    return [f"-D{n}" if v is None else f"-D{n}={v}" for n, v in opts.items() if n not in mi]


_DEFOPT = re.compile(r"^[ \t]*def(?:flag|param|opt)[ \t]+(.*(?:\\\n.*)*)", re.M)
_MI_OPTS: dict[str, frozenset[str]] = {}


def mi_options(root: str) -> frozenset[str]:
    """Options sys/conf/files and what it includes declare: MI ones,
    left off (a file's MI options are the same on every port)."""
    if root not in _MI_OPTS:
        cfg = Configs(root)
        names: set[str] = set()
        for c in cfg.closure(["conf/files"]):
            for body in _DEFOPT.findall(cfg.text(c)):
                names.update(re.findall(r"\b[A-Z][A-Z0-9_]+\b", body))
        _MI_OPTS[root] = frozenset(names)
    return _MI_OPTS[root]
