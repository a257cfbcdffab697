"""Registration through a flaky network: retries converge without duplicate versions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import SchemaRepo, run_cli
from tests.integration.fault_proxy import FaultProxy
from tests.integration.registry_fixture import RegistryReader, env_for
from tests.integration.test_register import expected_artifacts

pytestmark = pytest.mark.integration


def register(repo: SchemaRepo, env: dict[str, str], group: str, *args: str) -> Any:
    # One request at a time, so that the faults hit the requests the test names.
    return run_cli("register", "--group", group, "--format", "json", "--jobs", "1", *args, cwd=repo.root, env=env)


def test_register_retries_through_503s_and_lost_answers_without_duplicate_versions(
    schema_repo: SchemaRepo, registry: Any, registry_group: str, registry_reader: RegistryReader
) -> None:
    # One entry per request attempt. Requests: the version listing, then per
    # artifact createArtifact, its rule and its release branch (a PUT that finds
    # none, then the POST). "drop-after" lets the server act and loses its answer:
    # the retry must find that version (or rule, or branch), not create a second one.
    faults = [
        *("503", "ok"),  # listing
        *("drop-after", "ok"),  # createArtifact of the first artifact
        *("drop-after", "ok"),  # its rule
        *("ok", "drop-after", "ok"),  # its release branch: the POST's answer is lost, the retry finds it
        *("drop-before", "ok"),  # createArtifact of the second artifact
        *("drop-after", "503", "ok"),  # its rule
    ]
    with FaultProxy(registry.url, faults) as proxy:
        env = dict(env_for(registry), SS3_REGISTRY_URL=proxy.url)
        proc = register(schema_repo, env, registry_group)

    assert proc.returncode == 0, proc.stderr
    assert proxy.faults_injected == [fault for fault in faults if fault != "ok"]
    expected = expected_artifacts(schema_repo)
    assert registry_reader.all_versions(registry_group) == {artifact_id: ["1"] for artifact_id in expected}
    assert all(registry_reader.rule(registry_group, a) == "BACKWARD_TRANSITIVE" for a in expected)
    outcomes = json.loads(proc.stdout)["artifacts"]
    assert {o["action"] for o in outcomes} == {"create"}
    release = schema_repo.read("VERSION").strip()
    assert all(registry_reader.branch(registry_group, a, release) == "1" for a in expected)


def test_interrupted_run_converges_when_run_again(
    schema_repo: SchemaRepo, registry: Any, registry_group: str, registry_reader: RegistryReader
) -> None:
    # Requests: 1 version listing, then per new artifact createArtifact, add
    # rule, and its release branch (a PUT that finds none, the POST creating
    # it). Request 15 (the rule of the 4th artifact) never arrives: the run
    # dies after creating that artifact and before protecting it with its rule.
    faults = ["ok"] * 14 + ["drop-before"] * 2
    with FaultProxy(registry.url, faults) as proxy:
        env = dict(env_for(registry), SS3_REGISTRY_URL=proxy.url)
        interrupted = register(schema_repo, env, registry_group, "--retries", "1")
    assert interrupted.returncode == 2
    registered = set(registry_reader.all_versions(registry_group))
    assert len(registered) == 4
    assert sum(registry_reader.rule(registry_group, a) is not None for a in registered) == 3

    proc = register(schema_repo, env_for(registry), registry_group)

    assert proc.returncode == 0, proc.stderr
    expected = expected_artifacts(schema_repo)
    assert registry_reader.all_versions(registry_group) == {artifact_id: ["1"] for artifact_id in expected}
    assert all(registry_reader.rule(registry_group, a) == "BACKWARD_TRANSITIVE" for a in expected)
    outcomes = {o["artifact_id"]: o["action"] for o in json.loads(proc.stdout)["artifacts"]}
    assert outcomes == {a: "unchanged" if a in registered else "create" for a in expected}
