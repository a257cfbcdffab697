"""The `application.properties` of docs/kafka-clients.md, run by a real Quarkus service.

tests/quarkus, the one Quarkus project of the tests, is built as the page says (quarkus-bom
3.33.2, SmallRye Kafka, the serde 3.1.7, protobuf-java overridden) against the checkout's
schemas published as the jar, as docs/java-services.md says; the page's properties block is copied
into the service's ./config at run time, so the documented text is what runs. The
service sends OrderPlaced and OrderCancelled to their topic, wrapped into the topic
envelope OrderEvents, and must read both back as the generated classes with their metadata.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devservices.common import DevServiceError
from devservices.jvm import find_java
from devservices.kafka import RunningKafka
from tests.docs.snippets import code
from tests.helpers import server_unavailable
from tests.interop.conftest import checkout_release
from tests.interop.harness import MIN_JAVA_MAJOR, build_quarkus_service

pytestmark = pytest.mark.interop

RUN_TIMEOUT_S = 180


@pytest.fixture(scope="session")
def quarkus_runner() -> Path:
    try:
        return build_quarkus_service()
    except DevServiceError as error:
        server_unavailable(f"the Quarkus service could not be built: {error}")


def test_documented_configuration_sends_and_reads_generated_classes(
    quarkus_runner: Path, kafka_broker: RunningKafka, registered: Any, tmp_path: Path
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "application.properties").write_text(code("kafka-clients-properties"), encoding="utf-8")
    user, password = registered.auth
    # QUARKUS_* / MP_* variables of the caller's shell would outrank the file.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARKUS_", "MP_", "KAFKA_", "SS3_"))}
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "SS3_REGISTRY_URL": registered.url,
        "SS3_REGISTRY_USERNAME": user,
        "SS3_REGISTRY_PASSWORD": password,
        # `ss3-protos.version` of the page's block: the release whose classes the service has.
        "SS3_PROTOS_VERSION": checkout_release(),
    }

    proc = subprocess.run(
        [str(find_java(MIN_JAVA_MAJOR)), "-Xmx384m", "-jar", str(quarkus_runner)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )

    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    received = [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("RECEIVED ")]
    assert received == [
        ["com.shopstar3.ss3.orders.v1.OrderPlaced", "quarkus-1"],
        ["com.shopstar3.ss3.orders.v1.OrderCancelled", "quarkus-2"],
    ]
