"""The registration stage against an in-memory registry that behaves like Apicurio's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ss3_schema.registry.client import Cause, NewContent, Reference, Rejection, VersionInfo
from ss3_schema.registry.plan import PlannedArtifact
from ss3_schema.registry.register import Action, RegisterResult, register

GROUP = "g"
MONEY = PlannedArtifact("money.proto", "money.proto", "message Money {}")
ORDER = PlannedArtifact("order.proto", "order.proto", "message Order {}", ("money.proto",))
EVENTS = PlannedArtifact("orders-value", "order_events.proto", "message Placed {}", ("order.proto",), topic="orders")
OTHER = PlannedArtifact("other-value", "other_events.proto", "message Other {}", topic="other")
ALL = [MONEY, ORDER, EVENTS, OTHER]


@dataclass
class StoredVersion:
    version: str
    global_id: int
    content: str
    references: tuple[Reference, ...]


@dataclass
class FakeRegistry:
    """FIND_OR_CREATE_VERSION by content + references, dry runs, rules; rejects what `incompatible` names."""

    versions: dict[str, list[StoredVersion]] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    incompatible: set[str] = field(default_factory=set)
    integrity: bool = False  # refuse references to versions that do not exist, as INTEGRITY FULL does
    calls: list[tuple[str, ...]] = field(default_factory=list)
    next_global_id: int = 1
    content_ids: dict[tuple[str, tuple[Reference, ...]], int] = field(default_factory=dict)

    def group_versions(self, group: str) -> list[VersionInfo]:
        return [self._info(a, v) for a, vs in self.versions.items() for v in vs]

    def _info(self, artifact_id: str, stored: StoredVersion) -> VersionInfo:
        # Like Apicurio: one contentId per distinct content and references.
        key = (stored.content, stored.references)
        content_id = self.content_ids.setdefault(key, len(self.content_ids) + 1)
        return VersionInfo(artifact_id, stored.version, stored.global_id, content_id)

    def latest_version(self, group: str, artifact_id: str) -> VersionInfo | None:
        self.calls.append(("latest", artifact_id))
        existing = self.versions.get(artifact_id)
        return self._info(artifact_id, existing[-1]) if existing else None

    def create_version(self, group: str, new: NewContent) -> VersionInfo | Rejection:
        self.calls.append(("create_version", new.artifact_id))
        return self._append(new.artifact_id, new.content, new.references)

    def _append(self, artifact_id: str, content: str, references: tuple[Reference, ...]) -> VersionInfo:
        existing = self.versions.setdefault(artifact_id, [])
        stored = StoredVersion(str(len(existing) + 1), self.next_global_id, content, references)
        self.next_global_id += 1
        existing.append(stored)
        return self._info(artifact_id, stored)

    def foreign_version(self, artifact_id: str, content: str) -> None:
        """Someone else registers a version (e.g. a producer left on auto-register)."""
        self._append(artifact_id, content, ())

    def create_or_find(self, group: str, new: NewContent, *, dry_run: bool = False) -> VersionInfo | Rejection:
        self.calls.append(("create", new.artifact_id, "dry" if dry_run else "real"))
        missing = [ref for ref in new.references if not self._exists(ref)]
        if self.integrity and missing:
            return Rejection("Integrity", tuple(Cause("does not yet exist", ref.name) for ref in missing))
        existing = self.versions.get(new.artifact_id, [])
        for stored in reversed(existing):
            if (stored.content, stored.references) == (new.content, new.references):
                return self._info(new.artifact_id, stored)
        if existing and new.artifact_id in self.incompatible:
            return Rejection("Incompatible artifact", (Cause("Field type changed", "/Money"),))
        if not dry_run:
            return self._append(new.artifact_id, new.content, new.references)
        stored = StoredVersion(str(len(existing) + 1), self.next_global_id, new.content, new.references)
        self.next_global_id += 1
        return self._info(new.artifact_id, stored)

    def _exists(self, ref: Reference) -> bool:
        return any(v.version == ref.version for v in self.versions.get(ref.artifact_id, []))

    def get_rule(self, group: str, artifact_id: str, rule_type: str) -> str | None:
        self.calls.append(("get_rule", artifact_id))
        return self.rules.get(artifact_id)

    def create_rule(self, group: str, artifact_id: str, rule_type: str, config: str) -> bool:
        self.calls.append(("create_rule", artifact_id))
        if artifact_id in self.rules:
            return False
        self.rules[artifact_id] = config
        return True

    def update_rule(self, group: str, artifact_id: str, rule_type: str, config: str) -> None:
        self.calls.append(("update_rule", artifact_id))
        self.rules[artifact_id] = config

    def edit(self, artifact: PlannedArtifact, content: str) -> PlannedArtifact:
        return PlannedArtifact(artifact.artifact_id, artifact.file, content, artifact.imports, artifact.topic)


def run(fake: FakeRegistry, artifacts: list[PlannedArtifact] = ALL, **options: Any) -> RegisterResult:
    return register(fake, artifacts, group=GROUP, **options)  # type: ignore[arg-type]


def actions(result: RegisterResult) -> dict[str, Action]:
    return {o.artifact_id: o.action for o in result.outcomes}


def test_first_run_creates_everything_with_references_pinned_and_rules_set() -> None:
    fake = FakeRegistry()

    result = run(fake)

    assert set(actions(result).values()) == {Action.CREATE}
    assert fake.versions["order.proto"][0].references == (Reference(GROUP, "money.proto", "1", "money.proto"),)
    assert fake.rules == dict.fromkeys(
        ["money.proto", "order.proto", "orders-value", "other-value"], "BACKWARD_TRANSITIVE"
    )
    assert result.outcomes[0].rule == "COMPATIBILITY rule set to BACKWARD_TRANSITIVE"


def test_second_run_is_unchanged_and_only_reads_rules() -> None:
    fake = FakeRegistry()
    run(fake)
    fake.calls.clear()

    result = run(fake)

    assert set(actions(result).values()) == {Action.UNCHANGED}
    assert {call[0] for call in fake.calls} == {"create", "get_rule", "latest"}
    assert all(len(versions) == 1 for versions in fake.versions.values())


def test_changed_dependency_makes_new_versions_of_its_dependents() -> None:
    fake = FakeRegistry()
    run(fake)

    result = run(fake, [fake.edit(MONEY, "message Money { string c = 1; }"), ORDER, EVENTS, OTHER])

    assert actions(result) == {
        "money.proto": Action.NEW_VERSION,
        "order.proto": Action.NEW_VERSION,
        "orders-value": Action.NEW_VERSION,
        "other-value": Action.UNCHANGED,
    }
    assert fake.versions["orders-value"][1].references == (Reference(GROUP, "order.proto", "2", "order.proto"),)


def test_a_version_created_by_a_lost_answer_counts_as_new() -> None:
    fake = FakeRegistry()
    run(fake, [MONEY])
    listed = fake.group_versions(GROUP)
    changed = fake.edit(MONEY, "message Money { string c = 1; }")
    run(fake, [changed])  # the "first attempt": created, answer lost
    fake.group_versions = lambda group: listed  # type: ignore[method-assign]

    result = run(fake, [changed])

    assert actions(result) == {"money.proto": Action.NEW_VERSION}
    assert len(fake.versions["money.proto"]) == 2


def test_existing_artifact_gets_its_rule_before_its_next_version() -> None:
    fake = FakeRegistry()
    run(fake, [MONEY])
    del fake.rules["money.proto"]  # as if a run died between creating it and adding the rule
    fake.calls.clear()

    result = run(fake, [fake.edit(MONEY, "message Money { string c = 1; }")])

    assert fake.calls == [
        ("get_rule", "money.proto"),
        ("create_rule", "money.proto"),
        ("create", "money.proto", "real"),
    ]
    assert result.outcomes[0].rule == "COMPATIBILITY rule set to BACKWARD_TRANSITIVE"


def test_a_different_rule_is_updated() -> None:
    fake = FakeRegistry()
    run(fake, [MONEY])
    fake.rules["money.proto"] = "NONE"

    result = run(fake, [MONEY], compatibility="BACKWARD")

    assert fake.rules["money.proto"] == "BACKWARD"
    assert result.outcomes[0].rule == "COMPATIBILITY rule changed from NONE to BACKWARD"


def test_rejected_dependency_skips_dependents_and_keeps_going() -> None:
    fake = FakeRegistry(incompatible={"money.proto"})
    run(fake)
    edited = [
        fake.edit(MONEY, "message Money { int64 c = 1; }"),
        ORDER,
        EVENTS,
        fake.edit(OTHER, "message Other { string o = 1; }"),
    ]

    result = run(fake, edited)

    assert actions(result) == {
        "money.proto": Action.REJECTED,
        "order.proto": Action.SKIPPED,
        "orders-value": Action.SKIPPED,
        "other-value": Action.NEW_VERSION,
    }
    assert result.outcomes[0].causes == (Cause("Field type changed", "/Money"),)
    assert [o.note for o in result.outcomes[1:3]] == [
        "depends on rejected money.proto",
        "depends on skipped order.proto",
    ]
    assert not result.ok


def test_dry_run_pins_dependents_to_existing_versions_and_persists_nothing() -> None:
    fake = FakeRegistry()
    run(fake)
    fake.calls.clear()

    result = run(fake, [fake.edit(MONEY, "message Money { string c = 1; }"), ORDER, EVENTS, OTHER], dry_run=True)

    assert actions(result) == {
        "money.proto": Action.NEW_VERSION,
        "order.proto": Action.NEW_VERSION,
        "orders-value": Action.NEW_VERSION,
        "other-value": Action.UNCHANGED,
    }
    assert [o.note for o in result.outcomes] == [
        "",
        "depends on new version of money.proto",
        "depends on new version of order.proto",
        "",
    ]
    assert result.outcomes[0].version == "2"
    assert result.outcomes[1].version is None  # its number is known only once money.proto's exists
    assert all(len(versions) == 1 for versions in fake.versions.values())
    assert {call[0] for call in fake.calls} == {"create", "get_rule", "latest"}


def test_dry_run_of_a_new_group_reports_rules_it_would_set() -> None:
    fake = FakeRegistry()

    result = run(fake, dry_run=True)

    assert set(actions(result).values()) == {Action.CREATE}
    assert result.outcomes[0].rule == "COMPATIBILITY rule would be set to BACKWARD_TRANSITIVE"
    assert fake.versions == {}
    assert fake.rules == {}


def test_without_a_compatibility_level_rules_are_left_alone() -> None:
    fake = FakeRegistry()

    run(fake, compatibility=None, dry_run=True)

    assert {call[0] for call in fake.calls} == {"create"}


def test_dry_run_with_integrity_pins_to_existing_versions_and_is_evaluated() -> None:
    fake = FakeRegistry(integrity=True, incompatible={"orders-value"})
    run(fake)

    result = run(
        fake,
        [
            fake.edit(MONEY, "message Money { string c = 1; }"),
            ORDER,
            fake.edit(EVENTS, "message Placed { int64 x = 1; }"),
        ],
        dry_run=True,
    )

    # References went to existing versions, so the server judged the events' own change.
    assert actions(result)["orders-value"] is Action.REJECTED


def test_dry_run_dependent_of_a_brand_new_import_is_not_evaluated_rather_than_rejected() -> None:
    fake = FakeRegistry(integrity=True)
    # The events exist already, but without the imports they have now.
    run(fake, [PlannedArtifact("orders-value", "order_events.proto", "message Placed {}", topic="orders")])

    result = run(fake, ALL, dry_run=True)

    assert actions(result) == {
        "money.proto": Action.CREATE,
        "order.proto": Action.CREATE,
        "orders-value": Action.NEW_VERSION,
        "other-value": Action.CREATE,
    }
    assert result.ok
    assert result.outcomes[1].note == (
        "not evaluated: references new money.proto, which the server cannot resolve before it exists"
    )
    assert result.outcomes[2].note.startswith("not evaluated: references new order.proto")


def test_a_version_registered_since_that_is_latest_fails_the_run_and_names_the_artifact() -> None:
    fake = FakeRegistry()
    run(fake)
    fake.foreign_version("money.proto", "CgttaXNjb25maWd1cmVk")  # a base64 descriptor, as a ccompat client sends

    result = run(fake)

    assert not result.ok
    assert [o.artifact_id for o in result.not_latest] == ["money.proto"]
    (outcome,) = result.not_latest
    assert outcome.version == "1"
    assert "version 2 is latest" in outcome.note and "--restore-latest" in outcome.note
    assert len(fake.versions["money.proto"]) == 2  # nothing written without being asked


def test_restore_latest_adds_the_repository_content_as_latest_and_a_rerun_is_unchanged() -> None:
    fake = FakeRegistry()
    run(fake)
    fake.foreign_version("money.proto", "CgttaXNjb25maWd1cmVk")

    restored = run(fake, restore_latest=True)
    again = run(fake)

    assert restored.ok
    assert actions(restored)["money.proto"] is Action.RESTORED
    latest = fake.versions["money.proto"][-1]
    assert (latest.version, latest.content) == ("3", MONEY.content)
    # Dependents now reference the restored version, in the same run, so the next run changes nothing.
    assert fake.versions["order.proto"][-1].references == (Reference(GROUP, "money.proto", "3", "money.proto"),)
    assert set(actions(again).values()) == {Action.UNCHANGED}


def test_a_dry_run_reports_not_latest_and_writes_nothing() -> None:
    fake = FakeRegistry()
    run(fake)
    fake.foreign_version("orders-value", "CgttaXNjb25maWd1cmVk")

    result = run(fake, dry_run=True, restore_latest=True)

    assert [o.artifact_id for o in result.not_latest] == ["orders-value"]
    assert "would make it latest again" in result.not_latest[0].note
    assert len(fake.versions["orders-value"]) == 2
