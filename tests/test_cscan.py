"""The scanner, table by table: declarations (cdecl), keys (keys), the
preprocessor view and allocator macros (cscan)."""
import pytest

from k2m.c import cdecl, cscan
from k2m.c.cdecl import CType

DECLS = [
    ("int i", [("i", CType("int", 0))]),
    ("struct foo *a, b[4], **c = NULL", [("a", CType("struct foo", 1)),
                                         ("b", CType("struct foo", 1)),
                                         ("c", CType("struct foo", 2))]),
    ("static const char *const names[] = { 0 }", [("names", CType("char", 2))]),
    ("struct foo_softc * const sc = device_private(self)",
     [("sc", CType("struct foo_softc", 1))]),
    ("unsigned long n, m", [("n", CType("unsigned long", 0)), ("m", CType("unsigned long", 0))]),
    ("audio_file_t *af", [("af", CType("audio_file_t", 1))]),
    ("void (*fn)(void *)", []),                     # a function pointer: no type
    ("x = y", []),                                  # an expression statement
    ("foo(bar)", []),
    ("uint8_t buf[16] __aligned(4)", [("buf", CType("uint8_t", 1))]),
    ("int flags : 3", [("flags", CType("int", 0))]),  # a bit-field
]


@pytest.mark.parametrize("text, want", DECLS)
def test_parse_declaration(text, want):
    assert cdecl.parse_declaration(text) == want


HEADER = """\
struct inner { void *mem; };
union file_data { void *fd_data; struct audio_file *fd_audioctx; };
struct file { union file_data f_undata; int f_flag; };
#define f_data f_undata.fd_data
#define f_audioctx f_undata.fd_audioctx
typedef struct audio_file audio_file_t;
typedef struct { int x; } anon_t;
struct softc {
	struct inner	sc_in;
	char		*sc_buf;
	struct usbd_xfer *sc_xfer;
	struct { int a; void *p; } sc_nested;
	union { void *u_p; long u_l; };
};
extern struct softc *the_softc;
static char *scratch;
struct usbd_xfer *get_xfer(int);
"""

KEYS = [
    # (expression, key, object type)
    ("sc->sc_buf", "m:struct softc.sc_buf", None),
    ("sc->sc_xfer", "t:struct usbd_xfer@m:struct softc.sc_xfer", "struct usbd_xfer"),
    ("fp->f_data", "m:union file_data.fd_data", None),          # a member alias
    ("fp->f_audioctx", "t:struct audio_file@m:union file_data.fd_audioctx",
     "struct audio_file"),
    ("af", "t:struct audio_file", "struct audio_file"),         # through the typedef
    ("sc->sc_in.mem", "m:struct inner.mem", None),
    ("sc->u_p", "m:struct softc.u_p", None),                    # an anonymous union
    ("sc->sc_nested.p", "m:struct softc::sc_nested.p", None),
    ("the_softc", "t:struct softc@g:the_softc", "struct softc"),
    ("scratch", "v:sys/dev/x/x.c:scratch", None),               # static: this file's
    ("buf", "v:sys/dev/x/x.c:f:buf", None),                     # a local
    ("(struct inner *)buf", "v:sys/dev/x/x.c:f:buf", "struct inner"),   # a cast says
    ("__UNCONST(sc->sc_buf)", "m:struct softc.sc_buf", None),
    ("unknown->member", "f:sys/dev/x:member", None),            # the fallback
    ("get_xfer(1)", "t:struct usbd_xfer", "struct usbd_xfer"),
]


@pytest.fixture(scope="module")
def keys():
    code = cscan.code_view(HEADER)
    own = cdecl.file_decls(code.code, [])
    own.aliases = cdecl.member_aliases(code.stripped)
    fn = cscan.scan("void f(struct softc *sc, struct file *fp, audio_file_t *af)\n"
                    "{\n\tchar *buf;\n}\n", "sys/dev/x/x.c").functions[0]
    fn.types.update({"sc": CType("struct softc", 1), "fp": CType("struct file", 1),
                     "af": CType("audio_file_t", 1), "buf": CType("char", 1)})
    from k2m.c.keys import Keys
    return Keys("sys/dev/x/x.c", cdecl.TypeEnv(own, [])), fn


@pytest.mark.parametrize("expr, key, objtype", KEYS)
def test_keys(keys, expr, key, objtype):
    k, fn = keys
    pl = k.place(expr, fn)
    assert (str(pl.key), pl.objtype) == (key, objtype)


SIZES = [
    ("sizeof(*sc)", ("sizeof<struct softc>",)),
    ("sizeof(struct softc)", ("sizeof<struct softc>",)),
    ("n * sizeof(*sc->sc_xfer)", ("n", "sizeof<struct usbd_xfer>")),
    ("(sizeof(sc->sc_buf[0]) * sc->sc_n)", ("sc->sc_n", "sizeof<char>")),
    ("strlen(p) + 1", None),
]


@pytest.mark.parametrize("size, factors", SIZES)
def test_size_factors(keys, size, factors):
    k, fn = keys
    assert k.size_factors(size, fn) == factors


def test_preprocessor_view_and_sites():
    text = ("#if 0\nvoid a(void) { p = kmem_alloc(1, KM_SLEEP); }\n#endif\n"
            "#define\tGET(n)\tkmem_alloc((n), KM_SLEEP)\n"
            "#define kmem_free(p, s) free(p)\n"              # a macro of that name: no call
            "#define\t\\\nkmem_alloc(s, f)\tmalloc(s)\n"      # subr_extent.c's spelling of it
            "void b(void)\n{\n\tq = GET(4);\n\tkmem_free(q, 4);\n}\n")
    ff = cscan.scan(text, "sys/dev/x/y.c", cscan.alloc_macros(text))
    got = [(s.line, s.callee, s.context, s.define, s.macro, s.scope) for s in ff.sites]
    assert got == [
        (2, "kmem_alloc", "if0", None, None, "in a"),
        (4, "kmem_alloc", "macro", "GET", None, "in #define GET"),
        (11, "kmem_free", "code", None, None, "in b"),
        (10, "kmem_alloc", "code", None, "GET", "in b"),     # a use of the macro
    ]
    assert cscan.alloc_macros(text) == {"GET": ("kmem_alloc", -1, ("n",), "(n)", "", None)}


def test_line_index_counts_newlines_only():
    text = "a\n\fb\nc"              # a form feed is no line break
    li = cscan.LineIndex(text)
    assert [li.line(text.index(c)) for c in "abc"] == [1, 2, 3]


def test_defined_names_say_which_parameters_take_pointers():
    text = ("int\nfoo(int a, void (*fn)(void *), char *b, size_t n, device_t d)\n{\n}\n"
            "static void\nbar(void)\n{\n}\n")
    assert cscan.defined_names(text) == {"foo": (False, True, True, False, True),
                                         "bar": (True,)}


def test_a_macro_use_frees_what_its_definition_frees():
    """FINI(sc) frees (sc)->sc_big: the use's key is that member's, and the
    size is the one the use passes; EBH-style DESTROY(head, type) frees a
    local of its own, memory of the type its use names."""
    text = ("struct big { int b; };\nstruct s { struct big *sc_big; int sc_n; };\n"
            "#define FINI(sc, n) kmem_free((sc)->sc_big, (n) * sizeof(struct big))\n"
            "#define DESTROY(head, type) { type *v = head; kmem_free(v, sizeof(type)); }\n"
            "void f(struct s *sc, void *h)\n{\n\tFINI(sc, sc->sc_n);\n"
            "\tDESTROY(h, struct big);\n}\n")
    ff = cscan.scan(text, "sys/dev/x/y.c", cscan.alloc_macros(text))
    uses = {s.macro: s for s in ff.sites if s.macro}
    assert str(uses["FINI"].key) == "t:struct big@m:struct s.sc_big"
    assert uses["FINI"].anchor == "(sc)->sc_big"
    assert uses["FINI"].size_factors == ("sc->sc_n", "sizeof<struct big>")
    assert str(uses["DESTROY"].key) == "t:struct big" and uses["DESTROY"].objtype == "struct big"


def test_a_macro_use_allocates_into_the_argument_its_definition_assigns():
    """ipf's KMALLOC(a, t) is `(a) = (t)kmem_alloc(sizeof(*(a)), ...)`:
    its use allocates into its first argument (the place KFREE's use frees
    from), not an expression we cannot name.  (Unplaced, ip_sync.c looked
    like a unit freeing synclist_t it never allocates, and took vfs_subr.c's
    synclist_t for its own.)"""
    text = ("struct sl { int x; };\nstruct softc { struct sl *s_tab; };\n"
            "#define KMALLOC(a, t) (a) = (t)kmem_alloc(sizeof(*(a)), KM_NOSLEEP)\n"
            "#define KMALLOCS(a, t, s) a = (t)kmem_alloc((s), KM_NOSLEEP)\n"
            "#define KFREE(x) kmem_free((char *)(x), sizeof(*(x)))\n"
            "void f(struct softc *sc)\n{\n\tstruct sl *sl;\n\n\tKMALLOC(sl, struct sl *);\n"
            "\tKMALLOCS(sc->s_tab, struct sl *, 8);\n\tKFREE(sl);\n}\n")
    macros = cscan.alloc_macros(text)
    assert macros["KMALLOC"].ptr == "a" and macros["KMALLOCS"].ptr == "a"
    ff = cscan.scan(text, "sys/external/bsd/ipf/netinet/ip_sync.c", macros)
    uses = {s.macro: s for s in ff.sites if s.macro}
    assert str(uses["KMALLOC"].key) == "t:struct sl" == str(uses["KFREE"].key)
    assert uses["KMALLOC"].key is uses["KFREE"].key     # one Key of each value
    assert uses["KMALLOC"].anchor == "sl"
    assert str(uses["KMALLOCS"].key) == "t:struct sl@m:struct softc.s_tab"


def test_a_function_named_by_a_macro_is_a_function():
    """ELFNAMEEND(real_coredump)(struct lwp *l, ...) { ... } (core_elf32.c,
    compat/linux's ELFNAME2(linux,copyargs)): its calls are inside a
    function, not at file scope."""
    text = ("int\nELFNAMEEND(real_coredump)(struct lwp *l, void *c)\n{\n"
            "\tp = kmem_alloc(4, KM_SLEEP);\n}\n"
            "int\nELFNAME2(linux,copyargs)(struct lwp *l)\n{\n\tq = kmem_alloc(4, KM_SLEEP);\n}\n"
            "static int\nfoo(int a)\n{\n\tif (x) (void)bar(a);\n}\n")
    ff = cscan.scan(text, "sys/kern/core_elf32.c", {})
    assert [(f.name, f.params) for f in ff.functions] == [
        ("ELFNAMEEND(real_coredump)", ["l", "c"]), ("ELFNAME2(linux,copyargs)", ["l"]),
        ("foo", ["a"])]
    assert [s.scope for s in ff.sites] == ["in ELFNAMEEND(real_coredump)",
                                           "in ELFNAME2(linux,copyargs)"]


def test_braces_follow_one_branch_of_a_conditional():
    """sparc64's fdc.c opens one block in two branches (#ifdef SUN4 ... {
    #elif SUN4U ... { #endif): counted twice, every later function was
    one function's body.  The first branch not under #if 0 gives the
    braces; a balanced branch keeps its own; calls in every branch stay
    sites."""
    text = ("int\na(void)\n{\n#ifdef SUN4\n\tif (x(1) == 0) {\n#elif SUN4U\n"
            "\tif (y(1) == 0) {\n#endif\n\t\tp = kmem_alloc(4, KM_SLEEP);\n\t}\n}\n"
            "int\nb(void)\n{\n#if 0\n\tif (old) {\n#else\n\tif (new) {\n#endif\n"
            "\t\tq = kmem_alloc(8, KM_SLEEP);\n\t}\n#ifdef A\n\t{ int z; }\n#else\n"
            "\t{ int w; }\n#endif\n}\n"
            "int\nc(void)\n{\n\tr = kmem_alloc(2, KM_SLEEP);\n}\n")
    ff = cscan.scan(text, "sys/arch/sparc64/dev/fdc.c", {})
    assert [f.name for f in ff.functions] == ["a", "b", "c"]
    assert [s.scope for s in ff.sites] == ["in a", "in b", "in c"]
    view = cscan._preprocess(cscan.strip(text))[0]
    assert "{ int w; }" in view                     # balanced: kept
    assert "if (y(1) == 0)  " in view and "if (old)  " in view


def test_an_interior_pointer_is_the_allocation_only_at_its_start():
    """&m->base (the first member: msm6258.c's filter) hands out m's
    memory; &unp->unp_ec.ec_if (usbnet's ifnet, inside its private data)
    and &m->z point into the middle: nothing frees them, no link."""
    text = ("struct ifnet { int if_x; };\nstruct ethercom { struct ifnet ec_if; int ec_y; };\n"
            "struct unp { int unp_lock; struct ethercom unp_ec; };\n"
            "struct mf { struct ifnet base; int z; };\n"
            "void *a(struct unp *unp) { return &unp->unp_ec.ec_if; }\n"
            "void *b(struct mf *m) { return &m->base; }\n"
            "void *c(struct mf *m) { return &m->z; }\n"
            "void *d(struct mf *m) { return &m[0].base; }\n")
    ff = cscan.scan(text, "sys/dev/x/y.c", {})
    assert sorted((str(a), str(b)) for a, b in ff.links) == [
        ("r:sys/dev/x/y.c:b", "t:struct mf"), ("r:sys/dev/x/y.c:d", "t:struct mf")]


def test_an_assignment_inside_brackets_ends_at_their_close():
    """`(ipb = pathbuf_create(nfs_pub.np_index)) != NULL` stores what the
    call returns: np_index does not flow into ipb (nfs_export.c's index
    name had joined every struct pathbuf, vfs_lookup.c's M_VFS among
    them); `(p = q) != NULL` still links p and q."""
    text = ("struct pathbuf;\nstruct np { char *np_index; };\nextern struct np pub;\n"
            "struct pathbuf *pathbuf_create(const char *);\n"
            "void a(int x) { struct pathbuf *ipb;\n"
            "\tif (x && pub.np_index != NULL && (ipb = pathbuf_create(pub.np_index)) != NULL)"
            " g(ipb); }\n"
            "void b(char *q) { char *p; if ((p = q) != NULL) g(p); }\n")
    ff = cscan.scan(text, "sys/nfs/y.c", {})
    assert sorted({(str(a), str(b)) for a, b in ff.links}) == [
        ("t:struct pathbuf", "t:struct pathbuf"),
        ("v:sys/nfs/y.c:b:p", "v:sys/nfs/y.c:b:q")]


def test_another_systems_code_is_never_compiled():
    """#ifdef __FreeBSD__ (dccp_usrreq.c's dccp_pcblist), #if
    defined(__OpenBSD__), #ifndef __NetBSD__ (aic7xxx.c's free of
    ahc->name), #if __FreeBSD_version >= N: code NetBSD never compiles, as
    under #if 0; their #else is NetBSD's.  So is a branch after one NetBSD
    always takes (pdqvar.h's #elif defined(DLPI_PDQ), SVR4's kmem)."""
    text = ("#ifdef __FreeBSD__\nvoid a(void) { free(x, M_TEMP); }\n#else\n"
            "void b(void) { free(y, M_TEMP); }\n#endif\n"
            "#if defined(__OpenBSD__)\nvoid c(void) { free(z, M_TEMP); }\n#endif\n"
            "#ifndef __NetBSD__\nvoid d(void) { free(w, M_TEMP); }\n#endif\n"
            "#if __FreeBSD_version >= 500000\nvoid e(void) { free(v, M_TEMP); }\n#endif\n"
            "#ifdef __NetBSD__\nvoid f(void) { free(u, M_TEMP); }\n#endif\n"
            "#if defined(__FreeBSD__) || defined(__NetBSD__)\nvoid g(void) { free(t, M_TEMP); }\n"
            "#elif defined(DLPI_PDQ)\nvoid h(void) { free(s, M_TEMP); }\n"
            "#else\nvoid i(void) { free(r, M_TEMP); }\n#endif\n")
    ff = cscan.scan(text, "sys/dev/x/y.c", {})
    assert [(s.anchor, s.context) for s in ff.sites] == [
        ("x", cscan.Context.IF0), ("y", cscan.Context.CODE), ("z", cscan.Context.IF0),
        ("w", cscan.Context.IF0), ("v", cscan.Context.IF0), ("u", cscan.Context.CODE),
        ("t", cscan.Context.CODE), ("s", cscan.Context.IF0), ("r", cscan.Context.IF0)]


def test_malloc_wrapper_macros_are_allocator_macros():
    """pf's rs_malloc/rs_free wrap malloc(9) (a user-space twin calls
    libc's malloc(x): not one); udf's MPFREE(a, lst) takes the type as a
    parameter, which each use names (a type made of a parameter is none
    a use names: not followed)."""
    text = ("#ifdef _KERNEL\n#define rs_malloc(x) malloc(x, M_TEMP, M_WAITOK)\n"
            "#define rs_free(x) free(x, M_TEMP)\n#else\n#define rs_malloc(x) malloc(x)\n"
            "#define rs_free(x) free(x)\n#endif\n"
            "#define MPFREE(a, lst) if ((a)) free((a), lst);\n"
            "#define TFREE(a, t) free((a), M_##t)\n"
            "void f(char *p)\n{\n\tMPFREE(p, M_TEMP);\n}\n")
    macros = cscan.alloc_macros(text)
    assert macros == {"rs_malloc": ("malloc", -1, ("x",), "x", "", None),
                      "rs_free": ("free", 0, ("x",), "", "x", None),
                      "MPFREE": ("free", 0, ("a", "lst"), "", "(a)", 1)}
    assert cscan.redefined_macros(text) == set()       # libc's twin is none
    assert cscan.redefined_macros(text + "#define rs_free(x) free(x, M_PF)\n") == {"rs_free"}
    use, = [s for s in cscan.scan(text, "sys/fs/udf/u.c", macros).sites if s.macro]
    assert (use.type_arg, use.anchor) == (1, "(p)") and use.args[1] == "M_TEMP"
