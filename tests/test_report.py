"""report.unified: the diffs people review."""
import subprocess

import pytest

from k2m import report


def big_file(last_free):
    """Over 200 lines, most of them `}`: difflib's autojunk territory."""
    body = "".join(f"void\nf{i}(void)\n{{\n\tg({i});\n}}\n\n" for i in range(60))
    return body + f"void\nlast(void)\n{{\n\tif (p)\n\t\t{last_free};\n}}\n"


def test_unified_shows_only_the_changed_lines(tmp_path):
    old = big_file("kmem_free(p, 8)")
    new = big_file("free(p, M_TEST)")
    diff = report.unified("sys/dev/x.c", old, new)
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-\t\tkmem_free(p, 8);", "+\t\tfree(p, M_TEST);"]
    (tmp_path / "sys/dev").mkdir(parents=True)
    (tmp_path / "sys/dev/x.c").write_text(old)
    p = subprocess.run(["patch", "-p1", "-s"], input=diff, text=True, cwd=tmp_path)
    assert p.returncode == 0
    assert (tmp_path / "sys/dev/x.c").read_text() == new


def test_unified_with_form_feeds(tmp_path):
    """Old BSD sources put a form feed between functions; a diff is split
    at newlines only, as patch reads it."""
    old = "int a;\n\f\nvoid\nf(void)\n{\n\tkmem_free(p, 8);\n}\n\f\nint b;\n"
    new = old.replace("kmem_free(p, 8)", "free(p, M_TEST)")
    diff = report.unified("x.c", old, new)
    assert "No newline" not in diff
    (tmp_path / "x.c").write_text(old)
    p = subprocess.run(["patch", "-p1", "-s"], input=diff, text=True, cwd=tmp_path)
    assert p.returncode == 0
    assert (tmp_path / "x.c").read_text() == new


def test_diffs_are_kept_by_path_and_texts(tmp_path, monkeypatch):
    """With a cache, a file's diff is made once for the same path and
    texts; another text makes it again."""
    from types import SimpleNamespace
    from k2m.c.factcache import FactCache
    cache = FactCache(str(tmp_path / "cache"))
    old = big_file("kmem_free(p, 8)")
    res = [SimpleNamespace(path="sys/dev/x.c", driver="x", old=old,
                           new=big_file("free(p, M_TEST)"))]
    report.write_diffs(str(tmp_path / "o1"), res, cache)
    made = (tmp_path / "o1/diffs/x.diff").read_text()

    def refuse(*args):
        raise AssertionError("diffed again")
    monkeypatch.setattr(report, "unified", refuse)
    report.write_diffs(str(tmp_path / "o2"), res, cache)
    assert (tmp_path / "o2/diffs/x.diff").read_text() == made
    res[0].new = big_file("free(p, M_OTHER)")
    with pytest.raises(AssertionError, match="diffed again"):
        report.write_diffs(str(tmp_path / "o3"), res, cache)
