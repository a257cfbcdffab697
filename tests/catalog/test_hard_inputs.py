"""Hard inputs render: recursion, deep nesting, maps, oneofs, hundreds of fields, HTML in comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from ss3_schema.catalog.example import example_payload
from ss3_schema.catalog.model import read_catalog
from ss3_schema.schema.image import build_image

from tests.catalog.browser import open_page, parse_asyncapi
from tests.catalog.hard_inputs import DEPTH, HARD_TOPIC, HOSTILE_COMMENT, WIDE_FIELDS, hard_events_proto
from tests.helpers import SchemaRepo, make_schema_repo, run_cli

HARD_EVENTS = ("ss3.hard.v1.TreeChanged", "ss3.hard.v1.WideRowChanged")


@pytest.fixture(scope="module")
def hard_repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    repo = make_schema_repo(tmp_path_factory.mktemp("hard") / "repo")
    repo.write("proto/ss3/hard/v1/hard_events.proto", hard_events_proto())
    repo.commit("hard inputs")
    proc = run_cli("catalog", cwd=repo.root)
    assert proc.returncode == 0, proc.stderr
    return repo


def test_the_page_shows_them_and_runs_no_markup_from_comments(hard_repo: SchemaRepo) -> None:
    page = hard_repo.path("dist/catalog/index.html")
    shots = {"catalog-hard-inputs.png": "ss3.hard.v1.TreeChanged"}
    seen = open_page(page, screenshots=shots, searches=["column_250"])
    assert seen["consoleErrors"] == [] and seen["pageErrors"] == []
    assert seen["pwned"] is None and seen["injectedElements"] == 0
    assert set(HARD_EVENTS) <= set(seen["initial"]["events"])
    assert f"topic-{HARD_TOPIC}" in seen["initial"]["topics"]
    assert "ss3.hard.v1.Node" in seen["initial"]["types"]
    assert seen["searches"]["column_250"]["events"] == ["ss3.hard.v1.WideRowChanged"]
    assert seen["searches"]["column_250"]["rows"] == 1
    html = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned" in html and "<img src=x" not in html


def test_the_page_lists_every_field_of_the_wide_message_and_the_nested_chain(hard_repo: SchemaRepo) -> None:
    html = hard_repo.path("dist/catalog/index.html").read_text(encoding="utf-8")
    for n in (1, WIDE_FIELDS // 2, WIDE_FIELDS):
        assert f'id="ss3.hard.v1.WideRowChanged.column_{n:03d}"' in html
    deepest = "ss3.hard.v1.Node." + ".".join(f"Level{n}" for n in range(1, DEPTH + 1))
    assert f'<a class="type-link" href="#{deepest}">' in html and f'id="{deepest}"' in html
    assert "map&lt;string, </code>" in html and "oneof change" in html


def test_the_asyncapi_document_parses_with_zero_errors(hard_repo: SchemaRepo) -> None:
    parsed = parse_asyncapi(hard_repo.path("dist/catalog/asyncapi.yaml"))
    assert parsed["errors"] == []
    tree = parsed["messages"]["ss3.hard.v1.TreeChanged"]
    assert tree["title"] == "TreeChanged"
    assert {"metadata", "root", "prices", "counters", "change", "weight", "deepest"} <= set(tree["properties"])
    assert HOSTILE_COMMENT in tree["description"]
    assert len(parsed["messages"]["ss3.hard.v1.WideRowChanged"]["properties"]) == WIDE_FIELDS + 1


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
