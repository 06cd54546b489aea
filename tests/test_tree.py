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


def test_a_file_lent_by_another_port_brings_not_that_ports_code(tmp_path):
    """hpcmips builds arch/i386/isa/fd.c (a `file` line): i386's directory
    is in hpcmips kernels, but not what i386 includes (x86): no memory of
    hpcmips code may meet x86's.  An include brings what it names in turn
    (amd64 and i386 build x86, and what x86's files name)."""
    conf = {
        "hpcmips/conf/std.hpcmips": "machine hpcmips mips\n",
        "hpcmips/conf/files.hpcmips": "file\tarch/i386/isa/fd.c\tfdc\n",
        "i386/conf/std.i386": "machine i386 x86\n",
        "i386/conf/files.i386": "include \"arch/x86/conf/files.x86\"\n",
        "amd64/conf/std.amd64": "machine amd64 x86\n",
        "x86/conf/files.x86": "file\tarch/xen/x86/hypervisor.c\txen\n",
        "xen/conf/files.xen": "",
        "mips/conf/files.mips": "",
    }
    for path, text in conf.items():
        p = tmp_path / "sys" / "arch" / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    k = treemod.arch_kernels(str(tmp_path))
    assert k["i386"] == {"i386", "hpcmips"}
    assert k["x86"] == {"x86", "i386", "amd64"}
    assert k["xen"] == {"xen", "x86", "i386", "amd64"}     # what x86 names is built
    assert k["mips"] == {"mips", "hpcmips"}


def test_an_mi_file_a_port_lists_goes_in_an_mi_diff(tmp_path):
    """files.arm lists uvm/pmap/pmap_pvt.c under its own attribute arm32:
    the file is arm32's (its type, its memory), but its diff is its
    directory's, not the port's; a driver's MI file stays in the driver's
    diff."""
    (tmp_path / "sys" / "arch" / "arm" / "arm32").mkdir(parents=True)
    (tmp_path / "sys" / "arch" / "arm" / "conf").mkdir(parents=True)
    (tmp_path / "sys" / "arch" / "arm" / "conf" / "files.arm").write_text(
        "file\tuvm/pmap/pmap_pvt.c\tarm32\nfile\tarch/arm/arm32/pmap.c\tarm32\n"
        "file\tdev/ic/smc.c\tapplesmc\nfile\tarch/arm/arm32/smc_acpi.c\tapplesmc\n")
    t = treemod.open_tree(str(tmp_path))
    assert t.driver_of("sys/uvm/pmap/pmap_pvt.c") == "arm32"
    assert t.diff_of("sys/uvm/pmap/pmap_pvt.c") == "dir:uvm/pmap"
    assert t.diff_of("sys/arch/arm/arm32/pmap.c") == "arm32"
    assert t.diff_of("sys/dev/ic/smc.c") == t.diff_of("sys/arch/arm/arm32/smc_acpi.c") \
        == "applesmc"


def test_sys_is_walked_once_and_its_directories_are_parts_of_that_walk(tmp_path, monkeypatch):
    """source_files of several paths (sys, and sys/dev again) list what
    os.walk lists, from one walk of sys/ and one read of each file; a
    directory under a link that walk did not follow is walked itself."""
    for path, text in {"sys/dev/a.c": "kmem_alloc", "sys/dev/pci/b.h": "kmem_free",
                       "sys/kern/c.c": "nothing", "elsewhere/d.c": "kmem_zalloc"}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    (tmp_path / "sys" / "linked").symlink_to(tmp_path / "elsewhere")
    t = treemod.open_tree(str(tmp_path))
    walks, reads = [], []
    real_walk, real_open = treemod.os.walk, open
    monkeypatch.setattr(treemod.os, "walk", lambda top: walks.append(top) or real_walk(top))
    monkeypatch.setattr("builtins.open", lambda p, *a: reads.append(p) or real_open(p, *a))
    assert treemod.source_files(t, ["sys", "sys/dev"]) == ["sys/dev/a.c", "sys/dev/pci/b.h"]
    assert walks == [] and len(reads) == len(set(reads)) == 3     # open_tree walked sys
    assert treemod.source_files(t, ["sys/dev/pci"]) == ["sys/dev/pci/b.h"]
    assert treemod.source_files(t, ["sys/linked"]) == ["sys/linked/d.c"]
    assert walks == [str(tmp_path / "sys" / "linked")]
