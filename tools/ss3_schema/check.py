"""The PR gate: lint + breaking + event checks (+ the registry's verdict).

The independent steps run in parallel: linting, compiling the working
tree, and exporting and compiling the base tree. buf breaking then runs
against the already-compiled base image.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ss3_schema import events
from ss3_schema.breaking import Base, breaking_images, prepared_base
from ss3_schema.images import CompileFailed, Image, build_image
from ss3_schema.lint import lint_image
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
    with tempfile.TemporaryDirectory(prefix="ss3-check-") as tmp, ThreadPoolExecutor(max_workers=2) as pool:
        current_file = Path(tmp) / "current.binpb"
        current_job = pool.submit(build_image, ws.root, current_file)
        with prepared_base(ws, ref) as base:
            try:
                current = current_job.result()
            except CompileFailed as failed:
                # Nothing else is meaningful on a tree that does not compile.
                return CheckResult(failed.violations)
            lint_job = pool.submit(lint_image, ws, current_file)
            violations = breaking_images(ws, current_file, base) + lint_job.result()
            violations += events.check_declarations(current)
            if base.image is not None:
                violations += events.check_changes(base.image, current)
            notices = [f"compared against {base.commit[:12]} (merge-base of {ref} and HEAD)"]
            if predict is None:
                notices.append("registry check skipped: no --registry-url or SS3_REGISTRY_URL given")
            else:
                violations += predict(ws, current, base)
    return CheckResult(sorted(set(violations)), notices)
