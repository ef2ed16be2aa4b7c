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

__all__ = ["PREFILTER", "may_have_findings", "RULES", "RULES_BY_CODE", "Finding", "Rule", "analyze", "fix"]


def _rules(select: set[str] | None, ignore: set[str] | None) -> list[Rule]:
    return [r for r in RULES if (not select or r.CODE in select) and r.CODE not in (ignore or set())]


def analyze(source: str, select: set[str] | None = None, ignore: set[str] | None = None,
            tree: ast.Module | None = None, engine: str = "ast", all_instances: bool = False) -> list[Finding]:
    """Findings in ``source`` (raises SyntaxError for invalid Python).

    ``engine="ast"`` (fast, pre-filtered) or ``"cst"`` (libcst metadata, the reference); both give the
    same findings. ``all_instances``: FT008 also without evidence that instances are shared (opt-in).
    """
    if engine == "cst":
        import libcst
        from libcst.metadata import MetadataWrapper

        from codemods._cst_facts import cst_facts

        facts = cst_facts(MetadataWrapper(libcst.parse_module(source)))
        return analyze_tree(tree or ast.parse(source), source_lines(source), facts, _rules(select, ignore),
                            all_instances=all_instances)
    if tree is None:
        if not may_have_findings(source):
            return []
        tree = ast.parse(source)
    from codemods._ast_facts import ast_facts

    return analyze_tree(tree, source_lines(source), ast_facts(tree, source), _rules(select, ignore),
                        all_instances=all_instances)


def fix(source: str, select: set[str] | None = None, ignore: set[str] | None = None,
        max_rounds: int = 5) -> tuple[str, list[Finding]]:
    """Apply every safe fix; returns the new source and the findings fixed. Idempotent.

    Facts come from libcst metadata here (the module is parsed by libcst anyway to write the fix).
    """
    import libcst
    from libcst.metadata import MetadataWrapper

    from codemods._cst_facts import cst_facts
    from codemods._fix import apply_fixes

    rules = _rules(select, ignore)
    applied: list[Finding] = []
    for _ in range(max_rounds):
        wrapper = MetadataWrapper(libcst.parse_module(source))
        findings = analyze_tree(ast.parse(source), source_lines(source), cst_facts(wrapper), rules)
        # fix the outermost findings first; nested ones are re-examined on the next round
        outer = [f for f in findings if f.fixable and not any(
            g is not f and g.fixable and g.span[0] <= f.span[0] and f.span[1] <= g.span[1] for g in findings)]
        if not outer:
            break
        new, done = apply_fixes(wrapper, outer)
        if new == source or not done:
            break
        source = new
        applied.extend(done)
    return source, applied
