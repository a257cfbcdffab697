"""Every cache entry under .cache/ is complete or absent: produced aside, then renamed into place."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from devservices.cache import CacheError, cached_directory


def _complete(directory: Path) -> bool:
    return (directory / "bin" / "tool").is_file()


def _producer(content: str, calls: list[str]) -> Callable[[Path], None]:
    def produce(staged: Path) -> None:
        calls.append(content)
        (staged.parent / "download.tar.gz").write_bytes(b"archive")  # scratch next to the staged copy
        (staged / "bin").mkdir(parents=True)
        (staged / "bin" / "tool").write_text(content)

    return produce


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_an_entry_is_produced_once_and_then_taken_from_the_cache(tmp_path: Path) -> None:
    destination = tmp_path / "tool" / "1.0"
    calls: list[str] = []

    first = cached_directory(destination, _producer("one", calls), complete=_complete)
    second = cached_directory(destination, _producer("two", calls), complete=_complete)

    assert first == second == destination
    assert (destination / "bin" / "tool").read_text() == "one"
    assert calls == ["one"]
    assert sorted(p.name for p in destination.iterdir()) == ["bin"]  # no scratch download in the entry
    assert _leftovers(destination.parent) == []


def test_a_run_that_finishes_second_keeps_the_first_ones_copy(tmp_path: Path) -> None:
    destination = tmp_path / "1.0"
    calls: list[str] = []
    finisher = _producer("first", calls)

    def slow(staged: Path) -> None:
        # Another run fills the entry while this one is still producing.
        cached_directory(destination, finisher, complete=_complete)
        _producer("second", calls)(staged)

    assert cached_directory(destination, slow, complete=_complete) == destination

    assert calls == ["first", "second"]
    assert (destination / "bin" / "tool").read_text() == "first"
    assert _leftovers(tmp_path) == []


def test_a_failed_download_leaves_nothing_behind(tmp_path: Path) -> None:
    destination = tmp_path / "1.0"

    def interrupted(staged: Path) -> None:
        (staged / "bin").mkdir(parents=True)
        (staged / "bin" / "tool").write_text("half")
        raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        cached_directory(destination, interrupted, complete=_complete)

    assert list(tmp_path.iterdir()) == []


def test_an_incomplete_copy_is_refused_rather_than_cached(tmp_path: Path) -> None:
    destination = tmp_path / "1.0"

    with pytest.raises(CacheError, match=r"^1\.0: the staged copy is incomplete$"):
        cached_directory(destination, lambda staged: staged.mkdir(), complete=_complete)

    assert list(tmp_path.iterdir()) == []


def test_an_entry_damaged_by_hand_is_produced_again(tmp_path: Path) -> None:
    destination = tmp_path / "1.0"
    (destination / "bin").mkdir(parents=True)  # the tool itself was deleted
    calls: list[str] = []

    cached_directory(destination, _producer("again", calls), complete=_complete)

    assert (destination / "bin" / "tool").read_text() == "again"


def test_the_scratch_of_a_killed_run_is_removed_and_a_running_ones_kept(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    killed = tmp_path / f".1.0.scratch-{gone.stdout.strip()}-x1"
    running = tmp_path / f".1.0.scratch-{os.getpid()}-x2"
    other = tmp_path / f".1.0.1.scratch-{gone.stdout.strip()}-x3"  # another entry's
    for scratch in (killed, running, other):
        (scratch / "staged").mkdir(parents=True)

    cached_directory(tmp_path / "1.0", _producer("new", []), complete=_complete)

    assert _leftovers(tmp_path) == sorted([running.name, other.name])
