"""The main-branch release in one command: version → gen → build → publish → register → tag.

Build makes every artifact (the wheel, the tool wheel, the jar) before any is
published; publishing is one row per artifact and target (the wheel and the
tool on the package index, the jar on the Maven repository).

Every step converges when re-run: publishing skips a file the index already
holds with the same bytes (builds are reproducible per commit), registration
is idempotent, and an existing tag on HEAD is accepted. So a release that
stopped half-way (say, the registry was down) is finished by running it again.

Without a configured index the release is a local trial: the wheel goes into
a PEP 503 directory index under dist/index, registration and tagging are only
planned, so nothing outside the checkout changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from ss3_schema.artifacts import fingerprint
from ss3_schema.artifacts.build import Artifacts, build_artifacts
from ss3_schema.artifacts.generate import generate
from ss3_schema.errors import (
    EXIT_VIOLATIONS,
    ConfigError,
    PublishConflict,
    ReleaseRefused,
    Ss3SchemaError,
    ToolError,
    UsageError,
)
from ss3_schema.registry.asyncapi import asyncapi_artifact
from ss3_schema.registry.client import connect, connection_from_env
from ss3_schema.registry.plan import PROTOBUF, PlannedArtifact, plan_registration
from ss3_schema.registry.predict import strategy_from_env
from ss3_schema.registry.register import register
from ss3_schema.registry.render import summary as registration_summary
from ss3_schema.release import maven, versioning
from ss3_schema.release.distribution import file_sha256
from ss3_schema.release.index import DirectoryIndex, Index, open_index
from ss3_schema.release.notes import notes, read_changelog
from ss3_schema.release.publish import publish
from ss3_schema.schema import refs
from ss3_schema.schema.image import build_image
from ss3_schema.toolchain import run_git
from ss3_schema.workspace import Workspace, read_version

LOCAL_INDEX_DIR = "index"
REMOTE = "origin"
# Used only when git has no identity configured (a bare CI runner): annotated
# tags need a tagger, and the release tool is the one tagging.
FALLBACK_TAGGER = ("-c", "user.name=ss3-schema release", "-c", "user.email=ss3-schema-release@example.invalid")
STEPS = ("version", "gen", "build", "publish-wheel", "publish-tool", "publish-jar", "register", "tag")


class RegistrationRejected(Ss3SchemaError):
    """The registry's compatibility or validity rules refused an event schema."""

    exit_code = EXIT_VIOLATIONS


class Done(NamedTuple):
    """How a step ended: a short outcome word and a detail line."""

    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class StepResult:
    step: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class RegistryTarget:
    url: str
    group: str


class RegisterStep(Protocol):
    """Registers the event schemas (target given) or describes the plan (target None)."""

    def __call__(self, ws: Workspace, target: RegistryTarget | None) -> Done: ...


@dataclass(frozen=True)
class ReleaseConfig:
    """Where to release; `index` None means the local directory index (a trial run)."""

    index: Index | None = None
    registry: RegistryTarget | None = None
    push_tag: bool = False
    maven: maven.Repository | None = None

    @property
    def local(self) -> bool:
        return self.index is None


@dataclass
class ReleaseReport:
    version: str | None
    steps: list[StepResult]
    error: Ss3SchemaError | None = None
    trial: bool = False  # a local trial: nothing left the checkout

    @property
    def ok(self) -> bool:
        return self.error is None


def release_config(
    *,
    repository_url: str | None,
    index_url: str | None,
    ca_bundle: str | None,
    registry_url: str | None,
    group: str,
    push_tag: bool,
    local: bool,
    env: Mapping[str, str] | None = None,
) -> ReleaseConfig:
    """Turn the options into a config; a CI run without an index is a mistake, not a trial."""
    env = os.environ if env is None else env
    repository_url, registry_url = repository_url or None, registry_url or None  # an empty variable is unset
    if local:
        if push_tag:
            raise UsageError("--push-tag pushes the tag of a real release; drop --local")
        return ReleaseConfig()
    if env.get("CI", "").lower() in ("1", "true", "yes"):
        _require_ci_configuration(repository_url, registry_url)
    if repository_url is None and push_tag:
        raise UsageError("--push-tag needs a package index (--repository-url or TWINE_REPOSITORY_URL)")
    index = open_index(repository_url, index_url=index_url, ca_bundle=ca_bundle) if repository_url else None
    registry = RegistryTarget(registry_url, group) if registry_url else None
    maven_repository = maven.repository_from_env(env, required=env.get("CI", "").lower() in ("1", "true", "yes"))
    return ReleaseConfig(index, registry, push_tag, maven_repository)


def _require_ci_configuration(repository_url: str | None, registry_url: str | None) -> None:
    # Locally a missing index or registry means "trial run"; in CI it means a
    # missing secret, and a release that silently skips a step is worse than none.
    if repository_url is None:
        raise ConfigError("no package index configured in CI: set TWINE_REPOSITORY_URL (or pass --local)")
    if registry_url is None:
        raise ConfigError("no schema registry configured in CI: set SS3_REGISTRY_URL (or pass --local)")


@dataclass
class _Run:
    ws: Workspace
    config: ReleaseConfig
    register: RegisterStep
    check: versioning.VersionCheck | None = None
    built: Artifacts | None = None

    @property
    def version(self) -> refs.Version:
        if self.check is None:
            raise RuntimeError("the version step runs first")
        return self.check.declared

    @property
    def artifacts(self) -> Artifacts:
        if self.built is None:
            raise RuntimeError("the build step runs before publishing")
        return self.built

    @property
    def index(self) -> Index:
        return self.config.index or DirectoryIndex(self.ws.dist_dir / LOCAL_INDEX_DIR)


def release(ws: Workspace, config: ReleaseConfig, register: RegisterStep | None = None) -> ReleaseReport:
    """Run every step in order; stop at the first failure and report what ran."""
    run = _Run(ws, config, register or register_event_schemas)
    steps: list[tuple[str, Callable[[_Run], Done]]] = [
        ("version", _version_step),
        ("gen", _gen_step),
        ("build", _build_step),
        ("publish-wheel", _publish_wheel_step),
        ("publish-tool", _publish_tool_step),
        ("publish-jar", _publish_jar_step),
        ("register", _register_step),
        ("tag", _tag_step),
    ]
    results: list[StepResult] = []
    for position, (name, step) in enumerate(steps):
        try:
            done = step(run)
        except Ss3SchemaError as exc:
            results.append(StepResult(name, "failed", str(exc)))
            results += [StepResult(later, "not run") for later, _ in steps[position + 1 :]]
            return ReleaseReport(str(run.check.declared) if run.check else None, results, exc, config.local)
        results.append(StepResult(name, *done))
    return ReleaseReport(str(run.version), results, trial=config.local)


def _version_step(run: _Run) -> Done:
    # A trial too: it should show what the real release of this commit would do.
    _require_clean_tree(run.ws)
    run.check = check = versioning.check_version(run.ws)
    if check.problem is not None:
        raise ReleaseRefused(check.problem)
    if run.config.push_tag:
        _require_remote_tag_free(run.ws, check.declared.tag)
    if check.released_at_head:
        return Done("ok", f"{check.declared}: HEAD is tagged v{check.declared} already; finishing that release")
    return Done("ok", f"{check.declared}: {versioning.summary(check.classification)}")


def _require_clean_tree(ws: Workspace) -> None:
    # What is built must be what is tagged: no uncommitted or untracked schema files.
    status = run_git(["status", "--porcelain"], ws.root).stdout.splitlines()
    if status:
        paths = ", ".join(line[3:] for line in status[:5]) + (", ..." if len(status) > 5 else "")
        raise ConfigError(f"uncommitted changes ({paths}): a release is built from a commit")


def _gen_step(run: _Run) -> Done:
    result = generate(run.ws, fingerprint.inputs_key(run.ws))
    return Done("ok", f"{result.modules} modules from {result.protos} schema files")


def _build_step(run: _Run) -> Done:
    run.built = built = build_artifacts(run.ws)
    return Done("ok", ", ".join(f"{run.ws.relative(path)} (sha256 {file_sha256(path)[:12]})" for path in built.files()))


def _publish_wheel_step(run: _Run) -> Done:
    outcome, destination = _publish_to_index(run, run.artifacts.wheel)
    if run.config.local:
        return Done(outcome, f"{destination} (try: {local_install_hint(destination, run.version)})")
    return Done(outcome, destination)


def _publish_tool_step(run: _Run) -> Done:
    outcome, destination = _publish_to_index(run, run.artifacts.tool_wheel)
    return Done(outcome, f"{run.ws.relative(run.artifacts.tool_wheel)} on {destination}")


def _publish_to_index(run: _Run, wheel: Path) -> tuple[str, str]:
    try:
        result = publish([wheel], run.index)
    except PublishConflict as conflict:
        if not run.config.local:
            raise
        local = run.ws.relative(run.ws.dist_dir / LOCAL_INDEX_DIR)
        raise PublishConflict(
            f"{conflict}. This is the local trial index, holding an earlier trial of another commit: "
            f"`rm -rf {local}` discards the trials, then run the release again"
        ) from None
    outcome = str(result.files[0].outcome)
    return (f"{outcome} (local)" if run.config.local else outcome), result.destination


def local_install_hint(simple_url: str, version: refs.Version) -> str:
    """A pip command that installs the wheel from the local index and its dependencies from the usual one.

    The local index holds only ss3-protos, so it is added as a place to find
    links rather than used as the index: protobuf still comes from the index
    pip is configured with, and the exact version pin keeps the local file
    the only candidate.
    """
    return f"pip install --find-links {simple_url.rstrip('/')}/ss3-protos/ ss3-protos=={version}"


def _publish_jar_step(run: _Run) -> Done:
    return Done(*maven.release_step(run.ws, run.artifacts.jar, run.config.maven, local=run.config.local))


def _register_step(run: _Run) -> Done:
    return run.register(run.ws, None if run.config.local else run.config.registry)


def _tag_step(run: _Run) -> Done:
    tag, head = run.version.tag, refs.head_commit(run.ws)
    if run.config.local:
        return Done("planned", f"would tag {tag} at {head[:12]} (local trial: no tag)")
    existing = _tag_commit(run.ws, tag)
    if existing is not None and existing != head:
        raise ReleaseRefused(f"tag {tag} already exists on commit {existing[:12]}, not HEAD {head[:12]}")
    outcome = "already at HEAD" if existing else "created"
    if existing is None:
        _create_tag(run.ws, tag, str(run.version))
    if not run.config.push_tag:
        return Done(outcome, f"{tag} at {head[:12]}; not pushed (--push-tag pushes it)")
    _push_tag(run.ws, tag)
    return Done(f"{outcome}, pushed", f"{tag} at {head[:12]} on {REMOTE}")


def _tag_commit(ws: Workspace, tag: str) -> str | None:
    proc = run_git(["rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}"], ws.root, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _create_tag(ws: Workspace, tag: str, version: str) -> None:
    has_identity = run_git(["var", "GIT_COMMITTER_IDENT"], ws.root, check=False).returncode == 0
    identity = () if has_identity else FALLBACK_TAGGER
    # The message is the release's notes: `git tag -n99` and a forge's release page show them.
    message = "\n\n".join(part for part in (f"ss3-protos {version}", notes(read_changelog(ws.root), version)) if part)
    run_git([*identity, "tag", "-a", tag, "-m", message, "HEAD"], ws.root)


def _require_remote_tag_free(ws: Workspace, tag: str) -> None:
    """Before anything is published: origin's tag, if any, must already be on HEAD."""
    proc = run_git(["ls-remote", "--tags", REMOTE, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}"], ws.root, check=False)
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise ToolError(f"git ls-remote {REMOTE} {tag} failed: {lines[-1] if lines else proc.returncode}")
    remote_tags = {name: sha for sha, _, name in (line.partition("\t") for line in proc.stdout.splitlines())}
    remote = remote_tags.get(f"refs/tags/{tag}^{{}}") or remote_tags.get(f"refs/tags/{tag}")
    head = refs.head_commit(ws)
    if remote is not None and remote != head:
        raise ReleaseRefused(
            f"tag {tag} already exists on {REMOTE} at {remote[:12]}, not HEAD {head[:12]}; bump VERSION"
        )


def _push_tag(ws: Workspace, tag: str) -> None:
    proc = run_git(["push", "--quiet", REMOTE, f"refs/tags/{tag}:refs/tags/{tag}"], ws.root, check=False)
    if proc.returncode == 0:
        return
    if "rejected" in proc.stderr or "already exists" in proc.stderr:
        raise ReleaseRefused(f"tag {tag} already exists on {REMOTE} at another commit")
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    raise ToolError(f"git push {REMOTE} {tag} failed: {lines[-1] if lines else proc.returncode}")


def register_event_schemas(ws: Workspace, target: RegistryTarget | None) -> Done:
    """The register step: what `ss3-schema register` does, or its plan when no registry is configured."""
    strategy = strategy_from_env(os.environ)
    image = build_image(ws.root)
    artifacts = [*plan_registration(ws, image, strategy), asyncapi_artifact(ws, image)]  # events, then the catalog
    if target is None:
        return Done("planned", f"registry not configured: would register {_describe_plan(artifacts)}")
    with connect(connection_from_env(target.url, os.environ)) as client:
        result = register(client, artifacts, group=target.group, release_branch=read_version(ws))
    if result.rejected:
        rejected = ", ".join(outcome.artifact_id for outcome in result.rejected)
        raise RegistrationRejected(f"the registry's rules rejected {rejected}; see `ss3-schema register --dry-run`")
    if result.not_latest:
        shadowed = ", ".join(outcome.artifact_id for outcome in result.not_latest)
        raise RegistrationRejected(
            f"a version registered since is latest for {shadowed}; see `ss3-schema register --restore-latest`"
        )
    return Done("registered", registration_summary(result, "register"))


def _describe_plan(artifacts: list[PlannedArtifact]) -> str:
    event_ids = [a.artifact_id for a in artifacts if a.is_event]
    imported = sum(1 for a in artifacts if a.artifact_type == PROTOBUF) - len(event_ids)
    documents = [a.artifact_id for a in artifacts if a.artifact_type != PROTOBUF]
    return f"{len(event_ids)} event artifacts (+{imported} imported files): {', '.join([*event_ids, *documents])}"
