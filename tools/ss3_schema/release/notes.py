"""Release notes: the sections of CHANGELOG.md, judged and moved.

A change adds its lines under "## Unreleased". The PR that sets VERSION for
a release moves them under "## X.Y.Z" (`ss3-schema version --bump` does it,
VERSION included); the version check refuses a release whose section is
missing or empty, or that would leave lines under "Unreleased"; the release's
tag carries the section as its message.

Every merge to main is a release, so this happens in the PR and not in the
job on main: that job would have to push a commit to a protected branch,
and that commit would start another release.

CHANGELOG.md is read as data (it may come from a pull request): a link is
refused, bytes that are not UTF-8 are one ConfigError naming the place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ss3_schema import validate
from ss3_schema.atomic import write_file

CHANGELOG_FILE = "CHANGELOG.md"
UNRELEASED = "Unreleased"
BUMP_HINT = "`ss3-schema version --bump` moves them"
_HEADING = re.compile(r"^## +(?P<title>.*?)\s*$")
# "## 1.2.0", "## 1.2.0 - 2026-12-03", "## [1.2.0] - ..." and "## v1.2.0" all name 1.2.0.
_VERSION_TITLE = re.compile(r"^\[?v?(?P<version>\d+\.\d+\.\d+)\]?(?:\s|$)")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    """One "## " section: its title, the 1-based line of its heading, and the lines under it."""

    title: str
    line: int
    body: tuple[str, ...]

    @property
    def version(self) -> str | None:
        match = _VERSION_TITLE.match(self.title)
        return match["version"] if match else None

    @property
    def unreleased(self) -> bool:
        return self.title.strip("[]").casefold() == UNRELEASED.casefold()

    @property
    def entries(self) -> tuple[str, ...]:
        """The lines that say something (blank lines are layout)."""
        return tuple(line for line in self.body if line.strip())


@dataclass(frozen=True)
class Changelog:
    """CHANGELOG.md split at its "## " headings (those inside fenced code blocks are text)."""

    preamble: tuple[str, ...]
    sections: tuple[Section, ...]

    @classmethod
    def parse(cls, text: str) -> Changelog:
        preamble: list[str] = []
        sections: list[tuple[str, int, list[str]]] = []
        fenced = False
        for number, line in enumerate(text.splitlines(), start=1):
            if _FENCE.match(line):
                fenced = not fenced
            heading = None if fenced else _HEADING.match(line)
            if heading:
                sections.append((heading["title"], number, []))
            else:
                (sections[-1][2] if sections else preamble).append(line)
        return cls(tuple(preamble), tuple(Section(title, line, tuple(body)) for title, line, body in sections))

    def section(self, version: str) -> Section | None:
        return next((s for s in self.sections if s.version == version), None)

    def unreleased(self) -> Section | None:
        return next((s for s in self.sections if s.unreleased), None)

    def text(self) -> str:
        lines = list(self.preamble)
        for section in self.sections:
            lines += [f"## {section.title}", *section.body]
        return "\n".join(lines).rstrip("\n") + "\n"


def read_changelog(root: Path) -> Changelog | None:
    """The repository's CHANGELOG.md, or None when it keeps none."""
    path = root / CHANGELOG_FILE
    if not validate.not_a_link(path, CHANGELOG_FILE).exists():
        return None
    return Changelog.parse(validate.read_text(path, CHANGELOG_FILE))


def count_lines(count: int) -> str:
    """'1 line', '2 lines': how the changelog messages count entries."""
    return f"{count} line{'s' if count != 1 else ''}"


def notes_problem(changelog: Changelog, version: str) -> str | None:
    """Why CHANGELOG.md cannot be the notes of `version`, in one line; None when it can."""
    section = changelog.section(version)
    unreleased = changelog.unreleased()
    if unreleased is not None and unreleased.entries:
        lines = count_lines(len(unreleased.entries))
        return (
            f"{CHANGELOG_FILE}:{unreleased.line}: {lines} under {UNRELEASED!r} would not be in {version}; "
            f"{BUMP_HINT} under '## {version}'"
        )
    if section is None:
        return (
            f"{CHANGELOG_FILE}: no '## {version}' section: write what {version} changes under "
            f"{UNRELEASED!r}; {BUMP_HINT}"
        )
    if not section.entries:
        return f"{CHANGELOG_FILE}:{section.line}: '## {version}' is empty: say what it changes for the users"
    return None


def notes(changelog: Changelog | None, version: str) -> str:
    """The section of `version` as text (the release tag's message), empty when there is none."""
    section = changelog.section(version) if changelog else None
    return "\n".join(section.body).strip("\n") if section else ""


def move_unreleased(changelog: Changelog, version: str) -> tuple[Changelog, int]:
    """The changelog with the entries of "Unreleased" at the top of `version`'s section, and their count.

    The section is made right below "Unreleased" when missing; "Unreleased" stays, empty.
    """
    unreleased = changelog.unreleased()
    if unreleased is None or not unreleased.entries:
        return changelog, 0
    sections: list[Section] = []
    target = changelog.section(version)
    for section in changelog.sections:
        if section is unreleased:
            sections.append(Section(section.title, section.line, ("",)))
            if target is None:
                sections.append(Section(version, 0, _paragraphs(unreleased.body)))
        elif section is target:
            sections.append(Section(section.title, section.line, _paragraphs(unreleased.body, section.body)))
        else:
            sections.append(section)
    return Changelog(changelog.preamble, tuple(sections)), len(unreleased.entries)


def write_changelog(root: Path, changelog: Changelog) -> None:
    write_file(root / CHANGELOG_FILE, changelog.text().encode("utf-8"))


def _paragraphs(*bodies: tuple[str, ...]) -> tuple[str, ...]:
    """The bodies one after the other, each without its outer blank lines, a blank line around each."""
    lines = [""]
    for body in bodies:
        start = next((i for i, line in enumerate(body) if line.strip()), len(body))
        end = max((i + 1 for i, line in enumerate(body) if line.strip()), default=start)
        if body[start:end]:
            lines += [*body[start:end], ""]
    return tuple(lines)
