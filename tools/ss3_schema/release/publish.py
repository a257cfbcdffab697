"""Stage: publish wheels (and sdists) to a package index, idempotently.

Before uploading, the index is asked what it holds (release/target.py decides):
a file with the same name and the same sha256 is already published (a success,
so re-running a release converges); the same name with other bytes is a
conflict, refused before anything is uploaded. twine's `--skip-existing` cannot
do this for private indexes (twine 6.2+ refuses it there), hence the check here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from ss3_schema.errors import PublishError, UsageError
from ss3_schema.release.distribution import Distribution, read_distribution
from ss3_schema.release.index import Index
from ss3_schema.release.target import Decision, Held, Outcome, conflict, decide

PROJECT = "ss3-protos"


@dataclass(frozen=True)
class FilePublished:
    filename: str
    version: str
    sha256: str
    outcome: Outcome


@dataclass(frozen=True)
class PublishResult:
    """What happened to each file; `destination` is safe to print (no credentials)."""

    destination: str
    files: tuple[FilePublished, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome is outcome)


def publish(files: Sequence[Path], index: Index, *, project: str | None = None) -> PublishResult:
    """Upload what the index lacks; skip identical files; refuse changed ones before any upload.

    `project` given: files of any other project are refused before anything is sent.
    """
    dists = [read_distribution(path) for path in files]
    strangers = [d.filename for d in dists if project is not None and d.project != canonicalize_name(project)]
    if strangers:
        raise UsageError(f"{', '.join(strangers)}: not a distribution of {project}; only {project} is published here")
    held = _held(dists, index)
    _refuse_conflicts([d for d in dists if decide(held.get(d.filename), d.digest) is Decision.CONFLICT], held, index)
    published = [_publish_one(d, held.get(d.filename), index) for d in dists]
    return PublishResult(index.destination, tuple(published))


def _held(dists: Sequence[Distribution], index: Index) -> dict[str, Held]:
    """What the index holds under every local filename it lists."""
    found: dict[str, Held] = {}
    for project in sorted({d.project for d in dists}):
        listed = index.held(project)
        found.update({d.filename: listed[d.filename] for d in dists if d.project == project and d.filename in listed})
    return found


def _refuse_conflicts(conflicts: Sequence[Distribution], held: dict[str, Held], index: Index) -> None:
    if not conflicts:
        return
    details = "; ".join(
        f"{d.filename}: index sha256 {held[d.filename].digests['sha256'][:12]}, local {d.sha256[:12]}"
        for d in conflicts
    )
    versions = ", ".join(sorted({d.version for d in conflicts}))
    raise conflict(f"version {versions}", index.destination, details)


def _publish_one(dist: Distribution, held: Held | None, index: Index) -> FilePublished:
    if decide(held, dist.digest) is Decision.UPLOAD and not index.upload(dist):
        # Another job won the race, or the index lists the file under another
        # name: only the bytes it now holds decide.
        held = _held([dist], index).get(dist.filename)
        if held is None:
            raise PublishError(
                f"{dist.filename}: the index says it exists but its simple page does not list it; check --index-url"
            )
        _refuse_conflicts(
            [dist] if decide(held, dist.digest) is Decision.CONFLICT else [], {dist.filename: held}, index
        )
    outcome = Outcome.UPLOADED if held is None else Outcome.ALREADY_PUBLISHED
    return FilePublished(dist.filename, dist.version, dist.sha256, outcome)
