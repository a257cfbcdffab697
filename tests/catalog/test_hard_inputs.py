"""Hard inputs render: recursion, deep nesting, maps, oneofs, hundreds of fields, HTML in comments.

What chromium and the AsyncAPI parser make of the same catalog: test_hard_inputs_rendered.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from ss3_schema.catalog.example import example_payload
from ss3_schema.catalog.model import read_catalog
from ss3_schema.schema.image import build_image

from tests.catalog.hard_inputs import DEPTH, HARD_EVENTS, WIDE_FIELDS, hard_catalog_repo
from tests.helpers import SchemaRepo


@pytest.fixture(scope="module")
def hard_repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    return hard_catalog_repo(tmp_path_factory.mktemp("hard") / "repo")


def test_the_page_lists_every_field_of_the_wide_message_and_the_nested_chain(hard_repo: SchemaRepo) -> None:
    html = hard_repo.path("dist/catalog/index.html").read_text(encoding="utf-8")
    for n in (1, WIDE_FIELDS // 2, WIDE_FIELDS):
        assert f'id="ss3.hard.v1.WideRowChanged.column_{n:03d}"' in html
    deepest = "ss3.hard.v1.Node." + ".".join(f"Level{n}" for n in range(1, DEPTH + 1))
    assert f'<a class="type-link" href="#{deepest}">' in html and f'id="{deepest}"' in html
    assert "map&lt;string, </code>" in html and "oneof change" in html


@pytest.mark.parametrize("event", HARD_EVENTS)
def test_the_example_payload_is_valid_protobuf_json(hard_repo: SchemaRepo, event: str) -> None:
    image = build_image(hard_repo.root)
    catalog = read_catalog(image, "1.0.0")
    example = example_payload(catalog, event)
    pool = descriptor_pool.DescriptorPool()
    for fd in image.files:
        pool.Add(fd)
    message = message_factory.GetMessageClass(pool.FindMessageTypeByName(event))()
    json_format.Parse(json.dumps(example), message)  # raises on any key or value the mapping refuses
    assert json_format.MessageToDict(message) == example


def test_an_example_stops_at_recursion_and_sets_one_member_per_oneof(hard_repo: SchemaRepo) -> None:
    catalog = read_catalog(build_image(hard_repo.root), "1.0.0")
    example = example_payload(catalog, "ss3.hard.v1.TreeChanged")
    assert "children" not in example["root"]  # Node inside Node: stopped
    assert "target" not in example["root"]["edge"]
    assert len({"added", "removedId", "prunedAt"} & set(example)) == 1
    assert example["counters"] == {"1": "1"} and example["aliasName"] == "renamed"


def test_the_envelope_is_described_once(hard_repo: SchemaRepo) -> None:
    html = Path(hard_repo.path("dist/catalog/index.html")).read_text(encoding="utf-8")
    assert html.count('id="ss3.common.v1.EventMetadata"') == 1
