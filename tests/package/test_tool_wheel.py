"""The ss3-schema tool's own wheel: its version is VERSION, its plain install is lean, builds repeat."""

from __future__ import annotations

import hashlib
import shutil
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from ss3_schema.artifacts.tool_wheel import TOOL_PROJECT, build_tool_wheel, unconditional_requirements
from ss3_schema.errors import ToolError
from ss3_schema.workspace import Workspace

from tests.helpers import REPO_ROOT, git

VERSION = "4.5.6"
LEAN = {"click", "pyyaml", "requests"}

pytestmark = pytest.mark.integration  # builds wheels (tests/tiers.py)


def _tool_checkout(root: Path, version: str = VERSION) -> Workspace:
    """The files the tool's wheel is built from, committed (the build's timestamps come from HEAD)."""
    shutil.copytree(REPO_ROOT / TOOL_PROJECT, root / TOOL_PROJECT, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(REPO_ROOT / ".gitignore", root / ".gitignore")
    (root / "VERSION").write_text(f"{version}\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "tool")
    return Workspace(root)


def _metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"ss3_schema-{VERSION}.dist-info/METADATA").decode()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _tool_checkout(tmp_path_factory.mktemp("tool"))


def test_the_wheel_has_the_version_of_VERSION_and_a_lean_plain_install(checkout: Workspace) -> None:
    wheel = build_tool_wheel(checkout)

    assert wheel == checkout.dist_dir / f"ss3_schema-{VERSION}-py3-none-any.whl"
    metadata = Parser().parsestr(_metadata(wheel))
    assert metadata["Version"] == VERSION
    assert set(unconditional_requirements(_metadata(wheel))) == LEAN
    toolchain = {Requirement(r).name for r in metadata.get_all("Requires-Dist") or [] if "toolchain" in r}
    assert {"protobuf", "mypy-protobuf", "buf-bin", "twine"} <= toolchain
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read(f"ss3_schema-{VERSION}.dist-info/entry_points.txt").decode()
    assert "ss3-schema = ss3_schema.cli.main:main" in entry_points


def test_the_wheel_carries_every_file_of_the_package(checkout: Workspace) -> None:
    """Modules and data files (the catalog's assets) alike; compiled bytecode never."""
    package = checkout.root / TOOL_PROJECT / "ss3_schema"
    sources = {
        f"ss3_schema/{p.relative_to(package).as_posix()}"
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(build_tool_wheel(checkout)) as archive:
        members = {name for name in archive.namelist() if name.startswith("ss3_schema/")}
    assert members == sources


def test_two_builds_of_one_commit_are_byte_identical(checkout: Workspace) -> None:
    first = hashlib.sha256(build_tool_wheel(checkout).read_bytes()).hexdigest()
    second = hashlib.sha256(build_tool_wheel(checkout).read_bytes()).hexdigest()
    assert first == second


def test_a_toolchain_dependency_in_the_plain_install_is_refused(tmp_path: Path) -> None:
    ws = _tool_checkout(tmp_path / "heavy")
    pyproject = ws.root / TOOL_PROJECT / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"click>=8.1,<9",', '"click>=8.1,<9",\n    "protobuf>=7",'),
        encoding="utf-8",
    )
    git(ws.root, "commit", "-q", "-am", "protobuf for everyone")

    with pytest.raises(ToolError, match="protobuf must be in the toolchain extra"):
        build_tool_wheel(ws)
    assert not list(ws.dist_dir.glob("*.whl"))


def test_make_venv_pins_everything_the_tool_declares() -> None:
    """requirements/tools.txt (what `make venv` installs) satisfies the tool and its toolchain extra."""
    project = tomllib.loads((REPO_ROOT / TOOL_PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["toolchain"]]
    pins = {}
    for line in (REPO_ROOT / "requirements" / "tools.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            pinned = Requirement(line.split(";")[0].removesuffix("\\").strip())
            pins[pinned.name.lower().replace("_", "-")] = next(iter(pinned.specifier)).version
    for requirement in declared:
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not pinned in requirements/tools.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} does not satisfy {requirement}"
