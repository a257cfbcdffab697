"""The compiled base is kept by content: judged again, it is read back, never trusted blindly.

`breaking`, `check` and `version` compile the merge-base; most checks judge
against the same few bases, so the image is kept under `<cache>/images/`,
keyed by the git object ids of the base's buf.yaml and proto/ and by the buf
executable. The PR gate keeps a cache of its own for each verdict.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2

from tests.helpers import REPO_ROOT, SchemaRepo, make_schema_repo, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
DELETED_FIELD = "  ss3.common.v1.Money refunded = 4;\n"


def _pr_deleting_a_field(root: Path, *, with_package: bool = False) -> SchemaRepo:
    repo = make_schema_repo(root, with_package=with_package)
    repo.git("checkout", "-q", "-b", "pr")
    repo.replace(EVENTS, DELETED_FIELD, "")
    repo.commit("drop a field")
    return repo


def _breaking(repo: SchemaRepo, cache: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("breaking", "--against", "main", cwd=repo.root, env={"SS3_CACHE_DIR": str(cache)})


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "images").glob("*.binpb"))


def test_the_same_base_in_two_repositories_is_compiled_once_and_judged_alike(tmp_path: Path) -> None:
    first, second = _pr_deleting_a_field(tmp_path / "a"), _pr_deleting_a_field(tmp_path / "b")
    cache = tmp_path / "cache"

    compiled = _breaking(first, cache)
    read_back = _breaking(second, cache)

    assert compiled.returncode == read_back.returncode == 1
    assert "FIELD_NO_DELETE" in compiled.stdout
    assert compiled.stdout == read_back.stdout
    assert len(_entries(cache)) == 1


def test_another_base_is_another_entry(tmp_path: Path) -> None:
    repo = _pr_deleting_a_field(tmp_path / "repo")
    cache = tmp_path / "cache"
    _breaking(repo, cache)
    repo.git("checkout", "-q", "main")
    repo.replace(EVENTS, "// The event this record carries.", "// The event this record carries (one of).")
    repo.commit("a comment on main")
    repo.git("checkout", "-q", "pr")
    repo.git("merge", "-q", "--no-edit", "main")

    again = _breaking(repo, cache)

    assert "FIELD_NO_DELETE" in again.stdout
    assert len(_entries(cache)) == 2


def test_a_damaged_entry_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    repo = _pr_deleting_a_field(tmp_path / "repo")
    cache = tmp_path / "cache"
    expected = _breaking(repo, cache).stdout
    (entry,) = _entries(cache)
    good = entry.read_bytes()

    for damaged in (b"\xff\x00not an image", good[: len(good) // 2], b""):
        entry.write_bytes(damaged)

        again = _breaking(repo, cache)

        assert again.returncode == 1 and again.stdout == expected, again.stderr
        assert entry.read_bytes() == good
    descriptor_pb2.FileDescriptorSet.FromString(entry.read_bytes())


def test_an_unwritable_cache_only_costs_a_compile(tmp_path: Path) -> None:
    repo = _pr_deleting_a_field(tmp_path / "repo")
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("a file where the cache would go")

    result = _breaking(repo, not_a_dir)

    assert result.returncode == 1 and "FIELD_NO_DELETE" in result.stdout, result.stderr
    assert not_a_dir.read_text() == "a file where the cache would go"


def test_the_pr_gate_never_reads_a_cache_it_did_not_fill(tmp_path: Path) -> None:
    # A PR's own test job on a shared runner could write any file into a user's cache. Plant the
    # PR's image under the key of the base it is judged against: a check that read this cache
    # would compare the PR with itself and find nothing.
    pr = _pr_deleting_a_field(tmp_path / "pr", with_package=True)  # the base's tool judges it
    cache = tmp_path / "cache"
    _breaking(pr, cache)
    (base_entry,) = _entries(cache)
    as_base = make_schema_repo(tmp_path / "pr-as-base")
    as_base.replace(EVENTS, DELETED_FIELD, "")
    as_base.commit("the PR's tree on main")
    as_base.git("checkout", "-q", "-b", "next")
    as_base.replace(EVENTS, "// The event this record carries.", "// The event this record carries (one of).")
    as_base.commit("anything")
    _breaking(as_base, cache)
    (pr_entry,) = [entry for entry in _entries(cache) if entry != base_entry]
    shutil.copyfile(pr_entry, base_entry)
    fooled = _breaking(pr, cache)
    assert fooled.returncode == 0, "the planted entry should hide the deletion from a cache reader"

    gate = subprocess.run(
        [sys.executable, "tools/pr_gate.py", "--pr", str(pr.root), "--base", pr.git("rev-parse", "main")],
        cwd=REPO_ROOT,
        env=dict(os.environ, SS3_CACHE_DIR=str(cache)),
        capture_output=True,
        text=True,
        check=False,
    )

    assert gate.returncode == 1 and "FIELD_NO_DELETE" in gate.stdout, gate.stdout + gate.stderr
