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

    def group_versions(self, group: str) -> list[VersionInfo]:
        return [VersionInfo(a, v.version, v.global_id) for a, vs in self.versions.items() for v in vs]

    def create_or_find(self, group: str, new: NewContent, *, dry_run: bool = False) -> VersionInfo | Rejection:
        self.calls.append(("create", new.artifact_id, "dry" if dry_run else "real"))
        missing = [ref for ref in new.references if not self._exists(ref)]
        if self.integrity and missing:
            return Rejection("Integrity", tuple(Cause("does not yet exist", ref.name) for ref in missing))
        existing = self.versions.get(new.artifact_id, [])
        for stored in existing:
            if (stored.content, stored.references) == (new.content, new.references):
                return VersionInfo(new.artifact_id, stored.version, stored.global_id)
        if existing and new.artifact_id in self.incompatible:
            return Rejection("Incompatible artifact", (Cause("Field type changed", "/Money"),))
        stored = StoredVersion(str(len(existing) + 1), self.next_global_id, new.content, new.references)
        self.next_global_id += 1
        if not dry_run:
            self.versions.setdefault(new.artifact_id, []).append(stored)
        return VersionInfo(new.artifact_id, stored.version, stored.global_id)

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
    assert {call[0] for call in fake.calls} == {"create", "get_rule"}
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
    assert {call[0] for call in fake.calls} == {"create", "get_rule"}


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
