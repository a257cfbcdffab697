"""The PR gate's one entry point (`make pr-gate`): the base's tool judges the PR's files as data.

    python tools/pr_gate.py --pr DIR --base SHA [--format text|json|github]

DIR is a git checkout of the pull request's head; SHA the commit the pull
request targets. Nothing from DIR is ever run: the tool's code is exported
from the merge-base of SHA and DIR's HEAD (a commit of the target branch, so
already reviewed) into a temporary directory and run with this interpreter,
whose pinned tools (buf, protobuf) come from the checkout this script lives
in. A PR that edits tools/ to drop findings changes nothing about its own
verdict; its edits are judged when it is merged, by the code that was there.

Runs `ss3-schema check --against MERGE_BASE` and `ss3-schema version --check`
on DIR, like `make check`; exits with the worse of the two codes (0 ok,
1 findings, 2 the verdict could not be reached).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import IO

EXIT_ERROR = 2
TOOL_PACKAGE = "tools/ss3_schema"
FORMATS = ("text", "json", "github")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")

# Runs the exported tool, never an installed or PR copy: -I ignores PYTHON* variables and the
# working directory, and the package must come from the exported directory.
_LAUNCHER = """
import sys
source = sys.argv[1]
sys.path.insert(0, source)
import ss3_schema
if not ss3_schema.__file__.startswith(source):
    sys.exit(f"error: ss3_schema was imported from {ss3_schema.__file__}, not from the base's copy")
from ss3_schema.cli.main import main
sys.argv = ["ss3-schema", *sys.argv[2:]]
main()
"""


class GateSetupError(Exception):
    """The verdict cannot be reached (bad arguments, missing commit); exit 2."""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        pr = _checkout(args.pr)
        base = _full_sha(args.base)
        merge_base = _merge_base(pr, base)
        with tempfile.TemporaryDirectory(prefix="ss3-pr-gate-") as tmp:
            tool = _export_tool(pr, merge_base, Path(tmp))
            print(f"pr-gate: judging {pr} with the tool of {merge_base[:12]} (merge-base)", file=sys.stderr)
            return _verdict(tool, pr, merge_base, args.format, cwd=Path(tmp))
    except GateSetupError as error:
        print(f"error: pr-gate: {error}", file=sys.stderr)
        return EXIT_ERROR


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pr_gate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pr", required=True, help="git checkout of the pull request's head (read as data)")
    parser.add_argument("--base", required=True, help="full sha of the commit the pull request targets")
    parser.add_argument("--format", choices=FORMATS, default="text")
    return parser.parse_args(argv)


def _checkout(text: str) -> Path:
    path = Path(text).resolve()
    if not (path / ".git").exists():
        raise GateSetupError(f"--pr {text!r} is not a git checkout")
    return path


def _full_sha(text: str) -> str:
    if not _FULL_SHA.match(text):
        raise GateSetupError(f"--base {text!r} is not a full commit sha (40 lower-case hex digits)")
    return text


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # No hooks, no pager, no user configuration: git only reads objects here.
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=False)


def _merge_base(pr: Path, base: str) -> str:
    proc = _git(pr, "merge-base", base, "HEAD")
    if proc.returncode != 0:
        raise GateSetupError(f"no merge-base of {base[:12]} and the PR's HEAD in {pr} (is the history fetched?)")
    return proc.stdout.decode().strip()


def _export_tool(pr: Path, commit: str, dest: Path) -> Path:
    """tools/ss3_schema as it is at `commit`, written under dest; the directory to put on sys.path."""
    proc = _git(pr, "archive", "--format=tar", commit, "--", TOOL_PACKAGE)
    if proc.returncode != 0:
        raise GateSetupError(f"the merge-base {commit[:12]} has no {TOOL_PACKAGE}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(dest / "base", filter="data")
    return dest / "base" / "tools"


def _verdict(tool: Path, pr: Path, merge_base: str, fmt: str, cwd: Path) -> int:
    """`check`, then `version --check` (on stderr unless text, so json and github stay one stream)."""
    status = _run_tool(tool, ["check", "--root", str(pr), "--against", merge_base, "--format", fmt], cwd)
    version_out = None if fmt == "text" else sys.stderr
    version_status = _run_tool(tool, ["version", "--check", "--root", str(pr)], cwd, stdout=version_out)
    return max(status, version_status)


def _run_tool(tool: Path, args: list[str], cwd: Path, stdout: IO[str] | None = None) -> int:
    sys.stdout.flush()
    command = [sys.executable, "-I", "-c", _LAUNCHER, str(tool), *args]
    # A cache of this verdict's own: no image compiled outside it (by a PR's test job on a shared
    # runner, say) stands in for the base it judges against.
    env = dict(os.environ, SS3_CACHE_DIR=str(cwd / "cache"))
    return subprocess.run(command, cwd=cwd, env=env, stdout=stdout, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
