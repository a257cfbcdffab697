"""Git as the stages read it: `--against REF` as a base tree (also in shallow CI clones), and the release tags.

Nothing here changes the repository's refs.

The base of a PR is the merge-base of REF and HEAD, not REF's tip: comparing
with the tip makes a stale branch report everything merged to main since as
"deleted". A depth-1 clone has neither REF nor the merge-base, so this module
fetches REF's commit from `origin` and deepens history until the merge-base
appears.

REF is untrusted input (a CI variable, a PR author's Makefile argument). It is
validated once, by `validated_ref`, and never reaches git as a refspec: names
are looked up with `git ls-remote` and only the commit id they name is fetched,
with no ref written (`--refmap=`, `--no-write-fetch-head`, `--no-tags`). A
clone that is not shallow is never fetched with a depth, so it stays complete.
"""

from __future__ import annotations

import functools
import io
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ss3_schema import console, validate
from ss3_schema.errors import ConfigError, ToolError, UsageError
from ss3_schema.toolchain import run_git
from ss3_schema.workspace import VERSION_FILE, Workspace

DEEPEN_STEPS = (50, 200, 1000)
REMOTE = "origin"
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
# Fetching writes nothing but objects: no FETCH_HEAD, no tags, no remote-tracking refs.
_READ_ONLY_FETCH = ("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--refmap=")


def validated_ref(text: str) -> str:
    """REF as given, if it is a sha or a plain branch/tag name; UsageError otherwise.

    Refused: empty, leading '-', refspecs ('src:dst'), revision syntax ('~', '^', '@{'),
    anything `git check-ref-format` refuses.
    """
    if not text or not text.strip():
        raise UsageError("--against: empty ref; give a branch, tag or commit sha")
    if _SHA.match(text):
        return text
    if text.startswith("-") or "@{" in text or text == "@" or not _is_ref_name(text):
        raise UsageError(f"--against: {text!r} is not a branch, tag or commit sha")
    return text


@functools.lru_cache(maxsize=64)
def _is_ref_name(text: str) -> bool:
    # Cached: the CLI checks REF where it enters and merge_base checks it again; git's answer
    # depends on the text alone.
    if any(c in text for c in ": ~^?*[\\") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return False
    proc = subprocess.run(
        ["git", "check-ref-format", "--allow-onelevel", text], capture_output=True, text=True, check=False
    )
    return proc.returncode == 0


def merge_base(repo: Path, ref: str) -> str:
    """The merge-base commit of REF and HEAD, fetching (objects only) what a shallow clone lacks."""
    ref = validated_ref(ref)
    _require_git_repo(repo)
    target = _resolve_local(repo, ref) or _fetch_remote(repo, ref)
    if target is None:
        raise UsageError(f"unknown git ref {ref!r}: not a branch, tag or commit here or on remote {REMOTE!r}")
    console.debug(f"--against {ref}: commit {target[:12]}")
    for step in (*DEEPEN_STEPS, -1):
        base = _try_merge_base(repo, target)
        if base is not None:
            console.debug(f"merge-base with HEAD: {base[:12]}")
            return base
        if not is_shallow(repo):
            break
        _deepen(repo, ref, target, step)
    base = _try_merge_base(repo, target)
    if base is not None:
        return base
    raise UsageError(f"git ref {ref!r} shares no history with HEAD")


def _require_git_repo(repo: Path) -> None:
    if run_git(["rev-parse", "--git-dir"], repo, check=False).returncode != 0:
        raise UsageError(f"{repo} is not a git repository; --against needs git history")


def _resolve_local(repo: Path, ref: str) -> str | None:
    candidates = [f"refs/heads/{ref}", f"refs/remotes/{ref}", f"refs/remotes/{REMOTE}/{ref}", f"refs/tags/{ref}"]
    if ref == "HEAD" or _SHA.match(ref):
        candidates.insert(0, ref)
    for candidate in candidates:
        proc = run_git(["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], repo, check=False)
        if proc.returncode == 0:
            return proc.stdout.strip()
    return None


def _has_remote(repo: Path) -> bool:
    return run_git(["remote", "get-url", REMOTE], repo, check=False).returncode == 0


def _fetch_remote(repo: Path, ref: str) -> str | None:
    """Fetch the commit REF names on origin (objects only); its id, or None when origin has no such ref."""
    if not _has_remote(repo):
        return None
    commit = _remote_commit(repo, ref)
    if commit is None:
        return None
    depth = ["--depth=1"] if is_shallow(repo) else []
    console.debug(f"fetching commit {commit[:12]} ({ref}) from {REMOTE}, objects only")
    proc = run_git([*_READ_ONLY_FETCH, *depth, REMOTE, commit], repo, check=False)
    if proc.returncode != 0:
        return None
    return commit if _is_commit(repo, commit) else None


def _remote_commit(repo: Path, ref: str) -> str | None:
    """The commit origin has under REF: a full sha as is, else a branch, else a tag (peeled)."""
    if _FULL_SHA.match(ref):
        return ref
    name = ref.removeprefix(f"{REMOTE}/")
    wanted = [f"refs/heads/{name}"]
    if name == ref:  # `origin/x` means branch x on origin; a bare name may also be a tag
        wanted += [f"refs/tags/{name}^{{}}", f"refs/tags/{name}"]
    proc = run_git(["ls-remote", REMOTE, f"refs/heads/{name}", f"refs/tags/{name}"], repo, check=False)
    if proc.returncode != 0:
        return None
    found = {}
    for line in proc.stdout.splitlines():
        commit, _, remote_name = line.partition("\t")
        found[remote_name] = commit
    return next((found[w] for w in wanted if w in found), None)


def _is_commit(repo: Path, commit: str) -> bool:
    return run_git(["cat-file", "-e", f"{commit}^{{commit}}"], repo, check=False).returncode == 0


def _try_merge_base(repo: Path, target: str) -> str | None:
    proc = run_git(["merge-base", target, "HEAD"], repo, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def is_shallow(repo: Path) -> bool:
    return run_git(["rev-parse", "--is-shallow-repository"], repo).stdout.strip() == "true"


def _deepen(repo: Path, ref: str, target: str, depth: int) -> None:
    if not _has_remote(repo):
        raise UsageError(f"shallow clone without remote {REMOTE!r}: cannot fetch the history of {ref!r}")
    how = "--unshallow" if depth < 0 else f"--deepen={depth}"
    head = run_git(["rev-parse", "HEAD"], repo).stdout.strip()
    console.debug(f"shallow clone: fetching more history ({how})")
    run_git([*_READ_ONLY_FETCH, how, REMOTE, target, head], repo, check=False)


def export_tree(repo: Path, commit: str, paths: list[str], dest: Path) -> str | None:
    """Write `paths` as they are at `commit` into dest; None when none of them exist there.

    Returns what was written as git names it ("<mode> <type> <object id>\t<path>"
    lines): the same text means the same bytes, whichever repository or commit.
    """
    listed = run_git(["ls-tree", commit, "--", *paths], repo).stdout.splitlines()
    entries = {line.split("\t", 1)[-1]: line for line in listed}
    present = [p for p in paths if p in entries]
    if not present:
        return None
    proc = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", *present], cwd=repo, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise ToolError(f"git archive {commit[:12]} failed: {proc.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(dest, filter="data")
    return "\n".join(entries[p] for p in present)


# Release tags: vX.Y.Z on the commit released, read by the version check and the catalog.
TAG_PATTERN = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


Level = Literal["patch", "minor", "major"]


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        return cls(*validate.version(text, VERSION_FILE))

    def bump(self, level: Level) -> Version:
        if level == "major":
            return Version(self.major + 1, 0, 0)
        if level == "minor":
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)

    @property
    def tag(self) -> str:
        return f"v{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class ReleaseTag:
    name: str
    version: Version
    commit: str


def head_commit(ws: Workspace) -> str:
    proc = run_git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], ws.root, check=False)
    if proc.returncode != 0:
        raise ConfigError(f"{ws.root}: not a git repository with a commit; releases are cut from commits")
    return proc.stdout.strip()


def release_tags(ws: Workspace) -> list[ReleaseTag]:
    """Every `vX.Y.Z` tag the clone has, with the commit it points at, highest version first.

    Only reads: in a shallow clone older tags may be missing; `fetch_full_history` first when they matter.
    """
    listing = run_git(
        ["for-each-ref", "refs/tags", "--format=%(refname:short) %(objectname) %(*objectname)"], ws.root
    ).stdout
    tags = []
    for line in listing.splitlines():
        name, obj, *peeled = line.split()
        match = TAG_PATTERN.match(name)
        if match:
            # Annotated tags peel to their commit; lightweight ones are the commit.
            tags.append(ReleaseTag(name, Version(*(int(p) for p in match.groups())), (peeled or [obj])[0]))
    return sorted(tags, key=lambda t: t.version, reverse=True)


def last_release(ws: Workspace, tags: list[ReleaseTag]) -> ReleaseTag | None:
    """The highest release tag whose commit is an ancestor of (or is) HEAD."""
    for tag in tags:
        if run_git(["merge-base", "--is-ancestor", tag.commit, "HEAD"], ws.root, check=False).returncode == 0:
            return tag
    return None


def fetch_full_history(ws: Workspace) -> None:
    """Unshallow a shallow clone, tags included: the version check must see every release."""
    # A shallow clone hides older tags: the last release would look like none.
    if not is_shallow(ws.root):
        return
    fetched = run_git(["fetch", "--quiet", "--tags", "--unshallow", REMOTE], ws.root, check=False)
    if fetched.returncode != 0:
        raise ConfigError(
            "shallow clone: the version check needs the full history and its tags (actions/checkout: fetch-depth: 0)"
        )
