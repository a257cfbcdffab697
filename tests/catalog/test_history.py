""" "Added in vX.Y.Z" comes from the release tags; what no tag has yet says unreleased."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ss3_schema.catalog.site import load_catalog
from ss3_schema.workspace import Workspace

from tests.catalog.hard_inputs import with_order_archived
from tests.helpers import SchemaRepo, run_cli

EVENTS_FILE = "proto/ss3/orders/v1/order_events.proto"


def _release(repo: SchemaRepo, tag: str) -> None:
    repo.git("tag", "-a", tag, "-m", tag)


def test_each_event_and_field_carries_the_first_release_that_had_it(schema_repo: SchemaRepo) -> None:
    _release(schema_repo, "v1.0.0")
    schema_repo.replace(
        EVENTS_FILE,
        "  ss3.common.v1.Money refunded = 4;\n",
        "  ss3.common.v1.Money refunded = 4;\n  // Sales channel of the order.\n  string channel = 5;\n",
    )
    schema_repo.commit("add channel")
    _release(schema_repo, "v1.1.0")
    schema_repo.write(EVENTS_FILE, with_order_archived(schema_repo.read(EVENTS_FILE)))
    schema_repo.commit("add OrderArchived")

    loaded = load_catalog(Workspace(schema_repo.root))

    assert loaded.releases == 2
    catalog = loaded.catalog
    cancelled = catalog.messages["ss3.orders.v1.OrderCancelled"]
    fields = {f.name: f.added_in for f in cancelled.fields}
    assert cancelled.added_in == "v1.0.0" and fields["refunded"] == "v1.0.0" and fields["channel"] == "v1.1.0"
    archived = catalog.messages["ss3.orders.v1.OrderArchived"]
    assert archived.added_in is None and {f.added_in for f in archived.fields} == {None}
    assert catalog.enums["ss3.orders.v1.CancellationReason"].values[1].added_in == "v1.0.0"


def test_the_page_shows_added_in_and_unreleased(schema_repo: SchemaRepo) -> None:
    _release(schema_repo, "v1.0.0")
    schema_repo.write(EVENTS_FILE, with_order_archived(schema_repo.read(EVENTS_FILE)))
    schema_repo.commit("add OrderArchived")
    proc = run_cli("catalog", cwd=schema_repo.root)
    assert proc.returncode == 0, proc.stderr
    assert "history from 1 release tags" in proc.stdout
    html = schema_repo.read("dist/catalog/index.html")
    placed = html.split('id="ss3.orders.v1.OrderPlaced"', 1)[1].split("</h3>", 1)[0]
    archived = html.split('id="ss3.orders.v1.OrderArchived"', 1)[1].split("</h3>", 1)[0]
    assert "added in v1.0.0" in placed and "unreleased" in archived


def test_a_tag_that_is_not_an_ancestor_of_head_is_ignored(schema_repo: SchemaRepo) -> None:
    schema_repo.git("checkout", "-q", "-b", "elsewhere")
    schema_repo.write(EVENTS_FILE, with_order_archived(schema_repo.read(EVENTS_FILE)))
    schema_repo.commit("side branch")
    _release(schema_repo, "v9.0.0")
    schema_repo.git("checkout", "-q", "main")
    loaded = load_catalog(Workspace(schema_repo.root))
    assert loaded.releases == 0 and loaded.catalog.messages["ss3.orders.v1.OrderPlaced"].added_in is None


def test_a_shallow_clone_gets_a_catalog_without_added_in_and_is_never_fetched_into(
    schema_repo: SchemaRepo, tmp_path: Path
) -> None:
    _release(schema_repo, "v1.0.0")
    schema_repo.write(EVENTS_FILE, with_order_archived(schema_repo.read(EVENTS_FILE)))
    schema_repo.commit("add OrderArchived")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", schema_repo.root.as_uri(), str(clone)], check=True)

    proc = run_cli("catalog", cwd=clone)

    assert proc.returncode == 0, proc.stderr
    assert "shallow clone: the catalog leaves out" in proc.stderr
    assert "(no release history)" in proc.stdout
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=clone, capture_output=True, text=True, check=True
    )
    assert shallow.stdout.strip() == "true"  # the catalog read the clone; it fetched nothing
