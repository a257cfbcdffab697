"""`ss3-schema release` with every service real: pypiserver and Apicurio Registry.

The `registry` and `registry_group` fixtures come from tests/integration/registry_fixture.py
(through the integration conftest), shared with the registry tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.pypi_fixture import (
    PypiIndex,
    make_package_repo,
    run_release,
    summary,
)
from tests.integration.registry_fixture import RegistryReader, env_for

pytestmark = pytest.mark.integration

VERSION = "2.0.0"  # of its own: the index is shared with the other publish and release tests


def test_release_registers_and_a_rerun_changes_nothing(
    tmp_path: Path,
    pypi_index: PypiIndex,
    registry: Any,
    registry_group: str,
) -> None:
    repo = make_package_repo(tmp_path / "repo", VERSION)
    maven = {"SS3_MAVEN_REPOSITORY_URL": (tmp_path / "maven").as_uri()}
    env = {**pypi_index.env(), **env_for(registry), **maven, "CI": "true"}

    first = run_release(repo, "--group", registry_group, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    table = summary(first.stdout)
    assert table["publish-wheel"][0] == "uploaded"
    assert table["publish-jar"][0] == "uploaded"
    assert table["register"][0] == "registered"
    assert "(create: " in table["register"][1]
    assert table["tag"][0] == "created"
    registered = RegistryReader(registry).all_versions(registry_group)
    assert "ss3.orders.order-events.v1-value" in registered

    again = run_release(repo, "--group", registry_group, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    table = summary(again.stdout)
    assert table["publish-wheel"][0] == "already published"
    assert table["publish-jar"][0] == "already published"
    assert table["register"][0] == "registered"
    assert "(unchanged: " in table["register"][1]
    assert "create" not in table["register"][1]
    assert table["tag"][0] == "already at HEAD"
    assert RegistryReader(registry).all_versions(registry_group) == registered
