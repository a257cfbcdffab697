"""Stage: build the ss3-protos wheel from the generated tree into dist/.

The wheel is built in a staging directory, checked, and only then moved
into dist/, so a failed build leaves no partial wheel. Builds are
reproducible: hatchling fixes file order and permissions, and every zip
timestamp comes from SOURCE_DATE_EPOCH, set to the commit time of HEAD.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from ss3_schema import atomic
from ss3_schema.errors import ToolError
from ss3_schema.toolchain import run_git
from ss3_schema.workspace import Workspace, read_version

REQUIRED_MEMBERS = ("ss3/__init__.py", "ss3/py.typed", "ss3/_descriptors/ss3.binpb")
GENERATED_VERSION = re.compile(r'^__version__ = "([^"]*)"', re.MULTILINE)
# Lines of a failed build's output that say what went wrong, best first.
BUILD_ERROR = re.compile(r"(No space left|Permission denied|Read-only file system|Error:|error:|Errno)")


def build_wheel(ws: Workspace) -> Path:
    """Build dist/ss3_protos-<version>-py3-none-any.whl and return its path."""
    require_fresh_tree(ws)
    with atomic.staging(ws.dist_dir, ".build-") as staging:
        wheel = run_build(ws, ws.package_project, staging)
        verify_wheel(wheel)
        target = ws.dist_dir / wheel.name
        atomic.replace_file(wheel, target)
    return target


def require_fresh_tree(ws: Workspace) -> None:
    """The generated tree is what `gen` makes of proto/ and VERSION now, not what an earlier run left.

    The wheel ships the .proto sources beside the modules, so comparing them
    (and the version) finds a tree that a failed or skipped `gen` left stale.
    """
    version = read_version(ws)
    package = ws.generated_root / "ss3"
    init = package / "__init__.py"
    if not init.is_file():
        raise ToolError("ss3-protos/src/ss3 is not generated: run `ss3-schema gen` (make gen) first")
    found = GENERATED_VERSION.search(init.read_text(encoding="utf-8"))
    stale = []
    if found is None or found.group(1) != version:
        stale.append(f"version {found.group(1) if found else '?'} (VERSION says {version})")
    schemas = [name for name in ws.proto_files() if name.startswith("ss3/")]
    sources = {name.removeprefix("ss3/"): ws.proto_dir / name for name in schemas}
    copies = {p.relative_to(package).as_posix(): p for p in package.rglob("*.proto")}
    changed = sorted(
        name
        for name in sources.keys() | copies.keys()
        if name not in sources or name not in copies or sources[name].read_bytes() != copies[name].read_bytes()
    )
    if changed:
        stale.append(f"{len(changed)} schema file(s) differ from proto/ (first: {changed[0]})")
    if stale:
        raise ToolError(f"ss3-protos/src/ss3 is stale: {'; '.join(stale)}; run `ss3-schema gen` first")


def run_build(ws: Workspace, project: Path, outdir: Path) -> Path:
    """Build the wheel of `project` into `outdir` with this interpreter's build backend; its path."""
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir), str(project)]
    env = dict(os.environ, SOURCE_DATE_EPOCH=source_date_epoch(ws))
    proc = subprocess.run(cmd, cwd=ws.root, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolError(f"wheel build failed: {build_failure(proc.stdout + chr(10) + proc.stderr)}")
    wheels = sorted(outdir.glob("*.whl"))
    if len(wheels) != 1:
        raise ToolError(f"wheel build produced {len(wheels)} wheels, expected 1")
    return wheels[0]


def build_failure(output: str) -> str:
    """The line that says why a build failed (the last one, "Backend subprocess exited", never does)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    telling = [line for line in lines if BUILD_ERROR.search(line)]
    return (telling or lines or ["no output"])[-1][:300]


def source_date_epoch(ws: Workspace) -> str:
    """The commit time of HEAD, so that two builds of one commit are byte-identical."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed:
        return fixed
    proc = run_git(["log", "-1", "--format=%ct"], ws.root, check=False)
    # Outside git (an unpacked tarball) fall back to hatchling's own fixed default.
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else "1580601600"


def verify_wheel(wheel: Path) -> None:
    """Refuse a wheel that lacks the package essentials or ships google/protobuf."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [m for m in REQUIRED_MEMBERS if m not in names]
    if missing:
        raise ToolError(f"{wheel.name}: missing {', '.join(missing)}")
    if any(n.startswith("google/") for n in names):
        raise ToolError(f"{wheel.name}: contains google/ modules, which belong to the protobuf package")
    if not any(n.endswith("_pb2.py") for n in names):
        raise ToolError(f"{wheel.name}: contains no generated modules")
