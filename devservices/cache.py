"""One way to fill a cache directory: produce it aside, then rename it into place.

Every download, unpacked distribution and build the services and tests keep
under ``.cache/`` goes through :func:`cached_directory`, so an interrupted or
failed run never leaves a half-filled entry that a later run would take for a
complete one, and two runs filling the same entry at once both succeed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from devservices.common import DevServiceError, pid_alive


class CacheError(DevServiceError):
    """What was produced for a cache entry is not what the entry needs."""


def cached_directory(destination: Path, produce: Callable[[Path], None], *, complete: Callable[[Path], bool]) -> Path:
    """``destination``, filled by ``produce`` unless ``complete(destination)`` already holds.

    ``produce(staged)`` creates the directory ``staged``; it sits in a private
    scratch directory next to ``destination`` (same file system, so the final
    rename is atomic), where ``produce`` may also put its downloads; the
    scratch directory is removed afterwards, whatever happens, and by the
    next run when its run was killed. A run that finishes second keeps the
    first one's copy: both are complete.
    """
    if complete(destination):
        return destination
    if destination.exists():
        # Only an external edit leaves an incomplete entry (renames are atomic): start over.
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_scratch(destination)
    prefix = f"{_scratch_prefix(destination)}{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=destination.parent) as scratch:
        staged = Path(scratch) / "staged"
        produce(staged)
        if not complete(staged):
            raise CacheError(f"{destination.name}: the staged copy is incomplete")
        try:
            staged.rename(destination)
        except OSError:
            if not complete(destination):  # not a concurrent run that finished first
                raise
    return destination


def _scratch_prefix(destination: Path) -> str:
    return f".{destination.name}.scratch-"


def _remove_abandoned_scratch(destination: Path) -> None:
    """Remove the scratch directories of runs that were killed (their pid is gone) before they could clean up."""
    prefix = _scratch_prefix(destination)
    for entry in destination.parent.glob(f"{prefix}*"):
        pid = entry.name.removeprefix(prefix).split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
