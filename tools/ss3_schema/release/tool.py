"""Release step: build the ss3-schema tool's wheel and publish it beside ss3-protos.

Service pipelines install the tool from the same index as the schemas
(docs/service-ci.md). Publishing is the same idempotent upload as the
ss3-protos wheel: the same bytes already on the index are kept, so a
re-run converges; other bytes under the same version are a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ss3_schema.build.tool_wheel import build_tool_wheel
from ss3_schema.release.distribution import file_sha256
from ss3_schema.release.index import Index
from ss3_schema.release.publish import publish
from ss3_schema.workspace import Workspace


@dataclass(frozen=True)
class ToolRelease:
    wheel: Path
    outcome: str
    destination: str

    def describe(self, ws: Workspace) -> str:
        return f"{ws.relative(self.wheel)} (sha256 {file_sha256(self.wheel)[:12]}) on {self.destination}"


def release_tool(ws: Workspace, index: Index) -> ToolRelease:
    """Build dist/ss3_schema-<VERSION>-py3-none-any.whl and publish it to `index`."""
    wheel = build_tool_wheel(ws)
    result = publish([wheel], index)
    return ToolRelease(wheel, str(result.files[0].outcome), result.destination)
