"""Free-threading codemods: find shared state mutated without a lock, and fix it.

Each rule lives in its own module (``ft001_global_rmw`` … ``ft012_shared_generator``) with its code,
message, fix kind and VALID/INVALID examples (the tests are generated from them).

    from codemods import analyze, fix
    findings = analyze(source)
    new_source, applied = fix(source)
"""

from __future__ import annotations

import ast

from codemods._analysis import PREFILTER, Finding, analyze_tree, may_have_findings, source_lines
from codemods._base import Rule
from codemods._plan import COMPANION, companions, plan, report_unlocked, share_locks
from codemods._syntax import parse, valid
from codemods.ft001_global_rmw import GlobalReadModifyWrite
from codemods.ft002_container_item_rmw import ContainerItemReadModifyWrite
from codemods.ft003_check_then_act import CheckThenAct
from codemods.ft004_lazy_init import LazyInit
from codemods.ft005_class_attr_rmw import ClassAttrReadModifyWrite
from codemods.ft006_check_then_delete import CheckThenDelete
from codemods.ft007_check_then_pop import CheckThenPop
from codemods.ft008_instance_attr_rmw import InstanceAttrReadModifyWrite
from codemods.ft009_iterate_shared import IterateSharedContainer
from codemods.ft010_check_then_read import CheckThenRead
from codemods.ft011_unconditional_del import UnconditionalDelete
from codemods.ft012_shared_generator import SharedGenerator

# order matters where two rules see one statement: the more specific first
RULES: list[Rule] = [
    CheckThenDelete(), LazyInit(), CheckThenPop(), CheckThenAct(), GlobalReadModifyWrite(),
    ContainerItemReadModifyWrite(), ClassAttrReadModifyWrite(), InstanceAttrReadModifyWrite(),
    IterateSharedContainer(), CheckThenRead(), UnconditionalDelete(), SharedGenerator(),
]
RULES_BY_CODE = {r.CODE: r for r in sorted(RULES, key=lambda r: r.CODE)}

__all__ = ["parse", "PREFILTER", "may_have_findings", "RULES", "RULES_BY_CODE", "Finding", "Rule", "analyze", "fix"]


def _rules(select: set[str] | None, ignore: set[str] | None) -> list[Rule]:
    return [r for r in RULES if (not select or r.CODE in select) and r.CODE not in (ignore or set())]


def analyze(source: str, select: set[str] | None = None, ignore: set[str] | None = None,
            tree: ast.Module | None = None, engine: str = "ast", all_instances: bool = False) -> list[Finding]:
    """Findings in ``source`` (raises SyntaxError for invalid Python; syntax newer than the running
    Python is parsed through ``codemods._syntax``).

    ``engine="ast"`` (fast, pre-filtered) or ``"cst"`` (libcst metadata, the reference); both give the
    same findings. ``all_instances``: FT008 also without evidence that instances are shared (opt-in).
    """
    if engine == "cst":
        import libcst
        from libcst.metadata import MetadataWrapper

        from codemods._cst_facts import cst_facts

        facts = cst_facts(MetadataWrapper(libcst.parse_module(source)))
        tree = tree or parse(source)
        lines = source_lines(source)
        found = plan(tree, lines, analyze_tree(tree, lines, facts, _rules(select, ignore),
                                               all_instances=all_instances))
        return report_unlocked(tree, facts, found, lines) if any(f.fixable for f in found) else found
    if tree is None:
        if not may_have_findings(source):
            return []
        tree = parse(source)
    from codemods._ast_facts import ast_facts

    lines = source_lines(source)
    facts = ast_facts(tree, source)
    found = plan(tree, lines, analyze_tree(tree, lines, facts, _rules(select, ignore), all_instances=all_instances))
    return report_unlocked(tree, facts, found, lines) if any(f.fixable for f in found) else found


def fix(source: str, select: set[str] | None = None, ignore: set[str] | None = None,
        max_rounds: int = 5) -> tuple[str, list[Finding]]:
    """Apply every safe fix; returns the new source and the findings fixed. Idempotent.

    Findings come from the ``ast`` engine (the engines agree; tests check it); libcst parses only the
    top-level statements that hold a fix (``codemods._fix``). Nested findings are fixed in later rounds.
    """
    from codemods._ast_facts import ast_facts
    from codemods._fix import apply_fixes

    rules = _rules(select, ignore)
    applied: list[Finding] = []
    for _ in range(max_rounds):
        if not may_have_findings(source):
            break
        tree = parse(source)
        lines = source_lines(source)
        facts = ast_facts(tree, source)
        findings = plan(tree, lines, analyze_tree(tree, lines, facts, rules))
        fixable = [f for f in findings if f.fixable]
        # fix the outermost findings first; nested ones are re-examined on the next round
        outer = _outermost(fixable)
        if not outer:
            break
        # other code that mutates (or checks then reads) a container that gets a lock takes it too
        others = companions(tree, facts, fixable, lines)
        # related state shares one lock; consecutive updates are one `with`
        outer, alias, merged = share_locks(tree, outer + others)
        new, done = apply_fixes(source, tree, outer, check=_compiles, alias=alias)
        done = [g for f in done for g in [f] + merged.get(id(f), []) if g.message != COMPANION]
        if new == source or not done:
            break
        source = new
        applied.extend(done)
        if len(done) == len(fixable):
            break  # nothing was nested or left out: the fixed code has no fixable finding
    return source, applied


def _outermost(findings: list[Finding]) -> list[Finding]:
    """The findings whose span is inside no other finding's span (one sort, not all pairs)."""
    from collections import Counter

    same = Counter(f.span for f in findings)
    out, reach = [], 0
    for f in sorted(findings, key=lambda f: (f.span[0], -f.span[1])):
        if reach < f.span[1] and same[f.span] == 1:
            out.append(f)
        reach = max(reach, f.span[1])
    return sorted(out, key=lambda f: (f.line, f.column))


def _compiles(text: str) -> bool:
    """Is the fixed text of one top-level statement valid Python (new syntax included)?"""
    return valid(text)
