"""The ss3-protos wheel, built once per session from a copy of this checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SchemaRepo, make_schema_repo, run_cli


def build(repo: SchemaRepo) -> Path:
    for command in ("gen", "build"):
        proc = run_cli(command, cwd=repo.root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    [wheel] = sorted((repo.root / "dist").glob("ss3_protos-*.whl"))
    return wheel


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    repo = make_schema_repo(tmp_path_factory.mktemp("wheel") / "repo", with_package=True)
    build(repo)
    return repo


@pytest.fixture(scope="session")
def wheel(built_repo: SchemaRepo) -> Path:
    [path] = sorted((built_repo.root / "dist").glob("ss3_protos-*.whl"))
    return path
