"""Scan facts kept across runs, keyed by content.

A header's declarations, a file's survey (its allocator macros and names)
and a file's scan facts are worth keeping from one run to the next: the
tree rarely changes between two converts, the scan is most of convert's
own time.  Each entry's key is a hash of everything it was made from:
the text (and, for a file's scan, its path, its headers' hashes and the
allocator macros and callees the scan was given) and the code version, a
hash of this package's sources, so that a change to the parser (or to
anything else here) makes every entry a miss.  What depends on the tree
outside the text (where an #include is found) is not kept: it is worked
out again each run.

An entry is one file, DIR/VERSION/ab/abcd..., a pickle; written to a
temporary file and renamed, so that two runs racing write whole entries.
An entry that cannot be read (truncated, corrupt, of another Python) is a
miss.  VERSION is the code version's first 16 digits: a version's entries
are never found by another, so a version directory no run has used for
PRUNE_DAYS is removed (not at once: two checkouts of different versions
may share the cache).
The cache is the user's own ($XDG_CACHE_HOME/kmem2malloc): pickles are
trusted as the user's own files are.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import tempfile
import time

PRUNE_DAYS = 7          # a code version's entries unused this long are removed


def default_dir() -> str:
    """$XDG_CACHE_HOME/kmem2malloc, ~/.cache/kmem2malloc without it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kmem2malloc")


@functools.lru_cache(maxsize=None)
def code_version() -> str:
    """A hash of the whole k2m package's sources (every module of every
    subpackage: what the facts are made by, and what reads them), by
    sorted relative path."""
    h = hashlib.sha256()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = []
    for d, subdirs, files in os.walk(top):
        subdirs[:] = [s for s in subdirs if s != "__pycache__"]
        names += [os.path.relpath(os.path.join(d, f), top) for f in files if f.endswith(".py")]
    for name in sorted(names):
        with open(os.path.join(top, name), "rb") as fp:
            h.update(name.encode() + b"\0" + fp.read() + b"\0")
    return h.hexdigest()


def digest(text: str) -> str:
    """The hash of a text (as read: undecodable bytes kept as surrogates)."""
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class FactCache:
    """The cache in directory top; top None: no cache (every get a miss,
    every put nothing)."""

    def __init__(self, top: str | None, version: str | None = None) -> None:
        self.version = version if version is not None or top is None else code_version()
        self.top: str | None = None
        if top is not None:
            self.top = os.path.join(top, (self.version or "")[:16])
            _prune(top, self.top)

    def key(self, kind: str, *parts: str) -> str:
        h = hashlib.sha256(f"{self.version}\0{kind}".encode())
        for p in parts:
            h.update(b"\0" + p.encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def _path(self, key: str) -> str:
        assert self.top is not None
        return os.path.join(self.top, key[:2], key)

    def get(self, key: str, cls: type):
        """The entry at key if there is one and it is a cls; else None."""
        if self.top is None:
            return None
        try:
            with open(self._path(key), "rb") as fp:
                value = pickle.load(fp)
        except Exception:       # missing, truncated, corrupt: a miss
            return None
        return value if isinstance(value, cls) else None

    def put(self, key: str, value: object) -> None:
        """Keep value at key; a cache that cannot be written is no cache
        (a read-only home, a full disk): nothing is said."""
        if self.top is None:
            return
        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as fp:
                pickle.dump(value, fp, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(top: str, mine: str) -> None:
    """Mark the version directory mine as used now; remove the other
    version directories under top that no run has used for PRUNE_DAYS."""
    try:
        os.makedirs(mine, exist_ok=True)
        os.utime(mine)
        names = os.listdir(top)
    except OSError:
        return                  # no cache to keep: put() says nothing either
    old = time.time() - PRUNE_DAYS * 86400
    for name in names:
        d = os.path.join(top, name)
        try:
            if d != mine and os.path.isdir(d) and os.stat(d).st_mtime < old:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass
