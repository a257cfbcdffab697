"""The PR gate's registry step: would the registry accept the changed event schemas?

Every event file that is new, or whose text or imports (transitively)
changed since the base, is registered with dryRun=true: the server evaluates
its rules and persists nothing. Each artifact it rejects becomes a violation
at the schema file, so a change that would fail registration after the merge
fails the PR instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from google.protobuf import descriptor_pb2

from ss3_schema.errors import ConfigError
from ss3_schema.gate.breaking import Base
from ss3_schema.gate.check import RegistryPrediction
from ss3_schema.registry.client import RegistryClient, connect, connection_from_env
from ss3_schema.registry.plan import STRATEGIES, plan_registration
from ss3_schema.registry.register import Outcome, register
from ss3_schema.report import Violation
from ss3_schema.rules import RuleId
from ss3_schema.schema.events import event_files
from ss3_schema.schema.image import FILE_MESSAGE_TYPE, Image, location_line
from ss3_schema.workspace import Workspace

RULE = RuleId.REGISTRY_REJECTS
STRATEGY_ENV = "SS3_REGISTRY_STRATEGY"


def prediction(url: str, group: str, env: Mapping[str, str] | None = None) -> RegistryPrediction:
    """The check hook; timeout, retries, CA bundle, strategy and credentials come from the environment."""
    env = os.environ if env is None else env
    connection = connection_from_env(url, env)
    strategy = strategy_from_env(env)

    def predict(ws: Workspace, current: Image, base: Base) -> list[Violation]:
        with connect(connection, env) as client:
            return predict_rejections(client, ws, current, base.image, group=group, strategy=strategy)

    return predict


def strategy_from_env(env: Mapping[str, str]) -> str:
    strategy = env.get(STRATEGY_ENV) or STRATEGIES[0]
    if strategy not in STRATEGIES:
        raise ConfigError(f"{STRATEGY_ENV}={strategy!r}: use one of {', '.join(STRATEGIES)}")
    return strategy


def predict_rejections(
    client: RegistryClient, ws: Workspace, current: Image, base: Image | None, *, group: str, strategy: str
) -> list[Violation]:
    """Dry-run the changed event schemas; one violation per artifact the server rejects."""
    changed = changed_event_files(current, base)
    if not changed:
        return []
    artifacts = plan_registration(ws, current, strategy, only=changed)
    # compatibility=None: the gate asks, it never changes the server's rules.
    # as_reader: the gate's account needs only sr-readonly, so the job that holds it can write nothing.
    result = register(
        client, artifacts, group=group, compatibility=None, dry_run=True, guard_latest=False, as_reader=True
    )
    return [_violation(current, outcome, group) for outcome in result.rejected]


def changed_event_files(current: Image, base: Image | None) -> set[str]:
    """Event files that are new, or whose own text or any (transitive) import differs from `base`."""
    before = {fd.name: _fingerprint(fd) for fd in base.files} if base is not None else {}
    files = {fd.name: fd for fd in current.files}
    changed_cache: dict[str, bool] = {}

    def changed(name: str) -> bool:
        if name not in changed_cache:
            fd = files[name]
            changed_cache[name] = before.get(name) != _fingerprint(fd) or any(changed(dep) for dep in fd.dependency)
        return changed_cache[name]

    return {event.name for event in event_files(current) if changed(event.name)}


def _fingerprint(fd: descriptor_pb2.FileDescriptorProto) -> bytes:
    # Includes source info: doc comments are part of what the registry stores.
    return fd.SerializeToString(deterministic=True)


def _violation(image: Image, outcome: Outcome, group: str) -> Violation:
    causes = "; ".join(str(cause) for cause in outcome.causes)
    line, column = _cause_location(image, outcome)
    message = (
        f"the registry would reject {outcome.artifact_id} (group '{group}'): {causes}. "
        "Registration after the merge would fail; keep the change compatible with every registered version."
    )
    return Violation(image.repo_path(outcome.file), line, column, RULE, message)


def _cause_location(image: Image, outcome: Outcome) -> tuple[int, int]:
    """The line of the message the first cause names (context "/Order"), else the file's first line."""
    fd = next((f for f in image.files if f.name == outcome.file), None)
    context = outcome.causes[0].context.lstrip("/") if outcome.causes else ""
    if fd is None or not context:
        return 1, 1
    for index, message in enumerate(fd.message_type):
        if message.name == context:
            return location_line(fd, [FILE_MESSAGE_TYPE, index])
    return 1, 1
