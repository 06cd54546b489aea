"""tree.py: which driver each file belongs to."""
from k2m import tree as treemod


def test_file_without_attribute_does_not_take_the_next_line(tmp_path):
    """A `file` line without an attribute is no driver's file: its
    attribute must not be read off the next line ("file" or "define")."""
    (tmp_path / "sys" / "conf").mkdir(parents=True)
    (tmp_path / "sys" / "conf" / "files").write_text(
        "file\tkern/kern_a.c\nfile\tkern/kern_b.c\tfoo\n"
        "attach\tbar at pci with bar_pci\nfile\tdev/pci/bar_pci.c\tbar_pci\n")
    t = treemod.open_tree(str(tmp_path))
    assert t.driver_of("sys/kern/kern_a.c") == "dir:kern"
    assert t.driver_of("sys/kern/kern_b.c") == "foo"
    assert t.driver_of("sys/dev/pci/bar_pci.c") == "bar"
