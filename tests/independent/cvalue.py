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
                ("clang_EvalResult_dispose", [ctypes.c_void_p], None)):
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, res
        _lib = lib
    return _lib


def integer(c) -> int | None:
    """The integer value of expression cursor C, or None when clang cannot
    fold it to one (not a constant, or not an integer)."""
    if c is None or c.type.kind == ci.TypeKind.DEPENDENT:
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
