"""Scanning a tree: the files to read, read in parallel by cscan.

Used by convert and audit.  Besides the files under the converted paths,
the kmem users of the rest of the kernel that memory may cross to (sys/kern,
sys/net, ...) are scanned too: a pair with one half there is kept whole.
The scan runs in a process pool whose workers read the files themselves
(cheaper than sending the texts) and run without the cyclic garbage
collector (they make many small objects and live for one scan).  The
headers the files include are read once, shared out among the workers
(round by round: a header's own includes are known once it is read), and
their declarations given to every worker of the scan.
"""

from __future__ import annotations

import functools
import gc
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from . import cdecl, cscan, factcache
from .factcache import FactCache
from ..tree import Tree, source_files

# Where memory from the converted paths may be released (or come from)
# outside them.  arch/ and external/ are left out: they are not linked to
# sys/dev by name often enough to pay for reading them.
CONTEXT_DIRS = ("sys/kern", "sys/net", "sys/netinet", "sys/uvm", "sys/fs",
                "sys/miscfs", "sys/ufs", "sys/opencrypto", "sys/crypto",
                "sys/secmodel", "sys/compat/common", "sys/dev")


def read(root: str, rel: str) -> str:
    with open(os.path.join(root, rel), encoding="utf-8", errors="surrogateescape") as fp:
        return fp.read()


_SHARED: dict = {}


@dataclass
class MacroTable:
    """The allocator macros of a scan: a header's kmem(9) macros are seen
    by every file (whether it includes the header is not checked), its
    malloc(9) macros by the files of its directory and those that include
    it by name (sys/net/radix.h's Free is not every Free of the kernel, nor
    vchi_bsd.h's kfree drm's), a .c file's by that file alone
    (subr_extent.c's user-space `#define pool_get(pool, flags)
    kmem_alloc(...)` is not every pool_get of the kernel)."""
    headers: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)      # {path: {name: AllocMacro}}
    scoped: dict = field(default_factory=dict)     # {header: {name: AllocMacro}}: malloc(9)'s

    def add(self, path: str, macros: dict) -> None:
        if not macros:
            return
        if path.endswith(".c"):
            self.files[path] = macros
            return
        self.headers.update({n: m for n, m in macros.items() if m.callee in cscan.KMEM_CALLEES})
        scoped = {n: m for n, m in macros.items() if m.callee not in cscan.KMEM_CALLEES}
        if scoped:
            self.scoped[path] = scoped

    def local(self, path: str, text: str) -> dict:
        """The macros path sees besides the headers' kmem(9) ones: the
        malloc(9) macros of the headers it may see (scoped), its own."""
        out: dict = {}
        if self.scoped:
            here = os.path.dirname(path)
            incs = cscan.includes(text)
            for h in sorted(self.scoped):
                if os.path.dirname(h) == here or \
                        any(h.endswith("/" + i) or h == os.path.normpath(os.path.join(here, i))
                            for i in incs):
                    out.update(self.scoped[h])
        return {**out, **self.files.get(path, {})}

    def for_file(self, path: str, text: str) -> dict:
        """The macros whose uses in path (whose text is text) pair."""
        local = self.local(path, text)
        return {**self.headers, **local} if local else self.headers


def _share(root: str, macros: MacroTable | None = None, callees: dict | None = None,
           headers: dict | None = None, cache: FactCache | None = None) -> None:
    """What every scan needs: set once per worker (or in the caller);
    headers: declarations of the headers already read (cdecl.HeaderCache
    reads the others on demand); cache: the facts kept across runs."""
    cache = cache or FactCache(None)
    hc = cdecl.HeaderCache(root, functools.partial(read, root), _code_view, cache)
    hc.facts.update(headers or {})
    macros = macros or MacroTable()
    _SHARED.update(root=root, macros=macros, callees=callees, headers=hc, cache=cache,
                   given=_given(macros, callees) if cache.top else "")


def _given(macros: MacroTable, callees: dict | None) -> str:
    """A hash of what every file's scan is given besides its text and
    headers, for the scan's cache key (a file's own macros are added)."""
    return factcache.digest(repr((list(macros.headers.items()),
                                  list(callees.items()) if callees is not None else None)))


def _code_view(text: str) -> tuple[str, list[tuple[int, int]], str]:
    """What cdecl needs of a header: code view, function bodies, text
    with comments blanked."""
    view = cscan.code_view(text)
    return view.code, [(f.start, f.end) for f in view.funcs], view.stripped


def _worker_init(*args) -> None:
    gc.disable()
    _share(*args)


def _survey_one(path: str) -> tuple[dict, dict[str, tuple[bool, ...]], list[str]]:
    """What one file gives every scan: its allocator macros, its names,
    the headers it includes (found again each run: that is the tree's)."""
    text = read(_SHARED["root"], path)
    cache = _SHARED["cache"]
    key = cache.key("survey", factcache.digest(text)) if cache.top else ""
    got = cache.get(key, tuple)
    if got is None:
        got = (cscan.alloc_macros(text) if "define" in text else {}, cscan.defined_names(text))
        cache.put(key, got)
    return got[0], got[1], _SHARED["headers"].includes(path, text)


def _header_one(path: str) -> tuple[str, cdecl.DeclFacts]:
    return path, _SHARED["headers"].decls(path)


def _scan_one(path: str) -> tuple[cscan.FileFacts, str]:
    """path's facts, and their cache key ("" without a cache)."""
    text = read(_SHARED["root"], path)
    hc, cache = _SHARED["headers"], _SHARED["cache"]
    # a header's closure, as HeaderCache keeps it, depends on the files
    # this process scanned before (an include cycle is cut where it was
    # entered first), and a pool deals files out differently each run:
    # each file's headers are worked out as if it were the first, so that
    # its facts and its cache key are the same in every run
    hc.closures.clear()
    seen = hc.headers_of(path, text)
    own = _SHARED["macros"].local(path, text)
    key = cache.key("scan", path, factcache.digest(text), _SHARED["given"], repr(own or None),
                    *(f"{h} {hc.decls(h).digest}" for h in seen)) if cache.top else ""
    ff = cache.get(key, cscan.FileFacts)
    if ff is None:
        ff = cscan.scan(text, path, _SHARED["macros"].for_file(path, text),
                        callees=_SHARED["callees"],
                        env=lambda _p, decls, _t: cdecl.TypeEnv(decls, [hc.decls(h) for h in seen]))
        for f in ff.functions:          # the scan's own business: not sent back
            f.types = {}
        cache.put(key, ff)
    return ff, key


def scan_all(root: str, files: list[str], jobs: int, cache: FactCache | None = None
             ) -> tuple[list[cscan.FileFacts], MacroTable]:
    """Scan files; the allocator macros defined in them pair where they
    are seen (MacroTable).  Returns the facts and those macros.  cache:
    facts kept across runs (factcache), none without it."""
    facts, macros, _ = scan_keyed(root, files, jobs, cache)
    return facts, macros


def scan_keyed(root: str, files: list[str], jobs: int, cache: FactCache | None = None
               ) -> tuple[list[cscan.FileFacts], MacroTable, list[str]]:
    """scan_all, and each file's cache key: a hash of everything its facts
    are made of (its text, its headers', the macros and callees given, the
    code version), "" without a cache.  What reads the facts alone can be
    kept under these keys (paircache)."""
    macros = MacroTable()
    names: list = []
    if len(files) < 32 or jobs < 2:
        _share(root, cache=cache)
        for path, (m, defs, _) in zip(files, map(_survey_one, files)):
            macros.add(path, m)
            names.append(defs)
        _share(root, macros, cscan.may_hold_pointers(names), cache=cache)
        done = [_scan_one(f) for f in files]
    else:
        headers: dict[str, cdecl.DeclFacts] = {}
        with ProcessPoolExecutor(jobs, initializer=_worker_init,
                                 initargs=(root, None, None, None, cache)) as ex:
            todo: set[str] = set()
            for path, (m, defs, incs) in zip(files, ex.map(_survey_one, files, chunksize=32)):
                macros.add(path, m)
                names.append(defs)
                todo.update(incs)
            while todo:
                for h, df in ex.map(_header_one, sorted(todo), chunksize=16):
                    headers[h] = df
                todo = {i for h in todo for i in headers[h].includes} - set(headers)
        callees = cscan.may_hold_pointers(names)
        with ProcessPoolExecutor(jobs, initializer=_worker_init,
                                 initargs=(root, macros, callees, headers, cache)) as ex:
            done = list(ex.map(_scan_one, files, chunksize=16))
    return [ff for ff, _ in done], macros, [key for _, key in done]


def context_files(tree: Tree, targets: set[str], needles: tuple[str, ...] = ("kmem_",)
                  ) -> list[str]:
    """The kmem users (files naming one of needles) outside targets that
    memory may cross to (symbolic links left out: they repeat a file read
    under its own name)."""
    out: list[str] = []
    for d in CONTEXT_DIRS:
        if os.path.isdir(os.path.join(tree.root, d)):
            out.extend(f for f in source_files(tree, [d], needles=list(needles))
                       if f not in targets and not os.path.islink(os.path.join(tree.root, f)))
    return sorted(set(out))


def macro_users(tree: Tree, paths: list[str], scanned: list[str],
                malloc: bool = False) -> list[str]:
    """The files that use a kmem(9) macro of a header (KERNHIST_INIT,
    PNBUF_GET: every file sees them, MacroTable) and were not scanned, for
    calling no allocator themselves (kern_scdebug.c's only allocation is
    KERNHIST_INIT): under paths and CONTEXT_DIRS.  The macro's type is
    chosen from all its uses.  malloc: and those that call a malloc(9)
    macro of a header (isapnpres.c's only allocations are ISAPNP_MALLOC's:
    unseen, its memory was not joined to ISAPNP_FREE's), as a call: not
    every file naming radix.h's Free."""
    kmem: set[str] = set()
    other: set[str] = set()
    for p in scanned:
        if p.endswith(".h"):
            text = read(tree.root, p)
            if "define" in text:
                for n, m in cscan.alloc_macros(text).items():
                    (kmem if m.callee in cscan.KMEM_CALLEES else other).add(n)
    other = other - kmem if malloc else set()
    dirs = [d for d in CONTEXT_DIRS if os.path.isdir(os.path.join(tree.root, d))]
    have = set(scanned)
    out = [f for f in source_files(tree, list(paths) + dirs, needles=sorted(kmem))
           if f not in have] if kmem else []
    if other:
        call = re.compile(r"\b(" + "|".join(sorted(other)) + r")\s*\(")
        out += [f for f in source_files(tree, list(paths) + dirs, needles=sorted(other))
                if f not in have and f not in out and call.search(read(tree.root, f))]
    return [f for f in out if not os.path.islink(os.path.join(tree.root, f))]
