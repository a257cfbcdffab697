"""Registry benchmark: register 300 event files, then re-run with nothing changed.

The tree holds copies of ss3/common and ss3/options plus 300 generated event
files, each with its own topic, so one run registers 303 artifacts (300
events and the 3 files they import). Each figure is the registration stage
as `ss3-schema register` runs it (buf build, plan, HTTP), without
interpreter start-up; requests are every HTTP attempt the client made.

    python tests/bench/bench_registry.py     # uses SS3_REGISTRY_URL (+ credentials) or starts a registry

From tests/bench/run.py: `run(registry_url, auth)` or `main_lines()`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from ss3_schema.registry.auth import BasicAuth, Credentials, NoAuth, credentials_from_env  # noqa: E402
from ss3_schema.registry.client import Connection, RegistryClient  # noqa: E402
from ss3_schema.registry.plan import plan_registration  # noqa: E402
from ss3_schema.registry.register import Action, RegisterResult, register  # noqa: E402
from ss3_schema.schema.image import build_image  # noqa: E402
from ss3_schema.workspace import Workspace  # noqa: E402

from tests.bench.tree import write_tree  # noqa: E402

EVENT_FILES = 300
SHARED_DIRS = ("ss3/common", "ss3/options")


def make_tree(dest: Path, count: int = EVENT_FILES) -> Workspace:
    """A workspace with the shared schemas and `count` generated event files."""
    shutil.copyfile(REPO_ROOT / "buf.yaml", dest / "buf.yaml")
    for shared in SHARED_DIRS:
        shutil.copytree(REPO_ROOT / "proto" / shared, dest / "proto" / shared)
    write_tree(dest / "proto", count, service_every=0)
    return Workspace(dest)


def timed_run(
    ws: Workspace, connection: Connection, credentials: Credentials, group: str
) -> tuple[float, int, RegisterResult]:
    """Wall time, HTTP requests and outcome of one registration, as the CLI does it."""
    started = time.perf_counter()
    with RegistryClient(connection, credentials) as client:
        artifacts = plan_registration(ws, build_image(ws.root), "topic")
        result = register(client, artifacts, group=group)
        requests_sent = client.requests_sent
    return time.perf_counter() - started, requests_sent, result


def run(registry_url: str, auth: tuple[str, str] | None) -> list[str]:
    """Measure first registration and a no-op re-run; the table as lines."""
    credentials: Credentials = BasicAuth(*auth) if auth else NoAuth()
    return measure(registry_url, credentials)


def measure(registry_url: str, credentials: Credentials) -> list[str]:
    connection = Connection(registry_url.rstrip("/"))
    group = f"ss3-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="ss3-bench-registry-") as tmp:
        ws = make_tree(Path(tmp))
        first = timed_run(ws, connection, credentials, group)
        again = timed_run(ws, connection, credentials, group)
    _expect(first[2], Action.CREATE)
    _expect(again[2], Action.UNCHANGED)
    title = f"registry: {EVENT_FILES} event files, {len(first[2].outcomes)} artifacts"
    return [
        f"{title:<44} {'wall':>8} {'requests':>9}",
        f"{'  first registration':<44} {first[0]:>7.2f}s {first[1]:>9}",
        f"{'  no-op re-run (nothing created)':<44} {again[0]:>7.2f}s {again[1]:>9}",
    ]


def _expect(result: RegisterResult, action: Action) -> None:
    wrong = [o for o in result.outcomes if o.action is not action]
    if wrong:
        raise SystemExit(f"bench: expected every artifact to be '{action}', got {wrong[0]}")


def _registry_script() -> Any:
    sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("devservices.registry")


@contextlib.contextmanager
def running_registry() -> Iterator[tuple[str, Credentials]]:
    """SS3_REGISTRY_URL when set (credentials from the environment), else a registry started for the run."""
    url = os.environ.get("SS3_REGISTRY_URL")
    if url:
        yield url, credentials_from_env(os.environ)
        return
    with tempfile.TemporaryDirectory(prefix="ss3-bench-state-") as state:
        running = _registry_script().start_registry(state_dir=Path(state))
        try:
            yield running.url, NoAuth()
        finally:
            running.stop()


def main_lines() -> list[str]:
    with running_registry() as (url, credentials):
        return measure(url, credentials)


if __name__ == "__main__":
    print("\n".join(main_lines()))
