"""Release notes: CHANGELOG.md's "Unreleased" lines go under the version that releases them.

The version check (the PR gate's and the release's) refuses a release without
its section; `ss3-schema version --bump` sets VERSION and moves the lines;
the release's tag carries them.
"""

from __future__ import annotations

import os

import pytest
from ss3_schema.release.notes import Changelog, move_unreleased

from tests.helpers import REPO_ROOT, SchemaRepo, run_cli
from tests.unit.test_versioning import add_field, release

HEADER = "# Changelog\n\nWhat changed.\n\n"


def _changelog(repo: SchemaRepo, unreleased: str, *older: str) -> None:
    repo.write("CHANGELOG.md", HEADER + f"## Unreleased\n\n{unreleased}" + "".join(older))


@pytest.fixture
def released(schema_repo: SchemaRepo) -> SchemaRepo:
    """v1.0.0 tagged, with its notes, and a field added since."""
    _changelog(schema_repo, "", "## 1.0.0\n\n- The first release.\n")
    release(schema_repo, "1.0.0")
    add_field(schema_repo)
    return schema_repo


def test_lines_left_under_unreleased_fail_the_check_at_their_heading(released: SchemaRepo) -> None:
    _changelog(released, "- `OrderCancelled.note`: the customer's words.\n", "\n## 1.0.0\n\n- The first release.\n")
    released.write("VERSION", "1.1.0\n")
    released.commit("a field, its notes, its version")

    proc = run_cli("version", "--check", cwd=released.root)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: CHANGELOG.md:5: 1 line under 'Unreleased' would not be in 1.1.0; "
        "`ss3-schema version --bump` moves them under '## 1.1.0'"
    ]


def test_bump_sets_the_version_and_moves_the_lines_under_it(released: SchemaRepo) -> None:
    _changelog(released, "- `OrderCancelled.note`: the customer's words.\n", "\n## 1.0.0\n\n- The first release.\n")
    released.commit("a field and its notes")

    bumped = run_cli("version", "--bump", cwd=released.root)

    assert bumped.returncode == 0, bumped.stdout + bumped.stderr
    assert bumped.stdout.splitlines()[0] == "VERSION: 1.0.0 -> 1.1.0"
    assert released.path("VERSION").read_text(encoding="utf-8") == "1.1.0\n"
    assert released.path("CHANGELOG.md").read_text(encoding="utf-8") == (
        HEADER + "## Unreleased\n\n## 1.1.0\n\n- `OrderCancelled.note`: the customer's words.\n\n"
        "## 1.0.0\n\n- The first release.\n"
    )
    assert run_cli("version", "--check", cwd=released.root).returncode == 0
    again = run_cli("version", "--bump", cwd=released.root)
    assert again.returncode == 0 and "VERSION: 1.1.0 -> 1.1.0 (kept)" in again.stdout
    assert bumped.stdout.splitlines()[1] == "CHANGELOG.md: 1 line moved from 'Unreleased' under '## 1.1.0'"
    assert "CHANGELOG.md: 0 lines moved" in again.stdout


def test_a_larger_declared_version_is_kept_and_gets_the_lines(released: SchemaRepo) -> None:
    _changelog(released, "- Breaking news, announced.\n", "\n## 1.0.0\n\n- The first release.\n")
    released.write("VERSION", "2.0.0\n")

    assert run_cli("version", "--bump", cwd=released.root).returncode == 0

    assert released.path("VERSION").read_text(encoding="utf-8") == "2.0.0\n"
    assert "## 2.0.0\n\n- Breaking news, announced.\n" in released.path("CHANGELOG.md").read_text(encoding="utf-8")


def test_a_release_without_notes_is_refused_and_bump_says_so(released: SchemaRepo) -> None:
    bumped = run_cli("version", "--bump", cwd=released.root)

    assert bumped.returncode == 1
    assert released.path("VERSION").read_text(encoding="utf-8") == "1.1.0\n"  # done, but not enough
    assert bumped.stderr.startswith("error: CHANGELOG.md: no '## 1.1.0' section: write what 1.1.0 changes")


def test_an_empty_version_section_is_refused_at_its_line(released: SchemaRepo) -> None:
    _changelog(released, "", "## 1.1.0\n\n## 1.0.0\n\n- The first release.\n")
    released.write("VERSION", "1.1.0\n")

    proc = run_cli("version", "--check", cwd=released.root)

    assert proc.returncode == 1
    assert "error: CHANGELOG.md:7: '## 1.1.0' is empty" in proc.stderr


def test_deleting_the_changelog_does_not_skip_the_notes(released: SchemaRepo) -> None:
    released.path("CHANGELOG.md").unlink()
    released.write("VERSION", "1.1.0\n")

    proc = run_cli("version", "--check", cwd=released.root)

    assert proc.returncode == 1
    assert "CHANGELOG.md: missing, but v1.0.0 had one" in proc.stderr


def test_a_repository_without_a_changelog_needs_no_notes(schema_repo: SchemaRepo) -> None:
    assert not schema_repo.path("CHANGELOG.md").exists()
    assert run_cli("version", "--check", cwd=schema_repo.root).returncode == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"## Unreleased\n\n- caf\xe9\n", "error: CHANGELOG.md:3:6: not UTF-8 (byte 0xe9)"),
        (None, "error: CHANGELOG.md: a symbolic link"),
    ],
)
def test_an_unreadable_changelog_is_one_line(released: SchemaRepo, content: bytes | None, expected: str) -> None:
    released.write("VERSION", "1.1.0\n")
    path = released.path("CHANGELOG.md")
    path.unlink()
    if content is None:
        os.symlink(REPO_ROOT / "CHANGELOG.md", path)
    else:
        path.write_bytes(content)

    proc = run_cli("version", "--check", cwd=released.root)

    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith(expected), proc.stderr


def test_headings_inside_code_blocks_are_text_and_the_rest_is_kept_as_written() -> None:
    text = HEADER + "## Unreleased\n\n- one\n\n```md\n## 9.9.9\n```\n\n## [1.0.0] - 2026-01-01\n\n- first\n"

    changelog = Changelog.parse(text)
    moved, count = move_unreleased(changelog, "1.0.1")

    assert changelog.text() == text
    assert [section.title for section in changelog.sections] == ["Unreleased", "[1.0.0] - 2026-01-01"]
    assert count == 4
    assert moved.text() == (
        HEADER + "## Unreleased\n\n## 1.0.1\n\n- one\n\n```md\n## 9.9.9\n```\n\n## [1.0.0] - 2026-01-01\n\n- first\n"
    )


def test_the_repository_changelog_has_the_notes_of_its_version() -> None:
    changelog = Changelog.parse((REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    version = (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()
    section = changelog.section(version)
    assert section is not None and section.entries
