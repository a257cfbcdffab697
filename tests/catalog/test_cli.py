"""`ss3-schema catalog` as a user runs it: output, exit codes, nothing half-written."""

from __future__ import annotations

import yaml

from tests.helpers import SchemaRepo, run_cli


def test_writes_a_self_contained_page_and_an_asyncapi_document(schema_repo: SchemaRepo) -> None:
    proc = run_cli("catalog", cwd=schema_repo.root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("catalog: 5 topics, 14 events (no release history)")
    out = schema_repo.path("dist/catalog")
    assert sorted(p.name for p in out.iterdir()) == ["asyncapi.yaml", "bi", "index.html"]
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and '<link rel="stylesheet"' not in html
    document = yaml.safe_load((out / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert document["asyncapi"] == "3.0.0" and document["info"]["version"] == schema_repo.read("VERSION").strip()
    channel = document["channels"]["ss3.orders.order-events.v1"]
    assert channel["address"] == "ss3.orders.order-events.v1" and channel["bindings"]["kafka"]["topic"]
    placed = document["components"]["messages"]["ss3.orders.v1.OrderPlaced"]
    assert placed["payload"]["schemaFormat"] == "application/vnd.google.protobuf;version=3"
    assert placed["description"] == "A customer placed an order at checkout."
    assert placed["x-registry-artifact"] == {"groupId": "default", "artifactId": "ss3.orders.order-events.v1-value"}
    assert placed["x-java-class"] == "com.shopstar3.ss3.orders.v1.OrderPlaced"


def test_the_page_holds_the_decoding_facts_of_each_event(schema_repo: SchemaRepo) -> None:
    assert run_cli("catalog", cwd=schema_repo.root).returncode == 0
    html = schema_repo.read("dist/catalog/index.html")
    placed = html.split('id="ss3.orders.v1.OrderPlaced"', 1)[1].split("</article>", 1)[0]
    for fact in (
        "ss3.orders.order-events.v1-value",
        "com.shopstar3.ss3.orders.v1.OrderPlaced",
        "apicurio.registry.headers.enabled=false",
        "apicurio.registry.auto-register=false",
        "apicurio.registry.find-latest=true",
        "apicurio.protobuf.derive.class=true",
        "&quot;eventId&quot;: &quot;event-0001&quot;",
        "&quot;occurredAt&quot;: &quot;2026-01-31T09:30:00Z&quot;",
    ):
        assert fact in placed, fact


def test_a_syntax_error_exits_1_naming_the_place_and_keeps_the_previous_catalog(schema_repo: SchemaRepo) -> None:
    assert run_cli("catalog", cwd=schema_repo.root).returncode == 0
    before = schema_repo.read("dist/catalog/index.html")
    schema_repo.replace("proto/ss3/orders/v1/order_events.proto", "string order_id = 2;", "string order_id = ;")
    proc = run_cli("catalog", cwd=schema_repo.root)
    assert proc.returncode == 1
    assert "proto/ss3/orders/v1/order_events.proto:" in proc.stdout and "Traceback" not in proc.stderr
    assert schema_repo.read("dist/catalog/index.html") == before
    assert sorted(p.name for p in schema_repo.path("dist").iterdir()) == ["catalog"]


def test_without_a_version_file_it_exits_2_with_one_line(schema_repo: SchemaRepo) -> None:
    schema_repo.path("VERSION").unlink()
    proc = run_cli("catalog", cwd=schema_repo.root)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: VERSION: missing; it holds the release version, e.g. 1.0.0"]
