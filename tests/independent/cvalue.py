"""The value of a C integer expression, as clang itself folds it.

libclang's clang_Cursor_Evaluate (Expr::EvaluateAsRValue) folds what a
compiler can: sizeof of a complete type or of `*p`, enum constants,
macros (already expanded), casts and arithmetic of those, offsetof; not a
variable (a const-qualified one with a constant initialiser excepted: it
cannot change), a call, a variable-length array's sizeof, or anything
with a side effect.  Debian's python3-clang does not bind it, so it is
declared here through the bindings' own ctypes library.
"""
from __future__ import annotations

import ctypes

import clang.cindex as ci

CXEVAL_INT = 1      # CXEvalResultKind: CXEval_Int

_lib = None


def _bound():
    global _lib
    if _lib is None:
        lib = ci.conf.lib
        for name, args, res in (
                ("clang_Cursor_Evaluate", [ci.Cursor], ctypes.c_void_p),
                ("clang_EvalResult_getKind", [ctypes.c_void_p], ctypes.c_int),
                ("clang_EvalResult_isUnsignedInt", [ctypes.c_void_p], ctypes.c_uint),
                ("clang_EvalResult_getAsUnsigned", [ctypes.c_void_p], ctypes.c_ulonglong),
                ("clang_EvalResult_getAsLongLong", [ctypes.c_void_p], ctypes.c_longlong),
                ("clang_EvalResult_dispose", [ctypes.c_void_p], None),
                ("clang_isInvalidDeclaration", [ci.Cursor], ctypes.c_uint)):
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, res
        _lib = lib
    return _lib


def integer(c) -> int | None:
    """The integer value of expression cursor C, or None when clang cannot
    fold it to one (not a constant, or not an integer) or when it names a
    declaration that did not compile."""
    if c is None or c.type.kind == ci.TypeKind.DEPENDENT or not sound(c):
        return None         # code that did not compile
    lib = _bound()
    r = lib.clang_Cursor_Evaluate(c)
    if not r:
        return None
    try:
        if lib.clang_EvalResult_getKind(r) != CXEVAL_INT:
            return None
        if lib.clang_EvalResult_isUnsignedInt(r):
            return int(lib.clang_EvalResult_getAsUnsigned(r))
        return int(lib.clang_EvalResult_getAsLongLong(r))
    finally:
        lib.clang_EvalResult_dispose(r)


def sound(c) -> bool:
    """Does expression C name only declarations and types that compiled?
    clang gives a struct it could not compile (a member of a type from a
    missing header) the size 1, and folds sizeof of it to 1."""
    lib = _bound()
    records: dict[int, bool] = {}       # (cursor hashes: of this translation unit only)
    todo = [c]
    while todo:
        x = todo.pop()
        d = x.referenced if x.kind.is_reference() or x.kind.is_expression() else None
        if d is not None and lib.clang_isInvalidDeclaration(d):
            return False
        if not sound_type(x.type, records):
            return False
        todo.extend(x.get_children())
    return True


def sound_type(t, records: dict[int, bool], depth: int = 0) -> bool:
    """A type whose size clang knows: not a record that did not compile, nor
    one holding such a record or an array of one (a pointer's size is its
    own).  records: what is known of records so far."""
    t = t.get_canonical()
    while t.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
        t = t.element_type.get_canonical()
    if t.kind != ci.TypeKind.RECORD:
        return True
    d = t.get_declaration()
    if d.hash not in records:
        records[d.hash] = True          # a record holding itself: through a pointer
        lib = _bound()
        ok = not lib.clang_isInvalidDeclaration(d)
        if ok and depth < 16:
            ok = all(not lib.clang_isInvalidDeclaration(f)
                     and sound_type(f.type, records, depth + 1) for f in t.get_fields())
        records[d.hash] = ok
    return records[d.hash]
