"""scanning.py: the file lists and the scan workers."""
import gc

from k2m import scanning


def test_serial_scan_leaves_the_garbage_collector_as_it_was(example_tree):
    """The serial path (few files) runs in the caller: it must not switch
    the caller's garbage collector off (it did, for good)."""
    assert gc.isenabled()
    facts, _ = scanning.scan_all(str(example_tree), ["sys/dev/i2c/iicmux.c"], jobs=1)
    assert gc.isenabled()
    assert [s.callee for s in facts[0].sites] == ["kmem_zalloc", "kmem_free"]
