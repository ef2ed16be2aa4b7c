"""Property test: any mix of the rule tables' examples is fixed into code that compiles, is clean,
and does not change on a second run; both engines agree on it."""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemods import RULES_BY_CODE, analyze, fix

EXAMPLES = [s for rule in RULES_BY_CODE.values() for s in rule.VALID + [i for i, _ in rule.INVALID]]


def _key(findings):
    return [(f.line, f.code, f.state, f.fixable, f.span) for f in findings]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(EXAMPLES), min_size=1, max_size=4))
def test_any_mix_is_fixed_cleanly(parts):
    source = "\n".join(parts)
    ast.parse(source)
    assert _key(analyze(source)) == _key(analyze(source, engine="cst"))
    new, applied = fix(source)
    compile(new, "<fixed>", "exec")
    assert [f for f in analyze(new) if f.fixable] == []
    assert fix(new) == (new, [])
    fixable = [f for f in analyze(source) if f.fixable]
    assert len(applied) == len(fixable)
