"""The one bracket matcher and top-level splitter (k2m/c/brackets.py)."""
from k2m.c import brackets


def test_match_is_the_offset_after_the_partner_of_any_kind():
    s = "f(a[1], {b, (c)}) + d"
    assert brackets.match(s, 1) == s.index(" +")
    assert brackets.match(s, 3) == s.index(",")
    assert brackets.match("(a", 0) == 2            # none: the end


def test_match_of_some_kinds_counts_only_those():
    s = "{ int a[2]; ( }"
    assert brackets.match(s, 0, "{") == len(s)      # the stray ( does not count
    assert brackets.match(s, 0) == len(s)           # it does: no partner


def test_opening_searches_back():
    s = "x = (p)[i]->a"
    assert brackets.opening(s, s.index("]"), "([") == s.index("[")
    assert brackets.opening(s, s.index(")"), "(") == s.index("(")
    assert brackets.opening("a)", 1) == -1


def test_top_level_and_split_skip_what_is_inside_brackets():
    assert brackets.top_level("a, f(b, c), {d, e}", ",") == [1, 10]
    assert brackets.split("a*(b*c)*d", "*") == ["a", "(b*c)", "d"]
    # a stray closer: what follows is no longer at the top level
    assert brackets.top_level("a), b", ",") == []


def test_arg_commas_and_split_args():
    s = "g(x, h(y, z), w[1, 2]) ;"
    assert brackets.arg_commas(s, 1) == ([3, 12], s.index(")", 15))
    assert brackets.arg_commas("g(x, y", 1) == ([3], 6)     # no ')'
    assert brackets.split_args(" x , h(y, z) ") == ["x", "h(y, z)"]
    assert brackets.split_args("  ") == []
    assert brackets.split_args("a), (b, c") == ["a), (b, c"]  # ends at the stray ')'
