"""`--against REF` in every clone CI makes, and never changing the repository it reads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import SchemaRepo, git, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
DROPPED = "  // Amount refunded to the customer; zero when nothing was paid yet.\n  ss3.common.v1.Money refunded = 4;\n"


@pytest.fixture
def origin(schema_repo: SchemaRepo) -> SchemaRepo:
    """main with some history and a tag, and branch `feature` (tip checked out) that drops a field."""
    for n in range(3):
        schema_repo.write(f"notes/{n}.txt", str(n))
        schema_repo.commit(f"main {n}")
    schema_repo.git("tag", "-a", "v1.0.0", "-m", "release")
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(EVENTS, DROPPED, "")
    schema_repo.commit("drop refunded")
    for n in range(3):
        schema_repo.write(f"notes/feature-{n}.txt", str(n))
        schema_repo.commit(f"feature {n}")
    return schema_repo


def _clone(origin: SchemaRepo, dest: Path, *args: str) -> Path:
    cmd = ["git", "clone", "-q", *args, "--branch", "feature", origin.root.as_uri(), str(dest)]
    subprocess.run(cmd, check=True)
    return dest


def _refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)")


@pytest.mark.parametrize("form", ["origin/main", "main", "v1.0.0", "sha"])
def test_every_ref_form_in_a_depth_1_single_branch_clone(origin: SchemaRepo, tmp_path: Path, form: str) -> None:
    clone = _clone(origin, tmp_path / "clone", "--depth", "1", "--single-branch")
    ref = git(origin.root, "rev-parse", "main") if form == "sha" else form
    refs_before = _refs(clone)
    proc = run_cli("check", "--against", ref, cwd=clone)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FIELD_NO_DELETE" in proc.stdout
    assert _refs(clone) == refs_before  # objects fetched, no branch, tag or remote ref written


@pytest.mark.parametrize("form", ["origin/main", "main", "v1.0.0"])
def test_every_ref_form_in_a_full_clone(origin: SchemaRepo, tmp_path: Path, form: str) -> None:
    clone = _clone(origin, tmp_path / "clone")
    proc = run_cli("breaking", "--against", form, cwd=clone)
    assert proc.returncode == 1 and "FIELD_NO_DELETE" in proc.stdout, proc.stdout + proc.stderr


def test_a_full_single_branch_clone_stays_full(origin: SchemaRepo, tmp_path: Path) -> None:
    """main exists only on origin here; fetching it must not make the clone shallow."""
    clone = _clone(origin, tmp_path / "clone", "--single-branch")
    history = git(clone, "rev-list", "--count", "HEAD")
    proc = run_cli("check", "--against", "main", cwd=clone)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert git(clone, "rev-parse", "--is-shallow-repository") == "false"
    assert git(clone, "rev-list", "--count", "HEAD") == history
    assert "refs/remotes/origin/main" not in _refs(clone)


@pytest.mark.parametrize(
    "ref",
    ["HEAD:refs/tags/v9.9.9", "HEAD:proto", "", " ", "--upload-pack=touch", "main~1", "main^", "@{-1}", "a b", "x..y"],
)
def test_refspecs_and_revision_syntax_are_refused_and_change_nothing(
    origin: SchemaRepo, tmp_path: Path, ref: str
) -> None:
    clone = _clone(origin, tmp_path / "clone", "--single-branch")
    refs_before = _refs(clone)
    proc = run_cli("check", "--against", ref, cwd=clone)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: --against") and len(proc.stderr.strip().splitlines()) == 1
    assert _refs(clone) == refs_before
    assert git(clone, "rev-parse", "--is-shallow-repository") == "false"
    assert not (clone / "touch").exists()


def test_a_ref_origin_does_not_have_exits_2(origin: SchemaRepo, tmp_path: Path) -> None:
    clone = _clone(origin, tmp_path / "clone", "--depth", "1", "--single-branch")
    proc = run_cli("check", "--against", "origin/no-such-branch", cwd=clone)
    assert proc.returncode == 2
    assert "no-such-branch" in proc.stderr
