"""What the pinned tools run with."""

from __future__ import annotations

import pytest
from ss3_schema.toolchain import tool_env


def test_buf_gets_a_sparser_garbage_collector_with_a_memory_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)

    env = tool_env()

    assert (env["GOGC"], env["GOMEMLIMIT"]) == ("400", "1GiB")


def test_a_collector_setting_of_the_caller_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOGC", "off")
    monkeypatch.setenv("GOMEMLIMIT", "300MiB")

    env = tool_env()

    assert (env["GOGC"], env["GOMEMLIMIT"]) == ("off", "300MiB")


def test_credentials_never_reach_the_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SS3_REGISTRY_PASSWORD", "s3cret")
    monkeypatch.setenv("TWINE_PASSWORD", "s3cret")

    assert "s3cret" not in tool_env().values()
