"""The catalog page as a reader sees it, in Debian's headless Chromium loading it from file://."""

from __future__ import annotations

from pathlib import Path

import pytest
from ss3_schema.catalog.model import read_catalog
from ss3_schema.schema.image import build_image

from tests.catalog.browser import OUTPUT_DIR, open_page
from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.interop


def _real_topics_and_events() -> tuple[list[str], list[str]]:
    catalog = read_catalog(build_image(REPO_ROOT), "0.0.0")
    return [t.name for t in catalog.topics], [e.full_name for e in catalog.events()]


def test_every_topic_and_event_is_visible_without_console_errors_or_network(real_catalog: Path) -> None:
    topics, events = _real_topics_and_events()
    shots = {"catalog.png": None, "catalog-event.png": "ss3.orders.v1.OrderCancelled"}
    seen = open_page(real_catalog / "index.html", screenshots=shots)
    assert seen["consoleErrors"] == [] and seen["pageErrors"] == []
    assert all(url.startswith("file://") for url in seen["requests"]), seen["requests"]
    assert seen["initial"]["topics"] == [f"topic-{t}" for t in topics]
    assert sorted(seen["initial"]["events"]) == sorted(events)
    assert "ss3.common.v1.EventMetadata" in seen["initial"]["types"]
    assert all((OUTPUT_DIR / name).stat().st_size > 10_000 for name in shots)


def test_typing_in_the_search_narrows_topics_events_and_fields(real_catalog: Path) -> None:
    seen = open_page(real_catalog / "index.html", searches=["refund", "ss3.orders.order-events", "no-such-thing-xyz"])
    everything = seen["initial"]
    by_field = seen["searches"]["refund"]
    assert 0 < len(by_field["events"]) < len(everything["events"])
    assert "ss3.payments.v1.PaymentRefunded" in by_field["events"]
    assert "ss3.orders.v1.OrderCancelled" in by_field["events"]  # through its field `refunded`
    assert 0 < by_field["rows"] < everything["rows"]
    by_topic = seen["searches"]["ss3.orders.order-events"]
    assert by_topic["topics"] == ["topic-ss3.orders.order-events.v1"]
    assert sorted(by_topic["events"]) == ["ss3.orders.v1.OrderCancelled", "ss3.orders.v1.OrderPlaced"]
    nothing = seen["searches"]["no-such-thing-xyz"]
    assert nothing["topics"] == [] and nothing["events"] == [] and nothing["types"] == []
    assert seen["cleared"] == everything


def test_a_fields_type_link_lands_on_its_message(real_catalog: Path) -> None:
    seen = open_page(real_catalog / "index.html", link=("ss3.orders.v1.OrderPlaced", "ss3.orders.v1.Order"))
    landed = seen["link"]
    assert landed["hash"] == "#ss3.orders.v1.Order" and landed["found"]
    assert 0 <= landed["top"] < landed["height"] / 2, landed  # scrolled to it, below the sticky header
