"""What registration sends for one artifact.

Kept apart from the protobuf planning (plan.py) so that registering an
OpenAPI document needs no protobuf runtime: the lean install of the tool
(`pip install ss3-schema`, without the toolchain extra) imports only this.
"""

from __future__ import annotations

from dataclasses import dataclass

PROTOBUF = "PROTOBUF"
PROTOBUF_CONTENT_TYPE = "application/x-protobuf"


@dataclass(frozen=True)
class PlannedArtifact:
    """One schema file to register: its artifact id, text and what it imports."""

    artifact_id: str
    file: str  # import path, e.g. ss3/orders/v1/order_events.proto
    content: str
    imports: tuple[str, ...] = ()  # import strings that are artifacts too, sorted
    topic: str | None = None  # set for event files
    artifact_type: str = PROTOBUF
    content_type: str = PROTOBUF_CONTENT_TYPE

    @property
    def is_event(self) -> bool:
        return self.topic is not None
