"""Version rules on real git repositories: what the change since the last tag requires."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ss3_schema.errors import ConfigError
from ss3_schema.release.versioning import Change, check_version, classify, summary
from ss3_schema.schema.refs import Version
from ss3_schema.workspace import Workspace

from tests.helpers import SchemaRepo, make_schema_repo, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
REFUNDED = (
    "  // Amount refunded to the customer; zero when nothing was paid yet.\n  ss3.common.v1.Money refunded = 4;\n"
)


def release(repo: SchemaRepo, version: str) -> None:
    """Declare VERSION, commit and tag it the way the release job does."""
    repo.write("VERSION", f"{version}\n")
    repo.commit(f"release {version}")
    repo.git("tag", "-a", f"v{version}", "-m", f"ss3-protos {version}")


def declare(repo: SchemaRepo, version: str) -> None:
    repo.write("VERSION", f"{version}\n")
    repo.commit(f"declare {version}")


def add_field(repo: SchemaRepo) -> None:
    repo.replace(EVENTS, REFUNDED, REFUNDED + "  // Free text from the customer.\n  string note = 5;\n")
    repo.commit("add a field")


def reword_comment(repo: SchemaRepo) -> None:
    repo.replace(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order (web or app).")
    repo.commit("reword a comment")


def delete_field(repo: SchemaRepo) -> None:
    repo.replace(EVENTS, REFUNDED, "")
    repo.commit("delete a field")


@pytest.fixture
def released(schema_repo: SchemaRepo) -> SchemaRepo:
    release(schema_repo, "1.0.0")
    return schema_repo


def test_no_tag_is_a_first_release_from_0_1_0(schema_repo: SchemaRepo) -> None:
    check = check_version(Workspace(schema_repo.root))
    assert check.classification.change is Change.FIRST_RELEASE
    assert check.ok
    assert str(check.next_version) == "0.1.0"
    declare(schema_repo, "0.0.9")
    refused = run_cli("version", "--check", cwd=schema_repo.root)
    assert refused.returncode == 1
    assert "declared 0.0.9, need at least 0.1.0" in refused.stderr


def test_additive_change_needs_a_minor_bump(released: SchemaRepo) -> None:
    add_field(released)
    declare(released, "1.0.1")
    refused = run_cli("version", "--check", cwd=released.root)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.startswith(
        "error: declared 1.0.1, need at least 1.1.0 because the schema changed since v1.0.0"
    )
    assert "added field ss3.orders.v1.OrderCancelled.note" in refused.stderr
    assert run_cli("version", "--next", cwd=released.root).stdout == "1.1.0\n"
    declare(released, "1.1.0")
    assert run_cli("version", "--check", cwd=released.root).returncode == 0


def test_comment_only_change_needs_a_patch_bump(released: SchemaRepo) -> None:
    reword_comment(released)
    found = classify(Workspace(released.root))
    assert found.change is Change.COMMENTS
    assert found.level == "patch"
    declare(released, "1.0.1")
    assert run_cli("version", "--check", cwd=released.root).returncode == 0


def test_same_version_as_an_older_tag_is_refused(released: SchemaRepo) -> None:
    reword_comment(released)  # VERSION still says 1.0.0, tagged on the previous commit
    refused = run_cli("version", "--check", cwd=released.root)
    assert refused.returncode == 1
    assert "declared 1.0.0, need at least 1.0.1 because tag v1.0.0 already exists on commit" in refused.stderr


def test_no_schema_change_needs_a_patch_bump(released: SchemaRepo) -> None:
    released.write("README.md", "docs\n")
    declare(released, "1.0.1")
    check = check_version(Workspace(released.root))
    assert check.classification.change is Change.NONE
    assert check.ok
    assert summary(check.classification) == "no schema change since v1.0.0, needs patch"


def test_breaking_change_is_refused_whatever_the_version(released: SchemaRepo) -> None:
    delete_field(released)
    declare(released, "2.0.0")
    refused = run_cli("version", "--check", cwd=released.root)
    assert refused.returncode == 1
    assert "FIELD_NO_DELETE" in refused.stdout
    assert "the change since v1.0.0 is breaking (1 violation)" in refused.stderr
    assert run_cli("version", "--next", cwd=released.root).returncode == 1


def test_version_below_the_last_release_is_refused(released: SchemaRepo) -> None:
    declare(released, "0.9.0")
    refused = run_cli("version", "--check", cwd=released.root)
    assert refused.returncode == 1
    assert "declared 0.9.0, need at least 1.0.1 because the schema is unchanged since v1.0.0" in refused.stderr


def test_rerun_at_the_tagged_commit_is_fine(released: SchemaRepo) -> None:
    check = check_version(Workspace(released.root))
    assert check.ok and check.released_at_head
    assert run_cli("version", "--next", cwd=released.root).stdout == "1.0.0\n"


def test_only_tags_before_head_count(released: SchemaRepo) -> None:
    released.git("checkout", "-q", "-b", "side")
    release(released, "5.0.0")
    released.git("checkout", "-q", "main")
    add_field(released)
    check = check_version(Workspace(released.root))
    assert check.classification.last is not None
    assert check.classification.last.name == "v1.0.0"
    assert str(check.next_version) == "1.1.0"


def test_json_output_carries_the_classification(released: SchemaRepo) -> None:
    add_field(released)
    declare(released, "1.1.0")
    proc = run_cli("version", "--check", "--format", "json", cwd=released.root)
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["ok"] is True
    assert data["change"] == "schema change"
    assert data["needs"] == "minor"
    assert data["next"] == "1.1.0"
    assert data["last_release"]["tag"] == "v1.0.0"
    assert "added field ss3.orders.v1.OrderCancelled.note" in data["details"]


def test_new_file_is_described_as_added(released: SchemaRepo) -> None:
    released.write(
        "proto/ss3/orders/v1/notes.proto",
        'syntax = "proto3";\n\npackage ss3.orders.v1;\n\n'
        "// A note.\nmessage Note {\n  // Text.\n  string text = 1;\n}\n",
    )
    released.commit("new file")
    found = classify(Workspace(released.root))
    assert found.change is Change.SCHEMA
    assert found.details[:3] == (
        "added file proto/ss3/orders/v1/notes.proto",
        "added message ss3.orders.v1.Note",
        "added field ss3.orders.v1.Note.text",
    )


@pytest.mark.parametrize(("text", "parsed"), [("1.2.3", Version(1, 2, 3)), (" 0.10.0\n", Version(0, 10, 0))])
def test_version_parse(text: str, parsed: Version) -> None:
    assert Version.parse(text) == parsed


@pytest.mark.parametrize("text", ["1.2", "v1.2.3", "1.2.3rc1", "01.2.3"])
def test_version_parse_refuses_non_release_versions(text: str) -> None:
    with pytest.raises(ConfigError):
        Version.parse(text)


def test_version_bump() -> None:
    version = Version(1, 4, 2)
    assert [str(version.bump(level)) for level in ("patch", "minor", "major")] == ["1.4.3", "1.5.0", "2.0.0"]


def _drop_runtimes_below(repo: SchemaRepo, major: int) -> None:
    lines = repo.read("ss3-protos/pyproject.toml").splitlines(keepends=True)
    kept = [line for line in lines if not re.search(rf"\bprotobuf = \"[0-{major - 1}]\.", line)]
    assert len(kept) < len(lines)
    repo.write("ss3-protos/pyproject.toml", "".join(kept))


def test_raising_the_oldest_supported_protobuf_major_needs_a_major_bump(tmp_path: Path) -> None:
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    release(repo, "1.0.0")
    _drop_runtimes_below(repo, 6)
    declare(repo, "1.1.0")
    refused = run_cli("version", "--check", cwd=repo.root)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "need at least 2.0.0 because the oldest supported protobuf moved from major 5 to 6" in refused.stderr
    declare(repo, "2.0.0")
    assert run_cli("version", "--check", cwd=repo.root).returncode == 0


def test_widening_the_supported_protobuf_range_is_no_major(tmp_path: Path) -> None:
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    _drop_runtimes_below(repo, 6)
    repo.commit("narrow")
    release(repo, "1.0.0")
    repo.git("checkout", "-q", "HEAD~1", "--", "ss3-protos/pyproject.toml")
    declare(repo, "1.0.1")
    assert classify(Workspace(repo.root)).change is Change.NONE
