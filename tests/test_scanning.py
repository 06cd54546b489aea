"""scanning.py: the file lists and the scan workers."""
import gc

from k2m.c import scanning


def test_serial_scan_leaves_the_garbage_collector_as_it_was(example_tree):
    """The serial path (few files) runs in the caller: it must not switch
    the caller's garbage collector off (it did, for good)."""
    assert gc.isenabled()
    facts, _ = scanning.scan_all(str(example_tree), ["sys/dev/i2c/iicmux.c"], jobs=1)
    assert gc.isenabled()
    assert [s.callee for s in facts[0].sites] == ["kmem_zalloc", "kmem_free"]


def test_a_port_reads_its_own_machine_headers(tmp_path):
    """<machine/...> is the file's own port's (alpha's bus_dmamap_t is
    struct alpha_bus_dmamap), amd64's elsewhere; and a header's fallback
    declaration after an #include (sys/bus.h under __HAVE_NO_BUS_DMA)
    does not hide what the include declared."""
    files = {
        "sys/sys/bus.h": "#include <machine/bus_defs.h>\n#ifdef __HAVE_NO_BUS_DMA\n"
                         "typedef struct bus_dmamap { int x; } *bus_dmamap_t;\n#endif\n",
        "sys/arch/alpha/include/bus_defs.h": "typedef struct alpha_bus_dmamap *bus_dmamap_t;\n",
        "sys/arch/amd64/include/bus_defs.h": "typedef struct x86_bus_dmamap *bus_dmamap_t;\n",
        "sys/arch/alpha/common/bus_dma.c": "#include <sys/bus.h>\n"
                                           "void d(bus_dmamap_t map) { kmem_free(map, 8); }\n",
        "sys/dev/x/x.c": "#include <sys/bus.h>\nvoid d(bus_dmamap_t map) { kmem_free(map, 8); }\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    facts, _ = scanning.scan_all(str(tmp_path), ["sys/arch/alpha/common/bus_dma.c",
                                                 "sys/dev/x/x.c"], jobs=1)
    assert [ff.sites[0].objtype for ff in facts] == ["struct alpha_bus_dmamap",
                                                     "struct x86_bus_dmamap"]


def test_a_c_files_allocator_macro_is_its_own(tmp_path):
    """subr_extent.c's user-space pool_get (an allocator macro there) is
    not a use in the files that call the kernel's pool_get; a header's
    macro is seen everywhere."""
    files = {
        "sys/kern/subr_extent.c": "#define pool_get(p, f) kmem_alloc(8, 0)\n"
                                  "void e(void) { void *x = pool_get(0, 0); }\n",
        "sys/kern/kern_cpu.c": "#include \"getbuf.h\"\n"
                               "void c(void) { void *x = pool_get(0, 0); void *y = GETBUF(4); }\n",
        "sys/kern/getbuf.h": "#define GETBUF(n) kmem_alloc((n), KM_SLEEP)\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    facts, macros = scanning.scan_all(str(tmp_path), sorted(files), jobs=1)
    uses = {ff.path: [s.macro for s in ff.sites if s.macro] for ff in facts}
    assert uses["sys/kern/subr_extent.c"] == ["pool_get"]
    assert uses["sys/kern/kern_cpu.c"] == ["GETBUF"]
    assert set(macros.for_file("sys/kern/kern_cpu.c", files["sys/kern/kern_cpu.c"])) == {"GETBUF"}


def test_a_headers_malloc_macro_is_its_includers(tmp_path):
    """radix.h's Free(p) wraps malloc(9): seen by the files of its
    directory and those that include it, not by any file that calls a
    Free of its own (a kmem(9) macro of a header is seen everywhere)."""
    files = {
        "sys/net/radix.h": "#define Free(p) free(p, M_RTABLE);\n",
        "sys/net/radix.c": "void r(char *p) { Free(p); }\n",
        "sys/kern/a.c": "#include <net/radix.h>\nvoid a(char *p) { Free(p); }\n",
        "sys/kern/b.c": "void b(char *p) { Free(p); }\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    facts, _ = scanning.scan_all(str(tmp_path), sorted(files), jobs=1)
    uses = {ff.path: [s.macro for s in ff.sites if s.macro] for ff in facts}
    assert uses == {"sys/net/radix.h": [], "sys/net/radix.c": ["Free"],
                    "sys/kern/a.c": ["Free"], "sys/kern/b.c": []}


KERNHIST = {
    "sys/sys/kernhist.h": "#include <sys/kmem.h>\n"
    "struct kern_history { int *e; };\n"
    "#define KERNHIST_INIT(NAME, N) do { \\\n"
    "\t(NAME).e = kmem_zalloc(sizeof(int) * (N), KM_SLEEP); \\\n"
    "} while (0)\n",
    "sys/arch/arm/ti/if_cpsw.c": "#include <sys/kernhist.h>\n"
    "struct kern_history cpswhist;\n"
    "void\ncpsw_attach(void)\n{\n\tKERNHIST_INIT(cpswhist, 4096);\n\tkmem_free(0, 0);\n}\n",
    "sys/kern/kern_scdebug.c": "#include <sys/kernhist.h>\n"
    "struct kern_history scdebughist;\n"
    "void\nscdebug_init(void)\n{\n#if defined(SYSCALL_DEBUG) && defined(KERNHIST)\n"
    "\tKERNHIST_INIT(scdebughist, 500);\n#endif\n}\n",
    "sys/kern/kern_other.c": "int other;\n",
}


def test_a_file_using_only_an_allocator_macro_is_found(tmp_path):
    """kern_scdebug.c allocates only through <sys/kernhist.h>'s
    KERNHIST_INIT, and mentions no allocator: it is read all the same,
    or the macro's type would be chosen from its other uses alone."""
    from k2m import tree as treemod
    for path, text in KERNHIST.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    tree = treemod.open_tree(str(tmp_path))
    targets = treemod.source_files(tree, ["sys"])
    assert "sys/kern/kern_scdebug.c" not in targets
    assert scanning.macro_users(tree, ["sys"], targets) == ["sys/kern/kern_scdebug.c"]
    assert scanning.macro_users(tree, ["sys"], ["sys/arch/arm/ti/if_cpsw.c"]) == []


def test_a_files_headers_do_not_depend_on_the_files_scanned_before(tmp_path):
    """Two headers that include each other: each file's facts and cache
    key are those it has when scanned first, whatever was scanned before
    it (a pool deals files out differently each run)."""
    from k2m.c.factcache import FactCache
    files = {"sys/sys/a.h": '#include <sys/b.h>\nstruct a { int x; };\n',
             "sys/sys/b.h": '#include <sys/a.h>\nstruct b { int y; };\n',
             "sys/dev/x.c": '#include <sys/b.h>\nvoid f(struct a *p) { kmem_free(p, 4); }\n',
             "sys/dev/y.c": '#include <sys/a.h>\nvoid g(struct b *p) { kmem_free(p, 4); }\n'}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    results = []
    for order in (["sys/dev/x.c", "sys/dev/y.c"], ["sys/dev/y.c", "sys/dev/x.c"]):
        scanning._share(str(tmp_path), cache=FactCache(str(tmp_path / "cache" / order[0][-3])))
        results.append({p: (lambda got: (got[1], repr(got[0])))(scanning._scan_one(p))
                        for p in order})
    assert results[0] == results[1]
