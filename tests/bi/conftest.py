"""Fixtures of the analytics tests: the catalog's BI bundles of this checkout, a registry group it registered."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT, run_cli
from tests.integration.registry_fixture import env_for
from tests.interop.conftest import java_harness, registered

__all__ = ["java_harness", "registered"]  # the interop tests' fixtures: the Java serde, the `default` group


@pytest.fixture(scope="session")
def bi_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ss3-schema catalog` of this checkout; its bi/ folder."""
    output = tmp_path_factory.mktemp("catalog") / "catalog"
    proc = run_cli("catalog", "--output", str(output), cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    return output / "bi"


@pytest.fixture(scope="module")
def group(registry: Any) -> str:
    """A group filled by `ss3-schema register` from this checkout, as the release job fills `default`."""
    name = f"ss3-bi-{uuid.uuid4().hex[:10]}"
    proc = run_cli("register", "--group", name, cwd=REPO_ROOT, env=env_for(registry))
    assert proc.returncode == 0, proc.stderr
    return name
