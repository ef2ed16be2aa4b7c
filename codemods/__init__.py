"""Free-threading codemods: find shared state mutated without a lock, and fix it.

Each rule lives in its own module (``ft001_global_rmw`` … ``ft009_iterate_shared``) with its code,
message, fix kind and VALID/INVALID examples (the tests are generated from them).

    from codemods import analyze, fix
    findings = analyze(source)
    new_source, applied = fix(source)
"""

from __future__ import annotations

import ast

from codemods._analysis import PREFILTER, Finding, blocks, function_contexts, module_info, suppressed
from codemods._base import Rule
from codemods.ft001_global_rmw import GlobalReadModifyWrite
from codemods.ft002_container_item_rmw import ContainerItemReadModifyWrite
from codemods.ft003_check_then_act import CheckThenAct
from codemods.ft004_lazy_init import LazyInit
from codemods.ft005_class_attr_rmw import ClassAttrReadModifyWrite
from codemods.ft006_check_then_delete import CheckThenDelete
from codemods.ft007_check_then_pop import CheckThenPop
from codemods.ft008_instance_attr_rmw import InstanceAttrReadModifyWrite
from codemods.ft009_iterate_shared import IterateSharedContainer

# order matters where two rules see one statement: the more specific first
RULES: list[Rule] = [
    CheckThenDelete(), LazyInit(), CheckThenPop(), CheckThenAct(), GlobalReadModifyWrite(),
    ContainerItemReadModifyWrite(), ClassAttrReadModifyWrite(), InstanceAttrReadModifyWrite(),
    IterateSharedContainer(),
]
RULES_BY_CODE = {r.CODE: r for r in sorted(RULES, key=lambda r: r.CODE)}

__all__ = ["PREFILTER", "RULES", "RULES_BY_CODE", "Finding", "Rule", "analyze", "fix"]


def analyze(source: str, select: set[str] | None = None, ignore: set[str] | None = None,
            tree: ast.Module | None = None) -> list[Finding]:
    """Findings in ``source`` (raises SyntaxError for invalid Python)."""
    if tree is None:
        if not PREFILTER.search(source):
            return []
        tree = ast.parse(source)
    rules = [r for r in RULES if (not select or r.CODE in select) and r.CODE not in (ignore or set())]
    info = module_info(tree)
    lines = source.splitlines()
    found: dict[int, Finding] = {}
    for ctx in function_contexts(tree, info):
        for body, locked in blocks(ctx.fn, info):
            if locked:
                continue
            for i in range(len(body)):
                for rule in rules:
                    f = rule.check(body, i, ctx)
                    if f is not None and not suppressed(lines, f.line, f.code):
                        found.setdefault(f.line, f)
                        break
    return sorted(found.values(), key=lambda f: (f.line, f.column))


def fix(source: str, select: set[str] | None = None, ignore: set[str] | None = None,
        max_rounds: int = 5) -> tuple[str, list[Finding]]:
    """Apply every safe fix; returns the new source and the findings fixed. Idempotent."""
    from codemods._fix import apply_fixes

    applied: list[Finding] = []
    for _ in range(max_rounds):
        findings = analyze(source, select, ignore)
        # fix the outermost findings first; nested ones are re-examined on the next round
        outer = [f for f in findings if f.fixable and not any(
            g is not f and g.fixable and g.span[0] <= f.span[0] and f.span[1] <= g.span[1] for g in findings)]
        if not outer:
            break
        new, done = apply_fixes(source, outer)
        if new == source or not done:
            break
        source = new
        applied.extend(done)
    return source, applied
