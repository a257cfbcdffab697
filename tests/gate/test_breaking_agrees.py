"""`breaking`, `check` and `version` mean the same by "breaking"."""

from __future__ import annotations

from tests.helpers import SchemaRepo, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"


def test_a_topic_change_is_breaking_for_breaking_check_and_version(schema_repo: SchemaRepo) -> None:
    schema_repo.git("tag", "-a", "v1.0.0", "-m", "release")
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(EVENTS, '"ss3.orders.order-events.v1"', '"ss3.orders.order-events.v2"')
    schema_repo.commit("topic change")
    breaking = run_cli("breaking", "--against", "main", cwd=schema_repo.root)
    check = run_cli("check", "--against", "main", cwd=schema_repo.root)
    version = run_cli("version", "--check", cwd=schema_repo.root)
    for proc in (breaking, check):
        assert proc.returncode == 1 and "SS3_EVENT_TOPIC_UNCHANGED" in proc.stdout, proc.stdout + proc.stderr
    assert version.returncode == 1 and "change: breaking" in version.stdout, version.stdout + version.stderr
