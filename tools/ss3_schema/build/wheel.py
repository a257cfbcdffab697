"""Stage: build the ss3-protos wheel from the generated tree into dist/.

The wheel is built in a staging directory, checked, and only then moved
into dist/, so a failed build leaves no partial wheel. Builds are
reproducible: hatchling fixes file order and permissions, and every zip
timestamp comes from SOURCE_DATE_EPOCH, set to the commit time of HEAD.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ss3_schema.errors import ToolError
from ss3_schema.toolchain import run_git
from ss3_schema.workspace import Workspace

REQUIRED_MEMBERS = ("ss3/__init__.py", "ss3/py.typed", "ss3/_descriptors/ss3.binpb")


def build_wheel(ws: Workspace) -> Path:
    """Build dist/ss3_protos-<version>-py3-none-any.whl and return its path."""
    if not (ws.generated_root / "ss3" / "__init__.py").is_file():
        raise ToolError("ss3-protos/src/ss3 is not generated: run `ss3-schema gen` (make gen) first")
    ws.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=ws.dist_dir) as staging:
        wheel = run_build(ws, ws.package_project, Path(staging))
        verify_wheel(wheel)
        target = ws.dist_dir / wheel.name
        os.replace(wheel, target)
    return target


def run_build(ws: Workspace, project: Path, outdir: Path) -> Path:
    """Build the wheel of `project` into `outdir` with this interpreter's build backend; its path."""
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir), str(project)]
    env = dict(os.environ, SOURCE_DATE_EPOCH=source_date_epoch(ws))
    proc = subprocess.run(cmd, cwd=ws.root, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ToolError(f"wheel build failed: {tail[0]}")
    wheels = sorted(outdir.glob("*.whl"))
    if len(wheels) != 1:
        raise ToolError(f"wheel build produced {len(wheels)} wheels, expected 1")
    return wheels[0]


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
