"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SchemaRepo, make_schema_repo

# The real servers, one per test session each: Apicurio Registry, pypiserver, Kafka.
pytest_plugins = [
    "tests.tiers",
    "tests.integration.registry_fixture",
    "tests.integration.pypi_fixture",
    "tests.integration.kafka_fixture",
]


@pytest.fixture
def schema_repo(tmp_path: Path) -> SchemaRepo:
    """A fresh git repository with the real schema tree committed on main."""
    return make_schema_repo(tmp_path / "repo")
