"""The fast loop may run fewer property examples; CI never does."""

from __future__ import annotations

import pytest

from tests.helpers import QUICK_PROPERTIES_ENV, examples


@pytest.mark.parametrize(
    ("quick", "ci", "expected"),
    [("1", None, 75), (None, None, 300), ("1", "true", 300), ("1", "1", 300)],
)
def test_only_the_fast_loop_outside_ci_runs_a_quarter(
    monkeypatch: pytest.MonkeyPatch, quick: str | None, ci: str | None, expected: int
) -> None:
    for name, value in ((QUICK_PROPERTIES_ENV, quick), ("CI", ci)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    assert examples(300) == expected


def test_a_quick_property_still_runs_a_floor_of_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QUICK_PROPERTIES_ENV, "1")
    monkeypatch.delenv("CI", raising=False)

    assert examples(40) == 25
