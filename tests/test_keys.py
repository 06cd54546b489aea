"""keys.Key: its parts, its printed form (report.json's "key"), interning."""

import copy
import pickle

import pytest

from k2m.c.keys import Key, Kind

KEYS = [
    (Key.typed("struct putter_instance"), "t:struct putter_instance"),
    (Key.typed("struct usbd_xfer *"), "t:struct usbd_xfer *"),
    (Key.typed("struct usbd_xfer", Key.member("struct softc", "sc_xfer")),
     "t:struct usbd_xfer@m:struct softc.sc_xfer"),
    (Key.typed("struct intrhand", Key.member("struct softc", "sc_ih").element()),
     "t:struct intrhand@m:struct softc.sc_ih[]"),
    (Key.typed("struct softc", Key.global_("the_softc")), "t:struct softc@g:the_softc"),
    (Key.member("struct softc::sc_nested", "p"), "m:struct softc::sc_nested.p"),
    (Key.local("sys/dev/x/x.c", "f", "buf"), "v:sys/dev/x/x.c:f:buf"),
    (Key.local("sys/dev/x/x.c", None, "scratch"), "v:sys/dev/x/x.c:scratch"),
    (Key.local("", "f", "node.sysctl_data"), "v::f:node.sysctl_data"),
    (Key.global_("buf").element().element(), "g:buf[][]"),
    (Key.returned("sys/dev/x/y.c", "b"), "r:sys/dev/x/y.c:b"),
    (Key.by_name("sys/dev/x", "member"), "f:sys/dev/x:member"),
    (Key.by_name("sys/dev/x", "member").element().read(), "fr:sys/dev/x:member[]"),
    (Key.unnamed("sys/dev/x/x.c"), "u:sys/dev/x/x.c"),
]


@pytest.mark.parametrize("key, printed", KEYS)
def test_printed_form(key, printed):
    assert str(key) == printed


def test_one_key_of_each_value():
    a = Key.member("struct softc", "sc_buf")
    assert a is Key.member("struct softc", "sc_buf")
    assert a.element() is Key.member("struct softc", "sc_buf").element()
    assert a.element().container() is a
    assert pickle.loads(pickle.dumps(a.element())) is a.element()
    assert copy.copy(a) is a and copy.deepcopy(a) is a
    t = Key.typed("struct x", a)
    assert pickle.loads(pickle.dumps([t, t.via])) == [t, a]
    with pytest.raises(AttributeError):
        a.name = "other"
    with pytest.raises(TypeError):
        Key()


def test_scoped():
    """A t: or m: key is its owner's node in the flow graph; a typed
    place's member is one too, its global is everybody's."""
    via = Key.member("struct softc", "sc_xfer")
    node, v = Key.typed("struct usbd_xfer", via).scoped("sys/dev/usb#M_USBDEV")
    assert str(node) == "t:sys/dev/usb#M_USBDEV|struct usbd_xfer"
    assert str(v) == "m:sys/dev/usb#M_USBDEV|struct softc.sc_xfer"
    assert node.unit == v.unit == "sys/dev/usb#M_USBDEV"
    assert node.unowned is Key.typed("struct usbd_xfer") and v.unowned is via
    assert node.holds == "struct usbd_xfer" and node.element().holds == "struct usbd_xfer[]"
    node, v = Key.typed("struct softc", Key.global_("sc0")).scoped("")
    assert (str(node), v) == ("t:|struct softc", Key.global_("sc0"))
    assert node.unit == ""
    local = Key.local("sys/dev/x/x.c", "f", "buf")
    assert local.scoped("u") == (local, None) and local.unit is None
    assert local.holds is None


def test_kinds():
    assert Key.typed("struct x").is_type and Key.typed("struct x").kind is Kind.TYPE
    assert Key.member("struct s", "m").is_member
    assert Key.by_name("d", "m").is_by_name and Key.by_name("d", "m").read().is_by_name
    assert Key.by_name("d", "m").read().kind is Kind.READ
    assert Key.unnamed("p").is_unnamed
    assert Key.local("p", "f", "x").read() is Key.local("p", "f", "x")
