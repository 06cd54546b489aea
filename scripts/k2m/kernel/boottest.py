"""`kmem2malloc boottest`: a real NetBSD-current kernel from the tree,
built here, booted in qemu.

TREE is a NetBSD-current tree (sys/, and common/lib/libc for libkern),
converted and shimmed (convert --in-place, install-shim) or pristine (the
baseline).  boottest

1. configures an amd64 kernel with config(1) from --tools (a config that
   reads NetBSD-current's files: version 20180827) from boot/K2M_QEMU or
   --config, adding the shim's MALLOC_DEBUG_TYPES on a shimmed tree (every
   wrong-type free panics);
2. builds it with Debian's gcc and binutils and NetBSD make (Debian's
   bmake) with the system makefiles of --tools; gcc is told it compiles
   for NetBSD (kcc below), and boot/dbsym.py copies the symbol table into
   the kernel so that modules link;
3. builds our /sbin/init and /bin/hello (boot/, raw system calls, no libc)
   and a module from the tree (sys/modules/examples/hello), and makes an
   FFS root image with makefs;
4. boots the kernel with qemu-system-x86_64 -kernel (TCG, -smp 2, serial
   console, virtio disks: the root and a spare that init detaches and
   re-attaches), and reads init's steps, any panic and the
   kern.malloc_stats blob from the console (bootconsole.py);
5. prints the mallocstat table of the booted kernel (a shimmed tree's).

Exit status 0 only if the kernel built and booted, every step passed (the
stats step may be skipped on a pristine kernel only), and nothing
panicked; 1 otherwise; 2 for bad input (nothing run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import struct
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field

from . import bootconsole, shim as shimmod

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BOOT = os.path.join(TOP, "boot")
SHIM = os.path.join(TOP, "shim")
DEFAULT_CONFIG = os.path.join(BOOT, "K2M_QEMU")
# What a tree must hold: the amd64 port, and common/lib/libc (libkern's
# sources; a tree of sys/ alone cannot link a kernel).
TREE_NEEDS = ("sys/arch/amd64/conf/std.amd64", "sys/conf/files",
              "sys/sys/syscall.h", "common/lib/libc/Makefile.inc")
MODULE_SRC = "sys/modules/examples/hello/hello.c"
# --tools: config(1) for NetBSD-current's files, genassym, NetBSD's mk files.
TOOLS_NEED = {"config": "bin/nbconfig", "genassym": "bin/nbgenassym",
              "mk": "share/mk/bsd.own.mk"}
HOST_TOOLS = (("bmake", "bmake"), ("gcc", "gcc"), ("ld", "binutils"), ("cpp", "cpp"),
              ("makefs", "makefs"), ("qemu-system-x86_64", "qemu-system-x86"))
# gcc as a NetBSD compiler: NetBSD's predefined macros for Linux's (ACPICA
# picks its platform header by them), no PIE (Debian's default).
NETBSD_MACROS = ["-U__linux__", "-U__linux", "-U__gnu_linux__", "-Ulinux", "-D__NetBSD__"]
KCC_FLAGS = NETBSD_MACROS + ["-fno-pie", "-fno-asynchronous-unwind-tables"]
COPTS = "-O2 -fno-omit-frame-pointer"
# The module: kernel code model, no FPU, no opt_*.h (-D_MODULE), as
# bsd.kmodule.mk builds one; sys/modules/xldscripts/kmodule merges sections.
MODULE_FLAGS = ["-mcmodel=kernel", "-mno-red-zone", "-mno-mmx", "-mno-sse", "-mno-avx",
                "-msoft-float", "-ffreestanding", "-fno-common", "-fno-strict-aliasing",
                "-O2", "-fno-omit-frame-pointer", "-fno-stack-protector", "-std=gnu99",
                "-nostdinc", "-D_KERNEL", "-D_MODULE"]
USER_FLAGS = ["-O2", "-Wall", "-Wextra", "-ffreestanding", "-fno-builtin",
              "-fno-stack-protector", "-fno-pie", "-no-pie", "-nostdlib", "-static",
              "-fno-asynchronous-unwind-tables", "-Wl,--build-id=none",
              "-Wl,-z,noexecstack"]
MOTD = "kmem2malloc boottest\n"         # init.c reads it back from the image
QEMU_MEM = "512"
SWAP_KIB = 2048                         # init's swap file on the root
# The devices init expects in the kernel's device tree: what qemu_command
# gives, as K2M_QEMU attaches it (dk0: the SATA disk's GPT partition).
DEVICES = ("ld0", "ld1", "vioif0", "viornd0", "viocon0", "wm0", "xhci0", "uhub0",
           "wd0", "dk0", "hdafg0", "audio0")
# The SATA disk: a GPT with one NetBSD FFS partition (DKWEDGE_METHOD_GPT).
SATA_MIB = 4
GPT_FFS = uuid.UUID("49f48d5a-b10e-11dc-b99b-0019d1879648")
BOOT_GUARD = 1200                       # seconds: a hang guard for TCG, not a time limit
# init waits in TIOCDRAIN after each line, and with 2 CPUs the wakeup can
# be lost (NetBSD's own race: com(4)'s soft interrupt clears TS_BUSY and
# ttypull() broadcasts t_outcv without tty_lock, between ttywait_timo()'s
# test and its sleep, which has no timeout).  A byte received wakes it
# (the echo goes through ttstart() and ttypull()).  After this many
# seconds without a console line while init runs, boottest sends one (a
# CR, which init never reads; the tty echoes a blank line).
KICK_S = 5


class BootTestError(Exception):
    """Bad input: one line for the user, exit status 2."""


@dataclass
class Setup:
    src: str            # the tree
    tools: dict         # name -> path (TOOLS_NEED)
    config: str         # the kernel config file
    obj: str            # kernel/, image/, logs, console
    jobs: int
    keep: bool
    shim: bool          # install-shim ran: MALLOC_DEBUG_TYPES, a stats table expected
    module: bool        # the tree has the example module


@dataclass
class Result:
    seconds: dict = field(default_factory=dict)     # stage -> wall seconds
    build: dict = field(default_factory=dict)       # stage -> passed|failed
    steps: dict = field(default_factory=dict)       # init's steps
    problems: list = field(default_factory=list)
    types: list = field(default_factory=list)       # mallocstat -j records
    table: str = ""
    boot_s: float | None = None                     # qemu start -> init's first line
    banner: str = ""
    kicks: int = 0                                  # stalled console output restarted

    def ok(self) -> bool:
        return bool(self.build) and all(v == "passed" for v in self.build.values()) \
            and bool(self.steps) and not self.problems

    def to_json(self) -> dict:
        return {"build": {"stages": self.build, "seconds": self.seconds,
                          "kernel": self.banner},
                "boot_s": self.boot_s, "console_kicks": self.kicks,
                "steps": self.steps, "types": self.types,
                "usage": usage(self.types) if self.types else {},
                "problems": self.problems}


# --------------------------------------------------------------------------
# Input

def shimmed(src: str) -> bool:
    """install-shim ran on the tree; a part of it only is a mistake."""
    files = os.path.join(src, "sys", "conf", "files")
    with open(files, encoding="utf-8", errors="replace") as fp:
        listed = "kern_malloc_types.c" in fp.read()
    parts = [listed, os.path.exists(os.path.join(src, shimmod.TYPES_C)),
             os.path.exists(os.path.join(src, shimmod.TYPES_H))]
    if any(parts) and not all(parts):
        raise BootTestError(f"{src}: the shim is installed in part; run "
                            f"`kmem2malloc install-shim {src}` again")
    return all(parts)


_NB_SYS = re.compile(r"^#define\s+NB_SYS_(\w+)\s+(\d+)", re.M)
_SYS = re.compile(r"^#define\s+SYS_(\w+)\s+(\d+)", re.M)


def syscall_mismatches(nbsys_h: str, syscall_h: str) -> list[str]:
    """init's system call numbers (boot/nbsys.h) that the tree's
    sys/sys/syscall.h numbers otherwise, or lacks."""
    ours = dict(_NB_SYS.findall(nbsys_h))
    theirs = dict(_SYS.findall(syscall_h))
    return [f"{name}: init uses {n}, the tree {theirs.get(name, 'has none')}"
            for name, n in sorted(ours.items()) if theirs.get(name) != n]


def find_tools(tools: str) -> dict:
    found = {}
    for name, rel in TOOLS_NEED.items():
        path = os.path.join(tools, rel)
        if not os.path.exists(path):
            raise BootTestError(f"{tools}: no {rel} (--tools DIR holds a config(1) "
                                "that reads NetBSD-current, nbgenassym and NetBSD's "
                                "share/mk; see README: boottest)")
        found[name] = path
    found["mk"] = os.path.dirname(found["mk"])
    return found


def setup(tree: str, tools: str | None, config: str | None, obj: str | None,
          jobs: int) -> Setup:
    """Check everything boottest needs before anything runs."""
    src = os.path.abspath(tree)
    if not os.path.isdir(src):
        raise BootTestError(f"{tree}: no such directory")
    for rel in TREE_NEEDS:
        if not os.path.exists(os.path.join(src, rel)):
            raise BootTestError(f"{tree}: no {rel} (TREE is a NetBSD-current tree with "
                                "sys/ and common/lib; see README: boottest)")
    with open(os.path.join(BOOT, "nbsys.h")) as a, \
            open(os.path.join(src, "sys", "sys", "syscall.h"), errors="replace") as b:
        bad = syscall_mismatches(a.read(), b.read())
    if bad:
        raise BootTestError(f"{tree}: its system calls are not init's: " + "; ".join(bad))
    tools = tools or os.path.join(os.path.dirname(src), "tools")
    found = find_tools(os.path.abspath(tools))
    config = os.path.abspath(config or DEFAULT_CONFIG)
    if not os.path.isfile(config):
        raise BootTestError(f"{config}: no such kernel config file")
    for tool, pkg in HOST_TOOLS:
        if shutil.which(tool) is None:
            raise BootTestError(f"{tool} not found: install Debian's {pkg} package "
                                "(make qemu installs them all)")
    if obj is not None and os.path.exists(obj) and not os.path.isdir(obj):
        raise BootTestError(f"{obj}: not a directory")
    keep = obj is not None
    obj = os.path.abspath(obj) if obj else tempfile.mkdtemp(prefix="k2m-boottest-")
    os.makedirs(obj, exist_ok=True)
    return Setup(src, found, config, obj, jobs, keep, shimmed(src),
                 os.path.exists(os.path.join(src, MODULE_SRC)))


def kernel_config(text: str, shim: bool) -> str:
    """The config boottest builds: the file's, with the shim's strict type
    check on a shimmed tree."""
    if shim and not re.search(r"^options\s+MALLOC_DEBUG_TYPES\b", text, re.M):
        text += ("\n# boottest: the shim's strict type check, every wrong-type "
                 "free panics\noptions \tMALLOC_DEBUG_TYPES\n")
    return text


def init_conf(module: bool) -> str:
    """/etc/k2mtest.conf: the optional steps init runs (init.c)."""
    lines = ["log /"]
    if module:
        lines.append("module /stand/hello.kmod hello")
    # the spare disk's virtio device: pci(4) is told when a child goes
    # (virtio's own parent hook is missing, so detaching ld1 is refused)
    lines.append("detach virtio1 pci0 pci")
    lines.append(f"swap /swapfile {SWAP_KIB}")
    lines.append("devices " + " ".join(DEVICES))
    return "\n".join(lines) + "\n"


def gpt_disk(size: int, name: str) -> bytes:
    """A disk of size bytes with a GPT holding one NetBSD FFS partition
    (its wedge's name: name), from the first MiB to the last usable
    sector; the protective MBR, both headers and both entry arrays."""
    sectors = size // 512
    entries = bytearray(128 * 128)
    entries[:128] = (GPT_FFS.bytes_le + uuid.uuid5(GPT_FFS, name).bytes_le
                     + struct.pack("<QQQ", 2048, sectors - 34, 0)
                     + name.encode("utf-16-le").ljust(72, b"\0"))
    ecrc = zlib.crc32(entries)
    disk_guid = uuid.uuid5(GPT_FFS, "disk " + name).bytes_le

    def header(mine: int, other: int, table: int) -> bytes:
        h = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0,
                                  mine, other, 34, sectors - 34, disk_guid, table,
                                  128, 128, ecrc))
        struct.pack_into("<I", h, 16, zlib.crc32(h))
        return bytes(h).ljust(512, b"\0")
    mbr = bytearray(512)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\2\0", 0xee, b"\xff\xff\xff", 1,
                               min(sectors - 1, 0xffffffff))
    mbr[510:512] = b"\x55\xaa"
    disk = bytearray(size)
    disk[0:512] = mbr
    disk[512:1024] = header(1, sectors - 1, 2)
    disk[1024:1024 + len(entries)] = entries
    back = (sectors - 33) * 512
    disk[back:back + len(entries)] = entries
    disk[-512:] = header(sectors - 1, 1, sectors - 33)
    return bytes(disk)


def qemu_command(kernel: str, root: str, spare: str, sata: str) -> list[str]:
    """qemu for the kernel and boottest's devices.  Each PCI device has its
    slot, so that autoconf numbers them alike on every run: the root disk
    virtio0 (ld0, the config's root), the spare virtio1 (ld1, which init
    detaches), then a virtio and an e1000 network card (vioif0, wm0; qemu's
    user network, restricted: nothing leaves the guest), an xhci
    controller (its root hubs attach), an AHCI controller with the SATA
    disk (wd0, its GPT partition dk0), virtio's serial console and entropy
    devices (viocon0, viornd0) and HD audio (hdaudio0, hdafg0, audio0;
    qemu's "none" audio backend: no sound leaves either)."""
    return ["qemu-system-x86_64", "-machine", "pc", "-m", QEMU_MEM, "-smp", "2",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-kernel", kernel, "-append", "console=com",
            "-drive", f"file={root},if=none,id=root,format=raw",
            "-device", "virtio-blk-pci,drive=root,addr=0x3",
            "-drive", f"file={spare},if=none,id=spare,format=raw",
            "-device", "virtio-blk-pci,drive=spare,addr=0x4",
            "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0,addr=0x5",
            "-netdev", "user,id=n1,restrict=on", "-device", "e1000,netdev=n1,addr=0x6",
            "-device", "qemu-xhci,addr=0x7",
            "-drive", f"file={sata},if=none,id=sata,format=raw",
            "-device", "ahci,id=ahci,addr=0x8", "-device", "ide-hd,drive=sata,bus=ahci.0",
            "-device", "virtio-serial-pci,addr=0x9",
            "-device", "virtio-rng-pci,addr=0xa",
            "-audiodev", "none,id=snd0", "-device", "intel-hda,addr=0xb",
            "-device", "hda-duplex,audiodev=snd0"]


# --------------------------------------------------------------------------
# Running

def _script(path: str, body: str) -> str:
    with open(path, "w") as fp:
        fp.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


class Runner:
    def __init__(self, s: Setup, res: Result, out):
        self.s, self.res, self.out = s, res, out

    def step(self, name: str, cmd: list[str], log: str, cwd=None) -> bool:
        """Run one build command, output to OBJ/log, its time recorded; on
        failure the end of its log is shown."""
        path = os.path.join(self.s.obj, log)
        t0 = time.monotonic()
        with open(path, "w") as fp:
            p = subprocess.run(cmd, stdout=fp, stderr=subprocess.STDOUT, cwd=cwd)
        self.res.seconds[name] = round(time.monotonic() - t0, 1)
        ok = p.returncode == 0
        self.res.build[name] = "passed" if ok else "failed"
        if ok:
            self.out(f"boottest: {name}: ok ({self.res.seconds[name]} s)")
        else:
            self.out(f"boottest: {name}: failed (exit {p.returncode}); {path}:")
            with open(path, errors="replace") as fp:
                for line in fp.read().splitlines()[-15:]:
                    self.out(f"  {line}")
        return ok


def _print(line: str) -> None:
    print(line, flush=True)


def run(tree: str, tools: str | None, config: str | None, obj: str | None, jobs: int,
        json_path: str | None, out=_print) -> int:
    s = setup(tree, tools, config, obj, jobs)
    res = Result()
    try:
        _run(s, res, out)
    finally:
        if json_path:
            with open(json_path, "w") as fp:
                json.dump(res.to_json(), fp, indent=1)
    ok = res.ok()
    for why in res.problems:
        out(f"boottest: {why}")
    if not s.keep:
        if ok:
            shutil.rmtree(s.obj, ignore_errors=True)
        else:
            out(f"boottest: kept {s.obj} (logs, kernel, image, console.log)")
    passed = sum(v == "passed" for v in res.steps.values())
    out(f"boottest: {'PASS' if ok else 'FAIL'}: {passed} of {len(res.steps)} steps passed"
        + (f", boot {res.boot_s} s" if res.boot_s is not None else ""))
    return 0 if ok else 1


def build(s: Setup, r: Runner) -> str | None:
    """Configure and build the kernel; its path, or None."""
    # the build directory's name is the kernel's ident (newvers.sh): K2M_QEMU
    kdir = os.path.join(s.obj, os.path.basename(s.config))
    bindir = os.path.join(s.obj, "bin")
    os.makedirs(bindir, exist_ok=True)
    flags = " ".join(KCC_FLAGS)
    kcc = _script(os.path.join(bindir, "kcc"), f'exec gcc {flags} "$@"\n')
    # kern.ldscript goes through ${CPP}: gcc -E would take it for a linker input
    kcpp = _script(os.path.join(bindir, "kcpp"),
                   f'exec cpp {" ".join(NETBSD_MACROS)} -Uunix "$@"\n')
    os.makedirs(os.path.join(s.obj, "conf"), exist_ok=True)
    conf = os.path.join(s.obj, "conf", os.path.basename(s.config))
    with open(s.config) as fp, open(conf, "w") as wp:
        wp.write(kernel_config(fp.read(), s.shim))
    if os.path.isdir(kdir):     # config(1) rewrites the opt_*.h; objects would be stale
        shutil.rmtree(kdir)
    if not r.step("config", [s.tools["config"], "-b", kdir, "-s",
                             os.path.join(s.src, "sys"), conf], "config.log"):
        return None
    make = ["bmake", "-m", s.tools["mk"], "MACHINE=amd64", "MACHINE_ARCH=x86_64",
            f"TOOL_GENASSYM={s.tools['genassym']}", "NOGCCERROR=1", f"COPTS={COPTS}",
            "MKCTF=no", f"DBSYM={os.path.join(BOOT, 'dbsym.py')}", f"CC={kcc}",
            f"CPP={kcpp}", f"-j{s.jobs}"]
    if not r.step("kernel", make, "kernel.log", cwd=kdir):
        return None
    return os.path.join(kdir, "netbsd")


def image(s: Setup, r: Runner) -> tuple[str, str, str] | None:
    """init, hello, the module, the root image, the spare and SATA disks."""
    img = os.path.join(s.obj, "image")
    root = os.path.join(img, "root")
    if os.path.isdir(root):
        shutil.rmtree(root)
    for d in ("sbin", "bin", "dev", "tmp", "etc", "stand", "kern", "proc"):
        os.makedirs(os.path.join(root, d))
    for prog, dest in (("init", "sbin/init"), ("hello", "bin/hello")):
        if not r.step(prog, ["gcc"] + USER_FLAGS + ["-o", os.path.join(root, dest),
                                                    os.path.join(BOOT, prog + ".c")],
                      f"{prog}.log"):
            return None
    if s.module:
        sys_ = os.path.join(s.src, "sys")
        mdir = os.path.join(img, "module")
        os.makedirs(mdir, exist_ok=True)
        for link, to in (("machine", "arch/amd64/include"), ("amd64", "arch/amd64/include"),
                         ("x86", "arch/x86/include")):
            if not os.path.islink(os.path.join(mdir, link)):
                os.symlink(os.path.join(sys_, to), os.path.join(mdir, link))
        obj = os.path.join(mdir, "hello.o")
        cc = ["gcc"] + KCC_FLAGS + MODULE_FLAGS + [
            "-I", mdir, "-I", sys_, "-I", os.path.join(sys_, "arch"),
            "-I", os.path.join(s.src, "common", "include"),
            "-c", os.path.join(s.src, MODULE_SRC), "-o", obj]
        if not r.step("module", cc, "module.log") or not r.step(
                "module link", ["ld", "-r", "-T", os.path.join(
                    sys_, "modules", "xldscripts", "kmodule"), "-d", "-o",
                    os.path.join(root, "stand", "hello.kmod"), obj], "module-link.log"):
            return None
    with open(os.path.join(root, "etc", "k2m-motd"), "w") as fp:
        fp.write(MOTD)
    with open(os.path.join(root, "etc", "k2mtest.conf"), "w") as fp:
        fp.write(init_conf(s.module))
    rootimg, spare = os.path.join(img, "root.img"), os.path.join(img, "spare.img")
    sata = os.path.join(img, "sata.img")
    for f in (rootimg, spare):
        if os.path.exists(f):
            os.unlink(f)
    # 16 MB: room for the journal (1 MB, inside the file system: the image
    # has no space after it) and the swap file
    if not r.step("image", ["makefs", "-t", "ffs", "-o", "version=2", "-s", "16m",
                            "-B", "le", rootimg, root], "image.log"):
        return None
    with open(spare, "wb") as fp:
        fp.truncate(1 << 20)
    with open(sata, "wb") as fp:
        fp.write(gpt_disk(SATA_MIB << 20, "k2mdata"))
    return rootimg, spare, sata


def boot(s: Setup, res: Result, kernel: str, rootimg: str, spare: str, sata: str,
         out) -> str:
    """Run qemu until it exits (init powers off; a panic reboots, which
    -no-reboot turns into an exit) or the guard ends it; the console text.
    Each line is timed as it arrives: boot_s is the time to init's first.
    A console silent for KICK_S seconds while init runs gets a byte."""
    log = os.path.join(s.obj, "console.log")
    cmd = qemu_command(kernel, rootimg, spare, sata)
    out("boottest: boot: " + " ".join(cmd))
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    assert p.stdin is not None          # PIPE
    lines: list[str] = []
    last = [t0]                 # when the last line came
    running = [False]           # init began and has not ended

    def reader():
        assert p.stdout is not None     # PIPE
        with open(log, "w") as fp:
            for raw in p.stdout:
                line = raw.decode("utf-8", "replace")
                last[0] = time.monotonic()
                if "k2m-init: begin" in line:
                    running[0] = True
                    if res.boot_s is None:
                        res.boot_s = round(last[0] - t0, 1)
                if "k2m-init: end" in line:
                    running[0] = False
                lines.append(line)
                fp.write(line)
                fp.flush()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    while p.poll() is None:
        now = time.monotonic()
        if now - t0 > BOOT_GUARD:
            p.kill()
            res.problems.append(f"qemu still running after {BOOT_GUARD} s: killed")
            break
        if running[0] and now - last[0] > KICK_S:
            try:
                p.stdin.write(b"\r")
                p.stdin.flush()
            except OSError:
                pass
            res.kicks += 1
            last[0] = now
        time.sleep(0.5)
    p.wait()
    try:
        p.stdin.close()
    except OSError:
        pass
    th.join(timeout=10)
    if res.kicks:
        out(f"boottest: console: init stalled, a byte sent {res.kicks} time(s) "
            "(the tty's lost wakeup, README: boottest)")
    res.seconds["boot"] = round(time.monotonic() - t0, 1)
    out(f"boottest: boot: qemu exit {p.returncode} after {res.seconds['boot']} s; {log}")
    return "".join(lines)


def _run(s: Setup, res: Result, out) -> None:
    r = Runner(s, res, out)
    out(f"boottest: {s.src}: " + ("shimmed (MALLOC_DEBUG_TYPES on)" if s.shim
                                  else "without the shim (baseline)")
        + f"; config {s.config}")
    if not s.module:
        out(f"boottest: no {MODULE_SRC} in the tree: the module step is skipped")
    kernel = build(s, r)
    if kernel is None:
        return
    disks = image(s, r)
    if disks is None:
        return
    ms = os.path.join(s.obj, "mallocstat")
    if s.shim and not r.step("mallocstat", ["gcc", "-std=gnu11", "-O2", "-I", SHIM, "-o", ms,
                                            os.path.join(SHIM, "mallocstat", "mallocstat.c")],
                             "mallocstat.log"):
        return
    text = boot(s, res, kernel, *disks, out)
    con = bootconsole.parse(text)
    res.banner = con.banner
    res.steps = con.steps
    res.problems += con.problems
    for name, v in con.steps.items():
        out(f"boottest: step {name}: {v}" + (f" ({con.details[name]})"
                                             if con.details.get(name) else ""))
    if s.shim:
        if con.stats is None:
            res.problems.append("a shimmed kernel sent no kern.malloc_stats")
            return
        blob = os.path.join(s.obj, "malloc_stats.bin")
        with open(blob, "wb") as fp:
            fp.write(con.stats)
        t = subprocess.run([ms, "-f", blob], capture_output=True, text=True)
        j = subprocess.run([ms, "-j", "-f", blob], capture_output=True, text=True)
        if t.returncode != 0 or j.returncode != 0:
            res.problems.append(f"mallocstat cannot read the blob: {t.stderr.strip()}")
            return
        res.table = t.stdout
        res.types = json.loads(j.stdout)["types"]
        out("")
        out(res.table.rstrip("\n"))
        out(f"boottest: {usage_line(res.types)}")


def usage(types: list[dict]) -> dict:
    """What the booted kernel's types hold after the workload, in the
    terms of issue 27: types in use (blocks held) and used at all
    (requests), and the shares of the bytes in use held by the catch-all
    devbuf+temp and by exec."""
    inuse = [t for t in types if t.get("inuse", 0) > 0]
    total = sum(t.get("bytes", 0) for t in inuse)

    def share(names):
        held = sum(t.get("bytes", 0) for t in inuse if t["type"] in names)
        return round(100 * held / total, 1) if total else 0.0
    return {"in_use": len(inuse), "used": sum(t.get("requests", 0) > 0 for t in types),
            "attached": len(types), "bytes": total,
            "generic_percent": share(("devbuf", "temp")), "exec_percent": share(("exec",))}


def usage_line(types: list[dict]) -> str:
    u = usage(types)
    return (f"{u['in_use']} types in use ({u['used']} used of {u['attached']} attached), "
            f"{u['bytes']} bytes; devbuf+temp {u['generic_percent']}%, exec "
            f"{u['exec_percent']}% of the bytes in use")
