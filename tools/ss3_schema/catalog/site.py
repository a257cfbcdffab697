"""`ss3-schema catalog`: compile the tree, read its release history, write dist/catalog/ all at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ss3_schema import atomic
from ss3_schema.catalog.asyncapi import render_asyncapi
from ss3_schema.catalog.bi.bundle import BI_DIR, write_bi
from ss3_schema.catalog.history import first_releases, released_tags, stamp
from ss3_schema.catalog.model import Catalog, read_catalog
from ss3_schema.catalog.page import render_page
from ss3_schema.schema.image import Image, build_image
from ss3_schema.workspace import Workspace, read_version

CATALOG_DIR = "catalog"
PAGE = "index.html"
ASYNCAPI = "asyncapi.yaml"


@dataclass(frozen=True)
class Built:
    directory: Path
    topics: int
    events: int
    releases: int


def catalog_dir(ws: Workspace) -> Path:
    return ws.dist_dir / CATALOG_DIR


@dataclass(frozen=True)
class Loaded:
    catalog: Catalog  # stamped with the release that first shipped each event
    image: Image  # plain: what the page and the BI bundle are both made from
    releases: int  # how many release tags the history came from


def load_catalog(ws: Workspace) -> Loaded:
    """The working tree compiled once, its catalog, and the release history read beside the compile."""
    version = read_version(ws)
    tags = released_tags(ws)
    with ThreadPoolExecutor(max_workers=1) as pool:
        history = pool.submit(first_releases, ws, tags)
        image = build_image(ws.root, plain=True)
        catalog = read_catalog(image, version)
        return Loaded(stamp(catalog, history.result()), image, len(tags))


def build_catalog(ws: Workspace, output: Path | None = None) -> Built:
    """Write index.html and asyncapi.yaml into `output` (default dist/catalog), replacing it whole."""
    target = output or catalog_dir(ws)
    loaded = load_catalog(ws)
    catalog = loaded.catalog
    with atomic.staging(target.parent, f".{target.name}-") as staging:
        staging.chmod(0o755)  # mkdtemp makes it private; the site is for any static host
        (staging / BI_DIR).mkdir()
        records = write_bi(ws, loaded.image, staging / BI_DIR, catalog.version)
        page = render_page(catalog, {record.topic: record for record in records})
        (staging / PAGE).write_text(page, encoding="utf-8")
        (staging / ASYNCAPI).write_text(render_asyncapi(catalog), encoding="utf-8")
        atomic.replace_dir(staging, target)
    events = sum(len(t.events) for t in catalog.topics)
    return Built(target, len(catalog.topics), events, loaded.releases)
