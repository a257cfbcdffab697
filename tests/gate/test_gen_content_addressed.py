"""`gen` regenerates exactly when an input changed, removes what was deleted, and locates errors exactly."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, SchemaRepo, make_schema_repo, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
PACKAGE = Path("ss3-protos/src/ss3")
VENV = Path(sys.executable).parent.parent


@pytest.fixture
def repo(tmp_path: Path) -> SchemaRepo:
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    shutil.copy2(REPO_ROOT / "Makefile", repo.root / "Makefile")
    return repo


def _gen(repo: SchemaRepo) -> subprocess.CompletedProcess[str]:
    proc = run_cli("gen", cwd=repo.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _make_gen(repo: SchemaRepo) -> subprocess.CompletedProcess[str]:
    # VENV_STAMP= : use this interpreter's venv as it is.
    cmd = ["make", "--no-print-directory", "gen", f"VENV={VENV}", "VENV_STAMP="]
    proc = subprocess.run(cmd, cwd=repo.root, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _snapshot(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_nothing_changed_is_a_no_op_that_touches_nothing(repo: SchemaRepo) -> None:
    _gen(repo)
    before = _snapshot(repo.root / PACKAGE)
    proc = _gen(repo)
    assert proc.stdout.startswith("gen: up to date")
    assert _snapshot(repo.root / PACKAGE) == before


@pytest.mark.parametrize("change", ["schema", "version", "hand-edited output", "runtime"])
def test_any_changed_input_or_output_regenerates(repo: SchemaRepo, change: str) -> None:
    _gen(repo)
    if change == "schema":
        repo.replace(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order.")
    elif change == "version":
        repo.write("VERSION", "9.9.9\n")
    elif change == "runtime":
        repo.replace("ss3-protos/runtime/ss3/kafka/wire.py", "MAGIC_BYTE = 0\n", "MAGIC_BYTE = 0  # edited\n")
    else:
        (repo.root / PACKAGE / "orders/v1/order_events_pb2.py").unlink()
    proc = _gen(repo)
    assert not proc.stdout.startswith("gen: up to date"), proc.stdout
    assert (repo.root / PACKAGE / "orders/v1/order_events_pb2.py").is_file()
    if change == "runtime":
        assert "# edited" in (repo.root / PACKAGE / "kafka/wire.py").read_text()


@pytest.mark.parametrize("gen", [_gen, _make_gen], ids=["cli", "make"])
def test_deleted_and_renamed_schemas_lose_their_modules(repo: SchemaRepo, gen: Callable[[SchemaRepo], object]) -> None:
    run = gen
    run(repo)
    shipping = repo.root / "proto/ss3/shipping/v1"
    (shipping / "shipment_events.proto").unlink()
    (shipping / "shipping_service.proto").rename(shipping / "delivery_service.proto")
    run(repo)
    generated = repo.root / PACKAGE / "shipping/v1"
    assert not list(generated.glob("shipment_events*"))
    assert not list(generated.glob("shipping_service*"))
    assert (generated / "delivery_service_pb2.py").is_file()
    assert not (generated / "shipment_events.proto").exists()


def test_make_gen_is_a_no_op_when_nothing_changed(repo: SchemaRepo) -> None:
    _make_gen(repo)
    before = _snapshot(repo.root / PACKAGE)
    proc = _make_gen(repo)
    assert "gen: up to date" in proc.stdout
    assert _snapshot(repo.root / PACKAGE) == before


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_compile_errors_name_the_repository_path_exactly(repo: SchemaRepo, fmt: str) -> None:
    repo.replace(EVENTS, "ss3.common.v1.Money refunded", "NoSuchType refunded")
    line = repo.line_of(EVENTS, "NoSuchType refunded")
    proc = run_cli("gen", "--format", fmt, cwd=repo.root)
    assert proc.returncode == 1
    expected = {
        "text": f"\n{EVENTS}:{line}:3: COMPILE: ",
        "json": f'"file": "{EVENTS}",\n      "line": {line},\n      "column": 3,',
        "github": f"::error file={EVENTS},line={line},",
    }[fmt]
    assert expected in "\n" + proc.stdout, proc.stdout
    assert str(repo.root) not in proc.stdout


def test_gen_leaves_no_temporary_record_and_removes_stale_ones(repo: SchemaRepo) -> None:
    src = repo.root / "ss3-protos/src"
    src.mkdir(parents=True)
    (src / ".ss3-gen.json.k1ll3d").write_text("{}")  # what a run killed while recording left behind
    _gen(repo)
    assert sorted(p.name for p in src.iterdir()) == [".ss3-gen.json", "ss3"]
    assert _gen(repo).stdout.startswith("gen: up to date")


def test_the_wheel_gets_the_tools_redaction_and_a_change_to_it_regenerates(repo: SchemaRepo) -> None:
    _gen(repo)
    copied = repo.root / PACKAGE / "kafka/_redact.py"
    assert copied.read_bytes() == (REPO_ROOT / "tools/ss3_schema/redact.py").read_bytes()
    copied.write_text("# edited by hand\n")
    assert not _gen(repo).stdout.startswith("gen: up to date")
    assert copied.read_bytes() == (REPO_ROOT / "tools/ss3_schema/redact.py").read_bytes()
