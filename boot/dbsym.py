#!/usr/bin/python3
"""dbsym for boottest: copy an amd64 kernel's symbol table into the kernel.

    dbsym.py -P KERNEL    print the bytes the copy needs (SYMTAB_SPACE)
    dbsym.py KERNEL       write the copy into db_symtab[], its size into
                          db_symtabsize

qemu's PVH loader (-kernel) loads no symbol table beside the kernel, as
NetBSD's boot(8) does, and without one module(7) cannot link a module
("symbol `printf' not found").  A kernel configured with
`makeoptions COPY_SYMTAB=1` carries an array for a copy (kern_ksyms_buf.c)
that ksyms_init() reads; sys/conf/Makefile.kern.inc runs ${DBSYM} to fill
it.  NetBSD's dbsym(8) is a NetBSD tool; this is the same job for the
one case boottest needs (ELF64, little-endian).

The copy has the layout ksyms_addsyms_elf() reads, as boot(8) leaves it:
the ELF header, every section header (sh_offset 0 for all but the symbol
table and its string table), the symbol table, the string table.
"""

import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
PHDR = struct.Struct("<IIQQQQQQ")
SHT_SYMTAB = 2


def fail(msg):
    print(f"dbsym.py: {msg}", file=sys.stderr)
    sys.exit(1)


def sections(data):
    eh = EHDR.unpack_from(data, 0)
    if eh[0][:4] != b"\x7fELF" or eh[0][4] != 2 or eh[0][5] != 1:
        fail("not a little-endian ELF64 file")
    shoff, shentsize, shnum = eh[6], eh[11], eh[12]
    return eh, [list(SHDR.unpack_from(data, shoff + i * shentsize)) for i in range(shnum)]


def image(data):
    """The copy: header, section headers, symbol table, string table."""
    eh, shdrs = sections(data)
    sym = next((i for i, s in enumerate(shdrs) if s[1] == SHT_SYMTAB), None)
    if sym is None:
        fail("no symbol table (a stripped kernel?)")
    st = shdrs[sym][6]                          # sh_link: its string table
    out = [list(s) for s in shdrs]
    for s in out:
        s[4] = 0                                # sh_offset: not in the copy
    at = EHDR.size + SHDR.size * len(shdrs)
    blobs = []
    for i in (sym, st):
        off, size = shdrs[i][4], shdrs[i][5]
        at = (at + 7) & ~7
        out[i][4] = at
        blobs.append((at, data[off:off + size]))
        at += size
    buf = bytearray(at)
    # no program headers, no section name table: ksyms reads neither
    hdr = list(eh)
    hdr[5], hdr[6], hdr[10], hdr[13] = 0, EHDR.size, 0, 0  # phoff, shoff, phnum, shstrndx
    EHDR.pack_into(buf, 0, *hdr)
    for i, s in enumerate(out):
        SHDR.pack_into(buf, EHDR.size + i * SHDR.size, *s)
    for off, b in blobs:
        buf[off:off + len(b)] = b
    return bytes(buf), shdrs, sym, st


def symbol(data, shdrs, sym, st, name):
    """(value, size) of a symbol."""
    off, size = shdrs[sym][4], shdrs[sym][5]
    stoff = shdrs[st][4]
    want = name.encode()
    for at in range(off, off + size, SYM.size):
        nm, _info, _other, _shndx, value, sz = SYM.unpack_from(data, at)
        end = data.index(b"\0", stoff + nm)
        if data[stoff + nm:end] == want:
            return value, sz
    fail(f"no symbol {name}: configure the kernel with makeoptions COPY_SYMTAB=1")


def file_offset(data, vaddr):
    """Where a kernel virtual address is in the file (its PT_LOAD)."""
    eh = EHDR.unpack_from(data, 0)
    for i in range(eh[10]):                     # e_phnum of e_phentsize at e_phoff
        p = PHDR.unpack_from(data, eh[5] + i * eh[9])
        if p[0] == 1 and p[3] <= vaddr < p[3] + p[6]:   # PT_LOAD, in its file part
            return p[2] + vaddr - p[3]
    fail(f"address {vaddr:#x} is in no loaded segment")


def main(argv):
    if len(argv) == 3 and argv[1] == "-P":
        with open(argv[2], "rb") as fp:
            blob = image(fp.read())[0]
        print(len(blob) + 4096)         # room for the next link's own growth
        return 0
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(argv[1], "rb") as fp:
        data = bytearray(fp.read())
    blob, shdrs, sym, st = image(bytes(data))
    tab, tabsize = symbol(data, shdrs, sym, st, "db_symtab")
    size_va, _ = symbol(data, shdrs, sym, st, "db_symtabsize")
    if len(blob) > tabsize:
        fail(f"db_symtab holds {tabsize} bytes, the copy needs {len(blob)}")
    at = file_offset(data, tab)
    data[at:at + len(blob)] = blob
    struct.pack_into("<i", data, file_offset(data, size_va), len(blob))
    with open(argv[1], "wb") as fp:
        fp.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
