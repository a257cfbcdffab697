"""The catalog of the real schema tree, built once per test session by the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_schema_repo, run_cli


@pytest.fixture(scope="session")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_schema_repo(tmp_path_factory.mktemp("catalog") / "repo")
    proc = run_cli("catalog", cwd=repo.root)
    assert proc.returncode == 0, proc.stderr
    return repo.root / "dist" / "catalog"
