"""The tag map: the shipped one loads, and every bad map is one error line
naming file and line, exit status 2, nothing written."""
import os

import pytest

from conftest import TOP, run
from k2m import tagmap

GOOD = """\
version: 1
default: M_DEVBUF
tags:
  M_DEVBUF: {short: devbuf, description: device driver memory}
  M_USBDEV: {short: USB device, description: USB drivers}
rules:
  - {driver: frob, tag: M_USBDEV}
  - {path: sys/dev/usb/**, tag: M_USBDEV}
"""

BAD = {
    # name: (text, line, words in the message)
    "yaml": (GOOD.replace("rules:", "rules: [\n  - oops: {"), 7, "YAML error"),
    "unknown-top-key": (GOOD + "colour: blue\n", 9, "unknown key 'colour'"),
    "unknown-tag-key": (GOOD.replace("description: USB drivers",
                                     "description: USB drivers, size: 3"), 5,
                        "unknown key 'size'"),
    "unknown-rule-key": (GOOD.replace("{driver: frob,", "{drv: frob,"), 7,
                         "unknown key 'drv'"),
    "bad-identifier": (GOOD.replace("  M_USBDEV: {short: USB", "  M-USB: {short: USB"),
                       5, "not a valid C identifier"),
    "duplicate-short": (GOOD.replace("short: USB device", "short: devbuf"), 5,
                        "short name 'devbuf' already used on line 4"),
    "undefined-rule-tag": (GOOD.replace("tag: M_USBDEV}\n  - {path", "tag: M_FROB}\n  - {path"),
                           7, "rule names undefined tag 'M_FROB'"),
    "undefined-default": (GOOD.replace("default: M_DEVBUF", "default: M_NOPE"), 2,
                          "default names undefined tag 'M_NOPE'"),
    "duplicate-tag": (GOOD.replace("rules:", "  M_USBDEV: {short: usb2, description: x}\nrules:"),
                      6, "duplicate key 'M_USBDEV'"),
    "rule-without-match": (GOOD.replace("{driver: frob, tag: M_USBDEV}", "{tag: M_USBDEV}"),
                           7, "rule needs 'path' or 'driver'"),
    "missing-tags": ("version: 1\ndefault: M_X\n", 1, "missing 'tags'"),
    "empty": ("", 1, "empty tag map"),
}


def test_shipped_map_loads():
    tm = tagmap.load(os.path.join(TOP, "tag-map.yaml"))
    assert tm.default == "M_DEVBUF"
    assert tm.tag_for("sys/dev/usb/ehci.c", "ehci") == "M_USBDEV"
    assert tm.tag_for("sys/dev/pci/if_wm.c", "wm") == "M_PCIDEV"
    assert tm.tag_for("sys/dev/md.c", "md") == "M_MD"
    assert tm.tag_for("sys/dev/frob.c", "frob") == "M_DEVBUF"
    shorts = [t.short for t in tm.tags.values()]
    assert len(shorts) == len(set(shorts))


# Representative files of sys/ and the type the shipped map gives them
# (path, the driver tree.py would report, type).
SHIPPED = [
    ("sys/kern/kern_proc.c", "kern", "M_PROC"),
    ("sys/kern/kern_exec.c", "kern", "M_EXEC"),
    ("sys/kern/vfs_syscalls.c", "vfs", "M_VFS"),
    ("sys/kern/subr_autoconf.c", "kern", "M_AUTOCONF"),
    ("sys/kern/uipc_socket.c", "kern", "M_SOOPTS"),
    ("sys/kern/subr_blist.c", "vmswap", "M_VMSWAP"),
    ("sys/kern/subr_kmem.c", "kern", "M_KERN"),         # an allocator: never converted
    ("sys/kern/kern_not_yet_written.c", "kern", "M_KERN"),
    ("sys/ufs/ffs/ffs_vfsops.c", "ffs", "M_UFSMNT"),
    ("sys/ufs/ffs/ffs_alloc.c", "ffs", "M_UFS"),
    ("sys/netinet/tcp_subr.c", "inet", "M_INET"),
    ("sys/netinet/ip_output.c", "inet", "M_IPMOPTS"),
    ("sys/netinet6/nd6_nbr.c", "inet6", "M_IP6NDP"),
    ("sys/net/route.c", "net", "M_RTABLE"),
    ("sys/net/if_wg.c", "wg", "M_WG"),
    ("sys/netipsec/key.c", "ipsec", "M_SECA"),
    ("sys/netipsec/ipsec.c", "ipsec", "M_IPSEC"),
    ("sys/uvm/uvm_map.c", "uvm", "M_UVM"),
    ("sys/uvm/uvm_amap.c", "uvm", "M_UVMAMAP"),
    ("sys/uvm/uvm_swap.c", "vmswap", "M_VMSWAP"),
    ("sys/arch/x86/x86/cpu.c", "cpu", "M_X86"),
    ("sys/arch/amd64/amd64/trap.c", "dir:arch/amd64/amd64", "M_X86"),
    ("sys/arch/evbarm/fdt/fdt_dma_machdep.c", "fdt", "M_FDT"),
    ("sys/arch/sgimips/dev/int.c", "int", "M_MIPS"),
    # built with acpi or mpbios: not acpi's own type (defined only with acpi)
    ("sys/arch/x86/x86/mp.c", "acpi", "M_X86"),
    ("sys/arch/x86/x86/mpacpi.c", "acpi", "M_ACPI"),
    ("sys/arch/amd64/amd64/netbsd32_machdep.c", "compat_netbsd32", "M_NETBSD32"),
    ("sys/compat/netbsd32/netbsd32_execve.c", "compat_netbsd32", "M_EXEC"),
    ("sys/compat/linux/common/linux_exec.c", "compat_linux", "M_LINUX"),
    ("sys/miscfs/genfs/layer_vfsops.c", "layerfs", "M_LAYERFS"),
    ("sys/miscfs/specfs/spec_vnops.c", "vfs", "M_VFS"),
    ("sys/rump/librump/rumpkern/vm.c", "dir:rump/librump/rumpkern", "M_RUMP"),
    ("sys/rump/librump/rumpkern/kobj_rename.c", "dir:rump/librump/rumpkern", "M_MODULE"),
    ("sys/external/bsd/drm2/linux/linux_pci.c", "dir:external/bsd/drm2/linux", "M_DRM"),
    ("sys/dev/usb/ehci.c", "ehci", "M_USBDEV"),
    ("sys/dev/pci/if_wm.c", "wm", "M_PCIDEV"),
    ("sys/dev/sdmmc/if_bwfm_sdio.c", "bwfm", "M_BWFM"),
    ("sys/dev/cgd.c", "cgd", "M_CGD"),
    ("sys/dev/md.c", "md", "M_MD"),
    ("sys/dev/ieee1394/fwdma.c", "ieee1394if", "M_FW"),
    ("sys/dev/ieee1394/sbp.c", "sbp", "M_DEVBUF"),
    ("sys/dev/wsfont/wsfont.c", "dir:dev/wsfont", "M_WSFONT"),
]

# Short names of the MALLOC_DEFINEs in NetBSD-current (Jan 2025) and 7.99
# sys/ whose type the map does not reuse: vmstat -m would print two rows of
# one name if the map took one of them for another type.
TREE_SHORTS = {
    "80211node", "AGP", "DMA map", "Export Host", "ISOFS mount", "LFS segment",
    "MSDOSFS FAT", "MSDOSFS mount", "MSDOSFS temp", "NETSMBDEV", "NEWNFSnode",
    "NEWdirectio", "NFS FHA", "NFS fh", "NFS req", "NFSCL client", "NFSCL deleg",
    "NFSCL devinfo", "NFSCL diroffdiroff", "NFSCL flayout", "NFSCL layout",
    "NFSCL layrecall", "NFSCL lck", "NFSCL lckown", "NFSCL open", "NFSCL owner",
    "NFSCL session", "NFSCL sockreq", "NFSD V4client", "NFSD V4lock",
    "NFSD V4state", "NFSD lckfile", "NFSD rollback", "NFSD session",
    "NFSD srvcache", "NFSD string", "NFSD usrgroup", "NILFS mount", "NILFS temp",
    "NLM", "NTFS decomp", "NTFS dir", "NTFS ntnode", "NTFS res data",
    "NTFS vattr", "NTFS vrun", "SMBIOD", "UDF mount", "UDF temp", "UDF volspace",
    "UNIONFS path", "VCHI", "aacbuf", "acl", "ath_hal", "athdev", "dkwedge",
    "drm_agplists", "drm_buflists", "drm_bufs", "drm_cmds", "drm_ctxbitmap",
    "drm_dma", "drm_drawable", "drm_driver", "drm_files", "drm_ioctls",
    "drm_magic", "drm_mapping", "drm_maps", "drm_mm", "drm_pages", "drm_queues",
    "drm_sarea", "drm_segs", "drm_sglists", "efsino", "efsmnt", "efstmp", "free",
    "gprof", "hfs mount", "ieee1394", "ifaddr", "ip6_options", "ix_sriov",
    "kernfs mount", "mbuf", "newnfsclient_req", "newnfsmnt", "nfsclient_lock",
    "nfsclient_nlminfo", "packet tags", "ptyfs temp", "sbp", "smbstr", "smbtemp",
    "sockaddr", "soname", "sysctlnode", "sysvbfs core", "sysvbfs vfs",
    "sysvbfs vnode", "tcpcongctl", "temp", "xform",
}

# Types the map shares with a MALLOC_DEFINE of those trees, and that
# definition's short name: install-shim leaves the type to that file, so the
# map must say the same.
TREE_DEFINED = {
    "M_ACPI": "acpi", "M_ANODE": "adosfs anode", "M_BLUETOOTH": "Bluetooth",
    "M_CRYPTO_DATA": "crypto", "M_DEVBUF": "devbuf", "M_FTABLE": "fragtbl",
    "M_IFMADDR": "ether_multi", "M_IFMEDIA": "ifmedia", "M_IP6NDP": "NDP",
    "M_IPARP": "ARP DAD", "M_IPFILTER": "IP Filter", "M_MRTABLE": "mrt",
    "M_NTFSMNT": "NTFS mount", "M_NVLIST": "nvlist", "M_PTYFSMNT": "ptyfs mount",
    "M_RAIDFRAME": "RAIDframe", "M_RTABLE": "routetbl", "M_SECA": "key mgmt",
    "M_SMBCONN": "SMB conn", "M_SMBFSDATA": "SMBFS data",
    "M_SYSCTLDATA": "sysctldata", "M_UFSMNT": "UFS mount",
    "M_UNIONFSMNT": "UNIONFS mount", "M_VCHIQ": "vchiq_cdev", "M_FW": "ieee1394",
}


@pytest.fixture(scope="module")
def shipped():
    return tagmap.load(os.path.join(TOP, "tag-map.yaml"))


@pytest.mark.parametrize("path,driver,tag", SHIPPED)
def test_shipped_map_types(shipped, path, driver, tag):
    assert shipped.tag_for(path, driver) == tag


def test_shipped_map_keeps_sys_kern_out_of_devbuf(shipped):
    # first match wins: whatever a sys/kern file's driver, a kern rule
    # catches it before the default
    for path, driver, _ in SHIPPED:
        if path.startswith("sys/kern/"):
            assert shipped.tag_for(path, "no-such-driver") != shipped.default


def test_shipped_map_short_names(shipped):
    for name, tag in shipped.tags.items():
        if name in TREE_DEFINED:
            assert tag.short == TREE_DEFINED[name], name
        else:
            assert tag.short not in TREE_SHORTS, (name, tag.short)


def test_rules_first_match_wins(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(GOOD)
    tm = tagmap.load(str(f))
    assert tm.tag_for("sys/dev/pci/frob_pci.c", "frob") == "M_USBDEV"
    assert tm.tag_for("sys/dev/usb/uhub.c", "uhub") == "M_USBDEV"
    assert tm.tag_for("sys/dev/usbx/a.c", "a") == "M_DEVBUF"


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_map(tmp_path, example_tree, name):
    text, line, words = BAD[name]
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    out = tmp_path / "out"
    p = run("convert", "--tag-map", str(f), "--out", str(out), str(example_tree))
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert f"{f}:{line}:" in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert not out.exists()


def test_missing_map_file(tmp_path, example_tree):
    p = run("convert", "--tag-map", str(tmp_path / "nope.yaml"), str(example_tree))
    assert p.returncode == 2 and "cannot read" in p.stderr
