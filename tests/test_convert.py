"""`kmem2malloc convert` and `audit` on the example tree and on bad input."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import K2M, run, snapshot

KMEM_CALL = re.compile(r"\bkmem_\w+\s*\(")


def kmem_calls_in(path):
    """An independent count: kmem_*( outside comments."""
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    return len(KMEM_CALL.findall(text))


@pytest.fixture
def converted(example_tree, tmp_path):
    out = tmp_path / "out"
    before = snapshot(example_tree)
    p = run("convert", "--out", str(out), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    assert snapshot(example_tree) == before, "convert without --in-place wrote to the tree"
    return example_tree, out, json.loads((out / "report.json").read_text())


def test_nothing_lost(converted):
    tree, out, rep = converted
    seen = {f["path"] for f in rep["files"]}
    for d, _, fs in os.walk(tree / "sys" / "dev"):
        for f in fs:
            path = os.path.relpath(os.path.join(d, f), tree)
            n = kmem_calls_in(os.path.join(d, f))
            if n:
                assert path in seen, path
                entry = next(x for x in rep["files"] if x["path"] == path)
                assert len(entry["sites"]) == n, path
                for s in entry["sites"]:
                    assert s["status"] in ("converted", "kept")
                    assert s.get("tag") if s["status"] == "converted" else s["reason"]
    s = rep["summary"]
    assert s["converted"] + s["kept"] == s["kmem_sites"] == 31
    assert s["mixed_pairs_created"] == 0


def site(rep, path, line):
    f = next(x for x in rep["files"] if x["path"] == path)
    return next(s for s in f["sites"] if s["line"] == line)


def test_safety_decisions(converted):
    _, _, rep = converted
    # kmem_asprintf string freed with kmem_free(p, strlen(p) + 1): both
    # converted, to the shim's typed helper and free(9)
    assert site(rep, "sys/dev/usb/ubar.c", 26)["tag"] == "M_USBDEV"
    assert site(rep, "sys/dev/usb/ubar.c", 62)["tag"] == "M_USBDEV"
    # memory sys/kern frees stays kmem, with a boundary finding
    assert "subr_thing.c" in site(rep, "sys/dev/usb/ubar.c", 39)["reason"]
    # allocator macro: converted in its definition, with the free of what
    # its uses allocate
    assert site(rep, "sys/dev/usb/uqux.c", 14)["tag"] == "M_USBDEV"
    assert site(rep, "sys/dev/usb/uqux.c", 36)["tag"] == "M_USBDEV"
    # a site in a macro definition says so (it said "in None")
    assert site(rep, "sys/dev/usb/uqux.c", 14)["scope"] == "in #define UQUX_ALLOC"
    assert site(rep, "sys/dev/usb/uqux.c", 36)["scope"] == "in uqux_detach"
    assert site(rep, "sys/dev/usb/uqux.c", 37)["status"] == "converted"
    # flags in an int parameter: kept with its free
    assert "flags" in site(rep, "sys/dev/i2c/tempsen.c", 34)["reason"]
    assert site(rep, "sys/dev/i2c/tempsen.c", 51)["status"] == "kept"
    # two-file driver: the PCI front end frees with the chip file's type
    assert site(rep, "sys/dev/pci/frob_pci.c", 28)["tag"] == "M_ICDEV"
    # #if 0 half of a pair is converted with it
    assert site(rep, "sys/dev/usb/ubar.c", 52)["status"] == "converted"


def fields_by_family(tree):
    """{field name: {'kmem', 'malloc'}} over alloc and free sites, tree-wide,
    by name only: an independent, cruder check than the converter's."""
    fam = {}
    pat = re.compile(r"(?:->|\.)(\w+)\s*=\s*(kmem_\w*alloc|malloc)\s*\("
                     r"|\b(kmem_free|kmem_intr_free|free)\s*\(\s*[\w>.\-\[\]]*?(?:->|\.)(\w+)\s*,")
    for d, _, fs in os.walk(tree / "sys"):
        for f in fs:
            text = open(os.path.join(d, f)).read()
            for m in pat.finditer(text):
                name = m.group(1) or m.group(4)
                call = m.group(2) or m.group(3)
                fam.setdefault(name, set()).add("kmem" if call.startswith("kmem") else "malloc")
    return fam


def test_in_place_no_mixed_pairs_and_fixed_point(example_tree, tmp_path):
    p = run("convert", "--in-place", "--out", str(tmp_path / "o1"), str(example_tree))
    assert p.returncode == 0, p.stderr
    mixed = {k for k, v in fields_by_family(example_tree).items() if len(v) > 1}
    assert mixed == set(), mixed
    after = snapshot(example_tree)
    p = run("convert", "--in-place", "--out", str(tmp_path / "o2"), str(example_tree))
    assert p.returncode == 0, p.stderr
    assert snapshot(example_tree) == after
    assert os.listdir(tmp_path / "o2" / "diffs") == []


@pytest.mark.parametrize("tool", ["git", "patch"])
def test_each_diff_applies_alone(converted, tmp_path, tool):
    tree, out, _ = converted
    diffs = sorted((out / "diffs").iterdir())
    assert len(diffs) == 6
    for d in diffs:
        copy = tmp_path / f"apply-{d.stem}"
        shutil.copytree(tree, copy)
        cmd = (["git", "apply", "--check", str(d)] if tool == "git"
               else ["patch", "-p1", "--dry-run", "-s", "-i", str(d)])
        r = subprocess.run(cmd, cwd=copy, capture_output=True, text=True)
        assert r.returncode == 0, (d.name, r.stderr + r.stdout)


def test_all_diffs_equal_in_place(converted, tmp_path):
    tree, out, _ = converted
    copy = tmp_path / "applied"
    shutil.copytree(tree, copy)
    for d in sorted((out / "diffs").iterdir()):
        r = subprocess.run(["patch", "-p1", "-s", "-i", str(d)], cwd=copy)
        assert r.returncode == 0
    p = run("convert", "--in-place", "--out", str(tmp_path / "o"), str(tree))
    assert p.returncode == 0
    assert snapshot(copy) == snapshot(tree)


def test_diff_names_are_drivers(converted):
    _, out, _ = converted
    names = sorted(f.name for f in (out / "diffs").iterdir())
    assert names == ["frob.diff", "iicmux.diff", "tempsen.diff", "ubar.diff",
                     "uqux.diff", "wex.diff"]
    frob = (out / "diffs" / "frob.diff").read_text()
    assert "a/sys/dev/ic/frob.c" in frob and "a/sys/dev/pci/frob_pci.c" in frob


@pytest.mark.parametrize("args, words", [
    (["/nonexistent/tree"], "no such directory"),
    (["{tmp}"], "not a source tree"),
    (["{tree}", "sys/dev/nope"], "no such file or directory"),
    (["{tree}", "../../etc"], "outside the tree"),
])
def test_bad_tree_is_a_clear_error(example_tree, tmp_path, args, words):
    args = [a.format(tmp=tmp_path, tree=example_tree) for a in args]
    before = snapshot(example_tree)
    p = run("convert", "--out", str(tmp_path / "out"), *args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and words in p.stderr
    assert snapshot(example_tree) == before


def fake_spatch(tmp_path, body):
    """A spatch wrapper first on PATH; body is shell run before the real one."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real = shutil.which("spatch")
    w = bindir / "spatch"
    w.write_text(f"#!/bin/sh\n{body}\nexec {real} \"$@\"\n")
    w.chmod(0o755)
    return dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")


def test_a_call_spatch_cannot_parse_is_converted_not_checked(example_tree, tmp_path):
    """spatch parses the file but not one function (NetBSD-current's
    dwc2_hcd_init() has a goto to a label under an #ifdef never taken):
    the text rewrite converts its calls all the same, and the check
    reports them as not compared; the other function's call is compared."""
    f = example_tree / "sys" / "dev" / "i2c" / "iicmux.c"
    text = f.read_text().replace("\tint i;\n\n\tsc->sc_nbusses",
                                 "\tint i;\n\t@@@ garbage;\n\tsc->sc_nbusses")
    f.write_text(text)
    out = tmp_path / "out"
    p = run("convert", "--out", str(out), str(example_tree))
    assert p.returncode == 0, p.stderr      # a finding, not an error
    rep = json.loads((out / "report.json").read_text())
    entry = next(x for x in rep["files"] if x["path"].endswith("iicmux.c"))
    unchecked = [x["line"] for x in entry["findings"] if x["kind"] == "not-checked"]
    assert [s["status"] for s in entry["sites"]] == ["converted", "converted"]
    assert unchecked == [entry["sites"][0]["line"]]       # the free's function parses
    assert rep["summary"]["spatch_check"]["not_checked"] == 1
    diff = (out / "diffs" / entry["diff"]).read_text()
    assert "+\tsc->sc_busses = malloc(" in diff and "M_WAITOK | M_ZERO" in diff


def test_spatch_error_touches_nothing(example_tree, tmp_path):
    # spatch gets a file (a retry) or a --file-groups list (a bin) naming it
    env = fake_spatch(tmp_path, 'for a; do case "$a" in *iicmux.c*) echo boom >&2; exit 3;; '
                      'group-*) if grep -q iicmux.c "$a"; then echo boom >&2; exit 3; fi;; '
                      'esac; done')
    before = snapshot(example_tree)
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, K2M, "convert", "--in-place", "--out", str(out),
                        str(example_tree)], env=env, capture_output=True, text=True)
    assert p.returncode == 1, p.stderr
    assert snapshot(example_tree) == before
    rep = json.loads((out / "report.json").read_text())
    entry = next(x for x in rep["files"] if x["path"].endswith("iicmux.c"))
    assert any(x["kind"] == "spatch-error" and "boom" in x["message"]
               for x in entry["findings"])
    assert rep["summary"]["spatch_errors"] == 1
    assert rep["summary"]["spatch_check"]["not_checked"] == len(entry["sites"])


def wait_for(path, proc):
    """Handshake: until path exists (the child got there), not a time;
    the loop ends early only if the child died."""
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)


def test_interrupt_touches_nothing(example_tree, tmp_path):
    started, done = tmp_path / "spatch-started", tmp_path / "test-done"
    # the fake spatch waits for the test's end, not a fixed time: GNU
    # parallel may run it in a process group of its own, which the SIGINT
    # below does not reach, and a `sleep 600` would outlive the test
    env = fake_spatch(tmp_path, f"touch {started}; "
                      f"while [ ! -e {done} ]; do sleep 0.1; done")
    before = snapshot(example_tree)
    # SIGINT as a terminal gives it: a test run in the background of a
    # shell inherits SIGINT ignored, and so would convert (GNU parallel
    # alone would stop, exit 255, and convert report it as a failure)
    proc = subprocess.Popen([sys.executable, K2M, "convert", "--in-place", "--out",
                             str(tmp_path / "out"), str(example_tree)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(started, proc)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        done.touch()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(example_tree) == before


def test_audit(example_tree):
    p = run("audit", "--json", str(example_tree))
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)["sites"]
    assert len(rows) == 31
    kept = [r for r in rows if not r["reason"].startswith("convertible")]
    assert len(kept) == 3
    assert all(r["driver"] and r["subsystem"] for r in rows)
    text = run("audit", str(example_tree), "sys/dev/usb").stdout
    assert "by driver" in text and "ubar" in text and "kmem_asprintf" in text


def test_help_teaches():
    p = run("--help")
    assert p.returncode == 0
    for word in ("convert", "audit", "install-shim", "check", "--in-place", "exit status"):
        assert word in p.stdout


def test_interrupted_in_place_leaves_each_file_old_or_new(example_tree, monkeypatch):
    """An interrupt during --in-place's replacements (here: after the
    second rename) leaves each file whole, old or new, and no temporary
    file behind."""
    from k2m import convert
    files = sorted(str(p.relative_to(example_tree)) for p in example_tree.rglob("*.c"))[:4]
    res = [convert.FileResult(f, "d", "M_X", (example_tree / f).read_text(),
                              "/* new */\n", [], []) for f in files]
    real, calls = os.replace, []

    def replace(a, b):
        real(a, b)
        calls.append(b)
        if len(calls) == 2:
            raise KeyboardInterrupt
    monkeypatch.setattr(convert.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        convert.apply_in_place(str(example_tree), res)
    texts = [(example_tree / f).read_text() for f in files]
    assert texts[:2] == ["/* new */\n"] * 2
    assert texts[2:] == [r.old for r in res[2:]]
    assert not [p for p in example_tree.rglob(".k2m-*")]


def test_out_dir_with_shell_characters(example_tree, tmp_path):
    """OUT reaches GNU parallel's command line: a space or a quote in it
    must not break the spatch command (it gave 7 spatch errors)."""
    out = tmp_path / "k2m sp out 'q'"
    p = run("convert", "--out", str(out), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    assert rep["summary"]["spatch_errors"] == 0
    assert rep["summary"]["converted"] == 28


FAKE_SSH = """#!/bin/sh
# A stand-in for ssh: options, the host, "--" (ssh takes them), then the
# command, run by a shell elsewhere with a login's clean environment.
while [ $# -gt 0 ]; do case "$1" in -*) shift;; *) break;; esac; done
host=$1; shift
[ "$1" = "--" ] && shift
echo "$host" >> {log}
cd / && exec env -i PATH=/usr/bin:/bin HOME=/ {shell} sh -c "$*"
"""


def hosts_file(tmp_path, shell="SHELL=/bin/sh"):
    ssh = tmp_path / "fake ssh"
    ssh.write_text(FAKE_SSH.format(log=tmp_path / "ssh.log", shell=shell))
    ssh.chmod(0o755)
    hosts = tmp_path / "hosts"
    hosts.write_text(f"2/ '{ssh}' elsewhere\n")
    return hosts


def test_hosts_end_to_end(example_tree, tmp_path):
    """--hosts FILE: spatch runs through GNU parallel's ssh, in a clean
    environment and another working directory, and gives what a local run
    gives."""
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert run("convert", "--out", str(local), str(example_tree)).returncode == 0
    p = run("convert", "--hosts", str(hosts_file(tmp_path)), "--no-cache", "--out", str(remote),
            str(example_tree))       # no cache: the local run's spatch outputs would do
    assert p.returncode == 0, p.stdout + p.stderr
    assert "elsewhere" in (tmp_path / "ssh.log").read_text()
    assert snapshot(local / "diffs") == snapshot(remote / "diffs") != {}


def test_hosts_job_that_never_ran_is_an_error(example_tree, tmp_path):
    """A remote login without $SHELL makes GNU parallel's wrapper run
    nothing and exit 0: that must be a spatch error, not a quiet "spatch
    did not convert it"."""
    out = tmp_path / "out"
    p = run("convert", "--hosts", str(hosts_file(tmp_path, shell="")), "--no-cache",
            "--out", str(out), str(example_tree))
    assert p.returncode == 1, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    assert rep["summary"]["spatch_errors"] > 0
    assert "did not run" in json.dumps(rep)


def test_symlink_is_not_written_through(example_tree, tmp_path):
    """--in-place and a file under PATH that is a symbolic link: the link
    and what it points to stay as they are, its sites are listed as kept;
    a link to another file under PATH is left to that file."""
    outside = tmp_path / "outside.c"
    outside.write_text("#include <sys/kmem.h>\n\nvoid\nout(void)\n{\n"
                       "\tchar *o = kmem_alloc(4, KM_SLEEP);\n\n\tkmem_free(o, 4);\n}\n")
    before = outside.read_text()
    (example_tree / "sys" / "dev" / "i2c" / "linked.c").symlink_to(outside)
    (example_tree / "sys" / "dev" / "i2c" / "alias.c").symlink_to("iicmux.c")
    out = tmp_path / "out"
    p = run("convert", "--in-place", "--out", str(out), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    assert outside.read_text() == before
    link = example_tree / "sys" / "dev" / "i2c" / "linked.c"
    assert link.is_symlink() and os.readlink(link) == str(outside)
    rep = json.loads((out / "report.json").read_text())
    entry = next(x for x in rep["files"] if x["path"].endswith("linked.c"))
    assert entry["sites"] and all(s["status"] == "kept" and "symbolic link" in s["reason"]
                                  for s in entry["sites"])
    assert not [x for x in rep["files"] if x["path"].endswith("alias.c")]
    assert (example_tree / "sys" / "dev" / "i2c" / "alias.c").is_symlink()
    assert rep["summary"]["converted"] == 28


def test_commit_groups_name_diffs_that_go_in_together(example_tree, tmp_path):
    """Memory allocated in one diff (a usb helper returning a descriptor
    through an out-parameter) and freed in another (an i2c driver): the
    report names the two diffs as one commit group (usbdi_util.c and
    uhidev.c in NetBSD-current)."""
    (example_tree / "sys" / "dev" / "usb" / "usbx_util.c").write_text(
        "#include <sys/param.h>\n#include <sys/kmem.h>\n\nint\n"
        "usbx_get(void **descp, size_t *sizep)\n{\n\n"
        "\t*descp = kmem_alloc(64, KM_SLEEP);\n\t*sizep = 64;\n\treturn 0;\n}\n")
    (example_tree / "sys" / "dev" / "i2c" / "i2cx.c").write_text(
        "#include <sys/param.h>\n#include <sys/kmem.h>\n\nint usbx_get(void **, size_t *);\n\n"
        "void\ni2cx_attach(void)\n{\n\tvoid *d;\n\tsize_t n;\n\n"
        "\tusbx_get(&d, &n);\n\tkmem_free(d, n);\n}\n")
    out = tmp_path / "out"
    p = run("convert", "--out", str(out), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    assert ["dir-dev_i2c.diff", "dir-dev_usb.diff"] in rep["commit_groups"]
    entry = next(x for x in rep["files"] if x["path"].endswith("i2cx.c"))
    assert entry["depends_on"] == ["dir-dev_usb.diff"]
    assert "dir-dev_i2c.diff dir-dev_usb.diff" in (out / "commit-groups.txt").read_text()


def test_rules_only_for_files_that_call_what_they_rewrite():
    """A file's spatch gets the rules for the calls marked in it (and the
    rules that name no call); a set of rules too few files need is merged
    into one that any of them can use, so that a handful of files does
    not cost a spatch process each."""
    from k2m.rewrite import spatch
    every = spatch.rules()
    names = {r.name for r in every}
    assert {"alloc_to_malloc", "free_to_sized_free", "asprintf_to_malloc_asprintf"} <= names
    got = spatch.rules_for("p = k2m_kmem_alloc(n, M_FOO, KM_SLEEP);\n"
                           "k2m_kmem_free(p, M_FOO, n);\n", every)
    assert set(got) == {"alloc_to_malloc", "free_to_free", "free_to_sized_free"}, got
    assert spatch.rules_for("x = kmem_zalloc(n, KM_SLEEP);\n", every) == ()
    needs = {f"f{i}.c": ("alloc_to_malloc", "free_to_free") for i in range(spatch._FEW)}
    needs.update({"a.c": ("alloc_to_malloc", "asprintf_to_malloc_asprintf"),
                  "b.c": ("zalloc_to_malloc_zero",)})
    sets = spatch.rule_sets(needs)
    assert all(sets[f] == needs[f] for f in needs if f.startswith("f"))
    assert set(sets["a.c"]) == set(sets["b.c"]) == {
        "alloc_to_malloc", "asprintf_to_malloc_asprintf", "zalloc_to_malloc_zero"}


def test_each_file_gets_the_rules_for_its_calls(example_tree, tmp_path):
    """Over the example tree, every file spatch runs on is given a
    semantic patch with the rule for each call marked in it, and each
    file is converted all the same."""
    # one record per spatch run, each in a file of its own: GNU parallel
    # runs two at once, and lines appended to one log would interleave
    logs = tmp_path / "spatch-runs"
    logs.mkdir()
    env = fake_spatch(tmp_path, f'for a; do last=$a; done\n'
                                f'rec=$(mktemp -p {logs})\n'
                                f'grep -o "^@[a-z_]*" "$2" | tr "\\n" " " > "$rec"\n'
                                f'echo >> "$rec"\n'
                                f'case " $* " in *" --file-groups "*) cat "$last";; '
                                f'*) echo "$last";; esac | grep . >> "$rec"')
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, K2M, "convert", "--out", str(out), str(example_tree)],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    given = {}
    for rec in logs.iterdir():
        sp, *fs = rec.read_text().splitlines()
        for f in fs:
            given.setdefault(f, set()).add(sp)
    calls = {"kmem_asprintf": "asprintf_to_malloc_asprintf", "kmem_zalloc": "zalloc_to_malloc_zero",
             "kmem_alloc": "alloc_to_malloc", "kmem_free": "free_to_sized_free",
             "kmem_tmpbuf_alloc": "tmpbuf_alloc_to_malloc_tmpbuf_alloc"}
    rep = json.loads((out / "report.json").read_text())
    assert len(given) > 5
    for f, patches in given.items():
        entry = next(x for x in rep["files"] if x["path"] == f)
        for patch in patches:
            for s in entry["sites"]:
                if s["status"] == "converted" and s["call"] in calls:
                    assert f"@{calls[s['call']]}" in patch, (f, s)
    rep = json.loads((out / "report.json").read_text())
    assert rep["summary"]["spatch_errors"] == 0
    entry = next(x for x in rep["files"] if x["path"] == "sys/dev/usb/ubar.c")
    assert {s["call"] for s in entry["sites"] if s["status"] == "converted"} >= \
        {"kmem_asprintf", "kmem_strfree", "kmem_strdup", "kmem_tmpbuf_alloc",
         "kmem_tmpbuf_free"}, entry["sites"]


@pytest.mark.parametrize("option, converted", [(None, True), ("--keep-size-mismatch", False)])
def test_size_mismatch_converted_as_written_or_kept(example_tree, tmp_path, option, converted):
    """A kmem_free whose size disagrees with its allocation's (if_vioif.c's
    sizeof(txc) for sizeof(*txc)): by default the pair is converted with
    the size as written, so a DIAGNOSTIC kernel's size check still catches
    the bug; --keep-size-mismatch keeps both as kmem.  A finding either way,
    and the option in report.json."""
    src = example_tree / "sys" / "dev" / "pci" / "if_sbug.c"
    before = (
        "#include <sys/param.h>\n#include <sys/kmem.h>\n\n"
        "struct sbug_txc { int a[16]; };\n\nvoid\nsbug_attach(void)\n{\n"
        "\tstruct sbug_txc *txc;\n\n"
        "\ttxc = kmem_zalloc(sizeof(*txc), KM_SLEEP);\n"
        "\tkmem_free(txc, sizeof(txc));\n}\n")
    src.write_text(before)
    out = tmp_path / "out"
    p = run("convert", *([option] if option else []), "--in-place", "--out", str(out),
            str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    assert rep["options"]["convert_size_mismatch"] is converted
    entry = next(x for x in rep["files"] if x["path"].endswith("if_sbug.c"))
    assert [s["status"] for s in entry["sites"]] == \
        (["converted"] * 2 if converted else ["kept"] * 2)
    assert [f["kind"] for f in entry["findings"]] == ["size-mismatch"]
    assert rep["summary"]["size_mismatches"] == 1
    text = src.read_text()
    if converted:
        assert "kmem_" not in text and "free(txc, M_" in text and ", sizeof(txc));" in text
    else:
        assert text == before


def test_output_work_in_a_worker_pool_is_the_serial_work(example_tree, tmp_path, monkeypatch):
    """From convert.POOL_FROM files to rewrite, each file's work (rewrite,
    restyle, include, re-scan, verify) runs in forked workers: the
    diffs and the report are byte for byte those of the serial path."""
    import concurrent.futures
    from k2m import cli, convert
    pools = []

    class Recording(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *a, **k):
            pools.append(a)
            super().__init__(*a, **k)

    monkeypatch.setattr(convert, "ProcessPoolExecutor", Recording)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796601600")    # the series' Date:
    outs = {}
    for name, start in (("serial", 10 ** 9), ("pool", 1)):
        monkeypatch.setattr(convert, "POOL_FROM", start)
        pools.clear()
        out = tmp_path / name
        assert cli.main(["convert", "-j", "2", "--out", str(out), str(example_tree)]) == 0
        assert bool(pools) == (name == "pool")
        outs[name] = {k: v for k, v in snapshot(out).items()}
    assert outs["serial"].keys() == outs["pool"].keys()
    assert outs["serial"] == outs["pool"]
    assert any(k.endswith(".diff") for k in outs["pool"])


SHARED_MAP = """\
version: 1
default: M_DEVBUF
tags:
  M_DEVBUF: {short: devbuf, description: device driver memory}
  M_EXEC: {short: exec, description: exec}
  M_NETBSD32: {short: netbsd32, description: netbsd32}
rules:
  - {path: sys/kern/**, tag: M_EXEC}
  - {path: sys/compat/netbsd32/**, tag: M_NETBSD32}
"""


def test_a_shared_release_site_frees_as_allocated(tmp_path):
    """Two owners' file actions meet in kern_exec.c's
    posix_spawn_fa_free(): the allocations record their owners' types,
    M_RECORDED(T), and the free names none, M_ASALLOCATED, written by
    spatch like any type; converting again changes nothing."""
    tree = tmp_path / "tree"
    (tree / "sys/sys").mkdir(parents=True)
    (tree / "sys/kern").mkdir()
    (tree / "sys/compat/netbsd32").mkdir(parents=True)
    (tree / "sys/sys/spawn.h").write_text(
        "struct fa { unsigned len; };\nvoid fa_free(struct fa *);\n")
    (tree / "sys/kern/kern_exec.c").write_text("""\
#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/spawn.h>

void
fa_free(struct fa *fa)
{

	kmem_free(fa, sizeof(*fa));
}

struct fa *
fa_alloc(void)
{

	return kmem_zalloc(sizeof(struct fa), KM_SLEEP);
}
""")
    (tree / "sys/compat/netbsd32/netbsd32_execve.c").write_text("""\
#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/spawn.h>

void
netbsd32_fa(void)
{
	struct fa *fa;

	fa = kmem_alloc(sizeof(*fa), KM_SLEEP);
	fa_free(fa);
}
""")
    tm = tmp_path / "map.yaml"
    tm.write_text(SHARED_MAP)
    p = run("convert", "--tag-map", str(tm), "--out", str(tmp_path / "o1"), "-j", "1",
            "--in-place", str(tree), "sys")
    assert p.returncode == 0, p.stdout + p.stderr
    exec_c = (tree / "sys/kern/kern_exec.c").read_text()
    assert "free(fa, M_ASALLOCATED, sizeof(*fa));" in exec_c
    assert "malloc(sizeof(struct fa), M_RECORDED(M_EXEC), M_WAITOK | M_ZERO)" in exec_c
    assert "fa = malloc(sizeof(*fa), M_RECORDED(M_NETBSD32), M_WAITOK);" in \
        (tree / "sys/compat/netbsd32/netbsd32_execve.c").read_text()
    rep = json.loads((tmp_path / "o1" / "report.json").read_text())
    assert rep["summary"]["converted"] == 3 and rep["summary"]["kept"] == 0
    kinds = [f["kind"] for f in rep["files"] for f in f["findings"]]
    assert "shared-release" in kinds
    p = run("convert", "--tag-map", str(tm), "--out", str(tmp_path / "o2"), "-j", "1",
            "--in-place", str(tree), "sys")
    assert p.returncode == 0, p.stdout + p.stderr
    assert os.listdir(tmp_path / "o2" / "diffs") == []


def test_a_file_whose_header_takes_free_away_calls_the_function(example_tree, tmp_path):
    """drm2's linux/nbsd-namespace.h #undefs free() for the Linux code after
    it, and no header may follow it: a converted free(p, T, n) there would
    call a function that does not exist (nouveau_nvkm_subdev_mmu_mem.c,
    i915_gem_stolen.c on NetBSD-current).  Such a file calls what the
    macro calls, kern_free_sized(p, T, n), and gets <sys/malloc.h> before
    that header; a member call of that name is left alone.  A header that
    #undefs free and defines it again (drm_gem.h) does not count."""
    linux = example_tree / "sys" / "external" / "bsd" / "drm2" / "include" / "linux"
    linux.mkdir(parents=True)
    (linux / "nbsd-namespace.h").write_text("/* Disable our historic malloc(9) "
                                            "compatibility macro.  */\n#undef\tfree\n")
    (linux / "again.h").write_text("#undef free\nstruct o { void (*free)(void *); };\n"
                                   "#define\tfree(addr, type)\t\tkern_free(addr)\n")
    body = ("#include <linux/slab.h>\n#include <linux/%s>\n\nvoid\n%s(struct o *ops)\n{\n"
            "\tchar *o = kmem_alloc(4, KM_SLEEP);\n\n\tops->free(o);\n"
            "\tkmem_free(o, 4);\n}\n")
    d = example_tree / "sys" / "dev" / "i2c"
    (d / "linuxish.c").write_text(body % ("nbsd-namespace.h", "linuxish"))
    (d / "gemish.c").write_text(body % ("again.h", "gemish"))
    out = tmp_path / "out"
    p = run("convert", "--out", str(out), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    for name in ("linuxish.c", "gemish.c"):
        sites = next(x for x in rep["files"] if x["path"].endswith(name))["sites"]
        assert [s["status"] for s in sites] == ["converted", "converted"], name
    p = run("convert", "--in-place", "--out", str(tmp_path / "o2"), str(example_tree))
    assert p.returncode == 0, p.stdout + p.stderr
    text = (d / "linuxish.c").read_text()
    assert text.startswith("#include <linux/slab.h>\n#include <sys/malloc.h>\n"
                           "#include <linux/nbsd-namespace.h>\n"), text
    assert "\tops->free(o);\n\tkern_free_sized(o, M_" in text and ", 4);" in text
    text = (d / "gemish.c").read_text()
    assert "\tfree(o, M_" in text and "kern_free" not in text


def test_takes_free_away():
    from k2m.rewrite.includes import takes_free_away
    assert takes_free_away("#undef free\n")
    assert takes_free_away("#undef\tmalloc\n#undef\tfree\n#define\tfree(addr)\tnope\n")
    assert not takes_free_away("#undef free\n#define free(addr, type) kern_free(addr)\n")
    assert not takes_free_away("#undef free\n#define\tfree(...)\t__malloc_free(__VA_ARGS__)\n")
    assert not takes_free_away("#define freeze(x) x\n#undef freelist\n")


def test_kernel_sources_compiled_outside_sys_are_reported(example_tree, tmp_path):
    """tests/sys/uvm's t_uvm_physseg.c #includes "uvm/uvm_physseg.c" after
    kmem stand-ins of its own; a Makefile outside sys/ may list a kernel
    file in SRCS along a .PATH into sys/.  A converted file so compiled
    gets an outside-build finding naming its users; one not converted,
    or compiled only under sys/, gets none."""
    d = example_tree / "sys" / "uvm"
    d.mkdir()
    (d / "uvm_seg.c").write_text("#include <sys/kmem.h>\n\nvoid\nseg_new(void)\n{\n"
                                 "\tchar *p = kmem_alloc(8, KM_SLEEP);\n\n\tkmem_free(p, 8);\n}\n")
    (d / "uvm_other.c").write_text("int uvm_other;\n")
    t = example_tree / "tests" / "sys" / "uvm"
    t.mkdir(parents=True)
    (t / "t_seg.c").write_text('#define kmem_alloc(n, f) malloc(n)\n#include "uvm/uvm_seg.c"\n'
                               '#include "uvm/uvm_other.c"\n')
    u = example_tree / "usr.sbin" / "segtool"
    u.mkdir(parents=True)
    (u / "Makefile").write_text("PROG=\tsegtool\n.PATH:\t${NETBSDSRCDIR}/sys/uvm\n"
                                "SRCS=\tmain.c uvm_seg.c uvm_other.c\n")
    (example_tree / "sys" / "modules").mkdir()      # sys/ itself is not outside
    (example_tree / "sys" / "modules" / "Makefile").write_text(
        ".PATH:\t${S}/uvm\nSRCS=\tuvm_seg.c\n")
    out = tmp_path / "out"
    p = run("convert", "--out", str(out), str(example_tree), "sys")
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    found = {(x["path"], f["kind"]): f["message"] for x in rep["files"] for f in x["findings"]
             if f["kind"] == "outside-build"}
    assert list(found) == [("sys/uvm/uvm_seg.c", "outside-build")], found
    msg = found[("sys/uvm/uvm_seg.c", "outside-build")]
    assert "tests/sys/uvm/t_seg.c" in msg and "usr.sbin/segtool/Makefile" in msg, msg
    assert "sys/modules" not in msg


def test_comments_naming_kmem_are_listed_not_rewritten(example_tree, tmp_path):
    """Comments are prose: "kmem_alloc'ed above" wants updating, "/dev/kmem"
    and "the kmem arena" do not, and "before kmem is up" stays true of
    malloc(9) too.  A converted file that calls no kmem(9) any more gets one
    kmem-comment finding with the lines of those naming kmem(9), its
    calls or flags; its comments are left as they were."""
    d = example_tree / "sys" / "kern"
    d.mkdir(exist_ok=True)
    (d / "subr_note.c").write_text(
        "#include <sys/kmem.h>\n\n/* see /dev/kmem and kmem_arena */\nvoid\nnote(void)\n{\n"
        "\tchar *p = kmem_alloc(8, KM_SLEEP);\n\n\t/*\n\t * p was kmem_alloc'ed above,\n"
        "\t * with KM_SLEEP.\n\t */\n\tkmem_free(p, 8);\t// back to kmem\n}\n")
    (d / "subr_keep.c").write_text(
        "#include <sys/kmem.h>\n\n/* kmem_alloc'ed below */\nstruct a { int x; };\n"
        "struct b { int y; };\nvoid\nkeep(void)\n{\n"
        "\tstruct a *p = kmem_alloc(sizeof(*p), KM_SLEEP);\n\n\tkmem_free(p, sizeof(*p));\n}\n"
        "struct b *keep2(int);\nstruct b *\nkeep2(int fl)\n{\n"
        "\tstruct b *q = kmem_alloc(sizeof(*q), fl);\n\n\treturn q;\n}\n")
    out = tmp_path / "out"
    p = run("convert", "--out", str(out), str(example_tree), "sys/kern")
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads((out / "report.json").read_text())
    found = {x["path"]: f for x in rep["files"] for f in x["findings"]
             if f["kind"] == "kmem-comment"}
    assert list(found) == ["sys/kern/subr_note.c"], found
    msg = found["sys/kern/subr_note.c"]["message"]
    assert "line 10 (kmem_alloc), 11 (KM_SLEEP), 13 (kmem):" in msg, msg
    diff = (out / "diffs").glob("**/*.diff")
    text = "".join(f.read_text() for f in diff)
    assert "kmem_alloc'ed above" in text and "+\t * p was malloc" not in text
    assert "+\tfree(p, M_KERN, sizeof(*p));" in text     # subr_keep.c: changed, kmem left


def test_a_malloc_macro_of_a_converted_macros_name(tmp_path):
    """pci_subr.c's MALLOC calls kmem(9) and is converted; stb_image.c's
    own MALLOC calls malloc(9): its uses are not the converted macro's."""
    tree = tmp_path / "tree"
    for rel, body in (("sys/dev/pci/a.c", "kmem_alloc((n), KM_SLEEP)"),
                      ("sys/dev/stbi/b.c", "malloc((n), M_DEVBUF, M_WAITOK)")):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(f"#define MALLOC(n) {body}\n\nvoid\nf(void)\n{{\n"
                                "\tchar *p = MALLOC(4);\n\n\t(void)p;\n}\n")
    p = run("convert", "--no-series", "--out", str(tmp_path / "out"), "-j", "1",
            str(tree), "sys")
    assert p.returncode == 0, p.stdout + p.stderr
