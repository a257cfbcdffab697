"""The pinned external tools: buf and git (here), the Python code generator (generator.py), and their findings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ss3_schema.errors import ToolError
from ss3_schema.report import Violation

BUF_VIOLATIONS_EXIT = 100
BUF_GOGC = "400"
BUF_GOMEMLIMIT = "1GiB"
CACHE_ENV = "SS3_CACHE_DIR"


def tool_env() -> dict[str, str]:
    """The environment for buf: no credentials, the running interpreter's bin dir first on PATH.

    buf.gen.yaml names `python3` and the protoc plugins by bare name; putting
    this interpreter's directory first makes them resolve to the pinned venv.
    """
    env = {key: value for key, value in os.environ.items() if not _is_credential(key)}
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    # buf is a Go program that lives a tenth of a second: with Go's default GOGC=100 a quarter
    # to a third of its CPU went to garbage collection (measured on buf 1.75, build and breaking).
    # A sparser collector, capped by a soft memory limit; values set by the caller win.
    env.setdefault("GOGC", BUF_GOGC)
    env.setdefault("GOMEMLIMIT", BUF_GOMEMLIMIT)
    return env


def _is_credential(name: str) -> bool:
    """Variables that hold credentials: the tools run here (buf, protoc, git) need none of them."""
    return name.startswith(("SS3_REGISTRY_", "SS3_MAVEN_", "TWINE_"))


def cache_dir() -> Path:
    """`.cache/` of the checkout that holds this tool (or $SS3_CACHE_DIR).

    One copy (the generator, compiled base images) serves every schema tree the
    tool reads, the test suite's throw-away repositories included.
    """
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "tools" / "pyproject.toml").is_file():
        return checkout / ".cache"
    return Path.home() / ".cache" / "ss3-schema"


def buf_executable() -> str:
    bindir_buf = Path(sys.executable).parent / "buf"
    if bindir_buf.is_file():
        return str(bindir_buf)
    found = shutil.which("buf")
    if found is None:
        raise ToolError("buf not found: run `make venv` (it installs the pinned buf-bin)")
    return found


def run_buf(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run buf; exit 0 and 100 (findings) are answers, anything else is a tool error."""
    # Never follow a link: the files buf compiles are the ones workspace.schema_files finds.
    cmd = [buf_executable(), args[0], "--disable-symlinks", *args[1:]]
    proc = subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, check=False)
    if proc.returncode not in (0, BUF_VIOLATIONS_EXIT):
        detail = _first_line(proc.stderr) or _first_line(proc.stdout) or f"exit {proc.returncode}"
        raise ToolError(f"buf {args[0]} failed: {detail}")
    return proc


def parse_buf_json(output: str, path_prefix: str = "", default_file: str = "<input>") -> list[Violation]:
    """Read buf's --error-format json output (one JSON object per line).

    path_prefix turns module-relative paths (image inputs) into repository paths.
    """
    violations = []
    for raw in output.splitlines():
        line = raw.strip()
        if not line.startswith("{"):
            continue
        item = json.loads(line)
        violations.append(
            Violation(
                file=path_prefix + item["path"] if item.get("path") else default_file,
                line=int(item.get("start_line") or 1),
                column=int(item.get("start_column") or 1),
                rule=str(item.get("type") or "BUF"),
                message=str(item.get("message") or "").strip(),
                end_line=int(item.get("end_line") or 0),
                end_column=int(item.get("end_column") or 0),
            )
        )
    return violations


def run_git(args: Sequence[str], cwd: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise ToolError(f"git {' '.join(args)} failed: {_first_line(proc.stderr) or proc.returncode}")
    return proc


def _first_line(text: str) -> str:
    """The first non-empty line; when it only announces a list ("...errors:"), with the list's first item."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    if lines[0].endswith(":") and len(lines) > 1:
        return f"{lines[0]} {lines[1]}"
    return lines[0]
