"""Scanning a tree: the files to read, read in parallel by cscan.

Used by convert and audit.  Besides the files under the converted paths,
the kmem users of the rest of the kernel that memory may cross to (sys/kern,
sys/net, ...) are scanned too: a pair with one half there is kept whole.
The scan runs in a process pool whose workers read the files themselves
(cheaper than sending the texts) and run without the cyclic garbage
collector (they make many small objects and live for one scan).
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import ProcessPoolExecutor

from . import cdecl, cscan
from .tree import Tree, source_files

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


def _share(root: str, macros: dict | None = None, callees: set | None = None) -> None:
    """What every scan needs: set once per worker (or in the caller).  The
    headers a file includes are read once per worker (cdecl.HeaderCache)."""
    _SHARED.update(root=root, macros=macros, callees=callees,
                   headers=cdecl.HeaderCache(root, _code_view))


def _code_view(path: str):
    """What cdecl needs of a header: code view, function bodies, text,
    comments blanked."""
    text = read(_SHARED["root"], path)
    view = cscan.code_view(text)
    return view.code, [(f.start, f.end) for f in view.funcs], text, view.stripped


def env_of(path: str, own, text: str):
    return _SHARED["headers"].env(path, own, text)


def _worker_init(*args) -> None:
    gc.disable()
    _share(*args)


def _survey_one(path: str) -> tuple[dict, set]:
    """What one file gives every scan: its allocator macros, its names."""
    text = read(_SHARED["root"], path)
    macros = cscan.alloc_macros(text) if "define" in text else {}
    return macros, cscan.defined_names(text)


def _scan_one(path: str) -> cscan.FileFacts:
    ff = cscan.scan(read(_SHARED["root"], path), path, _SHARED["macros"],
                    callees=_SHARED["callees"], env=env_of)
    for f in ff.functions:          # the scan's own business: not sent back
        f.types = {}
    return ff


def scan_all(root: str, files: list[str], jobs: int
             ) -> tuple[list[cscan.FileFacts], dict]:
    """Scan files; allocator macros defined in any of them pair everywhere.
    Returns the facts and those macros."""
    macros: dict = {}
    callees: set = set()
    if len(files) < 32 or jobs < 2:
        _share(root)
        for m, names in map(_survey_one, files):
            macros.update(m)
            callees |= names
        _share(root, macros, callees)
        facts = [_scan_one(f) for f in files]
    else:
        with ProcessPoolExecutor(jobs, initializer=_worker_init, initargs=(root,)) as ex:
            for m, names in ex.map(_survey_one, files, chunksize=32):
                macros.update(m)
                callees |= names
        with ProcessPoolExecutor(jobs, initializer=_worker_init,
                                 initargs=(root, macros, callees)) as ex:
            facts = list(ex.map(_scan_one, files, chunksize=16))
    return facts, macros


def context_files(tree: Tree, targets: set[str]) -> list[str]:
    """The kmem users outside targets that memory may cross to (symbolic
    links left out: they repeat a file read under its own name)."""
    out = []
    for d in CONTEXT_DIRS:
        if os.path.isdir(os.path.join(tree.root, d)):
            out.extend(f for f in source_files(tree, [d], needle="kmem_")
                       if f not in targets and not os.path.islink(os.path.join(tree.root, f)))
    return sorted(set(out))
