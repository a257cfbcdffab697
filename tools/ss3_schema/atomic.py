"""All-or-nothing output: staging directories, atomic swaps and writes, one writer at a time.

Every stage that writes into the checkout (gen into ss3-protos/src, build
into dist/, the local index under dist/index) builds its output beside the
target and moves it into place only when complete. A lock per output
directory lets one writer in at a time, so two runs in one clone queue
instead of tearing each other's output apart; while holding it, staging left
behind by a killed run (SIGKILL, a cancelled CI job) is removed first.

Failures to write (read-only directory, disk full) become one ToolError
naming the path, never a traceback.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ss3_schema.errors import ToolError


class OutputError(ToolError):
    """The output could not be written where it belongs."""


def output_error(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    return OutputError(f"cannot write {path}: {reason}")


@contextmanager
def staging(parent: Path, prefix: str) -> Iterator[Path]:
    """A fresh directory `<parent>/<prefix>XXXX`, removed on exit; `parent` stays locked meanwhile."""
    with locked(parent):
        remove_stale(parent, prefix)
        try:
            path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        except OSError as exc:
            raise output_error(parent, exc) from None
        try:
            yield path
        except OSError as exc:
            raise output_error(Path(exc.filename) if exc.filename else parent, exc) from None
        finally:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (created if missing); the kernel drops it if the process dies.

    The lock is on the directory itself, so no lock file is left in the output.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise output_error(directory, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def remove_stale(parent: Path, prefix: str) -> None:
    """Staging directories and temporary files of earlier runs; only called with the lock held, so none is in use."""
    for leftover in parent.glob(f"{prefix}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def replace_dir(new: Path, target: Path) -> None:
    """Move the complete directory `new` to `target`, replacing what was there."""
    old = target.with_name(f".old-{target.name}")
    try:
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        new.rename(target)
    except OSError as exc:
        raise output_error(target, exc) from None
    shutil.rmtree(old, ignore_errors=True)


def replace_file(new: Path, target: Path) -> None:
    try:
        os.replace(new, target)
    except OSError as exc:
        raise output_error(target, exc) from None


def write_file(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `target` so that a reader sees the old file or the new one, never half of it."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    except OSError as exc:
        raise output_error(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        raise output_error(target, exc) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
