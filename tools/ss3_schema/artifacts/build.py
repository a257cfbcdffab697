"""Every artifact of a release, built from one commit before anything is published.

The ss3-protos wheel, the ss3-schema tool wheel (service pipelines install it
from the same index) and the jar with its POM. Each is byte-identical for the
same commit, so a re-run of a release publishes nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ss3_schema.artifacts.jar import MavenArtifact, build_jar
from ss3_schema.artifacts.tool_wheel import build_tool_wheel
from ss3_schema.artifacts.wheel import build_wheel
from ss3_schema.errors import ToolError
from ss3_schema.workspace import Workspace, read_version


@dataclass(frozen=True)
class Artifacts:
    wheel: Path
    tool_wheel: Path
    jar: MavenArtifact

    def files(self) -> tuple[Path, ...]:
        return (self.wheel, self.tool_wheel, self.jar.jar)


def build_artifacts(ws: Workspace) -> Artifacts:
    """Build all three into dist/ for VERSION (run gen first)."""
    version = read_version(ws)
    built = Artifacts(build_wheel(ws), build_tool_wheel(ws), build_jar(ws))
    for wheel in (built.wheel, built.tool_wheel):
        if f"-{version}-" not in wheel.name:
            raise ToolError(f"{wheel.name}: expected version {version} (from VERSION) in the wheel's name")
    if built.jar.version != version:
        raise ToolError(f"{built.jar.jar.name}: expected version {version} (from VERSION)")
    return built
