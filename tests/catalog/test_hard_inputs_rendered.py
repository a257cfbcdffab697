"""The hard inputs' catalog in the real readers: headless chromium and the official AsyncAPI parser.

The schema texts and the pure checks of the same catalog: test_hard_inputs.py.
"""

from __future__ import annotations

import pytest

from tests.catalog.browser import open_page, parse_asyncapi
from tests.catalog.hard_inputs import HARD_EVENTS, HARD_TOPIC, HOSTILE_COMMENT, WIDE_FIELDS, hard_catalog_repo
from tests.helpers import SchemaRepo

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def hard_repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    return hard_catalog_repo(tmp_path_factory.mktemp("hard") / "repo")


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


def test_the_asyncapi_document_parses_with_zero_errors(hard_repo: SchemaRepo) -> None:
    parsed = parse_asyncapi(hard_repo.path("dist/catalog/asyncapi.yaml"))
    assert parsed["errors"] == []
    tree = parsed["messages"]["ss3.hard.v1.TreeChanged"]
    assert tree["title"] == "TreeChanged"
    assert {"metadata", "root", "prices", "counters", "change", "weight", "deepest"} <= set(tree["properties"])
    assert HOSTILE_COMMENT in tree["description"]
    assert len(parsed["messages"]["ss3.hard.v1.WideRowChanged"]["properties"]) == WIDE_FIELDS + 1
