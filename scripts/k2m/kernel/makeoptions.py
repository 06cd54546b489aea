"""The flags a kernel's Makefile gives one file: config(1)'s makeoptions.

A files.* line `makeoptions drmkms "CPPFLAGS.drmkms"+="-I$S/..."` appends
to a make variable.  Makefile.kern.inc compiles each file with
CPPFLAGS.<its name> and, through OPT.<file> (the attributes and options
its `file` line names), CPPFLAGS.<each of them>; COPTS and CWARNFLAGS
alike.  A plain `makeoptions libnv CPPFLAGS+=...` reaches every file of a
kernel that selects libnv (npf does; netbsd32's headers need it too).
check --arch compiles with these, as drm, npf, dwc2 and vchiq need.
The kernel config and the std.* files it includes set plain variables
(`makeoptions LP64="yes"`, `CFLAGS+="-march=octeon+"`), and the port's
Makefile.PORT.inc (Makefile.BOARDTYPE.inc) adds its unconditional
CFLAGS and CPPFLAGS (playstation2's -mabi=n32).

A kernel builds a file when its `file` line's condition holds for what
the kernel selects: selects(rel), by which check picks, for a file the
port's GENERIC leaves out (pxa2x0, gemini, octeon), a kernel that has it.

A rump kernel's files are built by sys/rump's Makefiles, not by config:
they get Makefile.rump's include path and -D_RUMPKERNEL.
"""

from __future__ import annotations

import os
import re
import shlex

from ..tree import _CONF_FILE, Configs

VARS = ("CFLAGS", "CPPFLAGS", "COPTS", "CWARNFLAGS")
_MAKEOPT = re.compile(r'^[ \t]*makeoptions[ \t]+(.*?)[ \t]*"?(\w+)(?:\.([\w.]+))?"?'
                      r'[ \t]*(\+?=)[ \t]*(".*?"|\S+)')
_FILE = re.compile(r"^[ \t]*file[ \t]+(\S+)[ \t]*(.*)$")
_IFDEF = re.compile(r"^[ \t]*(ifdef|ifndef|elifdef|elifndef|else|endif)\b[ \t]*(\w*)")
_DECL = re.compile(r"^[ \t]*(?:define|device|defpseudo|defpseudodev|defflag|defparam|defopt"
                   r"|attach)[ \t]+([^:\n]*):[ \t]*([\w, \t]+)")
_PSEUDO = re.compile(r"^[ \t]*(?:pseudo-device|options|file-system)[ \t]+([\w, \t=\"<>./-]+)")
_INSTANCE = re.compile(r"^[ \t]*([a-z_][a-z0-9_]*?)(?:\d+|\*)[ \t]+at[ \t]")
_WORD = re.compile(r"!?[A-Za-z_]\w*")
_MAKEVAR = re.compile(r"^(CFLAGS|CPPFLAGS)[ \t]*\+=[ \t]*(.*)$")
# Makefile.rump: CPPFLAGS+= -I${RUMPTOP}/include -D_RUMPKERNEL
# -I${RUMPTOP}/librump/rumpkern (and include/opt for the opt_*.h it has)
RUMP = ("sys/rump/include", "sys/rump/include/opt", "sys/rump/librump/rumpkern")


def _condition(words: str) -> str:
    """A `file` line's condition: up to its first flag (needs-flag,
    compile-with ...), which have hyphens."""
    out = []
    for w in words.split("#")[0].split():
        if "-" in w and not w.startswith("!"):
            break
        out.append(w)
    return " ".join(out)


def _declared(head: str) -> list[str]:
    """The names a declaration's head gives: `wm` of `device wm {...}`,
    `wm` and `wm_pci` of `attach wm at pci with wm_pci`, KTRACE of
    `defflag opt_ktrace.h KTRACE`."""
    words = re.sub(r"\{.*?\}", " ", head).split()
    if "at" in words:
        words = words[:1] + words[words.index("with") + 1:] if "with" in words else words[:1]
    return [w for w in words if re.fullmatch(r"\w+", w)]


def _holds(cond: str, selected: set[str]) -> bool:
    """A makeoptions condition (`npf`, `a | b`, `a & !b`), parentheses
    read as if absent; an empty one always holds."""
    if not cond.strip():
        return True

    def atom(w: str) -> bool:
        w = w.strip().strip("()").strip()
        return (w[1:].strip() not in selected) if w.startswith("!") else w in selected
    return any(all(atom(a) for a in part.split("&")) for part in cond.split("|"))


class MakeOptions:
    """One kernel's makeoptions: flags(rel) for a file of it."""

    def __init__(self, root: str, port: str, names: set[str], kernel: list[str],
                 cfg: Configs | None = None) -> None:
        self.root = root
        cfg = cfg or Configs(root)
        confs = sorted(cfg.reads(port))
        # every file the port's config files name: one this kernel does
        # not read is one it does not build (selects() is False)
        self.named = {"sys/" + f for c in confs for f in _CONF_FILE.findall(cfg.text(c))}
        self.selected = self._selected(cfg, confs, kernel) | names
        self.opt: dict[str, list[str]] = {}         # tree-relative file -> OPT words
        self.conds: dict[str, list[str]] = {}       # tree-relative file -> conditions
        self.vars: dict[str, list[str]] = {}        # make variable -> appended words
        # `makeoptions pf CPPFLAGS+="-I$S/dist/pf"` where the kernel selects
        # no pf: (condition, variable, words), for a file that needs pf
        self.when: list[tuple[str, str, list[str]]] = []
        # the kernel's `machine` line: evbarm's GENERIC arm, GENERIC64 aarch64
        self.machine: list[str] = next((m.group(1).split("#")[0].split() for m in
                                        (re.match(r"[ \t]*machine[ \t]+(.*)", line)
                                         for line in kernel)
                                        if m), [])
        # what config(1) reads for every kernel: sys/conf/files and the
        # files.NAME of each name of the machine line, with what they
        # include; the rest (files.octeon, which only OCTEON's std.octeon
        # includes) comes in the kernel's own lines, or not at all
        machine = self.machine or [port, *cfg.ports().get(port, [])]
        for c in sorted(cfg.closure(["conf/files", *(f"arch/{n}/conf/files.{n}"
                                                     for n in dict.fromkeys(machine))])):
            self._read(cfg.text(c))
        self._read("\n".join(kernel))
        self._read_makefiles(port)

    def _read_makefiles(self, port: str) -> None:
        """Makefile.PORT.inc's and Makefile.BOARDTYPE.inc's CFLAGS and
        CPPFLAGS outside `.if` and free of make variables."""
        board = self.vars.get("BOARDTYPE", [])
        for name in dict.fromkeys([port, *board]):
            path = os.path.join(self.root, "sys", "arch", port, "conf", f"Makefile.{name}.inc")
            try:
                with open(path, encoding="utf-8", errors="replace") as fp:
                    text = fp.read().replace("\\\n", " ")
            except OSError:
                continue
            depth = 0
            for line in text.splitlines():
                if line.startswith((".if", ".for")):
                    depth += 1
                elif line.startswith((".endif", ".endfor")):
                    depth -= 1
                m = _MAKEVAR.match(line)
                if m and depth == 0 and "$" not in m.group(2):
                    self.vars.setdefault(m.group(1), []).extend(m.group(2).split())

    @property
    def lp64(self) -> bool:
        """The kernel is built LP64 (`makeoptions LP64="yes"`: octeon)."""
        return self.vars.get("LP64") == ["yes"]

    def selects(self, rel: str) -> bool | None:
        """Whether this kernel builds rel (a `file` line of a config file
        it reads, whose condition holds, parentheses aside); None where no
        config file of the port names it."""
        if rel not in self.conds:
            return False if rel in self.named else None
        return any(_holds(c, self.selected) for c in self.conds[rel])

    def _selected(self, cfg: Configs, confs: list[str], kernel: list[str]) -> set[str]:
        """What the kernel config selects (options, pseudo-devices, device
        instances) and, through the config files' dependency lists, what
        those select in turn (npf -> libnv)."""
        deps: dict[str, list[str]] = {}
        for c in confs:
            for line in cfg.text(c).splitlines():
                m = _DECL.match(line)
                if m:
                    for name in _declared(m.group(1)):
                        deps.setdefault(name, []).extend(re.findall(r"\w+", m.group(2)))
        todo: list[str] = []
        for line in kernel:
            line = line.split("#")[0]
            m = _PSEUDO.match(line)
            if m:
                todo += [w.split("=")[0].strip() for w in re.split(r"[,\s]+", m.group(1)) if w]
            m = _INSTANCE.match(line)
            if m:
                todo.append(m.group(1))
        seen: set[str] = set()
        while todo:
            n = todo.pop()
            if n and n not in seen:
                seen.add(n)
                todo += deps.get(n, [])
        return seen

    def _read(self, text: str) -> None:
        live = [True]               # ifdef nesting: is this part read
        taken = [True]              # has a branch of this level been read
        for line in text.splitlines():
            m = _IFDEF.match(line)
            if m:
                kw, name = m.groups()
                has = name in self.selected
                if kw in ("ifdef", "ifndef"):
                    ok = live[-1] and (has if kw == "ifdef" else not has)
                    live.append(ok)
                    taken.append(ok)
                elif kw == "endif" and len(live) > 1:
                    live.pop()
                    taken.pop()
                elif len(live) > 1:         # elifdef, elifndef, else
                    ok = live[-2] and not taken[-1] and (
                        kw == "else" or (has if kw == "elifdef" else not has))
                    live[-1] = ok
                    taken[-1] = taken[-1] or ok
                continue
            if not live[-1]:
                continue
            m = _FILE.match(line)
            if m:
                cond = _condition(m.group(2))
                self.conds.setdefault("sys/" + m.group(1), []).append(cond)
                self.opt.setdefault("sys/" + m.group(1), []).extend(
                    w for w in _WORD.findall(cond) if not w.startswith("!"))
                continue
            m = _MAKEOPT.match(line)
            if not m:
                continue
            cond, var, sub, op, val = m.groups()
            words = shlex.split(val[1:-1] if val.startswith('"') else val)
            if sub is None and not _holds(cond, self.selected):
                if op == "+=" and cond:
                    self.when.append((cond, var, words))
                continue
            name = f"{var}.{sub}" if sub else var
            if op == "=":
                self.vars[name] = words
            else:
                self.vars.setdefault(name, []).extend(words)

    def _expand(self, name: str, depth: int = 0) -> list[str]:
        return self._expand_words(self.vars.get(name, []), depth)

    def _expand_words(self, words: list[str], depth: int = 0) -> list[str]:
        out: list[str] = []
        for w in words:
            ref = re.fullmatch(r"\$\{(\w+(?:\.[\w.]+)?)\}", w)
            if ref:
                if depth < 8:
                    out += self._expand(ref.group(1), depth + 1)
                continue
            w = re.sub(r"\$\{S\}|\$S\b", os.path.join(self.root, "sys"), w)
            if "$" not in w:            # a make variable we do not know
                out.append(w)
        return out

    def flags(self, rel: str) -> tuple[list[str], list[str]]:
        """A file's flags: those before the kernel's own include path, and
        its makeoptions after it, in CPPFLAGS, COPTS and CWARNFLAGS order
        (a -Wno- after the warning flags turns one off).  A rump kernel's
        file: Makefile.rump's, whose <machine/cpu.h> ... come first."""
        if rel.startswith("sys/rump/"):
            dirs = dict.fromkeys([os.path.dirname(rel), *RUMP])
            return [f"-I{os.path.join(self.root, d)}" for d in dirs] + ["-D_RUMPKERNEL"], []
        base = os.path.basename(rel)
        # a file is compiled as by a kernel that builds it: with what its
        # own `file` line needs selected (pf's files, which only i386's ALL
        # selects, need pf's makeoptions for <net/pfvar.h>)
        own = self.selected | set(self.opt.get(rel, []))
        out: list[str] = []
        for var in VARS:
            out += self._expand(var)
            for cond, v, words in self.when:
                if v == var and _holds(cond, own):
                    out += self._expand_words(words)
            for w in dict.fromkeys(self.opt.get(rel, []) + [base]):
                out += self._expand(f"{var}.{w}")
        return [], out
