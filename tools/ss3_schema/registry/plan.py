"""Which artifacts registration creates, and in which order.

Every event file becomes a PROTOBUF artifact named after its topic (the
serdes' TopicIdStrategy `<topic>-value`, or SimpleTopicIdStrategy `<topic>`).
What an event file imports, transitively, becomes an artifact named by its
import path (as the Apicurio Maven plugin's autoRefs names them), the
well-known `google/protobuf/*` files included: the Apicurio Java serde
(3.1.x) builds a schema only from what its references provide, so an
unreferenced `google/protobuf/timestamp.proto` makes every event that
carries the envelope unreadable. Their text is the one the pinned protoc
(grpcio-tools) compiles against. Dependencies come first, so a dependent's
references can pin the versions the server returned for them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from google.protobuf import descriptor_pb2

from ss3_schema.errors import SchemaError

# Re-exported: a plan is made of them, and its importers name them from here.
from ss3_schema.registry.artifact import PROTOBUF as PROTOBUF  # noqa: PLC0414
from ss3_schema.registry.artifact import PlannedArtifact as PlannedArtifact  # noqa: PLC0414
from ss3_schema.schema.declarations import check_declarations
from ss3_schema.schema.events import EventFile, event_files
from ss3_schema.schema.image import Image
from ss3_schema.toolchain.generator import WELL_KNOWN_PREFIX, well_known_proto
from ss3_schema.workspace import Workspace

STRATEGIES = ("topic", "simple-topic")


def artifact_id_for(topic: str, strategy: str) -> str:
    """The artifact id the Kafka serdes look up for the value schema of `topic`."""
    if strategy == "topic":
        return f"{topic}-value"
    if strategy == "simple-topic":
        return topic
    raise ValueError(f"unknown strategy {strategy!r}; use one of {STRATEGIES}")


def plan_registration(
    ws: Workspace, image: Image, strategy: str, *, only: Collection[str] | None = None
) -> list[PlannedArtifact]:
    """The artifacts for every event file (or those named in `only`), dependencies first.

    The gate's declaration rules (topic declared, valid and unique; the envelope) hold here too:
    registration is reachable without the gate (a direct push, a manual run) and an artifact id
    made from a bad topic can never be taken back.
    """
    _require_valid_declarations(image)
    events = {e.name: e for e in event_files(image) if only is None or e.name in only}
    ids = _event_artifact_ids(image, events, strategy)
    files = {fd.name: fd for fd in image.files}
    planned = []
    for name in _dependency_order(sorted(events), files):
        topic = events[name].topic if name in events else None
        planned.append(
            PlannedArtifact(
                artifact_id=ids.get(name, name),
                file=name,
                content=_read_schema(ws, image, name),
                imports=_registered_imports(files[name]),
                topic=topic,
            )
        )
    return planned


def _require_valid_declarations(image: Image) -> None:
    violations = check_declarations(image)
    if violations:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise SchemaError(
            f"{first.file}:{first.line}:{first.column}: {first.rule}: {first.message}{more}; "
            "nothing registered, run `ss3-schema check`"
        )


def _event_artifact_ids(image: Image, events: Mapping[str, EventFile], strategy: str) -> dict[str, str]:
    # The gate reports these too; registration refuses rather than guess.
    ids: dict[str, str] = {}
    owner: dict[str, str] = {}
    for name, event in sorted(events.items()):
        if event.topic is None:
            raise SchemaError(
                f"{image.repo_path(name)}: marks events but declares no topic "
                "(option (ss3.options.v1.topic)); run `ss3-schema check`"
            )
        artifact_id = artifact_id_for(event.topic, strategy)
        if artifact_id in owner:
            raise SchemaError(
                f"{image.repo_path(name)}: topic {event.topic!r} is already declared by "
                f"{image.repo_path(owner[artifact_id])}; run `ss3-schema check`"
            )
        owner[artifact_id] = name
        ids[name] = artifact_id
    return ids


def _registered_imports(fd: descriptor_pb2.FileDescriptorProto) -> tuple[str, ...]:
    return tuple(sorted(fd.dependency))


def _dependency_order(roots: list[str], files: Mapping[str, descriptor_pb2.FileDescriptorProto]) -> list[str]:
    """Depth-first post-order: every file after what it imports, otherwise by name."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dep in _registered_imports(files[name]):
            visit(dep)
        order.append(name)

    for root in roots:
        visit(root)
    return order


def _read_schema(ws: Workspace, image: Image, name: str) -> str:
    if name.startswith(WELL_KNOWN_PREFIX) and name not in image.own:
        return well_known_schema(name)
    if name not in image.own:
        raise SchemaError(f"{name} is imported by an event file but is not in proto/; it cannot be registered")
    return (ws.proto_dir / name).read_text(encoding="utf-8")


def well_known_schema(name: str) -> str:
    """The text of a `google/protobuf/*` file as shipped with the pinned protoc."""
    text = well_known_proto(name)
    if text is None:
        raise SchemaError(f"{name} is imported by an event file but is not a file the pinned protoc ships")
    return text.decode("utf-8")
