"""What the pinned tools run with."""

from __future__ import annotations

import pytest
from ss3_schema.toolchain import tool_env
from ss3_schema.toolchain.generator import well_known_proto


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


def test_the_well_known_texts_are_the_pinned_protocs_and_nothing_else() -> None:
    timestamp = well_known_proto("google/protobuf/timestamp.proto")
    assert timestamp is not None and b"message Timestamp {" in timestamp
    assert well_known_proto("google/protobuf/no_such.proto") is None
    assert well_known_proto("google/protobuf/../../../__init__.py") is None  # grpc_tools/__init__.py
    assert well_known_proto("ss3/common/v1/money.proto") is None
