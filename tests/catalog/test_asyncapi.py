"""The AsyncAPI document of the real tree, read by the official parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from ss3_schema.catalog.model import read_catalog
from ss3_schema.schema.image import build_image

from tests.catalog.browser import parse_asyncapi
from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.interop


def test_the_official_parser_reads_it_with_zero_errors(real_catalog: Path) -> None:
    catalog = read_catalog(build_image(REPO_ROOT), "0.0.0")
    parsed = parse_asyncapi(real_catalog / "asyncapi.yaml")
    assert parsed["errors"] == []
    assert [(c["id"], c["address"], c["kafka"]) for c in parsed["channels"]] == [
        (t.name, t.name, True) for t in catalog.topics
    ]
    for event in catalog.events():
        message = parsed["messages"][event.full_name]
        assert message["schemaFormat"] == "application/vnd.google.protobuf;version=3"
        assert message["title"] == event.name  # the parser picked the event as the root message
        assert [f.name for f in event.fields] == message["properties"]
        assert message["description"] == event.doc
