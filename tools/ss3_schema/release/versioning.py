"""Release versions: what the change since the last release tag requires of VERSION.

The VERSION file declares the next release; tags `vX.Y.Z` mark past ones.
The working tree is compared with the highest release tag that is an
ancestor of HEAD (SemVer, as in docs/releasing.md):

  breaking (anything the gate's breaking check reports)  refused: add a vN package instead
  oldest supported protobuf moved to a new major          major
  any other change of the compiled schema                 minor (additions, options, deprecations)
  comments or formatting only, or no schema change        patch
  no release tag yet                                      first release: anything >= 0.1.0

A release also needs its notes: a non-empty "## X.Y.Z" section in CHANGELOG.md
and nothing left under "Unreleased" (release/notes.py). `bump_version` sets
both: VERSION to the smallest valid version, the notes under it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from google.protobuf import descriptor_pb2

from ss3_schema.atomic import write_file
from ss3_schema.errors import ReleaseRefused
from ss3_schema.gate.breaking import compared, incompatibilities
from ss3_schema.release.notes import CHANGELOG_FILE, move_unreleased, notes_problem, read_changelog, write_changelog
from ss3_schema.report import Violation
from ss3_schema.schema.elements import file_elements
from ss3_schema.schema.image import Image
from ss3_schema.schema.refs import (
    Level,
    ReleaseTag,
    Version,
    fetch_full_history,
    head_commit,
    last_release,
    release_tags,
)
from ss3_schema.toolchain import run_git
from ss3_schema.workspace import Workspace, read_version

# The wheel's protobuf floor is the oldest row of its tested runtimes (see ss3-protos/hatch_build.py).
PACKAGE_PROJECT = "ss3-protos/pyproject.toml"


FIRST_RELEASE_MINIMUM = Version(0, 1, 0)


class Change(StrEnum):
    """What changed since the last release, from least to most demanding."""

    FIRST_RELEASE = "first release"
    NONE = "no schema change"
    COMMENTS = "comments or formatting only"
    SCHEMA = "schema change"
    RUNTIME_MAJOR = "protobuf floor major"
    BREAKING = "breaking"


LEVEL_OF_CHANGE: dict[Change, Level] = {
    Change.NONE: "patch",
    Change.COMMENTS: "patch",
    Change.SCHEMA: "minor",
    Change.RUNTIME_MAJOR: "major",
}


@dataclass(frozen=True)
class Classification:
    """The change from the last release tag (None: no release yet) to the working tree."""

    last: ReleaseTag | None
    change: Change
    details: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = ()

    @property
    def level(self) -> Level | None:
        """The bump the change needs; None for a first release or a refused (breaking) change."""
        return LEVEL_OF_CHANGE.get(self.change)

    @property
    def minimum(self) -> Version | None:
        """The smallest version this change may be released as; None when it may not be released."""
        if self.change is Change.BREAKING:
            return None
        if self.last is None or self.level is None:
            return FIRST_RELEASE_MINIMUM
        return self.last.version.bump(self.level)


@dataclass(frozen=True)
class VersionCheck:
    """VERSION judged against the change; `problem` is the one-line refusal, None when fine."""

    declared: Version
    classification: Classification
    head: str
    problem: str | None = None
    released_at_head: bool = False
    # VERSION itself is too small or taken (the problem is not only the release notes).
    needs_bump: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def next_version(self) -> Version | None:
        """The smallest valid version for HEAD (its own tag when HEAD is already released)."""
        if self.released_at_head:
            return self.declared
        return self.classification.minimum


def check_version(ws: Workspace) -> VersionCheck:
    """Classify the change since the last release tag and judge the declared VERSION."""
    declared = Version.parse(read_version(ws))
    head = head_commit(ws)
    fetch_full_history(ws)
    tags = release_tags(ws)
    existing = next((t for t in tags if t.version == declared), None)
    if existing is not None and existing.commit == head:
        # The release of HEAD is being re-run: nothing to classify, it converges.
        last = ReleaseTag(existing.name, existing.version, head)
        return VersionCheck(declared, Classification(last, Change.NONE), head, released_at_head=True)
    classification = classify(ws, tags)
    version_problem = _problem(declared, classification, existing)
    problem = version_problem or _notes_problem(ws, declared, classification)
    return VersionCheck(declared, classification, head, problem, needs_bump=version_problem is not None)


@dataclass(frozen=True)
class Bumped:
    """What `bump_version` did: VERSION before and after, and the changelog lines it moved."""

    previous: Version
    version: Version
    moved: int
    problem: str | None  # what still stands in the way of releasing, e.g. no notes at all


def bump_version(ws: Workspace) -> Bumped:
    """Prepare the release of HEAD's change: VERSION at least the smallest valid version (a larger
    declared one is kept), and the "Unreleased" lines of CHANGELOG.md under it."""
    check = check_version(ws)
    found, needs_bump = check.classification, check.needs_bump
    if check.released_at_head:
        # VERSION is HEAD's own release, so what is being prepared is the next one.
        found, needs_bump = classify(ws), True
    minimum = found.minimum
    if minimum is None:
        raise ReleaseRefused(check.problem or _problem(check.declared, found, None) or "the change is breaking")
    version = minimum if needs_bump else check.declared
    if version != check.declared:
        write_file(ws.version_file, f"{version}\n".encode())
    moved = 0
    changelog = read_changelog(ws.root)
    if changelog is not None:
        changelog, moved = move_unreleased(changelog, str(version))
        if moved:
            write_changelog(ws.root, changelog)
    return Bumped(check.declared, version, moved, _notes_problem(ws, version, found))


def _notes_problem(ws: Workspace, version: Version, found: Classification) -> str | None:
    changelog = read_changelog(ws.root)
    if changelog is not None:
        return notes_problem(changelog, str(version))
    if found.last is not None and _has_file(ws, found.last.commit, CHANGELOG_FILE):
        return f"{CHANGELOG_FILE}: missing, but {found.last.name} had one: restore it and add the notes of {version}"
    return None  # a repository that never kept a changelog


def _has_file(ws: Workspace, commit: str, path: str) -> bool:
    return run_git(["cat-file", "-e", f"{commit}:{path}"], ws.root, check=False).returncode == 0


def _problem(declared: Version, found: Classification, existing: ReleaseTag | None) -> str | None:
    minimum = found.minimum
    if minimum is None:
        count = len(found.violations)
        return (
            f"the change since {_last_name(found)} is breaking ({count} violation{'s' if count != 1 else ''}); "
            "no version can release it: add a new vN package instead"
        )
    if existing is not None:
        return (
            f"declared {declared}, need at least {minimum} because tag {existing.name} already exists "
            f"on commit {existing.commit[:12]}, not HEAD"
        )
    if declared < minimum:
        return f"declared {declared}, need at least {minimum} because {reason(found)}"
    return None


def summary(found: Classification) -> str:
    """The classification in one line, for a release that may go ahead."""
    if found.last is None:
        return "first release (no vX.Y.Z tag before HEAD)"
    details = f" ({_summarize(found.details)})" if found.details else ""
    return f"{found.change} since {found.last.name}, needs {found.level}{details}"


def reason(found: Classification) -> str:
    """Why the change needs its bump, in one clause."""
    last = _last_name(found)
    if found.change is Change.FIRST_RELEASE:
        return f"there is no release tag yet and a first release starts at {FIRST_RELEASE_MINIMUM}"
    if found.change is Change.SCHEMA:
        return f"the schema changed since {last} ({_summarize(found.details)}): a minor bump"
    if found.change is Change.RUNTIME_MAJOR:
        return f"{found.details[0]}: a major bump"
    if found.change is Change.COMMENTS:
        return f"only comments or formatting changed since {last}: a patch bump"
    if found.change is Change.BREAKING:
        return f"the change since {last} is breaking"
    return f"the schema is unchanged since {last}: a patch bump"


def _summarize(details: tuple[str, ...], shown: int = 3) -> str:
    more = f", and {len(details) - shown} more" if len(details) > shown else ""
    return ", ".join(details[:shown]) + more


def _last_name(found: Classification) -> str:
    return found.last.name if found.last else "the start"


def classify(ws: Workspace, tags: list[ReleaseTag] | None = None) -> Classification:
    """Compare the working tree with the highest release tag that is an ancestor of HEAD."""
    if tags is None:
        fetch_full_history(ws)
        tags = release_tags(ws)
    last = last_release(ws, tags)
    if last is None:
        return Classification(None, Change.FIRST_RELEASE)
    with compared(ws, last.commit) as comparison:
        violations = incompatibilities(ws, comparison)
        if violations:
            return Classification(last, Change.BREAKING, violations=tuple(sorted(set(violations))))
        runtime = _runtime_major_change(ws, last)
        if runtime:
            return Classification(last, Change.RUNTIME_MAJOR, (runtime,))
        return _classify_schema(last, comparison.base.image, comparison.current)


def _classify_schema(last: ReleaseTag, base: Image | None, current: Image) -> Classification:
    old = _files_without_source_info(base)
    new = _files_without_source_info(current)
    if old != new:
        return Classification(last, Change.SCHEMA, describe_schema_change(base, current))
    if _source_info(base) != _source_info(current):
        return Classification(last, Change.COMMENTS)
    return Classification(last, Change.NONE)


def describe_schema_change(base: Image | None, current: Image) -> tuple[str, ...]:
    """What was added (new files, messages, fields, enum values, services, RPCs), else what changed."""
    old = set(schema_elements(base)) if base else set()
    added = [element for element in schema_elements(current) if element not in old]
    if added:
        return tuple(f"added {element}" for element in added)
    old_files = _files_without_source_info(base)
    changed = [name for name, data in _files_without_source_info(current).items() if old_files.get(name) != data]
    return tuple(f"changed options or declarations in {current.repo_path(name)}" for name in sorted(changed))


def schema_elements(image: Image) -> Iterator[str]:
    """Every named element of the image's own files, as `<kind> <full name>`, in file order."""
    for fd in sorted(image.own_files(), key=lambda f: f.name):
        yield f"file {image.repo_path(fd.name)}"
        yield from (f"{element.kind} {element.scoped_name}" for element in file_elements(fd))


def _files_without_source_info(image: Image | None) -> dict[str, bytes]:
    found = {}
    for fd in image.own_files() if image else []:
        bare = descriptor_pb2.FileDescriptorProto()
        bare.CopyFrom(fd)
        bare.ClearField("source_code_info")
        found[fd.name] = bare.SerializeToString(deterministic=True)
    return found


def _source_info(image: Image | None) -> dict[str, bytes]:
    own = image.own_files() if image else []
    return {fd.name: fd.source_code_info.SerializeToString(deterministic=True) for fd in own}


def _runtime_major_change(ws: Workspace, last: ReleaseTag) -> str:
    """The oldest supported protobuf moved to a higher major: services on the old major cannot upgrade."""
    old = run_git(["show", f"{last.commit}:{PACKAGE_PROJECT}"], ws.root, check=False)
    new_file = ws.root / PACKAGE_PROJECT
    if old.returncode != 0 or not new_file.is_file():
        return ""
    old_major, new_major = oldest_protobuf_major(old.stdout), oldest_protobuf_major(new_file.read_text("utf-8"))
    if old_major is None or new_major is None or new_major <= old_major:
        return ""
    return f"the oldest supported protobuf moved from major {old_major} to {new_major} ({PACKAGE_PROJECT})"


def oldest_protobuf_major(pyproject: str) -> int | None:
    """The major of the oldest protobuf in the wheel's tested-runtimes table, if the text has one."""
    try:
        hook = tomllib.loads(pyproject)["tool"]["hatch"]["metadata"]["hooks"]["custom"]
        majors = [int(str(row["protobuf"]).split(".")[0]) for row in hook["tested-runtimes"]]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
        return None
    return min(majors, default=None)
