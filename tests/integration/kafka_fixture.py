"""Session fixture ``kafka_broker``: one real single-node Kafka broker (KRaft) on 127.0.0.1.

Started by devservices/kafka.py from the Maven Central jars on a free port, and
stopped at the end of the session. A broker that cannot start (no JDK, no Maven,
no download) skips the tests locally and fails them in CI (CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devservices.common import DevServiceError
from devservices.kafka import RunningKafka, start_kafka
from tests.helpers import server_unavailable


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKafka]:
    try:
        broker = start_kafka(state_dir=tmp_path_factory.mktemp("kafka"))
    except DevServiceError as error:
        server_unavailable(f"Kafka broker did not start: {error}")
    try:
        yield broker
    finally:
        broker.stop()
