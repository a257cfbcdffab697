"""The laptop release says it is a trial, refuses what the real one refuses, and says how to recover."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.pypi_fixture import make_package_repo, run_release

pytestmark = pytest.mark.integration

EVENTS = "proto/ss3/orders/v1/order_events.proto"


def test_a_trial_says_trial_not_released(tmp_path: Path) -> None:
    repo = make_package_repo(tmp_path / "laptop", "0.1.0")
    proc = run_release(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.rstrip().splitlines()[-1]
    assert last.startswith("release 0.1.0: trial only") and "nothing was released" in last
    assert "released" not in last.replace("nothing was released", "")


def test_a_trial_refuses_a_dirty_tree_as_documented(tmp_path: Path) -> None:
    repo = make_package_repo(tmp_path / "laptop", "0.1.0")
    repo.replace(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order.")
    proc = run_release(repo)
    assert proc.returncode == 2
    assert "uncommitted changes (proto/ss3/orders/v1/order_events.proto)" in proc.stderr
    assert not repo.path("dist/index").exists()


def test_a_stale_trial_index_error_says_how_to_recover(tmp_path: Path) -> None:
    repo = make_package_repo(tmp_path / "laptop", "0.1.0")
    assert run_release(repo).returncode == 0
    repo.replace(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order.")
    repo.commit("another commit, same VERSION")
    proc = run_release(repo)
    assert proc.returncode == 1
    assert "already published with different content" in proc.stderr
    assert "`rm -rf dist/index` discards the trials" in proc.stderr
