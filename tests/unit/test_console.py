"""Progress lines for slow steps only; colour only where it is wanted."""

from __future__ import annotations

import time

import pytest
from ss3_schema import console


@pytest.fixture(autouse=True)
def _normal_verbosity() -> None:
    console.set_verbosity(console.NORMAL)


def test_a_slow_step_says_what_it_is_doing(capsys: pytest.CaptureFixture[str]) -> None:
    with console.progress("gen: compiling 1000 schema files", after_s=0.05):
        time.sleep(0.3)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "... gen: compiling 1000 schema files" in captured.err


def test_a_fast_step_stays_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    with console.progress("gen: compiling", after_s=0.5):
        pass
    time.sleep(0.6)
    assert capsys.readouterr().err == ""


def test_quiet_silences_progress_and_notes_but_not_errors(capsys: pytest.CaptureFixture[str]) -> None:
    console.set_verbosity(console.QUIET)
    with console.progress("slow", after_s=0.01):
        time.sleep(0.1)
    console.note("a note")
    console.error("broken")
    assert capsys.readouterr().err == "error: broken\n"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SS3_FORCE_COLOR": "1"}, True),
        ({"SS3_FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ({"SS3_FORCE_COLOR": "1", "TERM": "dumb"}, False),
    ],
)
def test_colour_rules(env: dict[str, str], expected: bool) -> None:
    assert console.use_color(env) is expected
