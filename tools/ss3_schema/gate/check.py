"""The PR gate: lint + breaking + event checks + the gate's own rules (+ the registry's verdict).

The working tree and the base are compiled once each, in parallel; the
lint and the comparison then run on those images, also in parallel. The
rules come from the base (guard.py). The registry's verdict is asked last:
when the registry cannot be asked, every other verdict is still reported,
with the failure (`CheckResult.registry_error`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ss3_schema.errors import Ss3SchemaError
from ss3_schema.gate import guard, jvm, limits
from ss3_schema.gate.breaking import Base, Comparison, GateResult, base_notice, compared, incompatibilities
from ss3_schema.gate.lint import lint_image
from ss3_schema.report import Violation
from ss3_schema.schema.declarations import check_declarations
from ss3_schema.schema.image import CompileFailed, Image
from ss3_schema.workspace import Workspace

# Asks the registry what it would say about the changed event schemas.
RegistryPrediction = Callable[[Workspace, Image, Base], list[Violation]]


@dataclass
class CheckResult(GateResult):
    """The gate's verdict; `registry_error` says why the registry's part is missing."""

    registry_error: Ss3SchemaError | None = None


def check(ws: Workspace, ref: str, predict: Callable[[], RegistryPrediction] | None = None) -> CheckResult:
    """Run the whole gate against merge-base(REF, HEAD); `predict` builds the registry hook."""
    try:
        with compared(ws, ref) as comparison:
            return _gate(ws, ref, comparison, predict)
    except CompileFailed as failed:
        # Nothing else is meaningful on a tree that does not compile.
        return CheckResult(failed.violations)


def _gate(
    ws: Workspace, ref: str, comparison: Comparison, predict: Callable[[], RegistryPrediction] | None
) -> CheckResult:
    base = comparison.base
    with ThreadPoolExecutor(max_workers=1) as pool:
        lint_job = pool.submit(lint_image, ws, comparison.current_file, base.rules_root(ws))
        violations = incompatibilities(ws, comparison) + lint_job.result()
    violations += check_declarations(comparison.current)
    violations += jvm.check_jvm_rules(comparison.current)
    violations += limits.check_limits(comparison.current)
    rules = guard.judge_rule_changes(ws.root, base.tree)
    violations += rules.violations
    result = CheckResult(violations, [base_notice(base, ref), *rules.notices], base.commit)
    if predict is None:
        result.notices.append("registry check skipped: no --registry-url or SS3_REGISTRY_URL given")
    else:
        _ask_registry(ws, comparison, predict, result)
    result.violations = sorted(set(result.violations))
    return result


def _ask_registry(
    ws: Workspace, comparison: Comparison, predict: Callable[[], RegistryPrediction], result: CheckResult
) -> None:
    try:
        result.violations += predict()(ws, comparison.current, comparison.base)
    except Ss3SchemaError as exc:
        result.registry_error = exc
