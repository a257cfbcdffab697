"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from tests.helpers import QUICK_FLOOR, SchemaRepo, make_schema_repo, quick_properties

# The real servers, one per test session each: Apicurio Registry, pypiserver, Kafka.
pytest_plugins = [
    "tests.tiers",
    "tests.integration.registry_fixture",
    "tests.integration.pypi_fixture",
    "tests.integration.kafka_fixture",
]

# Properties that name no count of examples (Hypothesis' default is 100) follow the fast loop too.
settings.register_profile("quick", max_examples=QUICK_FLOOR)
if quick_properties():
    settings.load_profile("quick")


@pytest.fixture
def schema_repo(tmp_path: Path) -> SchemaRepo:
    """A fresh git repository with the real schema tree committed on main."""
    return make_schema_repo(tmp_path / "repo")
