"""#include <sys/malloc.h>: the policy and the line edit, in one place.

A file that converts anything gets <sys/malloc.h>: in place of
<sys/kmem.h> when nothing from kmem.h is left in it, else after the first
of <sys/kmem.h>, <sys/param.h>, <sys/systm.h>, <sys/types.h> it includes.
A file that had <sys/malloc.h> already loses <sys/kmem.h> when nothing
from it is left.  A header never loses <sys/kmem.h>: its includers may
use kmem(9) through it (NetBSD-current's sys/namei.h, statvfs.h,
kernhist.h: uvm_map.c, vfs_acl.c and subr_acl_nfs4.c read KM_SLEEP from
them), so <sys/malloc.h> goes after it.
A .c file whose converted calls are all in its leading #ifdef _KERNEL
part (vfs_wapbl.c, also built in user space) gets it after the last
#include of that part.
A .c file with none of those gets it after the last #include before its
first brace (chfs's ebh.c includes only "ebh.h", which includes
<sys/kmem.h>).  A header with none of those, or a file with no #include
(its includer sets it up), is a finding: its includer must provide
<sys/malloc.h>.  The edit is done on
the text, not by spatch (a line edit needs no parse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..c import brackets, cscan
from ..tree import Tree

# after which include <sys/malloc.h> goes, in order of preference
INCLUDE_AFTER = {"after-kmem": "sys/kmem.h", "after-param": "sys/param.h",
                 "after-systm": "sys/systm.h", "after-types": "sys/types.h"}
KMEM_WORDS = re.compile(r"\b(kmem_\w+|KM_SLEEP|KM_NOSLEEP|km_flag_t)\b")
_INCLUDE_LINE = r"^[ \t]*#[ \t]*include[ \t]*<%s>[^\n]*\n"


def action(ff: cscan.FileFacts, text: str, conv: list) -> str | None:
    """How <sys/malloc.h> gets into text, whose facts are ff and whose
    converted decisions are conv: "replace" <sys/kmem.h>, "after-X",
    "after-includes" (a .c file with none of INCLUDE_AFTER's), "drop"
    <sys/kmem.h> when the file has malloc.h already and nothing from kmem.h
    is left, None when it has malloc.h and still uses kmem.h or converts
    nothing, "none" (a finding) when it includes none of the headers to put
    it after."""
    if not conv:
        return None
    used = len(KMEM_WORDS.findall(cscan.strip(text)))
    converted = sum(1 + len(KMEM_WORDS.findall(d.site.flags or ""))
                    for d in conv)
    # a km_flag_t variable's translation reads KM_NOSLEEP: kmem.h stays
    unused = "sys/kmem.h" in ff.includes and used == converted and \
        not any(d.site.flags_km for d in conv) and ff.path.endswith(".c")
    if "sys/malloc.h" in ff.includes and _reaches(text, "sys/malloc.h",
                                                  [d.site.offset for d in conv]):
        return "drop" if unused else None
    if unused:
        return "replace"
    block = _kernel_block(text)
    if block and ff.path.endswith(".c") and all(block[0] <= d.site.offset < block[1]
                                                for d in conv):
        # vfs_wapbl.c, also built in user space: its kmem(9) calls are
        # all in its #ifdef _KERNEL part, and so goes malloc.h
        return "in-kernel-part"
    for act, header in INCLUDE_AFTER.items():    # kmem.h first
        if header in ff.includes:
            return act
    if ff.path.endswith(".c") and _last_leading_include(text) is not None:
        return "after-includes"
    return "none"


_COND = re.compile(r"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b", re.M)


def _branches(text: str, pos: int) -> list[int]:
    """The #if branches open at pos, outermost first, each named by
    where it starts (an #elif or #else starts another)."""
    stack: list[int] = []
    for m in _COND.finditer(text, 0, pos):
        kw = m.group(1)
        if kw.startswith("if"):
            stack.append(m.start())
        elif kw == "endif":
            if stack:
                stack.pop()
        elif stack:
            stack[-1] = m.start()
    return stack


def _reaches(text: str, header: str, offsets: list[int]) -> bool:
    """Whether an #include <header> of text comes before every offset and
    in #if branches that each of them is in too: rasops.c of NetBSD 7.99
    includes <sys/malloc.h> inside `#if NRASOPS_ROTATION > 0`, after the
    calls the conversion makes malloc(9)'s."""
    for m in re.finditer(_INCLUDE_LINE % re.escape(header), text, re.M):
        inc = _branches(text, m.start())
        if all(m.start() < o and _branches(text, o)[:len(inc)] == inc for o in offsets):
            return True
    return False


_KERNEL_IF = re.compile(r"#[ \t]*(?:ifdef[ \t]+_KERNEL|if[ \t]+(?:defined[ \t]*\(?[ \t]*_KERNEL"
                        r"[ \t]*\)?|_KERNEL))[ \t]*(?:/\*.*)?$")


def _kernel_block(text: str) -> tuple[int, int] | None:
    """(start, end) of a file's leading `#ifdef _KERNEL` part (before
    its first brace, outside any other #if) when #includes are in it:
    from the end of its last #include to its #else or #endif."""
    brace = cscan.strip(text).find("{")
    depth, start, last = 0, None, None
    for m in re.finditer(r"^[ \t]*#[ \t]*(\w+)[^\n]*", text, re.M):
        word = m.group(1)
        if start is None and (brace >= 0 and m.start() > brace):
            return None
        if word in ("if", "ifdef", "ifndef"):
            if depth == 0 and start is None and _KERNEL_IF.match(m.group(0).strip()):
                start = m.end()
            depth += 1
        elif word in ("else", "elif", "endif") and depth == 1 and start is not None:
            return (last, m.start()) if last is not None else None
        elif word == "endif":
            depth = max(0, depth - 1)
        elif word == "include" and start is not None and depth == 1:
            last = m.end() + 1
    return None


_ANY_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include\b[^\n]*\n", re.M)


def _once(text: str) -> str:
    """text without a second #include <sys/malloc.h> in the same branch
    of the #ifs as the first: a file that included <sys/kmem.h> twice
    (alpha's shared_intr.c, amd64's netbsd32_machdep.c) gets malloc.h
    once."""
    out, seen, pos = [], False, 0
    for m in re.finditer(r"^[ \t]*#[ \t]*(\w+)[^\n]*\n", text, re.M):
        if m.group(1) in ("if", "ifdef", "ifndef", "elif", "else", "endif"):
            seen = False
        elif re.fullmatch(_INCLUDE_LINE % re.escape("sys/malloc.h"), m.group(0)):
            if seen:
                out.append(text[pos:m.start()])
                pos = m.end()
            seen = True
    return "".join(out) + text[pos:]


def _last_leading_include(text: str) -> int | None:
    """The end of the last #include line before text's first brace."""
    brace = cscan.strip(text).find("{")
    ends = [m.end() for m in _ANY_INCLUDE.finditer(text, 0, len(text) if brace < 0 else brace)]
    return ends[-1] if ends else None


def add(text: str, act: str | None, taker: FreeTaker | None = None) -> str:
    """text with #include <sys/malloc.h> as act (action()) says: `replace`
    <sys/kmem.h> by it, `after-X` add it after every #include <sys/X.h>,
    `drop` <sys/kmem.h>; None or `none`: nothing.  Where malloc.h is new,
    its function-like macros are kept off members of the same names
    (protect_members).  A file that includes a taker of free()
    (includes_free_taker) gets it before that include, which no header
    may follow, and past which free() is no macro."""
    if taker is not None and (at := taker_line(text, taker)) is not None:
        return add(text[:at], act) + text[at:]
    if act == "drop":
        return re.sub(_INCLUDE_LINE % re.escape("sys/kmem.h"), "", text, flags=re.M)
    if act == "replace":
        return protect_members(_once(re.sub(
            _INCLUDE_LINE % re.escape("sys/kmem.h"),
            lambda m: m.group(0).replace("sys/kmem.h", "sys/malloc.h", 1), text, flags=re.M)))
    if act in INCLUDE_AFTER:
        # after each include of the anchor, for the branch of an #if it
        # is in, until one outside any #if has it: not after a second one
        # (vfs_cache.c includes <sys/param.h> twice)
        depth, seen_top, pos, parts = 0, False, 0, []
        anchor = re.compile(_INCLUDE_LINE % re.escape(INCLUDE_AFTER[act]), re.M)
        for m in re.finditer(r"^[ \t]*#[ \t]*(\w+)[^\n]*\n", text, re.M):
            word = m.group(1)
            if word in ("if", "ifdef", "ifndef"):
                depth += 1
            elif word == "endif":
                depth = max(0, depth - 1)
            elif anchor.fullmatch(m.group(0)) and not seen_top:
                seen_top = depth == 0
                parts += [text[pos:m.end()], "#include <sys/malloc.h>\n"]
                pos = m.end()
        return protect_members("".join(parts) + text[pos:])
    if act == "in-kernel-part":
        block = _kernel_block(text)
        assert block is not None        # action() said so
        at = block[0]
        return protect_members(text[:at] + "#include <sys/malloc.h>\n" + text[at:])
    if act == "after-includes":
        at = _last_leading_include(text)
        if at is None:
            return text
        return protect_members(text[:at] + "#include <sys/malloc.h>\n" + text[at:])
    return text


# a call through a member named like one of <sys/malloc.h>'s macros
_MEMBER_CALL = re.compile(r"(->|\.)\s*(free|malloc|realloc)\s*\(")


def protect_members(text: str) -> str:
    """thmap->ops->free(addr, len) becomes (thmap->ops->free)(addr, len):
    <sys/malloc.h> defines free() and malloc() as function-like macros,
    which would take the member call for one (subr_thmap.c, given
    malloc.h by the conversion, no longer compiled).  A name in
    parentheses is not a macro call; the code means the same."""
    stripped = cscan.strip(text)
    edits = []
    for m in _MEMBER_CALL.finditer(stripped):
        start = _postfix_start(stripped, m.start())
        edits.append((start, "("))
        edits.append((m.start(2) + len(m.group(2)), ")"))
    for at, s in sorted(edits, reverse=True):
        text = text[:at] + s + text[at:]
    return text


def _postfix_start(s: str, i: int) -> int:
    """Where the postfix expression whose `->` or `.` is at i starts
    (a, a->b, f(x)->b, a[i].b, (*p)->b)."""
    j = i
    while True:
        k = j - 1
        while k >= 0 and s[k].isspace():
            k -= 1
        if k >= 0 and s[k] in ")]":
            j = max(brackets.opening(s, k, "(["), 0)
            k = j - 1
            while k >= 0 and s[k].isspace():
                k -= 1
        if k >= 0 and (s[k].isalnum() or s[k] == "_"):
            while k >= 0 and (s[k].isalnum() or s[k] == "_"):
                k -= 1
            j = k + 1
        k = j - 1
        while k >= 0 and s[k].isspace():
            k -= 1
        if k >= 1 and s[k - 1:k + 1] == "->":
            j = k - 1
        elif k >= 0 and s[k] == "." and not (k >= 1 and s[k - 1].isdigit()):
            j = k
        else:
            return j


# The last word a header has on the free() macro: #undef free, or a
# #define of it.  A header whose last word is #undef free, or a definition
# of one parameter (libsodium's "free(addr) __free_should_not_be_used"),
# takes free(9) away from the rest of every file that includes it: drm2's
# linux/nbsd-namespace.h ("Disable our historic malloc(9) compatibility
# macro", and no header may follow it, so <sys/malloc.h> cannot give it
# back).  drm_gem.h #undefs free but defines it again (install-shim makes
# that definition <sys/malloc.h>'s).
_FREE_MACRO = re.compile(r"^[ \t]*#[ \t]*(?:undef[ \t]+free\b|define[ \t]+free\(([^)]*)\))", re.M)


def takes_free_away(text: str) -> bool:
    """True if a header's text leaves free() undefined, or defined as
    something other than free(9), for what follows it."""
    last = None
    for last in _FREE_MACRO.finditer(text):
        pass
    return last is not None and (last.group(1) is None or "," not in last.group(1)
                                 and "..." not in last.group(1))


def free_takers(tree: Tree) -> list[str]:
    """The headers under the tree's sys/ that take free(9) away
    (takes_free_away), tree-relative."""
    import os
    out = []
    for d, files in tree.walk(os.path.join(tree.root, "sys")):
        for f in files:
            if not f.endswith(".h"):
                continue
            with open(os.path.join(d, f), "rb") as fp:
                data = fp.read()
            if b"free" in data and (b"undef" in data or b"define" in data) and \
                    takes_free_away(data.decode("utf-8", "replace")):
                out.append(os.path.relpath(os.path.join(d, f), tree.root))
    return out


@dataclass(frozen=True)
class FreeTaker:
    """A header that takes free(9) away, as a file includes it."""
    header: str         # tree-relative
    written: str        # the name in the #include line


def includes_free_taker(path: str, text: str, takers: list[str]) -> FreeTaker | None:
    """The header of takers that path's text #includes by name (a
    <dir/name.h> whose path ends so, or a "name.h" beside path), if any."""
    import os
    for m in re.finditer(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', text, re.M):
        name = m.group(2)
        for h in takers:
            if "/" in name and h.endswith("/" + name) or \
                    m.group(1) == '"' and h == os.path.normpath(
                        os.path.join(os.path.dirname(path), name)):
                return FreeTaker(h, name)
    return None


def taker_line(text: str, taker: FreeTaker) -> int | None:
    """The offset of text's #include of taker."""
    m = re.search(r'^[ \t]*#[ \t]*include[ \t]*[<"]%s[>"]' % re.escape(taker.written),
                  text, re.M)
    return m.start() if m else None


_FREE_CALL = re.compile(r"\bfree\s*\(")


def call_free_function(text: str, taker: FreeTaker, function: str) -> str:
    """text, whose include of taker takes free() away for the code after
    it, with each free() call there calling function (kern_free_sized or
    kern_free, what <sys/malloc.h>'s macro calls).  No free() call of the
    input can be there (it would not compile), so each is the rewrite's."""
    at = taker_line(text, taker)
    if at is None:
        return text
    stripped = cscan.strip(text)
    # not a member of that name (obj->funcs->free(obj))
    edits = [m.start() for m in _FREE_CALL.finditer(stripped, at)
             if not stripped[:m.start()].rstrip().endswith(("->", "."))]
    for e in reversed(edits):
        text = text[:e] + function + text[e + len("free"):]
    return text
