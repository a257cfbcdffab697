"""The gate reads the event options the same whether or not the wheel's modules are loaded.

Importing `ss3` (as a service, the Kafka runtime or these tests do) registers the
`ss3.options.v1` extensions with protobuf, which then parses the options as known
extensions instead of unknown fields.
"""

from __future__ import annotations

import ss3.options.v1.options_pb2  # noqa: F401 - registers the extensions, the point of this test
from ss3 import topics
from ss3_schema.schema.events import event_files
from ss3_schema.schema.image import build_image

from tests.helpers import REPO_ROOT


def test_event_files_and_topics_are_found_with_the_options_extension_registered() -> None:
    found = {e.topic: e.events for e in event_files(build_image(REPO_ROOT))}

    assert found == {
        topic: tuple(cls.DESCRIPTOR.name for cls in classes) for topic, classes in topics.TOPIC_EVENTS.items()
    }
