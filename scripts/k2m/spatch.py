"""Running spatch: the one place that does.

The rule files in cocci/ are joined into one semantic patch, so each file
is parsed once.  GNU parallel starts one spatch per batch of files (not one
per file: spatch's start-up would dominate), rewriting copies in a work
directory in place.  A batch that fails is re-run file by file, so an error
is always pinned on the file that caused it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

COCCI_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "cocci")
# Order matters: the plan loader first, the includes last.
RULE_FILES = ("plan.cocci", "kmem_calls.cocci", "includes.cocci")
MACRO_FILE = os.path.join(COCCI_DIR, "netbsd_macros.h")
SPATCH_OPTS = ["--very-quiet", "--no-includes", "--no-show-diff", "--in-place",
               "--macro-file", MACRO_FILE]


class SpatchError(Exception):
    pass


@dataclass
class Result:
    failed: dict[str, str]          # file -> what spatch said
    outputs: dict[str, str]         # file -> rewritten text


def semantic_patch(workdir: str) -> str:
    """Join the rule files into workdir/kmem2malloc.cocci; return its path."""
    out = os.path.join(workdir, "kmem2malloc.cocci")
    with open(out, "w") as fp:
        for name in RULE_FILES:
            with open(os.path.join(COCCI_DIR, name)) as rf:
                fp.write(rf.read())
            fp.write("\n")
    return out


def check_tools() -> None:
    for tool in ("spatch", "parallel"):
        if shutil.which(tool) is None:
            raise SpatchError(f"'{tool}' not found: run 'make deps' "
                              "(installs coccinelle and parallel)")


def _parallel(args: list[str], files: list[str], workdir: str, jobs: int,
              batch: int, hosts: str | None, env: dict, tag: str) -> dict[int, tuple[int, str]]:
    """Run `args FILES...` over files in batches; {seq: (exit, stderr)}."""
    listfile = os.path.join(workdir, f"files-{tag}.txt")
    with open(listfile, "w") as fp:
        fp.write("\n".join(files) + "\n")
    errdir = os.path.join(workdir, f"err-{tag}")
    os.makedirs(errdir, exist_ok=True)
    joblog = os.path.join(workdir, f"joblog-{tag}")
    cmd = ["parallel", "--will-cite", "-j", str(jobs), "-n", str(batch),
           "--joblog", joblog, "-a", listfile]
    if hosts:
        cmd += ["--sshloginfile", hosts, "--workdir", workdir]
    if sys.stderr.isatty():
        cmd.append("--bar")
    quoted = " ".join(subprocess.list2cmdline([a]) for a in args)
    cmd.append(f"{quoted} {{}} 2> {errdir}/{{#}}")
    proc = subprocess.run(cmd, cwd=workdir, env=env)
    if proc.returncode in (-2, 130):
        raise KeyboardInterrupt
    if proc.returncode < 0 or proc.returncode > 101:
        raise SpatchError(f"GNU parallel failed (exit status {proc.returncode})")
    results = {}
    with open(joblog) as fp:
        next(fp, None)
        for line in fp:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 9:
                continue
            seq, rc = int(cols[0]), int(cols[6])
            sig = int(cols[7])
            try:
                with open(os.path.join(errdir, str(seq))) as ef:
                    err = ef.read()
            except OSError:
                err = ""
            results[seq] = (rc if not sig else 128 + sig, err)
    return results


def run(inputs: dict[str, str], workdir: str, plan_path: str, jobs: int,
        hosts: str | None = None, timeout: int = 120) -> Result:
    """Write each {tree-relative path: text} under workdir, rewrite the
    copies in place; Result.outputs has the new texts."""
    check_tools()
    workdir = os.path.abspath(workdir)
    files = sorted(inputs)
    _write(workdir, inputs, files)
    sp = semantic_patch(workdir)
    scripts = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, K2M_PLAN=os.path.abspath(plan_path),
               PYTHONPATH=os.pathsep.join(filter(None, [scripts, os.environ.get("PYTHONPATH")])))
    args = ["spatch", "--sp-file", sp, "--timeout", str(timeout)] + SPATCH_OPTS
    failed: dict[str, str] = {}
    if not files:
        return Result(failed, {})
    batch = max(1, min(50, -(-len(files) // (jobs * 8))))
    res = _parallel(args, files, workdir, jobs, batch, hosts, env, "all")
    retry = []
    for seq in range(1, -(-len(files) // batch) + 1):
        rc, err = res.get(seq, (-1, "batch did not run"))
        chunk = files[(seq - 1) * batch:seq * batch]
        if rc != 0:
            retry.extend(chunk)
        else:
            for f in chunk:
                if f in err and "timeout" in err.lower():
                    failed[f] = "spatch timed out"
    if retry:
        _write(workdir, inputs, retry)
        res = _parallel(args, retry, workdir, jobs, 1, hosts, env, "retry")
        for seq, f in enumerate(retry, 1):
            rc, err = res.get(seq, (-1, "did not run"))
            if rc != 0:
                lines = [l for l in err.splitlines() if l.strip()]
                failed[f] = f"spatch exit {rc}: " + " / ".join(lines[-3:])
    outputs = {}
    for f in files:
        if f not in failed:
            with open(os.path.join(workdir, f), encoding="utf-8",
                      errors="surrogateescape") as fp:
                outputs[f] = fp.read()
    return Result(failed, outputs)


def _write(workdir: str, inputs: dict[str, str], files: list[str]) -> None:
    for f in files:
        dst = os.path.join(workdir, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w", encoding="utf-8", errors="surrogateescape") as fp:
            fp.write(inputs[f])
