"""Pairing, case by case: small trees, each site named by a /* @NAME */
comment on its line, and what must be converted together or kept.

Each case is converted alone (scan, pair, decide: no spatch), with every
file of the case under the converted paths unless it is listed in
`outside`.  `want` maps a site to "C" (converted) or "K" (kept)."""
import re

import pytest

from k2m import pairing, tree as treemod
from k2m.c import scanning

FILE_H = """\
struct fileops;
union file_data {
	void *fd_data;
	struct baz_inst *fd_baz;
};
struct file {
	union file_data f_undata;
	int f_flag;
};
#define	f_data	f_undata.fd_data
#define	f_baz	f_undata.fd_baz
int fd_clone(struct file *, int, int, const struct fileops *, void *);
"""

KERN_DESCRIP = """\
#include <sys/file.h>
int
fd_clone(struct file *fp, int fd, int flag, const struct fileops *fops, void *data)
{
	fp->f_data = data;
	return 0;
}
"""


def fd_driver(name, flags="KM_SLEEP", free_via="f_data", tag=""):
    """A driver in the fd_clone pattern: open allocates its instance and
    hands it to fd_clone() (stored in f_data), close reads it back into a
    local of its own type and frees it."""
    return f"""\
#include <sys/kmem.h>
#include <sys/file.h>
struct {name}_inst {{ int i_x; }};
static int
{name}_close(struct file *fp)
{{
	struct {name}_inst *ip = fp->{free_via};

	kmem_free(ip, sizeof(*ip));	/* @{tag}free */
	return 0;
}}
int
{name}open(struct file *fp, int fd, int flags)
{{
	struct {name}_inst *ip;

	ip = kmem_alloc(sizeof(*ip), {flags});	/* @{tag}alloc */
	return fd_clone(fp, fd, 0, 0, ip);
}}
"""


RAW_CB = {
    "sys/sys/socketvar.h": "struct socket { void *so_pcb; int so_state; };\n",
    "sys/net/raw_cb.h": """\
struct socket;
struct rawcb { struct socket *rcb_socket; unsigned long rcb_len; };
#define	sotorawcb(so)	((struct rawcb *)(so)->so_pcb)
void raw_detach(struct socket *);
""",
    "sys/net/raw_cb.c": """\
#include <sys/kmem.h>
#include <sys/socketvar.h>
#include <net/raw_cb.h>
void
raw_detach(struct socket *so)
{
	struct rawcb *rp = sotorawcb(so);
	const unsigned long rcb_len = rp->rcb_len;

	so->so_pcb = NULL;
	kmem_free(rp, rcb_len);	/* @raw_free */
}
""",
    "sys/netipsec/keysock.c": """\
#include <sys/kmem.h>
#include <sys/socketvar.h>
#include <net/raw_cb.h>
struct keycb { struct rawcb kp_raw; int kp_registered; };
int raw_attach(struct socket *);
static int
key_attach(struct socket *so)
{
	struct keycb *kp;

	kp = kmem_zalloc(sizeof(*kp), KM_SLEEP);	/* @key_alloc */
	kp->kp_raw.rcb_len = sizeof(*kp);
	so->so_pcb = kp;
	if (raw_attach(so) != 0) {
		kmem_free(kp, sizeof(*kp));	/* @key_free */
		so->so_pcb = NULL;
		return 1;
	}
	return 0;
}
static void
key_detach(struct socket *so)
{
	raw_detach(so);
}
""",
}


def port_fd(port, flags="KM_SLEEP", tag="", own_fdformat=True):
    """A port's floppy driver: formats through a struct buf's b_data, with
    a function fdformat() of its own, or one it only declares (another
    port's is not the one it calls)."""
    fdformat = """\
int
fdformat(struct buf *bp, struct fd_formb *finfo)
{
	bp->b_data = finfo;
	return 0;
}
""" if own_fdformat else ""
    return f"""\
#include <sys/kmem.h>
struct fd_formb {{ int fd_x; }};
struct buf {{ void *b_data; }};
int fdformat(struct buf *, struct fd_formb *);
{fdformat}void
fdstate(struct buf *bp)
{{
	struct fd_formb *finfo = bp->b_data;

	kmem_free(finfo, sizeof(*finfo));	/* @{tag}free */
}}
int
fdioctl(struct buf *bp)
{{
	struct fd_formb *fd_formb = kmem_alloc(sizeof(*fd_formb), {flags});	/* @{tag}alloc */

	return fdformat(bp, fd_formb);
}}
"""


CASES = {
    # the fd_clone pattern: the instance's type ties open to close, f_data
    # does not tie two drivers together; bar keeps its pair for a real
    # reason (flags not translated), foo converts both halves
    "fd_clone": dict(
        files={"sys/sys/file.h": FILE_H, "sys/kern/kern_descrip.c": KERN_DESCRIP,
               "sys/dev/foo/foo.c": fd_driver("foo", tag="foo_"),
               "sys/dev/bar/bar.c": fd_driver("bar", flags="how", tag="bar_")},
        want={"foo_alloc": "C", "foo_free": "C", "bar_alloc": "K", "bar_free": "K"}),
    # one driver hangs two kinds of instance on f_data, a handle of its
    # own: each is freed as its type, so the kept one does not keep the other
    "two_types_one_member": dict(
        files={"sys/dev/w/w.c": """\
#include <sys/kmem.h>
struct w_a { int a; };
struct w_b { int b; };
struct w_handle { void *h_data; };
void w_open_a(struct w_handle *h) { struct w_a *a = kmem_alloc(sizeof(*a), KM_SLEEP); h->h_data = a; }	/* @a_alloc */
void w_open_b(struct w_handle *h, int how) { struct w_b *b = kmem_alloc(sizeof(*b), how); h->h_data = b; }	/* @b_alloc */
void w_close_a(struct w_handle *h) { struct w_a *a = h->h_data; kmem_free(a, sizeof(*a)); }	/* @a_free */
void w_close_b(struct w_handle *h) { struct w_b *b = h->h_data; kmem_free(b, sizeof(*b)); }	/* @b_free */
"""}, want={"a_alloc": "C", "a_free": "C", "b_alloc": "K", "b_free": "K"}),  # noqa: E501
    # memory whose first member is a struct another unit frees as that
    # struct (NetBSD-current's netipsec/keysock.c: a struct keycb, stored
    # into so_pcb, freed by net/raw_cb.c's raw_detach() as a struct
    # rawcb): the other unit's free is its free too; with raw_cb.c not
    # converted, keysock.c's pair stays kmem (a checker found the
    # allocation converted, raw_detach() kept)
    "base_struct": dict(
        files=RAW_CB, outside=("sys/net/raw_cb.c",),
        want={"key_alloc": "K", "key_free": "K"}),
    "base_struct_inside": dict(
        files=RAW_CB, want={"key_alloc": "C", "key_free": "C", "raw_free": "C"}),
    # one driver of two ports (every floppy port's fd.c is fdc): no kernel
    # has both, so one port's kept pair does not keep the other's, through
    # their type, their b_data or a function of the same name
    "two_ports": dict(
        files={"sys/arch/pa/conf/files.pa": "file arch/pa/dev/fd.c fdc\n",
               "sys/arch/pb/conf/files.pb": "file arch/pb/dev/fd.c fdc\n",
               "sys/arch/pa/dev/fd.c": port_fd("pa", tag="a_"),
               "sys/arch/pb/dev/fd.c": port_fd("pb", flags="how", tag="b_")},
        want={"a_alloc": "C", "a_free": "C", "b_alloc": "K", "b_free": "K"}),
    # a static function is its own file's: another file's call of that
    # name is not a call of it
    "static_function_of_another_file": dict(
        files={"sys/dev/a/fd.c": port_fd("pa", tag="a_").replace(
                   "int\nfdformat(", "static int\nfdformat("),
               "sys/dev/b/fd.c": port_fd("pb", flags="how", tag="b_",
                                         own_fdformat=False)},
        want={"a_alloc": "C", "a_free": "C", "b_alloc": "K", "b_free": "K"}),
    # a filter handed out through its first member (&this->base) and freed
    # as that member's type with the container's size (7.99's msm6258.c):
    # one pair, converted together (a checker found the allocation converted
    # and the free kept)
    "interior_pointer": dict(
        files={"sys/dev/m/m.c": """\
#include <sys/kmem.h>
struct filter { void (*dtor)(struct filter *); };
struct codec { struct filter base; int state; };
static void
codec_dtor(struct filter *this)
{
	kmem_free(this, sizeof(struct codec));	/* @free */
}
struct filter *
codec_factory(void)
{
	struct codec *this;

	this = kmem_alloc(sizeof(struct codec), KM_SLEEP);	/* @alloc */
	this->base.dtor = codec_dtor;
	return &this->base;
}
"""}, want={"alloc": "C", "free": "C"}),
    # a member of the same union (audio's f_audioctx): freed through the
    # typed member, allocated into f_data: the type decides
    "union_member": dict(
        files={"sys/sys/file.h": FILE_H, "sys/kern/kern_descrip.c": KERN_DESCRIP,
               "sys/dev/baz/baz.c": fd_driver("baz", flags="how", free_via="f_baz",
                                              tag="baz_")},
        want={"baz_alloc": "K", "baz_free": "K"}),
    # memory released in a file outside the converted paths stays kmem
    "outside": dict(
        files={"sys/dev/qux/qux.c": """\
#include <sys/kmem.h>
struct qux_softc { char *sc_buf; };
void thing_release(char *, int);
void
qux_attach(struct qux_softc *sc)
{
	sc->sc_buf = kmem_alloc(64, KM_SLEEP);	/* @alloc */
	thing_release(sc->sc_buf, 64);
}
""", "sys/kern/subr_thing.c": """\
#include <sys/kmem.h>
void
thing_release(char *p, int n)
{
	kmem_free(p, n);	/* @kern_free */
}
"""}, outside=["sys/kern/subr_thing.c"], want={"alloc": "K"}),
    # two drivers' members of the same name are not one place
    "same_member_name": dict(
        files={"sys/dev/a/a.c": """\
#include <sys/kmem.h>
struct a_softc { void *sc_subdevs; };
void a_attach(struct a_softc *sc) { sc->sc_subdevs = kmem_alloc(8, flags); }	/* @a_alloc */
void a_detach(struct a_softc *sc) { kmem_free(sc->sc_subdevs, 8); }	/* @a_free */
""", "sys/dev/a/b.c": """\
#include <sys/kmem.h>
struct b_softc { void *sc_subdevs; };
void b_attach(struct b_softc *sc) { sc->sc_subdevs = kmem_alloc(8, KM_SLEEP); }	/* @b_alloc */
void b_detach(struct b_softc *sc) { kmem_free(sc->sc_subdevs, 8); }	/* @b_free */
"""}, want={"a_alloc": "K", "a_free": "K", "b_alloc": "C", "b_free": "C"}),
    # a free no allocation reaches: kept when nothing in its driver can be
    # its memory's; with the driver's only lonely allocation, together
    "unpaired": dict(
        files={"sys/dev/u/u.c": """\
#include <sys/kmem.h>
void *u_get(void) { return kmem_alloc(32, KM_SLEEP); }	/* @get */
void u_put(void *p) { kmem_free(p, 32); }	/* @put */
""", "sys/dev/v/v.c": """\
#include <sys/kmem.h>
void v_put(void *p) { kmem_free(p, 32); }	/* @orphan */
"""}, want={"get": "C", "put": "C", "orphan": "K"}),
    # kmem_free(p, n) of kmem_zalloc(n * sizeof(*p)): a bug in the input,
    # reported, the pair converted with the size as written (apple_smc_temp.c)
    "size_mismatch": dict(
        files={"sys/dev/s/s.c": """\
#include <sys/kmem.h>
struct s_sensor { int x; };
struct s_softc { struct s_sensor *sc_sensors; int sc_n; };
void
s_attach(struct s_softc *sc)
{
	sc->sc_sensors = kmem_zalloc(sc->sc_n * sizeof(*sc->sc_sensors), KM_SLEEP);	/* @alloc */
	if (sc->sc_n == 1) {
		kmem_free(sc->sc_sensors, sc->sc_n);	/* @bad */
		return;
	}
	kmem_free(sc->sc_sensors, sizeof(sc->sc_sensors[0]) * sc->sc_n);	/* @good */
}
"""}, want={"alloc": "C", "bad": "C", "good": "C"}, finding=("size-mismatch", "bad")),
    # a kmem_free of another interface (bktr's FreeBSD branch:
    # kmem_free(kernel_map, addr, size)) is kept, and holds nothing back:
    # the struct vm_map uvm allocates and frees with kmem(9) converts
    # an allocator wrapper in a header, returning one of two calls
    # (autofs.h's autofs_strndup()): its memory is what the caller frees,
    # so a wrapper that stays kmem keeps the caller's free kmem too (the
    # free was converted alone: a mixed pair no check of ours saw)
    "wrapper_ternary": dict(
        files={"sys/fs/autofs/autofs.h": """\
static __inline char *
autofs_strndup(const char *name, int nlen, int fl)
{
	return nlen > 0 ? kmem_strndup(name, nlen, fl) : kmem_strdup(name, fl);	/* @alloc */
}
""", "sys/fs/autofs/autofs.c": """\
#include <sys/kmem.h>
#include "autofs.h"
int
autofs_lookup(const char *c, int n)
{
	char *key;

	if (n == 0)
		key = kmem_strdup(c, KM_SLEEP);	/* @own */
	else
		key = autofs_strndup(c, n, KM_SLEEP);
	kmem_strfree(key);	/* @free */
	return 0;
}
"""}, want={"alloc": "K", "own": "K", "free": "K"}),
    "foreign_arity": dict(
        files={"sys/uvm/uvm_m.c": """\
#include <sys/kmem.h>
struct vm_map { int x; };
struct vm_map *
m_create(void)
{
	return kmem_alloc(sizeof(struct vm_map), KM_SLEEP);	/* @alloc */
}
void
m_destroy(struct vm_map *m)
{
	kmem_free(m, sizeof(*m));	/* @free */
}
""", "sys/dev/pci/b/b.c": """\
#include <sys/kmem.h>
struct vm_map;
extern struct vm_map *kernel_map;
void
b_ioctl(char *buf, int n)
{
	kmem_free(kernel_map, buf, n);	/* @bsd */
}
"""}, want={"alloc": "C", "free": "C", "bsd": "K"}, reason=("bsd", "3 arguments is not kmem(9)")),
    # a file that implements kmem(9) is not a caller
    "allocator": dict(
        files={"sys/kern/subr_kmem.c": """\
void *kmem_intr_alloc(unsigned long, int);
void *
kmem_alloc(unsigned long size, int flags)
{
	return kmem_intr_alloc(size, flags);	/* @impl */
}
"""}, want={"impl": "K"}, reason=("impl", "allocator implementation")),
    # a static function of an allocator's name is the file's own (i915's
    # pool_init): the file is a caller like any other
    "static_namesake": dict(
        files={"sys/external/bsd/drm2/i915/gpu_error.c": """\
#include <sys/kmem.h>
struct pv { int n; };
static int pool_init(struct pv *pv) { return pv->n; }
struct pv *c_new(void) { return kmem_zalloc(sizeof(struct pv), KM_SLEEP); }	/* @alloc */
void c_free(struct pv *pv) { kmem_free(pv, sizeof(*pv)); }	/* @free */
"""}, want={"alloc": "C", "free": "C"}),
    # a free of a type nothing allocates (pmax's bus_dma.c frees a struct
    # mips_bus_dmamap it allocated as a struct pmax_bus_dmamap, through a
    # void *): joined with its file's allocations, never split from them
    "free_of_another_type": dict(
        files={"sys/arch/p/p/bus_dma.c": """\
#include <sys/kmem.h>
struct mips_map { int m; };
struct p_map { int p; };
int mk(struct p_map **mp) { void *store = kmem_zalloc(64, KM_SLEEP); *mp = store; return 0; }	/* @alloc */
void rm(struct mips_map *map) { kmem_free(map, 64); }	/* @free */
"""}, want={"alloc": "C", "free": "C"}),  # noqa: E501
    # a kmem function defined as a macro in kmem's header is kmem's, and
    # its callers call kmem_strdup, not a macro of theirs
    "allocator_macro": dict(
        files={"sys/sys/kmem.h": """\
#define	kmem_strdup(s, f)	kmem_strdupsize((s), NULL, (f))	/* @def */
""", "sys/dev/n/n.c": """\
#include <sys/kmem.h>
struct n_softc { char *sc_name; };
void n_attach(struct n_softc *sc) { sc->sc_name = kmem_strdup("n0", KM_SLEEP); }	/* @dup */
void n_detach(struct n_softc *sc) { kmem_strfree(sc->sc_name); }	/* @free */
"""}, want={"def": "K", "dup": "C", "free": "C"}, reason=("def", "allocator implementation")),
    # memory a kern subsystem only passes through (config_attach_pseudo /
    # device_cfdata) goes back to the driver it came from: two drivers'
    # cfdata are not one pair, so one kept does not keep the other
    "transit": dict(
        files={"sys/sys/device.h": "struct cfdata { int cf_x; };\n"
                                   "struct device { struct cfdata *dv_cfdata; };\n",
               "sys/kern/subr_autoconf.c": """\
#include <sys/device.h>
struct device *
config_attach_pseudo(struct cfdata *cf)
{
	static struct device d;
	d.dv_cfdata = cf;
	return &d;
}
struct cfdata *
device_cfdata(struct device *dev)
{
	return dev->dv_cfdata;
}
""", "sys/dev/c/c.c": """\
#include <sys/kmem.h>
#include <sys/device.h>
void c_spawn(void) { struct cfdata *cf = kmem_alloc(sizeof(*cf), KM_SLEEP); config_attach_pseudo(cf); }	/* @c_alloc */
void c_destroy(struct device *dv) { struct cfdata *cf = device_cfdata(dv); kmem_free(cf, sizeof(*cf)); }	/* @c_free */
""", "sys/dev/d/d.c": """\
#include <sys/kmem.h>
#include <sys/device.h>
void d_spawn(int how) { struct cfdata *cf = kmem_alloc(sizeof(*cf), how); config_attach_pseudo(cf); }	/* @d_alloc */
void d_destroy(struct device *dv) { struct cfdata *cf = device_cfdata(dv); kmem_free(cf, sizeof(*cf)); }	/* @d_free */
"""}, want={"c_alloc": "C", "c_free": "C", "d_alloc": "K", "d_free": "K"}),  # noqa: E501
    # user-space stand-ins in a macro body, used nowhere in the kernel
    # (subr_extent.c's pool_get/pool_put): kept, alone; the file's own
    # pairs are not guessed to be their memory
    "macro_body_alone": dict(
        files={"sys/kern/subr_ext.c": """\
#include <sys/kmem.h>
#define	\\
pool_get(pool, flags)	kmem_alloc((pool)->pr_size,0)	/* @get */
#define	\\
pool_put(pool, rp)	kmem_free(rp,0)	/* @put */
struct extent { int e; };
struct extent *e_create(void) { return kmem_alloc(sizeof(struct extent), KM_SLEEP); }	/* @create */
void e_destroy(struct extent *ex) { kmem_free(ex, sizeof(struct extent)); }	/* @destroy */
"""}, want={"get": "K", "put": "K", "create": "C", "destroy": "C"}),
    # a macro that frees a local of its own, of the type its caller names
    # (chfs's EBH_TREE_DESTROY): at each use, memory of that type; the
    # memory of a type the macro is never used with is not its (leb, kept
    # for its flags, does not keep the others)
    "macro_frees_a_type": dict(
        files={"sys/ufs/e/ebh_misc.h": """\
#define EBH_QUEUE_DESTROY(head, type)			\\
	{						\\
		type *var;				\\
		while ((var = TAILQ_FIRST(head))) {	\\
			TAILQ_REMOVE(head, var, e);	\\
			kmem_free(var, sizeof(type));	/* @def */ \\
		}					\\
	}
""", "sys/ufs/e/ebh.c": """\
#include <sys/kmem.h>
#include "ebh_misc.h"
struct peb { int x; };
struct leb { int y; };
struct ebh { struct peb *ebh_p; struct leb *ebh_l; };
void e_add(struct ebh *e) { e->ebh_p = kmem_alloc(sizeof(struct peb), KM_SLEEP); }	/* @peb */
void e_fini(struct ebh *e) { EBH_QUEUE_DESTROY(&e->q, struct peb); }
void e_addl(struct ebh *e, int how) { e->ebh_l = kmem_alloc(sizeof(struct leb), how); }	/* @leb */
void e_forget(struct ebh *e) { e->ebh_l = NULL; }
"""}, want={"def": "C", "peb": "C", "leb": "K"}),
}

MARK = re.compile(r"/\* @(\w+) \*/")


def write_tree(tmp_path, files):
    """files ({path: text}) written under tmp_path/tree; the Tree."""
    root = tmp_path / "tree"
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return treemod.open_tree(str(root))


def pairs_of(tmp_path, files, owner=None):
    """The tree of files and its pairs, each file's owner its unit (or owner(path))."""
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    return tree, pairing.pair(facts, [], owner or tree.unit_of, tree.kernels)


def plan_of(tmp_path, case):
    tree = write_tree(tmp_path, case["files"])
    files = sorted(case["files"])
    targets = set(files) - set(case.get("outside", ()))
    facts, _ = scanning.scan_all(tree.root, files, jobs=1)
    pairs = pairing.pair(facts, tree.clusters(files), tree.unit_of)
    plan = pairing.decide(pairs, targets, lambda p: "M_T")
    marks = {}
    for path, text in case["files"].items():
        for n, line in enumerate(text.split("\n"), 1):
            for m in MARK.finditer(line):
                marks[m.group(1)] = (path, n)
    return plan, marks


@pytest.mark.parametrize("name", sorted(CASES))
def test_pairing_case(tmp_path, name):
    case = CASES[name]
    plan, marks = plan_of(tmp_path, case)
    got = {}
    for d in plan.decisions:
        for mark, where in marks.items():
            if (d.site.path, d.site.line) == where:
                got[mark] = "C" if d.tag else "K"
    assert got == case["want"], [(d.site.where, d.tag or d.reason) for d in plan.decisions]
    if "finding" in case:
        kind, mark = case["finding"]
        assert any(f.kind == kind and (f.path, f.line) == marks[mark] for f in plan.findings)
    if "reason" in case:
        mark, words = case["reason"]
        d = next(d for d in plan.decisions if (d.site.path, d.site.line) == marks[mark])
        assert words in d.reason


def test_size_mismatch_kept_when_asked(tmp_path):
    """convert --keep-size-mismatch: the whole pair stays kmem, each site
    saying why, and the finding is there all the same."""
    case = CASES["size_mismatch"]
    tree = write_tree(tmp_path, case["files"])
    facts, _ = scanning.scan_all(tree.root, sorted(case["files"]), jobs=1)
    pairs = pairing.pair(facts, [], tree.driver_of)
    plan = pairing.decide(pairs, set(case["files"]), lambda p: "M_T", convert_mismatched=False)
    assert len(plan.decisions) == 3 and not any(d.tag for d in plan.decisions)
    assert all("size disagrees" in d.reason for d in plan.decisions)
    f = [f for f in plan.findings if f.kind == "size-mismatch"]
    assert len(f) == 1 and "stays kmem" in f[0].message


def test_mixes_in_the_input_are_the_real_ones(tmp_path):
    """The input's mixed pairs the report lists: a free of kmem memory in
    its own file (tulip.c), not two front ends of one driver each using
    one family for a shared struct's member (sdhc_acpi.c, sdhc_pci.c)."""
    files = {
        "sys/dev/t/tulip.c": "#include <sys/kmem.h>\nstruct tm { int x; };\n"
        "void t(void) { struct tm *tm = kmem_zalloc(sizeof(*tm), KM_SLEEP);\n"
        "free(tm, M_DEVBUF); }\n",
        "sys/dev/s/sdhcvar.h": "struct host;\nstruct sdhc_softc { struct host **sc_host; };\n",
        "sys/dev/s/sdhc_acpi.c": "#include \"sdhcvar.h\"\n"
        "void a(struct sdhc_softc *sc) { sc->sc_host = kmem_zalloc(8, KM_SLEEP); }\n"
        "void ad(struct sdhc_softc *sc) { kmem_free(sc->sc_host, 8); }\n",
        "sys/dev/s/sdhc_pci.c": "#include \"sdhcvar.h\"\n"
        "void p(struct sdhc_softc *sc) { sc->sc_host = malloc(8, M_DEVBUF, M_WAITOK); }\n"
        "void pd(struct sdhc_softc *sc) { free(sc->sc_host, M_DEVBUF); }\n",
    }
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    pairs = pairing.pair(facts, [], lambda p: "one driver")
    every = sorted(pairing.mixed_pairs(pairs).values())
    real = sorted(pairing.mixed_pairs(pairs, nearest=True).values())
    assert real == ["sys/dev/t/tulip.c:3 kmem_zalloc -> sys/dev/t/tulip.c:4 free"]
    assert len(every) > len(real)       # what a conversion is checked against


def test_summary_counts_the_unverified_frees(tmp_path):
    """report.json's unverified_frees: the frees converted with no
    allocation reaching them (u_put, joined by a guess), not the kept
    orphan nor the guessed allocation."""
    from types import SimpleNamespace
    from k2m import report
    plan, marks = plan_of(tmp_path, CASES["unpaired"])
    results = [SimpleNamespace(decisions=plan.for_file(p), findings=[], new="", old="")
               for p in CASES["unpaired"]["files"]]
    s = report.summary(results, {}, {})
    assert s["unverified_frees"] == 1
    assert s["paired_by"]["guess"] == 2 and s["paired_by"]["unpaired"] == 1


def test_a_macro_used_in_files_of_different_types(tmp_path):
    """sys/statvfs.h's STATVFSBUF_GET/PUT, used in sys/kern and sys/compat
    (two malloc types): converted, the definition and every direct call of
    the component with one type."""
    files = {
        "sys/sys/statvfs.h": "struct statvfs { int f; };\n"
        "#define STATVFSBUF_GET() kmem_alloc(sizeof(struct statvfs), KM_SLEEP)\n"
        "#define STATVFSBUF_PUT(sb) kmem_free(sb, sizeof(struct statvfs))\n",
        "sys/kern/vfs_a.c": "#include <sys/statvfs.h>\n"
        "void a(void) { struct statvfs *sb = STATVFSBUF_GET(); STATVFSBUF_PUT(sb); }\n"
        "void a2(void) { struct statvfs *sb = STATVFSBUF_GET(); kmem_free(sb, sizeof(*sb)); }\n",
        "sys/compat/c/c.c": "#include <sys/statvfs.h>\n"
        "void c(void) { struct statvfs *sb = STATVFSBUF_GET(); STATVFSBUF_PUT(sb); }\n",
    }
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    pairs = pairing.pair(facts, [], tree.driver_of)
    tags = {"sys/sys": "M_VFS", "sys/kern": "M_VFS", "sys/compat": "M_COMPAT"}
    plan = pairing.decide(pairs, set(files), lambda p: tags["/".join(p.split("/")[:2])])
    got = {(d.site.path, d.site.line): d.tag for d in plan.decisions}
    assert got == {("sys/sys/statvfs.h", 2): "M_VFS", ("sys/sys/statvfs.h", 3): "M_VFS",
                   ("sys/kern/vfs_a.c", 3): "M_VFS"}, [(d.site.where, d.reason)
                                                       for d in plan.decisions]


def test_size_names_of_locals_compare_only_in_one_function(tmp_path):
    """netbsd32_fs.c: netbsd32_get_iov() allocates `iovlen * sizeof(struct
    iovec)` (iovlen a count) and dofilereadv32() frees `iovlen` (there a
    byte count): a local's name in two functions says nothing, so no
    size-mismatch; the same words in one function still do."""
    files = {"sys/compat/n/n.c": """\
#include <sys/kmem.h>
struct iovec { void *b; int l; };
struct iovec *
n_get_iov(int iovlen)
{
	return kmem_alloc(iovlen * sizeof(struct iovec), KM_SLEEP);
}
void
n_readv(int iovcnt)
{
	struct iovec *iov;
	int iovlen = iovcnt * sizeof(struct iovec);

	iov = n_get_iov(iovcnt);
	kmem_free(iov, iovlen);
}
void
n_bug(int n)
{
	struct iovec *iov = kmem_alloc(n * sizeof(*iov), KM_SLEEP);

	kmem_free(iov, n);
}
"""}
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    pairs = pairing.pair(facts, [], tree.driver_of)
    bad = [(pairs.sites[a].line, pairs.sites[f].line) for a, f in pairs.size_mismatched]
    assert bad == [(20, 22)]


def test_a_release_site_of_two_owners_memory_records_the_types(tmp_path):
    """uvm_map.c allocates and frees struct vmspace; rump's sysproxy.c
    allocates a struct that starts with one, which uvm's vs_free() may
    free.  No one type is right for vs_free() (free(9) must name the
    type each block was allocated with): each allocation records its
    owner's type with the block, M_RECORDED(T), and both frees charge the
    recorded one, M_ASALLOCATED (a vote made rump's memory M_UVM)."""
    files = {
        "sys/uvm/uvm_extern.h": "struct vmspace { int vm_refcnt; };\n"
        "void vs_free(struct vmspace *);\n",
        "sys/uvm/uvm_map.c": "#include <sys/kmem.h>\n#include <uvm/uvm_extern.h>\n"
        "struct vmspace *vs_alloc(void) { return kmem_alloc(sizeof(struct vmspace), KM_SLEEP); }\n"
        "void vs_free(struct vmspace *vm) { kmem_free(vm, sizeof(*vm)); }\n",
        "sys/rump/kern/lib/libsysproxy/sysproxy.c": "#include <sys/kmem.h>\n"
        "#include <uvm/uvm_extern.h>\n"
        "struct rump_spctl { struct vmspace spctl_vm; int x; };\n"
        "void *a(void) { struct rump_spctl *s = kmem_zalloc(sizeof(*s), KM_SLEEP); return s; }\n"
        "void b(struct vmspace *vm) { kmem_free(vm, sizeof(struct rump_spctl)); }\n",
    }
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    pairs = pairing.pair(facts, [], tree.driver_of)
    tags = {"sys/uvm": "M_UVM", "sys/rump": "M_RUMP"}
    plan = pairing.decide(pairs, set(files), lambda p: tags["/".join(p.split("/")[:2])])
    got = {(d.site.path, d.site.line): d.tag for d in plan.decisions}
    assert got == {("sys/uvm/uvm_map.c", 3): "M_RECORDED(M_UVM)",
                   ("sys/uvm/uvm_map.c", 4): "M_ASALLOCATED",
                   ("sys/rump/kern/lib/libsysproxy/sysproxy.c", 4): "M_RECORDED(M_RUMP)",
                   ("sys/rump/kern/lib/libsysproxy/sysproxy.c", 5): "M_ASALLOCATED"}, got
    shared = [f for f in plan.findings if f.kind == "shared-release"]
    assert {(f.path, f.line) for f in shared} == {("sys/rump/kern/lib/libsysproxy/sysproxy.c", 5)}
    assert all("M_RUMP" in f.message and "M_UVM" in f.message for f in shared)


# interrupt code: intr_establish() allocates a struct intrhand and
# returns it as a cookie, intr_disestablish() frees it (lines 6 and 16)
INTR_C = """\
#include <sys/kmem.h>
struct intrhand { int ih_irq; };
void *
intr_establish(int irq)
{
	struct intrhand *ih = kmem_alloc(sizeof(*ih), KM_SLEEP);

	ih->ih_irq = irq;
	return ih;
}
void
intr_disestablish(void *cookie)
{
	struct intrhand *ih = cookie;

	kmem_free(ih, sizeof(*ih));
}
"""


def test_ports_never_share_memory(tmp_path):
    """Two ports' intr.c allocate their own struct intrhand and free it in
    their intr_disestablish(); an MI driver hands the cookie back.  No
    kernel holds both ports: each port's memory keeps its type, not one
    type for both by vote (every port's intrhand was "pcidev")."""
    port = INTR_C
    files = {
        "sys/arch/aaa/aaa/intr.c": port,
        "sys/arch/bbb/bbb/intr.c": port,
        "sys/dev/pci/foo.c": """\
#include <sys/kmem.h>
struct foo_softc { void *sc_ih; int *sc_buf; };
void *intr_establish(int);
void intr_disestablish(void *);
void
foo_attach(struct foo_softc *sc)
{
	sc->sc_ih = intr_establish(3);
	sc->sc_buf = kmem_alloc(4, KM_SLEEP);
}
void
foo_detach(struct foo_softc *sc)
{
	intr_disestablish(sc->sc_ih);
	kmem_free(sc->sc_buf, 4);
}
""",
    }
    got = _tags_of(tmp_path, files, {"sys/arch/aaa": "M_AAA", "sys/arch/bbb": "M_BBB",
                                     "sys/dev/pci": "M_PCIDEV"})
    assert got == {("sys/arch/aaa/aaa/intr.c", 6): "M_AAA",
                   ("sys/arch/aaa/aaa/intr.c", 16): "M_AAA",
                   ("sys/arch/bbb/bbb/intr.c", 6): "M_BBB",
                   ("sys/arch/bbb/bbb/intr.c", 16): "M_BBB",
                   ("sys/dev/pci/foo.c", 9): "M_PCIDEV",
                   ("sys/dev/pci/foo.c", 15): "M_PCIDEV"}, got


def _tags_of(tmp_path, files, tags):
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    pairs = pairing.pair(facts, [], tree.unit_of, tree.kernels)
    plan = pairing.decide(pairs, set(files), lambda p: tags["/".join(p.split("/")[:3])])
    return {(d.site.path, d.site.line): d.tag or "kept: " + d.reason for d in plan.decisions}


def test_a_buffer_handed_out_through_a_function_pointer_gets_its_free_s_type(tmp_path):
    """subr_kobj.c: kobj_read_mem(), called only as ko->ko_read, allocates a
    buffer no free is seen to reach; kobj_free(), in the same file, frees
    the buffers the other reader allocates.  A DIAGNOSTIC kernel checks
    that free() names malloc()'s type: the allocation that reaches no free
    goes with its file's frees of no known type, and all get one type."""
    files = {
        "sys/kern/subr_kobj.c": """\
#include <sys/kmem.h>
struct kobj { int (*ko_read)(struct kobj *, void **, size_t); };
static int
kobj_read_mem(struct kobj *ko, void **basep, size_t size)
{
	void *base;

	base = kmem_alloc(size, KM_SLEEP);
	*basep = base;
	return 0;
}
void
kobj_free(struct kobj *ko, void *base, size_t size)
{
	kmem_free(base, size);
}
""",
        "sys/kern/subr_kobj_vfs.c": """\
#include <sys/kmem.h>
int
kobj_read_file(struct kobj *ko, size_t size)
{
	char *buf = kmem_alloc(size, KM_SLEEP);

	kobj_free(ko, buf, size);
	return 0;
}
""",
    }
    got = _tags_of(tmp_path, files, {"sys/kern/subr_kobj.c": "M_MODULE",
                                     "sys/kern/subr_kobj_vfs.c": "M_KOBJVFS"})
    assert len(got) == 3 and len(set(got.values())) == 1, got


def _spawn_files(exec_allocates: bool) -> dict[str, str]:
    hdr = """\
struct posix_spawn_file_actions_entry { int fae_action; };
struct posix_spawn_file_actions {
	unsigned len;
	struct posix_spawn_file_actions_entry *fae;
};
void	posix_spawn_fa_free(struct posix_spawn_file_actions *, unsigned);
"""
    exec_alloc = """\
struct posix_spawn_file_actions *
posix_spawn_fa_alloc(unsigned len)
{
	struct posix_spawn_file_actions *fa = kmem_alloc(sizeof(*fa), KM_SLEEP);

	fa->fae = kmem_alloc(sizeof(*fa->fae) * len, KM_SLEEP);
	return fa;
}
""" if exec_allocates else ""
    return {
        "sys/sys/spawn.h": hdr,
        "sys/kern/kern_exec.c": """\
#include <sys/kmem.h>
#include <sys/spawn.h>
void
posix_spawn_fa_free(struct posix_spawn_file_actions *fa, unsigned len)
{
	kmem_free(fa->fae, sizeof(*fa->fae) * len);
	kmem_free(fa, sizeof(*fa));
}
""" + exec_alloc,
        "sys/compat/netbsd32/netbsd32_execve.c": """\
#include <sys/kmem.h>
#include <sys/spawn.h>
int
netbsd32_posix_spawn_fa_alloc(unsigned len)
{
	struct posix_spawn_file_actions *fa;

	fa = kmem_alloc(sizeof(*fa), KM_SLEEP);
	fa->fae = kmem_alloc(sizeof(*fa->fae) * len, KM_SLEEP);
	posix_spawn_fa_free(fa, len);
	return 0;
}
""",
    }


TAGS_SPAWN = {"sys/kern/kern_exec.c": "M_EXEC", "sys/compat/netbsd32": "M_NETBSD32",
              "sys/sys/spawn.h": "M_EXEC"}


def test_memory_hung_on_a_struct_goes_where_the_struct_goes(tmp_path):
    """netbsd32_execve.c allocates a struct posix_spawn_file_actions and
    its fae array and hands the struct to kern_exec.c's
    posix_spawn_fa_free(), which frees both: fa->fae goes with fa, though
    netbsd32 never frees an entry itself.  Memory is its allocating
    owner's: kern_exec.c's frees name M_NETBSD32."""
    got = _tags_of(tmp_path, _spawn_files(False), TAGS_SPAWN)
    assert len(got) == 4 and set(got.values()) == {"M_NETBSD32"}, got


def test_memory_two_owners_hang_on_a_struct_records_the_types(tmp_path):
    """As above, with kern_exec.c allocating file actions too: its
    posix_spawn_fa_free() frees M_EXEC and M_NETBSD32 memory, and no one
    type is right for its frees: the allocations record their owners'
    types, the frees name none (a vote made them all M_EXEC, and
    netbsd32's memory was charged to exec)."""
    got = _tags_of(tmp_path, _spawn_files(True), TAGS_SPAWN)
    assert sorted(got.values()) == ["M_ASALLOCATED", "M_ASALLOCATED",
                                    "M_RECORDED(M_EXEC)", "M_RECORDED(M_EXEC)",
                                    "M_RECORDED(M_NETBSD32)", "M_RECORDED(M_NETBSD32)"], got


def test_an_array_is_not_the_pointers_stored_in_it(tmp_path):
    """ahcisata_pci.c allocates an array for its interrupt cookies and
    hands each cookie (an element, psc->sc_ih[i]) to the interrupt code,
    which frees its own struct intrhand.  The array and the cookies are
    different memory: each pair keeps its owner's type (the array's
    allocation reached intr_disestablish(), and the set took one type)."""
    files = {
        "sys/kern/kern_intr.c": INTR_C,
        "sys/dev/pci/ahci.c": """\
#include <sys/kmem.h>
struct ahci_softc { void **sc_ih; int sc_n; };
void *intr_establish(int);
void intr_disestablish(void *);
void
ahci_attach(struct ahci_softc *sc)
{
	sc->sc_ih = kmem_zalloc(sizeof(void *) * sc->sc_n, KM_SLEEP);
	for (int i = 0; i < sc->sc_n; i++)
		sc->sc_ih[i] = intr_establish(i);
}
void
ahci_detach(struct ahci_softc *sc)
{
	for (int i = 0; i < sc->sc_n; i++)
		intr_disestablish(sc->sc_ih[i]);
	kmem_free(sc->sc_ih, sizeof(void *) * sc->sc_n);
}
""",
    }
    got = _tags_of(tmp_path, files, {"sys/kern/kern_intr.c": "M_INTR",
                                     "sys/dev/pci": "M_PCIDEV"})
    assert got == {("sys/kern/kern_intr.c", 6): "M_INTR",
                   ("sys/kern/kern_intr.c", 16): "M_INTR",
                   ("sys/dev/pci/ahci.c", 8): "M_PCIDEV",
                   ("sys/dev/pci/ahci.c", 17): "M_PCIDEV"}, got


def test_a_member_of_a_local_struct_is_the_function_s_own(tmp_path):
    """Each sysctl handler copies its node into a local struct sysctlnode,
    hangs a buffer of its own on node.sysctl_data and frees it; kern_sysctl.c
    frees what nodes it owns hold.  The locals' buffers are not every
    struct sysctlnode's: each pair keeps its owner's type (the member,
    keyed by struct, joined every handler of the kernel into one set)."""
    hdr = """\
struct sysctlnode { void *sysctl_data; unsigned sysctl_size; };
int sysctl_lookup(struct sysctlnode *);
"""
    handler = """\
#include <sys/kmem.h>
#include <sys/sysctl.h>
int
{name}_sysctl(const struct sysctlnode *rnode)
{{
	struct sysctlnode node = *rnode;
	int error;

	node.sysctl_data = kmem_alloc(64, KM_SLEEP);
	error = sysctl_lookup(&node);
	kmem_free(node.sysctl_data, 64);
	return error;
}}
"""
    files = {
        "sys/sys/sysctl.h": hdr,
        "sys/kern/kern_sysctl.c": """\
#include <sys/kmem.h>
#include <sys/sysctl.h>
void
sysctl_create(struct sysctlnode *rnode)
{
	rnode->sysctl_data = kmem_alloc(rnode->sysctl_size, KM_SLEEP);
}
void
sysctl_destroy(struct sysctlnode *rnode)
{
	kmem_free(rnode->sysctl_data, rnode->sysctl_size);
}
""",
        "sys/kern/init_sysctl.c": handler.format(name="init"),
        "sys/dev/acpi/acpi_cpu.c": handler.format(name="acpi"),
    }
    got = _tags_of(tmp_path, files, {"sys/kern/kern_sysctl.c": "M_SYSCTL",
                                     "sys/kern/init_sysctl.c": "M_KERN",
                                     "sys/sys/sysctl.h": "M_SYSCTL",
                                     "sys/dev/acpi": "M_ACPI"})
    assert got == {("sys/kern/kern_sysctl.c", 6): "M_SYSCTL",
                   ("sys/kern/kern_sysctl.c", 11): "M_SYSCTL",
                   ("sys/kern/init_sysctl.c", 9): "M_KERN",
                   ("sys/kern/init_sysctl.c", 11): "M_KERN",
                   ("sys/dev/acpi/acpi_cpu.c", 9): "M_ACPI",
                   ("sys/dev/acpi/acpi_cpu.c", 11): "M_ACPI"}, got


def test_a_malloc_free_of_the_input_gives_its_type(tmp_path):
    """tulip.c allocates a media entry with kmem_zalloc() and, for an
    unknown media code, frees it with free(tm, M_DEVBUF): a mixed pair of
    the input.  Converted with the file's own type, that free would name
    another type than the allocation's (a DIAGNOSTIC kernel panics): the
    type the input's free names wins, and the mix is mended."""
    files = {"sys/dev/ic/tulip.c": """\
#include <sys/kmem.h>
#include <sys/malloc.h>
struct tulip_media { int tm_type; };
struct tulip_media *
tlp_media(int code)
{
	struct tulip_media *tm = kmem_zalloc(sizeof(*tm), KM_SLEEP);

	if (code < 0) {
		free(tm, M_DEVBUF);
		return NULL;
	}
	return tm;
}
void
tlp_media_free(struct tulip_media *tm)
{
	kmem_free(tm, sizeof(*tm));
}
"""}
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    pairs = pairing.pair(facts, [], tree.unit_of, tree.kernels)
    plan = pairing.decide(pairs, set(files), lambda p: "M_ICDEV")
    got = {d.site.line: d.tag for d in plan.decisions}
    assert got == {7: "M_DEVBUF", 18: "M_DEVBUF"}, got
    assert [f.kind for f in plan.findings].count("legacy-type") == 2


def test_an_out_parameter_hands_its_memory_to_the_caller(tmp_path):
    """subr_prf.c's vasprintf(&str, ...) allocates into *bf; libnv's
    nvpair.c frees str through its nv_kmem_free() macro.  *bf is the
    caller's str, and the macro's use carries the flow to its definition:
    the free names the allocating owner's type (it kept M_NVLIST, a
    wrong-type free the independent type check found)."""
    files = {
        "sys/kern/subr_prf.c": """\
#include <sys/kmem.h>
int
vasprintf(char **bf, int len)
{
	*bf = kmem_alloc(len, KM_SLEEP);
	return len;
}
""",
        "sys/external/bsd/libnv/nv_impl.h": "#define nv_kmem_free(B, L) kmem_free(B, L)\n",
        "sys/external/bsd/libnv/nvpair.c": """\
#include <sys/kmem.h>
#include "nv_impl.h"
int vasprintf(char **, int);
void
nvpair_create(int n)
{
	char *str;
	int len;

	len = vasprintf(&str, n);
	nv_kmem_free(str, len);
}
""",
    }
    got = _tags_of(tmp_path, files, {"sys/kern/subr_prf.c": "M_KERN",
                                     "sys/external/bsd": "M_NVLIST"})
    assert got == {("sys/kern/subr_prf.c", 5): "M_KERN",
                   ("sys/external/bsd/libnv/nv_impl.h", 1): "M_KERN"}, got


def test_a_malloc_free_in_another_function_gives_its_type(tmp_path):
    """unionfs_subr.c allocates a node status with kmem_zalloc() in one
    function and frees it with free(unsp, M_TEMP) in another: a mixed
    pair of the input through the type (a flow we see).  Converted with
    the file's type, that free would name another type than the
    allocation's; M_TEMP wins.  Only the type joins the two (the list
    between them is a macro's member), as it joins kern_hook.c's two
    lists of one struct: the report does not list it as the input's mix."""
    files = {"sys/fs/unionfs/unionfs_subr.c": """\
#include <sys/kmem.h>
#include <sys/malloc.h>
struct unionfs_node_status { int uns_pid; };
void
unionfs_noderem(struct unionfs_node_status *unsp)
{
	free(unsp, M_TEMP);
}
struct unionfs_node_status *
unionfs_get_node_status(void)
{
	struct unionfs_node_status *unsp;

	unsp = kmem_zalloc(sizeof(*unsp), KM_SLEEP);
	return unsp;
}
"""}
    tree, pairs = pairs_of(tmp_path, files)
    plan = pairing.decide(pairs, set(files), lambda p: "M_UNIONFS")
    assert {d.site.line: d.tag for d in plan.decisions} == {14: "M_TEMP"}
    assert not pairing.mixed_pairs(pairs, nearest=True)


def test_a_mix_through_a_call_is_the_inputs_and_gives_its_type(tmp_path):
    """shark's cs_ofisa_md_media_fixup() returns a kmem_alloc'ed media
    array that the MI driver frees with free(media, M_TEMP): the input's
    mix, shown by the call (return to caller); the allocation of the MD
    code takes the free's type."""
    files = {
        "sys/arch/shark/ofw/if_cs_ofisa_machdep.c": """\
#include <sys/kmem.h>
int *
cs_ofisa_md_media_fixup(int *nmediap)
{
	int *media;

	media = kmem_alloc(2 * sizeof(int), KM_SLEEP);
	return media;
}
""",
        "sys/dev/ofisa/if_cs_ofisa.c": """\
#include <sys/malloc.h>
int *cs_ofisa_md_media_fixup(int *);
void
cs_ofisa_attach(void)
{
	int *media, n;

	media = cs_ofisa_md_media_fixup(&n);
	free(media, M_TEMP);
}
"""}
    tree, pairs = pairs_of(tmp_path, files)
    plan = pairing.decide(pairs, set(files), lambda p: "M_SHARK")
    assert {d.site.line: d.tag for d in plan.decisions} == {7: "M_TEMP"}
    assert list(pairing.mixed_pairs(pairs, nearest=True).values()) == [
        "sys/arch/shark/ofw/if_cs_ofisa_machdep.c:7 kmem_alloc -> "
        "sys/dev/ofisa/if_cs_ofisa.c:9 free"]


def test_a_guessed_release_is_no_mix_and_gives_no_type(tmp_path):
    """sys/fs/nfs's krpc_subr.c (code no kernel builds) frees a struct
    sockaddr it never allocates, with free(from, M_SONAME).  The pairing
    guesses that such a unit frees every unit's memory of that type
    (_open_units), which keeps the pair together; but no flow we see
    takes rtsock's memory there: the report lists no mix, and rtsock's
    allocation keeps its own type."""
    files = {
        "sys/net/rtsock.c": """\
#include <sys/kmem.h>
struct sockaddr { int sa_len; };
void
rt_addr(void)
{
	struct sockaddr *sa = kmem_alloc(sizeof(*sa), KM_SLEEP);

	kmem_free(sa, sizeof(*sa));
}
""",
        "sys/fs/nfs/common/krpc_subr.c": """\
#include <sys/malloc.h>
struct sockaddr { int sa_len; };
void
krpc_call(struct sockaddr *from)
{
	free(from, M_SONAME);
}
"""}
    tree, pairs = pairs_of(tmp_path, files)
    assert pairing.mixed_pairs(pairs), "the guess joins them"
    assert not pairing.mixed_pairs(pairs, nearest=True)
    plan = pairing.decide(pairs, set(files), lambda p: "M_RTABLE")
    assert {d.site.line: d.tag for d in plan.decisions} == {6: "M_RTABLE", 8: "M_RTABLE"}


def test_a_machine_independent_macro_takes_no_ports_type(tmp_path):
    """sys/kernhist.h's KERNHIST_INIT is used by arm's if_cpsw.c and by
    kern_scdebug.c: a port's type in an MI header would not compile in
    another port's kernel.  With both uses, or the port's alone, the
    definition takes its own file's type."""
    from test_scanning import KERNHIST
    for files in (KERNHIST, {k: v for k, v in KERNHIST.items() if "scdebug" not in k}):
        tree, pairs = pairs_of(tmp_path / str(len(files)), files)
        tags = {"sys/sys/kernhist.h": "M_KERNHIST", "sys/arch/arm/ti/if_cpsw.c": "M_ARM"}
        plan = pairing.decide(pairs, set(files), lambda p: tags.get(p, "M_KERN"))
        got = {d.site.path: d.tag for d in plan.decisions if d.site.path.endswith(".h")}
        assert got == {"sys/sys/kernhist.h": "M_KERNHIST"}, got


def test_the_inputs_mixes_are_listed_by_free(tmp_path):
    """tulip.c allocates tm in each case of a switch and frees it with
    free(9) in some: one entry per mixing free, naming the allocation
    nearest before it and how many more reach it.  No entry for the
    expressions of a file we cannot name (one bucket per file)."""
    files = {"sys/dev/ic/tulip.c": """\
#include <sys/kmem.h>
struct tm { int x; };
void
t(int c)
{
	struct tm *tm;

	switch (c) {
	case 0:
		tm = kmem_zalloc(sizeof(*tm), KM_SLEEP);
		if (c)
			free(tm, M_DEVBUF);
		break;
	case 1:
		tm = kmem_zalloc(sizeof(*tm), KM_SLEEP);
		free(tm, M_DEVBUF);
		break;
	}
}
""", "sys/dev/ic/x.h": "#define X_ALLOC(n) malloc(n, M_X, M_WAITOK)\n"
                       "#define X_FREE(p, n) kmem_free(p, n)\n"}
    tree, pairs = pairs_of(tmp_path, files)
    assert sorted(pairing.mixed_pairs(pairs, nearest=True).values()) == [
        "sys/dev/ic/tulip.c:10 kmem_zalloc -> sys/dev/ic/tulip.c:12 free (and 1 more)",
        "sys/dev/ic/tulip.c:15 kmem_zalloc -> sys/dev/ic/tulip.c:16 free (and 1 more)"]


def test_a_member_two_owners_fill_and_free_records_each_type(tmp_path):
    """struct proc's p_path: fork1() (kern_fork.c, M_PROC) copies the
    parent's, exec (kern_exec.c, M_EXEC) frees it and puts its own, exit
    (kern_exit.c, M_PROC) frees it.  Each owner frees the other's: every
    allocation records its type, every free is as allocated (the boot test
    panicked at the first exec: "free(..., exec, 11): allocated as proc").
    An unpaired free the pairing guesses may be p_path's names exec's
    type, the one p_path's block from exec records; an allocation no
    free reaches, guessed to be freed with p_path, records its type: the
    set stays converted (each guess kept 61 sites as kmem on
    NetBSD-current)."""
    proc_h = "struct proc { char *p_path; };\n"
    files = {
        "sys/sys/proc.h": proc_h,
        "sys/kern/kern_fork.c": "#include <sys/kmem.h>\n#include <sys/proc.h>\n"
        "void\nfork1(struct proc *p1, struct proc *p2)\n{\n"
        "\tp2->p_path = kmem_strdupsize(p1->p_path, NULL, KM_SLEEP);\n}\n",
        "sys/kern/kern_exec.c": "#include <sys/kmem.h>\n#include <sys/proc.h>\n"
        "void\nexecve_runproc(struct proc *p, const char *name)\n{\n"
        "\tkmem_strfree(p->p_path);\n"
        "\tp->p_path = kmem_strdupsize(name, NULL, KM_SLEEP);\n}\n"
        "char **fae_path(void *);\n"
        "void\nposix_spawn_fa_free(void *fae)\n{\n"
        "\tchar **pathp = fae_path(fae);\n\tkmem_strfree(*pathp);\n}\n"
        "void\nposix_spawn_fa_add(void *fae, const char *s)\n{\n"
        "\tchar **pathp = fae_path(fae);\n\t*pathp = kmem_strdup(s, KM_SLEEP);\n}\n",
        "sys/kern/kern_exit.c": "#include <sys/kmem.h>\n#include <sys/proc.h>\n"
        "void\nproc_free(struct proc *p)\n{\n\tkmem_strfree(p->p_path);\n}\n",
    }
    tags = {"sys/kern/kern_exec.c": "M_EXEC"}
    tree, pairs = pairs_of(tmp_path, files, lambda p: f"kern#{tags.get(p, 'M_PROC')}")
    plan = pairing.decide(pairs, set(files), lambda p: tags.get(p, "M_PROC"))
    got = {(d.site.path.split("/")[-1], d.site.line): d.tag for d in plan.decisions}
    assert got == {("kern_fork.c", 6): "M_RECORDED(M_PROC)",
                   ("kern_exec.c", 6): "M_ASALLOCATED",
                   ("kern_exec.c", 7): "M_RECORDED(M_EXEC)",
                   ("kern_exec.c", 14): "M_EXEC",      # unpaired, guessed with p_path's
                   ("kern_exec.c", 20): "M_RECORDED(M_EXEC)",  # guessed to p_path's frees
                   ("kern_exit.c", 6): "M_ASALLOCATED"}, got


def test_a_member_every_file_system_fills_and_frees_is_each_ones(tmp_path):
    """struct mount's mnt_data: each file system stores its own mount
    there and frees it from there.  Two directories' owners are not joined
    through it (as sys/kern's fork and exec are through p_path): each
    keeps its type, nothing recorded."""
    mount_h = "struct mount { void *mnt_data; };\n"
    fs = ("#include <sys/kmem.h>\n#include <sys/mount.h>\n"
          "void\n{0}_mount(struct mount *mp)\n{{\n"
          "\tmp->mnt_data = kmem_zalloc(64, KM_SLEEP);\n}}\n"
          "void\n{0}_unmount(struct mount *mp)\n{{\n"
          "\tkmem_free(mp->mnt_data, 64);\n}}\n")
    files = {"sys/sys/mount.h": mount_h,
             "sys/fs/tmpfs/tmpfs_vfsops.c": fs.format("tmpfs"),
             "sys/ufs/chfs/chfs_vfsops.c": fs.format("chfs")}
    tags = {"sys/fs/tmpfs/tmpfs_vfsops.c": "M_TMPFS", "sys/ufs/chfs/chfs_vfsops.c": "M_CHFS"}
    tree, pairs = pairs_of(tmp_path, files, lambda p: f"{p.split('/')[2]}#{tags.get(p)}")
    plan = pairing.decide(pairs, set(files), lambda p: tags.get(p, "M_MOUNT"))
    assert {d.tag for d in plan.decisions if "tmpfs" in d.site.path} == {"M_TMPFS"}
    assert {d.tag for d in plan.decisions if "chfs" in d.site.path} == {"M_CHFS"}


def test_a_member_of_a_pooled_struct_replaced_by_two_owners_records_the_types(tmp_path):
    """struct proc's p_path (boottest's first exec of a converted
    NetBSD-current kernel panicked on it): fork1() copies the parent's
    path (kern_fork.c, M_PROC), exec replaces it (kern_exec.c, M_EXEC:
    frees the old one, stores its own), proc_free() frees whichever is
    there (kern_exit.c, M_PROC).  struct proc comes from a pool, so no
    flow of the struct tells the owners' members apart: both owners'
    p_path is one memory, each allocation records its type, every free
    charges the recorded one."""
    files = {
        "sys/sys/proc.h": "struct proc { char *p_path; int p_pid; };\n",
        "sys/kern/kern_fork.c": "#include <sys/kmem.h>\n#include <sys/proc.h>\n"
        "void fork1(struct proc *p2, struct proc *p1) "
        "{ p2->p_path = kmem_strdupsize(p1->p_path, NULL, KM_SLEEP); }\n",
        "sys/kern/kern_exec.c": "#include <sys/kmem.h>\n#include <sys/proc.h>\n"
        "void pathexec(struct proc *p, const char *name)\n{\n"
        "\tkmem_strfree(p->p_path);\n"
        "\tp->p_path = kmem_strdupsize(name, NULL, KM_SLEEP);\n}\n",
        "sys/kern/kern_exit.c": "#include <sys/kmem.h>\n#include <sys/proc.h>\n"
        "void proc_free(struct proc *p) { kmem_strfree(p->p_path); }\n",
    }
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    tags = {"kern_fork.c": "M_PROC", "kern_exit.c": "M_PROC", "kern_exec.c": "M_EXEC",
            "proc.h": "M_PROC"}
    tag_of = lambda p: tags[p.rsplit("/", 1)[1]]   # noqa: E731
    pairs = pairing.pair(facts, [], lambda p: f"kern#{tag_of(p)}")
    plan = pairing.decide(pairs, set(files), tag_of)
    got = {(d.site.path, d.site.line): d.tag for d in plan.decisions}
    assert got == {("sys/kern/kern_fork.c", 3): "M_RECORDED(M_PROC)",
                   ("sys/kern/kern_exec.c", 5): "M_ASALLOCATED",
                   ("sys/kern/kern_exec.c", 6): "M_RECORDED(M_EXEC)",
                   ("sys/kern/kern_exit.c", 3): "M_ASALLOCATED"}, got


def test_a_member_of_a_kmem_struct_stays_each_owner_s(tmp_path):
    """The same two owners with a struct each allocates with kmem: each
    owner's instances are its own (a flow of the struct would say
    otherwise, _members_follow), and so is what hangs on them."""
    files = {
        "sys/sys/thing.h": "struct thing { char *t_name; };\n",
        "sys/a/a.c": "#include <sys/kmem.h>\n#include <sys/thing.h>\n"
        "struct thing *a_new(void) { return kmem_zalloc(sizeof(struct thing), KM_SLEEP); }\n"
        "void a_name(struct thing *t, const char *s)\n{\n"
        "\tkmem_strfree(t->t_name);\n"
        "\tt->t_name = kmem_strdupsize(s, NULL, KM_SLEEP);\n}\n",
        "sys/b/b.c": "#include <sys/kmem.h>\n#include <sys/thing.h>\n"
        "struct thing *b_new(void) { return kmem_zalloc(sizeof(struct thing), KM_SLEEP); }\n"
        "void b_name(struct thing *t, const char *s)\n{\n"
        "\tkmem_strfree(t->t_name);\n"
        "\tt->t_name = kmem_strdupsize(s, NULL, KM_SLEEP);\n}\n",
    }
    tree = write_tree(tmp_path, files)
    facts, _ = scanning.scan_all(tree.root, sorted(files), jobs=1)
    tags = {"sys/sys": "M_A", "sys/a": "M_A", "sys/b": "M_B"}
    tag_of = lambda p: tags["/".join(p.split("/")[:2])]    # noqa: E731
    pairs = pairing.pair(facts, [], lambda p: tag_of(p))
    plan = pairing.decide(pairs, set(files), tag_of)
    got = {(d.site.path, d.site.line): d.tag for d in plan.decisions}
    assert got == {("sys/a/a.c", 3): "M_A", ("sys/a/a.c", 6): "M_A", ("sys/a/a.c", 7): "M_A",
                   ("sys/b/b.c", 3): "M_B", ("sys/b/b.c", 6): "M_B",
                   ("sys/b/b.c", 7): "M_B"}, got


BUS_DMA = {
    "sys/sys/mbuf.h": """\
struct mbuf { struct mbuf *m_next; int m_len; };
struct mbuf *m_get(void);
void m_copydata(struct mbuf *, int);
void m_release(struct mbuf *);
""",
    "sys/sys/dma.h": """\
struct mbuf;
struct dma_cookie { void *id_origbuf; int id_buftype; };
void dma_load(struct dma_cookie *, void *);
void dma_load_mbuf(struct dma_cookie *, struct mbuf *);
void dma_sync(struct dma_cookie *);
""",
    "sys/kern/uipc_mbuf.c": """\
#include <sys/kmem.h>
#include <sys/mbuf.h>
struct mbuf *m_get(void) { return kmem_alloc(sizeof(struct mbuf), KM_SLEEP); }	/* @m_get */
void m_copydata(struct mbuf *m, int n) { m->m_len = n; }
void m_release(struct mbuf *m) { kmem_free(m, sizeof(*m)); }	/* @m_release */
""",
    # x86's bus_dma.c: one void * member for three kinds of buffer, which
    # id_buftype tells apart; it allocates and frees none of them
    "sys/arch/x86/x86/bus_dma.c": """\
#include <sys/mbuf.h>
#include <sys/dma.h>
void dma_load(struct dma_cookie *c, void *buf) { c->id_origbuf = buf; c->id_buftype = 1; }
void
dma_load_mbuf(struct dma_cookie *c, struct mbuf *m0)
{
	c->id_origbuf = m0;
	c->id_buftype = 2;
}
void
dma_sync(struct dma_cookie *c)
{
	if (c->id_buftype == 2) {
		struct mbuf *m = c->id_origbuf;
		m_copydata(m, 0);
	} else
		memset((char *)c->id_origbuf, 0, 1);
}
""",
    # driver A: a raw buffer of its own, loaded for DMA
    "sys/dev/a/a.c": """\
#include <sys/kmem.h>
#include <sys/dma.h>
struct a_softc { char *sc_buf; struct dma_cookie sc_c; };
void
a_attach(struct a_softc *sc)
{
	sc->sc_buf = kmem_alloc(64, KM_SLEEP);	/* @a_alloc */
	dma_load(&sc->sc_c, sc->sc_buf);
	dma_sync(&sc->sc_c);
}
void a_detach(struct a_softc *sc) { kmem_free(sc->sc_buf, 64); }	/* @a_free */
""",
    # driver B: mbufs, loaded for DMA
    "sys/dev/b/b.c": """\
#include <sys/mbuf.h>
#include <sys/dma.h>
void
b_send(struct dma_cookie *c)
{
	struct mbuf *m = m_get();

	dma_load_mbuf(c, m);
	dma_sync(c);
	m_release(m);
}
""",
}


def _flows(tmp_path, files, guesses=False):
    """{(allocation mark, free mark)} of the pairs a flow makes (not a
    guess; with guesses, _guess's pairs too)."""
    tree, pairs = pairs_of(tmp_path, files)
    marks = {}
    for path, text in files.items():
        for n, line in enumerate(text.split("\n"), 1):
            for m in MARK.finditer(line):
                marks[(path, n)] = m.group(1)
    name = {i: marks.get((s.path, s.line)) for i, s in enumerate(pairs.sites)}
    return {(name[a], name[f]) for a, f in pairs.edges
            if (a, f) not in pairs.joined or guesses and (a, f) in pairs.guessed}


def test_a_raw_buffer_through_a_pass_through_member_is_no_mbuf(tmp_path):
    """x86's bus_dma.c keeps every loaded buffer in the cookie's void *
    id_origbuf and reads it back as a struct mbuf when id_buftype says it
    is one (issue 30).  A driver's raw buffer passes through: it must not
    become an mbuf there and reach the frees of every mbuf (NetBSD-current
    joined 110 sites of twa, mfi, mlx ... with the krpc's sockaddr), while
    the mbuf loaded by B still reaches its free."""
    got = _flows(tmp_path, BUS_DMA)
    assert ("a_alloc", "a_free") in got and ("m_get", "m_release") in got
    assert ("a_alloc", "m_release") not in got, got


def test_memory_handed_through_a_void_member_to_its_free_is_followed(tmp_path):
    """The pass-through rule is for a unit that neither allocates nor frees
    the type it reads the member as: a unit that frees what it reads from
    its void * member (a work queue that runs and frees requests, some
    stored there as struct wq_req, some handed over as void *) frees
    whatever was stored there, raw buffers too."""
    files = {
        "sys/sys/wq.h": """\
struct wq_req { int r_len; };
struct wq { void *wq_arg; };
void wq_put(struct wq *, void *);
void wq_run(struct wq *);
""",
        "sys/kern/subr_wq.c": """\
#include <sys/kmem.h>
#include <sys/wq.h>
void wq_put(struct wq *q, void *arg) { q->wq_arg = arg; }
void
wq_new(struct wq *q)
{
	struct wq_req *r = kmem_alloc(sizeof(*r), KM_SLEEP);	/* @r_alloc */

	q->wq_arg = r;
}
void
wq_run(struct wq *q)
{
	struct wq_req *r = q->wq_arg;

	kmem_free(r, sizeof(*r));	/* @r_free */
}
""",
        "sys/dev/a/a.c": """\
#include <sys/kmem.h>
#include <sys/wq.h>
void
a_start(struct wq *q)
{
	void *buf = kmem_alloc(sizeof(int), KM_SLEEP);	/* @a_alloc */

	wq_put(q, buf);
}
""",
    }
    got = _flows(tmp_path, files)
    assert ("r_alloc", "r_free") in got
    assert ("a_alloc", "r_free") in got, got


def _dma_map_files(release: str) -> dict[str, str]:
    """Two drivers hand &p to sys/kern's dma_map(), which stores a
    mapping into *kvap; release: a function of it that also frees what
    *pp held (or nothing)."""
    return {
        "sys/sys/dma.h": """\
void dma_map(int, void **);
void dma_release(void **);
""",
        "sys/kern/subr_dma.c": """\
#include <sys/kmem.h>
#include <sys/dma.h>
void
dma_map(int n, void **kvap)
{
	char *va = dma_va(n);

	*kvap = va;
}
""" + release,
        # driver A: a buffer of its own, or a mapping, in one local
        "sys/dev/a/a.c": """\
#include <sys/kmem.h>
#include <sys/dma.h>
void
a_send(int n)
{
	void *ptr;

	if (n)
		dma_map(n, &ptr);
	else
		ptr = kmem_alloc(64, KM_SLEEP);	/* @a_alloc */
	a_io(ptr);
	if (!n)
		kmem_free(ptr, 64);	/* @a_free */
}
""",
        # driver B: a mapping, or a buffer of its own, in its softc
        "sys/dev/b/b.c": """\
#include <sys/kmem.h>
#include <sys/dma.h>
struct b_softc { void *sc_vaddr; int sc_dma; };
void
b_attach(struct b_softc *sc)
{
	if (sc->sc_dma)
		dma_map(1, &sc->sc_vaddr);
	else
		sc->sc_vaddr = kmem_alloc(64, KM_SLEEP);	/* @b_alloc */
}
void
b_detach(struct b_softc *sc)
{
	if (!sc->sc_dma)
		kmem_free(sc->sc_vaddr, 64);	/* @b_free */
}
""",
    }


def test_an_out_parameter_only_stored_into_joins_no_callers(tmp_path):
    """dma_map(n, &p) only stores into *kvap (atari's bus_dmamem_map):
    p's buffer never enters it, so it must not come out into another
    caller's p (issue 30: sdmmc_mem.c's buffer went through it into drm's
    DMA handles and on to agp's struct agp_memory).  Each driver's own
    buffer still reaches its own free."""
    got = _flows(tmp_path, _dma_map_files(""))
    assert ("a_alloc", "a_free") in got and ("b_alloc", "b_free") in got, got
    assert ("a_alloc", "b_free") not in got and ("b_alloc", "a_free") not in got, got


def test_an_out_parameter_the_function_reads_is_followed(tmp_path):
    """A function that reads *param (dma_release frees what it held, and
    stores NULL there) gets the caller's memory: A's buffer reaches its
    free."""
    files = _dma_map_files("""\
void
dma_release(void **pp)
{
	kmem_free(*pp, 64);	/* @r_free */
	*pp = NULL;
}
""")
    files["sys/dev/a/a.c"] = files["sys/dev/a/a.c"].replace(
        "\t\tkmem_free(ptr, 64);\t/* @a_free */", "\t\tdma_release(&ptr);")
    got = _flows(tmp_path, files)
    assert ("a_alloc", "r_free") in got, got


NFS_DIRECTIO = {
    "sys/sys/uio.h": """\
struct iovec { void *iov_base; int iov_len; };
struct uio { struct iovec *uio_iov; int uio_resid; };
struct buf { void *b_caller1; };
""",
    # fs/nfs/client: the iovec of a K&R function's local (we do not type
    # its places), handed to nfsiod through b_caller1 and freed there
    # from the uio's member
    "sys/fs/nfs/client/nfs_clbio.c": """\
#include <sys/kmem.h>
#include <sys/uio.h>
static void
c_write(uiop, bp)
	struct uio *uiop;
	struct buf *bp;
{
	struct uio *t_uio;
	struct iovec *t_iov;

	t_uio = kmem_alloc(sizeof(struct uio), KM_SLEEP);
	t_iov = kmem_alloc(sizeof(struct iovec), KM_SLEEP);	/* @c_alloc */
	t_uio->uio_iov = t_iov;
	bp->b_caller1 = t_uio;
}
void
c_done(struct buf *bp)
{
	struct uio *uiop = (struct uio *)bp->b_caller1;

	kmem_free(uiop->uio_iov, sizeof(struct iovec));	/* @c_free */
	kmem_free(uiop, sizeof(*uiop));
}
""",
    # the NFS server: iovecs of its own, for a uio it hands to VOP_READ
    "sys/nfs/nfs_serv.c": """\
#include <sys/kmem.h>
#include <sys/uio.h>
void
s_read(struct uio *uiop, int n)
{
	struct iovec *iv = kmem_alloc(n * sizeof(struct iovec), KM_SLEEP);	/* @s_alloc */

	uiop->uio_iov = iv;
	s_vop_read(uiop);
	kmem_free(iv, n * sizeof(struct iovec));	/* @s_free */
}
""",
}


def test_a_unit_allocating_a_type_in_an_untyped_place_frees_its_own(tmp_path):
    """A unit that frees a type and never allocates it frees every unit's
    (open_units).  fs/nfs/client allocates its iovec into a K&R function's
    local (nfs_clbio.c's t_iov, a place we do not type) and frees it from
    uiop->uio_iov in nfsiod: that is its own iovec, not the NFS server's
    (issue 30: nfs_serv.c's and dmover_io.c's iovecs met netbsd32's
    M_ASALLOCATED free there)."""
    got = _flows(tmp_path, NFS_DIRECTIO, guesses=True)
    assert ("s_alloc", "s_free") in got, got
    assert ("s_alloc", "c_free") not in got, got
    # the free, which no flow we see reaches (b_caller1), is guessed to
    # release the unit's own allocations of its type
    assert ("c_alloc", "c_free") in got, got


def test_a_unit_freeing_a_type_it_never_allocates_frees_every_unit_s(tmp_path):
    """Without its own allocation of the type, the unit's free still takes
    every unit's memory of it (a function pointer we do not follow may
    bring it there)."""
    files = dict(NFS_DIRECTIO)
    files["sys/fs/nfs/client/nfs_clbio.c"] = files["sys/fs/nfs/client/nfs_clbio.c"].replace(
        "kmem_alloc(sizeof(struct iovec), KM_SLEEP);\t/* @c_alloc */", "c_get();")
    got = _flows(tmp_path, files)
    assert ("s_alloc", "c_free") in got, got
