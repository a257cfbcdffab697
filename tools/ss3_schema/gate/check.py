"""The PR gate: lint + breaking + event checks (+ the registry's verdict).

The working tree and the base are compiled once each, in parallel; the
lint and the comparison then run on those images, also in parallel.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ss3_schema.gate import events, jvm
from ss3_schema.gate.breaking import Base, Comparison, compared, incompatibilities
from ss3_schema.gate.images import CompileFailed, Image
from ss3_schema.gate.lint import lint_image
from ss3_schema.report import Violation
from ss3_schema.workspace import Workspace

# Asks the registry what it would say about the changed event schemas.
RegistryPrediction = Callable[[Workspace, Image, Base], list[Violation]]


@dataclass
class CheckResult:
    violations: list[Violation]
    notices: list[str] = field(default_factory=list)


def check(ws: Workspace, ref: str, predict: RegistryPrediction | None = None) -> CheckResult:
    """Run the whole gate against merge-base(REF, HEAD)."""
    try:
        with compared(ws, ref) as comparison:
            return _gate(ws, ref, comparison, predict)
    except CompileFailed as failed:
        # Nothing else is meaningful on a tree that does not compile.
        return CheckResult(failed.violations)


def _gate(ws: Workspace, ref: str, comparison: Comparison, predict: RegistryPrediction | None) -> CheckResult:
    with ThreadPoolExecutor(max_workers=1) as pool:
        lint_job = pool.submit(lint_image, ws, comparison.current_file)
        violations = incompatibilities(ws, comparison) + lint_job.result()
    violations += events.check_declarations(comparison.current)
    violations += jvm.check_jvm_rules(comparison.current)
    notices = [f"compared against {comparison.base.commit[:12]} (merge-base of {ref} and HEAD)"]
    if predict is None:
        notices.append("registry check skipped: no --registry-url or SS3_REGISTRY_URL given")
    else:
        violations += predict(ws, comparison.current, comparison.base)
    return CheckResult(sorted(set(violations)), notices)
