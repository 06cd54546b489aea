"""The source tree: which files to look at and which driver each belongs to.

A driver is the config attribute NetBSD's own files.* lists a file under
(`file dev/pci/if_wm.c wm`); an attachment attribute (`attach wm at pci
with wm_pci`) counts as its device, so a two-file driver is one driver.
Files that no config file lists are grouped by directory ("dir:dev/usb").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

SOURCE_EXT = (".c", ".h")
_FILE_RE = re.compile(r"^[ \t]*file[ \t]+(\S+)[ \t]+([A-Za-z_]\w*)?", re.M)
_ATTACH_RE = re.compile(r"^\s*attach\s+(\w+)\s+at\s+[\w,\s]+?\s+with\s+(\w+)", re.M)
_PREFILTER = ("kmem_", "malloc(", "free(", "MALLOC_")


class TreeError(Exception):
    pass


@dataclass
class Tree:
    root: str                       # holds sys/
    drivers: dict[str, str] = field(default_factory=dict)   # sys-relative path -> driver
    # sys/arch/DIR -> the ports whose kernels may build a file of DIR
    kernels: dict[str, frozenset[str]] = field(default_factory=dict)
    # what walk() and diff_of() found, kept for the run: the tree is read
    # only, and every command looks at the same directories again
    _sys: list[tuple[str, list[str]]] | None = field(default=None, repr=False, compare=False)
    _port_attr: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    def walk(self, top: str) -> list[tuple[str, list[str]]]:
        """(directory, its file names, sorted) for top (an absolute path)
        and each directory under it, as os.walk lists them (a link to a
        directory is not followed), subdirectories in sorted order.  sys/
        is walked once per Tree: a directory of it is a part of that walk."""
        sys_dir = os.path.join(self.root, "sys")
        if self._sys is None:
            self._sys = _walk(sys_dir)
        if top == sys_dir:
            return self._sys
        if top.startswith(sys_dir + os.sep) and os.path.isdir(top) and \
                not os.path.islink(top):
            under = [(d, fs) for d, fs in self._sys
                     if d == top or d.startswith(top + os.sep)]
            if under and under[0][0] == top:    # not under a link the walk did not follow
                return under
        return _walk(top)

    def driver_of(self, relpath: str) -> str:
        """relpath is relative to the tree root (sys/dev/...)."""
        sysrel = relpath[4:] if relpath.startswith("sys/") else relpath
        d = self.drivers.get(sysrel)
        if d:
            return d
        return "dir:" + os.path.dirname(sysrel)

    def diff_of(self, relpath: str) -> str:
        """The unit whose diff (and commit) relpath goes in: its driver's,
        but an MI file that a port's own attribute lists (files.arm's
        `file uvm/pmap/pmap_pvt.c arm32`) goes with its directory's MI
        code, not in the port's diff."""
        d = self.driver_of(relpath)
        if port_of(relpath) is None and not d.startswith("dir:") and self._port_attribute(d):
            return "dir:" + os.path.dirname(relpath[4:] if relpath.startswith("sys/")
                                            else relpath)
        return d

    def _port_attribute(self, d: str) -> bool:
        """Whether d names a directory of sys/arch or of a port's (a
        port's own attribute), once per name."""
        got = self._port_attr.get(d)
        if got is None:
            got = self._port_attr[d] = (
                os.path.isdir(os.path.join(self.root, "sys", "arch", d)) or
                any(os.path.isdir(os.path.join(self.root, "sys", "arch", p, d))
                    for p in self._ports()))
        return got

    def _ports(self) -> list[str]:
        a = os.path.join(self.root, "sys", "arch")
        return sorted(os.listdir(a)) if os.path.isdir(a) else []

    def unit_of(self, relpath: str) -> str:
        """Who owns the memory a file allocates, for pairing: its driver,
        and, for a driver's files in sys/arch/PORT, its driver in that
        port (every floppy port's fd.c is fdc; apple_nvme.c is not
        nvme.c): no kernel has two ports, and MD code is its own."""
        d = self.driver_of(relpath)
        port = port_of(relpath)
        return f"{d}@{port}" if port is not None and not d.startswith("dir:") else d

    def clusters(self, paths) -> list[set[str]]:
        """Units (unit_of) whose files lie in more than one directory."""
        by_drv: dict[str, set[str]] = {}
        for p in paths:
            d = self.unit_of(p)
            if not d.startswith("dir:"):
                by_drv.setdefault(d, set()).add(p)
        return [ps for ps in by_drv.values()
                if len({os.path.dirname(p) for p in ps}) > 1]


def _walk(top: str) -> list[tuple[str, list[str]]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        out.append((dirpath, sorted(filenames)))
    return out


def port_of(relpath: str) -> str | None:
    """PORT of sys/arch/PORT/..., else None."""
    parts = relpath.split("/")
    return parts[2] if len(parts) > 3 and parts[:2] == ["sys", "arch"] else None


def open_tree(root: str) -> Tree:
    if not os.path.isdir(root):
        raise TreeError(f"{root}: no such directory")
    if not os.path.isdir(os.path.join(root, "sys")):
        raise TreeError(f"{root}: not a source tree (no sys/ in it)")
    tree = Tree(os.path.abspath(root))
    attach: dict[str, str] = {}
    configs = []
    sys_dir = os.path.join(tree.root, "sys")
    for dirpath, filenames in tree.walk(sys_dir):
        if "external" in os.path.relpath(dirpath, sys_dir).split(os.sep):
            continue
        for f in filenames:
            if f == "files" or f.startswith("files."):
                configs.append(os.path.join(dirpath, f))
    texts = []
    for path in sorted(configs):
        with open(path, encoding="utf-8", errors="replace") as fp:
            texts.append(fp.read())
    for text in texts:
        for dev, att in _ATTACH_RE.findall(text):
            attach[att] = dev
    for text in texts:
        for path, attr in _FILE_RE.findall(text):
            if attr:
                tree.drivers.setdefault(path, attach.get(attr, attr))
    tree.kernels = Configs(tree.root).kernels()
    return tree


def source_files(tree: Tree, paths: list[str], needle: str | None = None,
                 needles: list[str] | None = None) -> list[str]:
    """Tree-relative .c/.h files under paths that mention an allocator
    (or needle, or one of needles), sorted.  A path that does not exist is
    an error.  Each file is read once, however many of paths hold it."""
    cands: dict[str, None] = {}
    for p in paths:
        full = os.path.normpath(os.path.join(tree.root, p))
        if not full.startswith(tree.root + os.sep) and full != tree.root:
            raise TreeError(f"{p}: outside the tree")
        if os.path.isfile(full):
            cands[full] = None
        elif os.path.isdir(full):
            cands.update((os.path.join(dirpath, f), None) for dirpath, filenames
                         in tree.walk(full) for f in filenames if f.endswith(SOURCE_EXT))
        else:
            raise TreeError(f"{p}: no such file or directory in {tree.root}")
    words = [w.encode() for w in (needles or ([needle] if needle else _PREFILTER))]
    out = []
    for c in cands:
        try:
            with open(c, "rb") as fp:       # bytes: no decoding to search
                data = fp.read()
        except OSError as e:
            raise TreeError(f"{c}: {e.strerror}") from None
        if any(w in data for w in words):
            out.append(os.path.relpath(c, tree.root))
    return sorted(set(out))


_CONF_INCLUDE = re.compile(r"^[ \t]*c?include[ \t]+\"([^\"]+)\"", re.M)
_CONF_FILE = re.compile(r"^[ \t]*file[ \t]+(\S+)", re.M)
_ARCH_INCLUDE = re.compile(r"^[ \t]*c?include[ \t]+\"arch/(\w+)/", re.M)
_ARCH_FILE = re.compile(r"^[ \t]*(?:file|object)[ \t]+arch/(\w+)/", re.M)
_MACHINE = re.compile(r"^[ \t]*machine[ \t]+([\w \t]+)", re.M)  # machine sun3 m68k sun68k
MI = "*"                    # the port name builds() gives a file sys/conf/files lists


class Configs:
    """A tree's config files, each read once, and what config(1) makes of
    them: the ports (ports()), the ports whose kernels build each file
    (builds()) and each directory of sys/arch (kernels()).

    builds() follows the `file` lines a kernel's config files reach, as
    config(1) does: what check --arch compiles where.  kernels() reads a
    port's `include`, `machine` and `file arch/DIR/` lines more
    generously (a kernel config in amd64/conf that says `machine
    usermode` brings usermode): pairing keeps memory of two ports apart
    with it, and a name read too generously there only joins more."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._text: dict[str, str] = {}     # sys-relative path -> text
        self._ports: dict[str, list[str]] | None = None

    def text(self, path: str) -> str:
        """A config file's text (sys-relative path); "" if it is absent."""
        if path not in self._text:
            try:
                with open(os.path.join(self.root, "sys", path), encoding="utf-8",
                          errors="replace") as fp:
                    self._text[path] = fp.read()
            except OSError:
                self._text[path] = ""
        return self._text[path]

    def arch_dirs(self) -> list[str]:
        arch = os.path.join(self.root, "sys", "arch")
        try:
            return sorted(d for d in os.listdir(arch) if os.path.isdir(os.path.join(arch, d)))
        except OSError:
            return []

    def conf_files(self, d: str) -> list[str]:
        """sys/arch/d/conf's config files (sys-relative), Makefiles left out."""
        conf = os.path.join(self.root, "sys", "arch", d, "conf")
        return [f"arch/{d}/conf/{f}" for f in (sorted(os.listdir(conf))
                if os.path.isdir(conf) else ()) if not f.startswith("Makefile")]

    def closure(self, starts: list[str]) -> set[str]:
        """Config files reachable from starts by `include` lines: what
        config(1) reads for a kernel whose files name them."""
        seen: set[str] = set()
        todo = list(starts)
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo += [i for i in _CONF_INCLUDE.findall(self.text(p)) if i not in seen]
        return seen

    def ports(self) -> dict[str, list[str]]:
        """Live ports -> the names their `machine` lines give (std.evbarm's
        "machine evbarm arm", std.generic64's "machine evbarm aarch64"),
        most used first.  A directory of sys/arch whose config files name
        it in no `machine` line (x86, arm, evbcf's remains) is no port."""
        if self._ports is None:
            self._ports = {}
            for d in self.arch_dirs():
                counts: dict[str, int] = {}
                for c in self.conf_files(d):
                    for m in _MACHINE.findall(self.text(c)):
                        names = m.split("#")[0].split()
                        if names and names[0] == d:
                            for n in names[1:] or [d]:
                                counts[n] = counts.get(n, 0) + 1
                if counts:
                    self._ports[d] = sorted(counts, key=lambda n: (-counts[n], n))
        return self._ports

    def builds(self) -> dict[str, frozenset[str]]:
        """Tree-relative file -> the ports whose kernels may build it:
        sys/conf/files and what it includes give MI (every port), a port's
        sys/arch/PORT/conf files (files.PORT, std.*, its kernel configs,
        and the files.NAME of each name its machine lines give) and what
        they include give that port.  A file no config file lists is
        absent (rump's, modules' and boot loaders' sources)."""
        out: dict[str, set[str]] = {}

        def take(confs: set[str], port: str) -> None:
            for c in confs:
                for f in _CONF_FILE.findall(self.text(c)):
                    out.setdefault("sys/" + f, set()).add(port)

        mi = self.reads(MI)
        take(mi, MI)
        for port in self.ports():
            take(self.reads(port) - mi, port)
        return {f: frozenset(ps) for f, ps in out.items()}

    def reads(self, port: str) -> set[str]:
        """The config files a port's kernels read (MI: sys/conf/files and
        what it includes): those, the port's own sys/arch/PORT/conf files,
        and, as config(1) reads files.MACHINE, the files.NAME of each
        further name of its machine lines (amd64's files.x86, files.xen),
        with what they include."""
        mi = self.closure(["conf/files"])
        if port == MI:
            return mi
        names = self.ports().get(port, [])
        return mi | self.closure(self.conf_files(port) +
                                 [f"arch/{n}/conf/files.{n}" for n in names])

    def kernels(self) -> dict[str, frozenset[str]]:
        """sys/arch/DIR -> the ports whose kernels may build a file of DIR.

        A port's kernels build its own directory and those its config
        files name in `file`, `include` and `machine` lines (amd64's "file
        arch/x86/...", evbarm's include of arch/arm's files.arm,
        std.sun3's "machine sun3 m68k sun68k"), and what the files.* of
        those name in turn.  (Not Makefiles: usermode links every host
        CPU's headers.)  A file another port lends (hpcmips builds
        arch/i386/isa/fd.c) brings that port's directory, not what that
        port's own files.* name: hpcmips builds no x86 code.  No kernel
        holds two ports, so memory of one never meets another's."""
        dirs = self.arch_dirs()

        def is_port(d: str) -> bool:
            return os.path.exists(os.path.join(self.root, "sys", "arch", d, "conf",
                                               f"std.{d}"))

        def named(d: str, only_files: bool) -> tuple[set[str], set[str]]:
            """The directories d's config files include or name as machine,
            and those they take single files from."""
            out: set[str] = set()
            lent: set[str] = set()
            for c in self.conf_files(d):
                if only_files and not os.path.basename(c).startswith("files."):
                    continue
                text = self.text(c)
                out.update(_ARCH_INCLUDE.findall(text))
                for m in _MACHINE.findall(text):
                    out.update(m.split())
                lent.update(_ARCH_FILE.findall(text))
            return out & set(dirs), lent & set(dirs)

        files_named = {d: named(d, True) for d in dirs}
        out: dict[str, set[str]] = {d: {d} for d in dirs}
        for port in dirs:
            inc, lent = named(port, False)
            built, todo = {port}, list(inc) + [d for d in lent if not is_port(d)]
            while todo:
                d = todo.pop()
                if d not in built:
                    built.add(d)
                    i, f = files_named.get(d, ((), ()))
                    todo += list(i) + [x for x in f if not is_port(x)]
            for d in built | {d for d in lent if is_port(d)}:
                out[d].add(port)
        return {d: frozenset(ps) for d, ps in out.items()}


def arch_kernels(root: str) -> dict[str, frozenset[str]]:
    """Configs.kernels(): sys/arch/DIR -> the ports that may build it."""
    return Configs(root).kernels()


def port_dirs(root: str) -> dict[str, list[str]]:
    """Configs.ports(): live ports -> their machine lines' names."""
    return Configs(root).ports()


def builds(root: str) -> dict[str, frozenset[str]]:
    """Configs.builds(): file -> the ports whose kernels may build it."""
    return Configs(root).builds()
