"""Click adapters of the release commands (publish, version, release).

Credentials are read from TWINE_USERNAME / TWINE_PASSWORD only: there are no
options for them, so they never show up in shell history or process lists.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import click

from ss3_schema.cli import options
from ss3_schema.cli.common import workspace
from ss3_schema.errors import EXIT_OK, ConfigError, ReleaseRefused
from ss3_schema.redact import scrub
from ss3_schema.release import maven, versioning
from ss3_schema.release.distribution import default_files
from ss3_schema.release.index import ENV_CERT, ENV_REPOSITORY_URL, open_index
from ss3_schema.release.notes import CHANGELOG_FILE, count_lines
from ss3_schema.release.pipeline import ReleaseReport, release, release_config
from ss3_schema.release.publish import PROJECT, PublishResult, publish
from ss3_schema.report import render
from ss3_schema.workspace import Workspace, find_workspace

DETAILS_SHOWN = 20

repository_url = click.option(
    "--repository-url",
    envvar=ENV_REPOSITORY_URL,
    default=None,
    metavar="URL",
    help=f"Upload URL of the index (env {ENV_REPOSITORY_URL}); file:///dir publishes into a directory index.",
)
index_url = click.option(
    "--index-url",
    envvar="SS3_INDEX_URL",
    default=None,
    metavar="URL",
    help="Simple index read before uploading (env SS3_INDEX_URL; default: the upload URL "
    "without a trailing /legacy, plus /simple/).",
)
cert = click.option(
    "--cert",
    envvar=ENV_CERT,
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help=f"CA bundle for a private index's TLS certificate (env {ENV_CERT}).",
)


@click.command("publish")
@options.root
@repository_url
@index_url
@cert
@options.text_or_json
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish_command(
    *,
    root: Path | None,
    repository_url: str | None,
    index_url: str | None,
    cert: str | None,
    fmt: str,
    files: tuple[Path],
) -> int:
    """Upload FILES (default: the wheels and sdists in dist/) unless the index already has them.

    Same filename and bytes on the index: skipped. Same filename, other bytes:
    exit 1. Credentials: TWINE_USERNAME / TWINE_PASSWORD.
    """
    if not repository_url:
        raise ConfigError(f"no index to publish to: pass --repository-url or set {ENV_REPOSITORY_URL}")
    index = open_index(repository_url, index_url=index_url, ca_bundle=cert)
    result = publish(list(files) or default_files(find_workspace(root), PROJECT), index, project=PROJECT)
    click.echo(json.dumps(asdict(result), indent=2) if fmt == "json" else _publish_text(result))
    return EXIT_OK


def _publish_text(result: PublishResult) -> str:
    lines = [f"publish: {f.filename}: {f.outcome}" for f in result.files]
    return "\n".join([*lines, f"publish: {len(result.files)} file(s) on {result.destination}"])


@click.command("publish-maven")
@options.root
@click.option(
    "--repository-url",
    envvar=maven.ENV_REPOSITORY_URL,
    default=None,
    metavar="URL",
    help=f"Maven repository (env {maven.ENV_REPOSITORY_URL}); file:///dir deploys into a directory.",
)
def publish_maven_command(*, root: Path | None, repository_url: str | None) -> int:
    """Deploy dist/ss3-protos-<VERSION>.jar and .pom unless the repository already has them.

    Same bytes in the repository: skipped. Same version, other bytes: exit 1.
    Credentials: SS3_MAVEN_USERNAME / SS3_MAVEN_PASSWORD.
    """
    if not repository_url:
        raise ConfigError(f"no Maven repository to publish to: pass --repository-url or set {maven.ENV_REPOSITORY_URL}")
    repository = maven.repository_from_env({**os.environ, maven.ENV_REPOSITORY_URL: repository_url})
    if repository is None:
        raise ConfigError(f"no Maven repository to publish to: set {maven.ENV_REPOSITORY_URL}")
    result = maven.deploy(maven.built_artifact(find_workspace(root)), repository)
    click.echo(f"publish-maven: {result.coordinates}: {result.outcome} on {result.destination}")
    return EXIT_OK


@click.command("version")
@options.root
@click.option("--check", "mode", flag_value="check", help="Exit 1 unless VERSION fits the change since the last tag.")
@click.option("--next", "mode", flag_value="next", help="Print the smallest valid version for HEAD.")
@click.option(
    "--bump",
    "mode",
    flag_value="bump",
    help="Write the smallest valid version to VERSION (a larger one is kept) and move the "
    "'Unreleased' lines of CHANGELOG.md under it; exit 1 if the release would still be refused.",
)
@options.text_or_json
def version_command(root: Path | None, mode: str | None, fmt: str) -> int:
    """Classify the change since the last release tag vX.Y.Z and judge VERSION.

    Breaking: refused. Schema change: minor. Comments only or no schema
    change: patch. No tag yet: anything from 0.1.0. A release also needs
    its notes: a '## X.Y.Z' section of CHANGELOG.md, nothing left under
    'Unreleased'.
    """
    if mode == "bump":
        return _bump(workspace(root), fmt)
    check = versioning.check_version(workspace(root))
    if fmt == "json":
        click.echo(json.dumps(_version_json(check), indent=2))
    elif mode == "next" and check.next_version is not None:
        click.echo(str(check.next_version))
    else:
        # A failing --check ends with the problem as its error line; no need to say it twice.
        click.echo(_version_text(check, verdict=not (mode == "check" and check.problem)))
    if mode == "check" and check.problem is not None:
        raise ReleaseRefused(check.problem)
    if mode == "next" and check.next_version is None:
        raise ReleaseRefused(check.problem or "no valid version")
    return EXIT_OK


def _bump(ws: Workspace, fmt: str) -> int:
    bumped = versioning.bump_version(ws)
    if fmt == "json":
        click.echo(json.dumps({**asdict(bumped), "previous": str(bumped.previous), "version": str(bumped.version)}))
    else:
        kept = " (kept)" if bumped.version == bumped.previous else ""
        click.echo(f"VERSION: {bumped.previous} -> {bumped.version}{kept}")
        click.echo(f"{CHANGELOG_FILE}: {count_lines(bumped.moved)} moved from 'Unreleased' under '## {bumped.version}'")
    if bumped.problem is not None:
        raise ReleaseRefused(bumped.problem)
    return EXIT_OK


def _version_text(check: versioning.VersionCheck, *, verdict: bool) -> str:
    found = check.classification
    last = f"{found.last.name} at {found.last.commit[:12]}" if found.last else "none"
    needs = f", needs a {found.level} bump" if found.level else ""
    lines = [f"last release: {last}", f"change: {found.change}{needs}"]
    lines += [f"  {detail}" for detail in found.details[:DETAILS_SHOWN]]
    if len(found.details) > DETAILS_SHOWN:
        lines.append(f"  ... and {len(found.details) - DETAILS_SHOWN} more")
    if found.violations:
        lines.append(render(list(found.violations), "text"))
    lines.append(f"declared: {check.declared}")
    lines.append(f"smallest valid version: {check.next_version or 'none (breaking)'}")
    if verdict:
        lines.append(f"verdict: {'ok' if check.ok else check.problem}")
    return "\n".join(lines)


def _version_json(check: versioning.VersionCheck) -> dict[str, object]:
    found = check.classification
    last = {"tag": found.last.name, "commit": found.last.commit} if found.last else None
    return {
        "ok": check.ok,
        "declared": str(check.declared),
        "last_release": last,
        "change": str(found.change),
        "needs": found.level,
        "next": str(check.next_version) if check.next_version else None,
        "released_at_head": check.released_at_head,
        "problem": check.problem,
        "details": list(found.details),
        "violations": [asdict(v) for v in found.violations],
    }


@click.command("release")
@options.root
@repository_url
@index_url
@cert
@options.registry_url
@options.registry_group
@click.option("--push-tag", is_flag=True, help="Push the vX.Y.Z tag to origin (the CI release job).")
@click.option("--local", is_flag=True, help="Trial run: publish into dist/index, only plan registry and tag.")
@options.text_or_json
def release_command(
    *,
    root: Path | None,
    repository_url: str | None,
    index_url: str | None,
    cert: str | None,
    registry_url: str | None,
    group: str,
    push_tag: bool,
    local: bool,
    fmt: str,
) -> int:
    """The main-branch job: version check, gen, build, publish (wheel, tool, jar), register, tag.

    Safe to re-run: published files, registered schemas and the tag on HEAD
    are recognised and kept. Without an index (laptop) it publishes into
    dist/index and only plans registration and tagging.
    """
    config = release_config(
        repository_url=repository_url,
        index_url=index_url,
        ca_bundle=cert,
        registry_url=registry_url,
        group=group,
        push_tag=push_tag,
        local=local,
    )
    report = release(workspace(root), config)
    # Step details quote errors, which may quote a server: the one redaction applies to them too.
    click.echo(scrub(json.dumps(_release_json(report), indent=2) if fmt == "json" else _release_text(report)))
    if report.error is not None:
        raise report.error
    return EXIT_OK


def _release_text(report: ReleaseReport) -> str:
    rows = [("step", "outcome", "detail"), *((s.step, s.outcome, s.detail) for s in report.steps)]
    if not report.ok:
        verdict = "stopped"
    elif report.trial:
        verdict = "trial only: published into dist/index, registration and tag planned; nothing was released"
    else:
        verdict = "released"
    return "\n".join([*_table(rows), f"release {report.version or '?'}: {verdict}"])


def _table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    step_width = max(len(r[0]) for r in rows)
    outcome_width = max(len(r[1]) for r in rows)
    return [f"{a:<{step_width}}  {b:<{outcome_width}}  {c}".rstrip() for a, b, c in rows]


def _release_json(report: ReleaseReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "trial": report.trial,
        "version": report.version,
        "steps": [asdict(step) for step in report.steps],
        "error": str(report.error) if report.error else None,
    }
