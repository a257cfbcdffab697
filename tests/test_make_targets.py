"""`make help` and docs/development.md say the same; `make check` gives the author the VERSION the change needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO_ROOT, make_schema_repo

VENV = Path(sys.executable).parent.parent
EVENTS = "proto/ss3/orders/v1/order_events.proto"


def _help_lines() -> dict[str, str]:
    cmd = ["make", "--no-print-directory", "help"]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return dict(line.strip().split(None, 1) for line in proc.stdout.splitlines() if line.strip())


def test_make_help_and_the_development_page_list_the_same_targets_with_the_same_words() -> None:
    page = (REPO_ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `make ([a-z-]+)` \| (.+?) \|$", page, re.MULTILINE))
    assert documented == _help_lines()


def test_make_check_reports_the_version_the_change_needs(tmp_path: Path) -> None:
    repo = make_schema_repo(tmp_path / "repo")
    shutil.copy2(REPO_ROOT / "Makefile", repo.root / "Makefile")
    repo.commit("makefile")
    repo.git("tag", "-a", "v1.0.0", "-m", "release 1.0.0")
    repo.git("checkout", "-q", "-b", "feature")
    repo.replace(
        EVENTS,
        "  ss3.common.v1.Money refunded = 4;\n",
        "  ss3.common.v1.Money refunded = 4;\n  // Why it was cancelled.\n  string note = 5;\n",
    )
    repo.commit("additive change, VERSION not bumped")
    cmd = ["make", "--no-print-directory", "check", "AGAINST=main", f"VENV={VENV}", "VENV_STAMP="]
    proc = subprocess.run(cmd, cwd=repo.root, capture_output=True, text=True, check=False)
    assert "check: ok" in proc.stdout  # the gate itself passes ...
    assert "smallest valid version: 1.1.0" in proc.stdout  # ... and the author sees the bump it needs
    assert proc.returncode != 0, proc.stdout + proc.stderr  # VERSION 1.0.0 is too small
