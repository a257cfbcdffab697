"""Running the catalog's real readers: headless Chromium (via playwright-core) and the official AsyncAPI parser.

Both are Node programs in tests/js, run with the packages `make js-deps` installs
into .cache/npm from the lockfile; Chromium is Debian's, installed by `make browser`.
A missing one fails in CI and skips on a laptop (tests.helpers.server_unavailable).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.helpers import REPO_ROOT, server_unavailable

JS_DIR = REPO_ROOT / "tests" / "js"
NODE_MODULES = REPO_ROOT / ".cache" / "npm" / "node_modules"
# Screenshots and other artefacts a reviewer looks at after the run.
OUTPUT_DIR = Path(os.environ.get("SS3_TEST_OUTPUT", REPO_ROOT / "test-output")) / "catalog"
NODE_TIMEOUT_S = 180


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        server_unavailable("node is not installed: the catalog tests run the official AsyncAPI parser and Chromium")
    if not (NODE_MODULES / "playwright-core").is_dir():
        server_unavailable(f"{NODE_MODULES} is missing: run `make js-deps`")
    return node


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        server_unavailable("Debian's chromium is not installed: run `make browser` as root")
    return found


def run_node(script: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
    proc = subprocess.run(
        [_node(), str(JS_DIR / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert "fatal" not in result, result["fatal"]
    return result


def parse_asyncapi(document: Path) -> dict[str, Any]:
    """What @asyncapi/parser with the Protobuf schema parser says about the document."""
    return run_node("asyncapi_check.cjs", str(document))


def open_page(
    page: Path,
    *,
    screenshots: dict[str, str | None] | None = None,
    searches: list[str] | None = None,
    link: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Load the page from file:// in a fresh headless Chromium profile and report what is visible.

    `screenshots` maps a file name (kept in OUTPUT_DIR) to the entry to scroll to (None: the top).
    """
    browser = chromium()
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ss3-chromium-") as profile:
        spec = {
            "chromium": browser,
            "url": page.resolve().as_uri(),
            "userDataDir": profile,
            "screenshots": [
                {"path": str(OUTPUT_DIR / name), "fragment": fragment} for name, fragment in (screenshots or {}).items()
            ],
            "searches": searches or [],
            "link": {"from": link[0], "to": link[1]} if link else None,
        }
        spec_file = Path(profile).parent / f"{Path(profile).name}.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        try:
            return run_node("catalog_browser.cjs", str(spec_file))
        finally:
            spec_file.unlink(missing_ok=True)
