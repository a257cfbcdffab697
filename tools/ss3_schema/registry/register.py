"""Stage: register planned artifacts, dependencies first, idempotently.

Artifacts go in waves: first those that import nothing registered, then
those whose imports are all done, and so on; the artifacts of a wave are
sent in parallel.

Each artifact is sent with createArtifact?ifExists=FIND_OR_CREATE_VERSION&
canonical=true: content (and references) the server already holds returns
the existing version, anything else becomes a new version if the rules
allow it. Whether a version is new is told by its globalId: the versions of
the group are listed once up front, and an answer whose globalId was not
among them was created by this run (this also holds when a retry finds the
version a lost answer created).

The COMPATIBILITY rule is put on every artifact this run registers. An
existing artifact gets it before its next version is sent, so a run that was
interrupted between creating an artifact and adding its rule still checks
the following version.

Registration also guards `latest`, which is what serdes resolve with
find-latest: an artifact whose content is unchanged but whose latest
version has other content (someone registered a version since, e.g. a
producer left on auto-register) is reported `not latest` and fails the
run. With restore_latest, a new version with the repository's content
and references is added instead; it has the same contentId as the
matching older version, so records written with either stay readable.

Dry runs (dryRun=true) evaluate the rules and persist nothing. A version a
dry run would create does not exist, so a dependent cannot reference it:
servers with a VALIDITY or INTEGRITY rule reject the dangling reference.
Dependents are therefore checked with references pinned to the dependency's
latest existing version and reported as depending on its new version
(the COMPATIBILITY check compares an artifact's own text only, so its
verdict is the same). A dependency that does not exist at all leaves
nothing to pin to: if an INTEGRITY rule refuses the dependent for that
reference alone, the dependent is reported as not evaluated, not rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from ss3_schema.registry.artifact import PlannedArtifact
from ss3_schema.registry.client import Cause, NewContent, Reference, RegistryClient, Rejection, VersionInfo

COMPATIBILITY = "COMPATIBILITY"
COMPATIBILITY_LEVELS = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)
# Apicurio 3.3's FORWARD/FULL levels reject every added field (upstream
# #9662); the strict FULL check is buf's, BACKWARD_TRANSITIVE on the server
# stops what slipped past it, against every earlier version.
DEFAULT_COMPATIBILITY = "BACKWARD_TRANSITIVE"
# Requests in flight at once. The registry answers several times faster with
# a few parallel requests than one at a time (measured: 4 about 2x of 1).
DEFAULT_JOBS = 4


class Action(StrEnum):
    CREATE = "create"
    NEW_VERSION = "new version"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    NOT_LATEST = "not latest"
    RESTORED = "restored"


@dataclass(frozen=True)
class Outcome:
    """What happened (or, in a dry run, would happen) to one artifact."""

    artifact_id: str
    file: str
    action: Action
    version: str | None = None
    causes: tuple[Cause, ...] = ()
    note: str = ""
    rule: str = ""


@dataclass(frozen=True)
class RegisterResult:
    group: str
    dry_run: bool
    outcomes: tuple[Outcome, ...]

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action is Action.REJECTED]

    @property
    def not_latest(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action is Action.NOT_LATEST]

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.not_latest


@dataclass(frozen=True)
class _Known:
    """The versions an artifact had before this run."""

    global_ids: frozenset[int]
    latest_version: str


@dataclass
class _Run:
    client: RegistryClient
    group: str
    compatibility: str | None
    dry_run: bool
    known: dict[str, _Known]
    restore_latest: bool = False
    guard_latest: bool = True
    as_reader: bool = False
    release_branch: str | None = None
    artifact_ids: dict[str, str] = field(default_factory=dict)  # file -> artifact id
    pinned: dict[str, str] = field(default_factory=dict)  # file -> version dependents reference
    pending: set[str] = field(default_factory=set)  # files whose new version a dry run did not persist
    unresolvable: set[str] = field(default_factory=set)  # pending files with no version at all on the server
    blocked: dict[str, Action] = field(default_factory=dict)  # files rejected or skipped

    def register(self, artifact: PlannedArtifact) -> Outcome:
        outcome = self._register(artifact)
        if self.release_branch and not self.dry_run and outcome.action in _ON_RELEASE_BRANCH:
            # The repository's version, whatever `latest` is: what producers of this release resolve.
            self.client.set_branch(self.group, artifact.artifact_id, self.release_branch, self.pinned[artifact.file])
        return outcome

    def _register(self, artifact: PlannedArtifact) -> Outcome:
        self.artifact_ids[artifact.file] = artifact.artifact_id
        blocker = next((dep for dep in artifact.imports if dep in self.blocked), None)
        if blocker is not None:
            self.blocked[artifact.file] = Action.SKIPPED
            return _outcome(artifact, Action.SKIPPED, note=f"depends on {self.blocked[blocker]} {blocker}")
        known = self.known.get(artifact.artifact_id)
        rule = self._ensure_rule(artifact.artifact_id, exists=True) if known else ""
        answer = self._ask(artifact, known)
        if isinstance(answer, Rejection) and self._dangling_only(artifact, answer):
            return self._not_evaluated(artifact, known, rule)
        if isinstance(answer, Rejection):
            self.blocked[artifact.file] = Action.REJECTED
            return _outcome(artifact, Action.REJECTED, causes=answer.causes, rule=rule)
        if known is None:
            rule = self._ensure_rule(artifact.artifact_id, exists=False)
        return self._accepted(artifact, known, answer, rule)

    def _ask(self, artifact: PlannedArtifact, known: _Known | None) -> VersionInfo | Rejection:
        if self.as_reader:
            return self.client.dry_run_as_reader(self.group, self._content(artifact), exists=known is not None)
        return self.client.create_or_find(self.group, self._content(artifact), dry_run=self.dry_run)

    def _accepted(self, artifact: PlannedArtifact, known: _Known | None, answer: VersionInfo, rule: str) -> Outcome:
        action = _action(known, answer)
        waits_for = [dep for dep in artifact.imports if dep in self.pending]
        version: str | None = answer.version
        if waits_for and action is Action.UNCHANGED:
            # Its references will name the dependency's new version: a new version after all.
            action, version = Action.NEW_VERSION, None
        note = f"depends on new version of {', '.join(waits_for)}" if waits_for else ""
        self.pinned[artifact.file] = answer.version
        if self.dry_run and action is not Action.UNCHANGED:
            self._mark_pending(artifact, known)
        if action is Action.UNCHANGED and self.guard_latest:
            return self._guard_latest(artifact, answer, rule)
        return _outcome(artifact, action, version=version, note=note, rule=rule)

    def _guard_latest(self, artifact: PlannedArtifact, answer: VersionInfo, rule: str) -> Outcome:
        """Unchanged content must also be what serdes resolving `latest` get."""
        latest = self.client.latest_version(self.group, artifact.artifact_id)
        if latest is None or latest.content_id == answer.content_id:
            return _outcome(artifact, Action.UNCHANGED, version=answer.version, rule=rule)
        if self.restore_latest and not self.dry_run:
            return self._restore_latest(artifact, answer, latest, rule)
        fix = (
            "--restore-latest would make it latest again"
            if self.restore_latest
            else "make it latest again with `ss3-schema register --restore-latest`"
        )
        note = (
            f"version {latest.version} is latest and has other content (registered since, not by this repository); "
            f"serdes that resolve latest use it; {fix}"
        )
        return _outcome(artifact, Action.NOT_LATEST, version=answer.version, note=note, rule=rule)

    def _restore_latest(
        self, artifact: PlannedArtifact, answer: VersionInfo, latest: VersionInfo, rule: str
    ) -> Outcome:
        restored = self.client.create_version(self.group, self._content(artifact))
        if isinstance(restored, Rejection):
            self.blocked[artifact.file] = Action.REJECTED
            return _outcome(artifact, Action.REJECTED, causes=restored.causes, rule=rule)
        # Dependents reference the restored version from now on (a later run finds it first).
        self.pinned[artifact.file] = restored.version
        note = f"latest again: same content as version {answer.version} (version {latest.version} was latest)"
        return _outcome(artifact, Action.RESTORED, version=restored.version, note=note, rule=rule)

    def _mark_pending(self, artifact: PlannedArtifact, known: _Known | None) -> None:
        """A dry run's new version does not exist: dependents reference the latest existing one."""
        self.pending.add(artifact.file)
        if known is not None:
            self.pinned[artifact.file] = known.latest_version
        else:
            self.unresolvable.add(artifact.file)
            self.pinned.setdefault(artifact.file, "1")

    def _dangling_only(self, artifact: PlannedArtifact, rejection: Rejection) -> bool:
        """Refused only for referencing an artifact this dry run would create.

        An INTEGRITY rule refuses such a reference ("does not yet exist",
        context = the import) before any other rule runs: the artifact
        itself was not evaluated, so this is no verdict on it.
        """
        dangling = set(artifact.imports) & self.unresolvable
        return bool(dangling) and all(cause.context in dangling for cause in rejection.causes)

    def _not_evaluated(self, artifact: PlannedArtifact, known: _Known | None, rule: str) -> Outcome:
        dangling = sorted(set(artifact.imports) & self.unresolvable)
        self._mark_pending(artifact, known)
        note = f"not evaluated: references new {', '.join(dangling)}, which the server cannot resolve before it exists"
        return _outcome(artifact, Action.NEW_VERSION if known else Action.CREATE, note=note, rule=rule)

    def _content(self, artifact: PlannedArtifact) -> NewContent:
        references = tuple(
            Reference(self.group, self.artifact_ids[dep], self.pinned[dep], dep) for dep in artifact.imports
        )
        return NewContent(
            artifact.artifact_id, artifact.artifact_type, artifact.content, artifact.content_type, references
        )

    def _ensure_rule(self, artifact_id: str, *, exists: bool) -> str:
        """Give the artifact the COMPATIBILITY level asked for; say what changed."""
        return ensure_rule(
            self.client, self.group, artifact_id, self.compatibility, exists=exists, dry_run=self.dry_run
        )


def ensure_rule(
    client: RegistryClient, group: str, artifact_id: str, level: str | None, *, exists: bool, dry_run: bool
) -> str:
    """Create the artifact's COMPATIBILITY rule, or update it if different; '' when nothing changed.

    `level` None leaves rules alone (the PR gate's dry run only asks).
    Rules cannot be dry-run: a dry run reports what it would change.
    """
    if level is None:
        return ""
    if dry_run:
        current = client.get_rule(group, artifact_id, COMPATIBILITY) if exists else None
        return _rule_change(current, level, would=True)
    if not exists and client.create_rule(group, artifact_id, COMPATIBILITY, level):
        return _rule_change(None, level)
    current = client.get_rule(group, artifact_id, COMPATIBILITY)
    if current is None and client.create_rule(group, artifact_id, COMPATIBILITY, level):
        return _rule_change(None, level)
    if current != level:
        # Also reached when another run added the rule between our GET and POST.
        client.update_rule(group, artifact_id, COMPATIBILITY, level)
    return _rule_change(current, level)


def _rule_change(current: str | None, level: str, *, would: bool = False) -> str:
    if current == level:
        return ""
    if current is None:
        return f"{COMPATIBILITY} rule {'would be set' if would else 'set'} to {level}"
    return f"{COMPATIBILITY} rule {'would change' if would else 'changed'} from {current} to {level}"


def register(
    client: RegistryClient,
    artifacts: Sequence[PlannedArtifact],
    *,
    group: str,
    compatibility: str | None = DEFAULT_COMPATIBILITY,
    dry_run: bool = False,
    jobs: int = DEFAULT_JOBS,
    restore_latest: bool = False,
    guard_latest: bool = True,
    as_reader: bool = False,
    release_branch: str | None = None,
) -> RegisterResult:
    """Register `artifacts` (dependencies first) in `group`; rule violations are outcomes, not errors.

    Artifacts whose imports are all done are sent `jobs` at a time; the
    outcomes are reported in the order of `artifacts`. An unchanged artifact
    whose latest version has other content is `not latest`, or, with
    `restore_latest`, gets a new version with its content (`restored`);
    `guard_latest=False` skips that check (the PR gate asks only about rules).
    `as_reader` (implies a dry run) asks only what an `sr-readonly` account may:
    the rules' verdict, without telling unchanged content from a new version.
    With `release_branch` (the release VERSION), every artifact's version with the
    repository's content is put on the branch of that name, alone, so that
    producers built with this release resolve it (`branch=<VERSION>`) whatever
    becomes latest later.
    """
    dry_run = dry_run or as_reader
    known = _known_versions(client.group_versions(group)) if artifacts else {}
    run = _Run(
        client,
        group,
        compatibility,
        dry_run,
        known,
        restore_latest,
        guard_latest,
        as_reader=as_reader,
        release_branch=release_branch,
    )
    outcomes: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(jobs, 1), thread_name_prefix="ss3-register") as pool:
        for wave in _waves(artifacts):
            # Within a wave nothing imports anything else, so its artifacts
            # only read what earlier waves recorded.
            outcomes.update((a.file, outcome) for a, outcome in zip(wave, pool.map(run.register, wave), strict=True))
    return RegisterResult(group, dry_run, tuple(outcomes[a.file] for a in artifacts))


# Outcomes after which the repository's content is a version of the artifact.
_ON_RELEASE_BRANCH = frozenset(
    {Action.CREATE, Action.NEW_VERSION, Action.UNCHANGED, Action.NOT_LATEST, Action.RESTORED}
)


def _waves(artifacts: Sequence[PlannedArtifact]) -> list[list[PlannedArtifact]]:
    """Artifacts grouped by import depth: wave n imports only from waves before n."""
    depth: dict[str, int] = {}
    waves: list[list[PlannedArtifact]] = []
    for artifact in artifacts:
        level = 1 + max((depth[dep] for dep in artifact.imports), default=-1)
        depth[artifact.file] = level
        if level == len(waves):
            waves.append([])
        waves[level].append(artifact)
    return waves


def _known_versions(versions: Sequence[VersionInfo]) -> dict[str, _Known]:
    by_artifact: dict[str, list[VersionInfo]] = {}
    for info in versions:
        by_artifact.setdefault(info.artifact_id, []).append(info)
    return {
        artifact_id: _Known(frozenset(v.global_id for v in infos), max(infos, key=lambda v: v.global_id).version)
        for artifact_id, infos in by_artifact.items()
    }


def _action(known: _Known | None, answer: VersionInfo) -> Action:
    if known is None:
        return Action.CREATE
    return Action.UNCHANGED if answer.global_id in known.global_ids else Action.NEW_VERSION


def _outcome(
    artifact: PlannedArtifact,
    action: Action,
    *,
    version: str | None = None,
    causes: tuple[Cause, ...] = (),
    note: str = "",
    rule: str = "",
) -> Outcome:
    return Outcome(artifact.artifact_id, artifact.file, action, version, causes, note, rule)
