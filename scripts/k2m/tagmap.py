"""tag-map.yaml: which malloc type each file, directory or driver gets.

This is the only module that reads the tag map.  Schema (see README):

    version: 1
    default: M_DEVBUF
    tags:
      M_USBDEV: {short: usbdev, description: USB device driver memory}
    rules:
      - driver: wm            # a config attribute from files.*
        tag: M_WM
      - path: sys/dev/usb/**  # a glob, relative to the tree
        tag: M_USBDEV
    retag:                    # optional: `kmem2malloc retag`'s generic types
      types: [M_DEVBUF, M_TEMP]   # legacy callers of these get their owner's type
      scratch: [M_TEMP]           # ... except memory freed where it is allocated
      interfaces:                 # ... and memory an interface's written rule types
        - name: VOP_READDIR cookies
          type: M_TEMP            # one of types: both ends keep it
          member: a_cookies       # the callee hands it on: *ap->a_cookies = c
          call: VOP_READDIR       # the caller gets it: VOP_READDIR(.., &c, &n)
          arg: 5                  # ... as this argument (from 1)
          rule: "vnodeops(9): ..."

Rules are tried in order; the first that matches wins; `default` catches
the rest.  Every error names the file and line and nothing is written.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

import yaml

C_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
SHORT_MAX = 31          # the name field of the sysctl record holds 32 bytes
# retag's generic types and those a scratch buffer keeps, without a retag: key
RETAG_TYPES = ("M_DEVBUF", "M_TEMP")
SCRATCH_TYPES = ("M_TEMP",)


class TagMapError(Exception):
    """A problem with the tag map, as 'FILE:LINE: message'."""


@dataclass(frozen=True)
class Tag:
    name: str               # C identifier, M_USBDEV
    short: str              # what vmstat -m prints
    description: str


@dataclass(frozen=True)
class Rule:
    tag: str
    path: str | None = None
    driver: str | None = None
    line: int = 0

    def matches(self, relpath: str, driver: str) -> bool:
        if self.driver is not None and self.driver != driver:
            return False
        if self.path is not None and not _glob(self.path, relpath):
            return False
        return True


@dataclass(frozen=True)
class Interface:
    """Memory one owner allocates and another frees, whose type an
    interface's written rule gives (retag: interfaces): neither owner's."""
    name: str
    type: str           # one of retag's types: both ends keep it
    member: str         # the callee hands the memory on: *ap->MEMBER = p
    call: str           # the caller gets it: CALL(..., &p, ...)
    arg: int            # ... as this argument (from 1)
    rule: str           # the written rule, quoted in the report


@dataclass
class TagMap:
    path: str
    default: str
    tags: dict[str, Tag] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    # retag: the generic types whose legacy callers get their owner's type,
    # and those of them a scratch buffer (freed only in the function that
    # allocates it) keeps
    retag_types: tuple[str, ...] = RETAG_TYPES
    scratch_types: tuple[str, ...] = SCRATCH_TYPES
    interfaces: tuple[Interface, ...] = ()

    def tag_for(self, relpath: str, driver: str) -> str:
        for r in self.rules:
            if r.matches(relpath, driver):
                return r.tag
        return self.default


def _glob(pattern: str, relpath: str) -> bool:
    """fnmatch where '**' may match across directories and 'dir/**'
    also matches files directly in dir."""
    if pattern.endswith("/**"):
        base = pattern[:-3]
        return relpath.startswith(base + "/")
    return fnmatch.fnmatchcase(relpath, pattern)


def _err(path: str, node, msg: str) -> TagMapError:
    line = node.start_mark.line + 1 if node is not None else 1
    return TagMapError(f"{path}:{line}: {msg}")


def _mapping(path, node, what, keys, required=()):
    """A YAML mapping node as {key: (keynode, valuenode)}, checked."""
    if not isinstance(node, yaml.MappingNode):
        raise _err(path, node, f"{what} must be a mapping")
    out = {}
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise _err(path, k, f"{what}: keys must be plain names")
        if k.value in out:
            raise _err(path, k, f"{what}: duplicate key '{k.value}'")
        if keys is not None and k.value not in keys:
            raise _err(path, k, f"{what}: unknown key '{k.value}' "
                       f"(allowed: {', '.join(sorted(keys))})")
        out[k.value] = (k, v)
    for r in required:
        if r not in out:
            raise _err(path, node, f"{what}: missing '{r}'")
    return out


def _scalar(path, node, what) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.value == "":
        raise _err(path, node, f"{what} must be a non-empty string")
    return node.value


def load(path: str) -> TagMap:
    """Read and check a tag map; raise TagMapError on any problem."""
    try:
        with open(path, encoding="utf-8") as fp:
            text = fp.read()
    except OSError as e:
        raise TagMapError(f"{path}:1: cannot read: {e.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise TagMapError(f"{path}:{line}: YAML error: {problem}") from None
    if root is None:
        raise TagMapError(f"{path}:1: empty tag map")
    top = _mapping(path, root, "tag map", {"version", "default", "tags", "rules", "retag"},
                   ("version", "default", "tags"))
    knode, vnode = top["version"]
    if _scalar(path, vnode, "version") != "1":
        raise _err(path, vnode, "unsupported version (expected 1)")

    tm = TagMap(path, _scalar(path, top["default"][1], "default"))
    shorts: dict[str, int] = {}
    for kn, vn in _mapping(path, top["tags"][1], "tags", None).values():
        name = kn.value
        if not C_IDENT.match(name):
            raise _err(path, kn, f"tag '{name}' is not a valid C identifier")
        fields = _mapping(path, vn, f"tag {name}", {"short", "description"},
                          ("short", "description"))
        short = _scalar(path, fields["short"][1], f"tag {name}: short")
        if len(short) > SHORT_MAX:
            raise _err(path, fields["short"][1],
                       f"tag {name}: short name longer than {SHORT_MAX} characters")
        if short in shorts:
            raise _err(path, fields["short"][1],
                       f"tag {name}: short name '{short}' already used on line "
                       f"{shorts[short]}")
        shorts[short] = fields["short"][1].start_mark.line + 1
        desc = _scalar(path, fields["description"][1], f"tag {name}: description")
        tm.tags[name] = Tag(name, short, desc)

    if tm.default not in tm.tags:
        raise _err(path, top["default"][1], f"default names undefined tag '{tm.default}'")

    if "rules" in top:
        rnode = top["rules"][1]
        if not isinstance(rnode, yaml.SequenceNode):
            raise _err(path, rnode, "rules must be a list")
        for item in rnode.value:
            f = _mapping(path, item, "rule", {"path", "driver", "tag"}, ("tag",))
            if "path" not in f and "driver" not in f:
                raise _err(path, item, "rule needs 'path' or 'driver'")
            tag = _scalar(path, f["tag"][1], "rule tag")
            if tag not in tm.tags:
                raise _err(path, f["tag"][1], f"rule names undefined tag '{tag}'")
            tm.rules.append(Rule(
                tag,
                _scalar(path, f["path"][1], "rule path") if "path" in f else None,
                _scalar(path, f["driver"][1], "rule driver") if "driver" in f else None,
                item.start_mark.line + 1))
    if "retag" in top:
        _retag(path, top["retag"][1], tm)
    return tm


def _names(path, node, what) -> tuple[str, ...]:
    """A YAML list of C identifiers."""
    if not isinstance(node, yaml.SequenceNode):
        raise _err(path, node, f"{what} must be a list of malloc types")
    out = []
    for item in node.value:
        name = _scalar(path, item, what)
        if not C_IDENT.match(name):
            raise _err(path, item, f"{what}: '{name}' is not a valid C identifier")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _retag(path, node, tm: TagMap) -> None:
    """The retag: key: {types: [...], scratch: [...], interfaces: [...]},
    scratch and each interface's type among types."""
    f = _mapping(path, node, "retag", {"types", "scratch", "interfaces"}, ("types",))
    tm.retag_types = _names(path, f["types"][1], "retag types")
    tm.scratch_types = _names(path, f["scratch"][1], "retag scratch") if "scratch" in f else ()
    for item in f["scratch"][1].value if "scratch" in f else ():
        if item.value not in tm.retag_types:
            raise _err(path, item, f"retag scratch: '{item.value}' is not one of retag types")
    if "interfaces" in f:
        tm.interfaces = _interfaces(path, f["interfaces"][1], tm.retag_types)


def _interfaces(path, node, types: tuple[str, ...]) -> tuple[Interface, ...]:
    """retag: interfaces: a list of {name, type, member, call, arg, rule}."""
    if not isinstance(node, yaml.SequenceNode):
        raise _err(path, node, "retag interfaces must be a list")
    out = []
    for item in node.value:
        keys = ("name", "type", "member", "call", "arg", "rule")
        f = _mapping(path, item, "retag interface", set(keys), keys)
        v = {k: _scalar(path, f[k][1], f"retag interface: {k}") for k in keys}
        for k in ("type", "member", "call"):
            if not C_IDENT.match(v[k]):
                raise _err(path, f[k][1], f"retag interface: {k} '{v[k]}' is not a valid "
                           "C identifier")
        if v["type"] not in types:
            raise _err(path, f["type"][1], f"retag interface: '{v['type']}' is not one of "
                       "retag types")
        if not v["arg"].isdigit() or int(v["arg"]) < 1:
            raise _err(path, f["arg"][1], "retag interface: arg must be a number from 1")
        out.append(Interface(v["name"], v["type"], v["member"], v["call"], int(v["arg"]),
                             v["rule"]))
    return tuple(out)
