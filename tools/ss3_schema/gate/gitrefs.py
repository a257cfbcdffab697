"""Turning `--against REF` into a base tree, also in shallow CI clones.

The base of a PR is the merge-base of REF and HEAD, not REF's tip: comparing
with the tip makes a stale branch report everything merged to main since as
"deleted". A depth-1 clone has neither REF nor the merge-base, so this module
fetches REF from `origin` and deepens history until the merge-base appears.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from ss3_schema.errors import ToolError, UsageError
from ss3_schema.toolchain import run_git

DEEPEN_STEPS = (50, 200, 1000)
REMOTE = "origin"


def merge_base(repo: Path, ref: str) -> str:
    """The merge-base commit of REF and HEAD, fetching what a shallow clone lacks."""
    _require_git_repo(repo)
    target = _resolve_local(repo, ref) or _fetch_ref(repo, ref)
    if target is None:
        raise UsageError(f"unknown git ref {ref!r}: not a branch, tag or commit here or on remote {REMOTE!r}")
    for step in (*DEEPEN_STEPS, -1):
        base = _try_merge_base(repo, target)
        if base is not None:
            return base
        if not is_shallow(repo):
            break
        _deepen(repo, ref, step)
    base = _try_merge_base(repo, target)
    if base is not None:
        return base
    raise UsageError(f"git ref {ref!r} shares no history with HEAD")


def _require_git_repo(repo: Path) -> None:
    if run_git(["rev-parse", "--git-dir"], repo, check=False).returncode != 0:
        raise UsageError(f"{repo} is not a git repository; --against needs git history")


def _resolve_local(repo: Path, ref: str) -> str | None:
    for candidate in (ref, f"{REMOTE}/{ref}", f"refs/tags/{ref}"):
        proc = run_git(["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], repo, check=False)
        if proc.returncode == 0:
            return proc.stdout.strip()
    return None


def _has_remote(repo: Path) -> bool:
    return run_git(["remote", "get-url", REMOTE], repo, check=False).returncode == 0


def _fetch_ref(repo: Path, ref: str) -> str | None:
    if ref.startswith("-") or not _has_remote(repo):
        return None
    proc = run_git(["fetch", "--quiet", "--no-tags", "--depth=1", REMOTE, ref], repo, check=False)
    if proc.returncode != 0:
        return None
    return run_git(["rev-parse", "FETCH_HEAD^{commit}"], repo).stdout.strip()


def _try_merge_base(repo: Path, target: str) -> str | None:
    proc = run_git(["merge-base", target, "HEAD"], repo, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def is_shallow(repo: Path) -> bool:
    return run_git(["rev-parse", "--is-shallow-repository"], repo).stdout.strip() == "true"


def _deepen(repo: Path, ref: str, depth: int) -> None:
    if not _has_remote(repo):
        raise UsageError(f"shallow clone without remote {REMOTE!r}: cannot fetch the history of {ref!r}")
    how = "--unshallow" if depth < 0 else f"--deepen={depth}"
    refs = [ref] if not _looks_like_sha(ref) else []
    run_git(["fetch", "--quiet", "--no-tags", how, REMOTE, *refs], repo, check=False)


def _looks_like_sha(ref: str) -> bool:
    return len(ref) >= 7 and all(c in "0123456789abcdef" for c in ref.lower())


def export_tree(repo: Path, commit: str, paths: list[str], dest: Path) -> bool:
    """Write `paths` as they are at `commit` into dest; False when none of them exist there."""
    listed = run_git(["ls-tree", "--name-only", commit, "--", *paths], repo).stdout.split()
    present = [p for p in paths if p in listed]
    if not present:
        return False
    proc = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", *present], cwd=repo, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise ToolError(f"git archive {commit[:12]} failed: {proc.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(dest, filter="data")
    return True
