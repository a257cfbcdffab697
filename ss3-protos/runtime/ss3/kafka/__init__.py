"""Kafka serializer and deserializer of ss3 events, in Apicurio Registry's wire format.

Public API (stable)::

    from ss3 import topics
    from ss3.kafka import Deserializer, Framing, Registry, Serializer, Ss3KafkaError

    registry = Registry.from_env()            # SS3_REGISTRY_URL (+ credentials) from the environment
    serializer = Serializer(registry)          # Framing.PAYLOAD for every topic
    deserializer = Deserializer(registry)

    record = serializer.serialize(topics.SS3_ORDERS_ORDER_EVENTS_V1, event)   # any client: .value, .headers
    event = deserializer.deserialize(topic, value, headers, partition=p, offset=o)

    # confluent-kafka: the (obj, ctx) call shape of its Serializer/Deserializer
    producer = SerializingProducer({"bootstrap.servers": ..., "value.serializer": serializer})
    consumer = DeserializingConsumer({..., "value.deserializer": deserializer})
    event = deserializer.deserialize_message(msg)   # with a plain Consumer: errors name partition and offset

``Registry(url, username=, password=, token=, ca_bundle=, timeout=, retries=, unknown_ttl=, outage_ttl=)``
    Read-only Apicurio 3.x client; ``Registry.from_env()`` reads ``SS3_REGISTRY_URL``,
    ``SS3_REGISTRY_USERNAME``/``SS3_REGISTRY_PASSWORD`` or ``SS3_REGISTRY_TOKEN``,
    ``SS3_REGISTRY_CA_BUNDLE``, ``SS3_REGISTRY_TIMEOUT`` (s per lookup, retries included;
    default 10), ``SS3_REGISTRY_RETRIES`` (default 3), ``SS3_REGISTRY_UNKNOWN_TTL`` (s an
    unknown id is remembered; default 30) and ``SS3_REGISTRY_OUTAGE_TTL`` (s a registry that
    did not answer is remembered as down, then probed once; default 30). Lookups are cached
    per process once they succeed; ``calls`` counts the HTTP requests sent. Any bad
    argument is a ``ConfigError`` that never shows a credential.
``Serializer(registry=None, *, framing=Framing.PAYLOAD, group="default", topics=None)``
    Resolves a topic's schema like Apicurio's TopicIdStrategy with ``find-latest``: the
    latest version of artifact ``<topic>-value`` in ``group``, and refuses an event that
    is not an event of that topic or not declared by that schema.
``Deserializer(registry=None, *, framing=Framing.PAYLOAD, topics=None)``
    Returns the generated class of whichever event of the topic the record holds
    (from the ``Ref`` name, the type headers or the Confluent message index), after
    checking that the record's schema id is registered and declares it.
``Framing``
    ``PAYLOAD`` (Apicurio's default), ``HEADERS`` (``apicurio.registry.headers.enabled=true``)
    or ``CONFLUENT`` (message indexes instead of the ``Ref``); either one for all topics
    or a ``{topic: Framing}`` mapping (a topic missing from it is an error). Use one
    framing per topic for all its producers: Apicurio's Java deserializer remembers the
    last ``apicurio.value.msgType`` header it saw and applies it to later header-less records.
``Record(value, headers)``
    What ``Serializer.serialize`` returns; ``headers`` is empty unless the topic uses HEADERS.
``Ss3KafkaError``
    The one exception root; ``FramingError`` (wrong magic byte, truncated frame, missing or
    contradicting header, undecodable message, on every protobuf backend), ``UnknownSchemaError`` (id or artifact the
    registry does not know), ``UnexpectedEventError`` (a type that is not an event of the
    topic), ``RegistryError``/``RegistryAuthError`` (registry down or refusing),
    ``ConfigError``. Each carries ``topic``, ``partition``, ``offset`` and ``schema_id``
    (None where unknown) and names them in its message.

The wire formats are described byte by byte in :mod:`ss3.kafka.wire`. The runtime needs
only the standard library and protobuf; ``confluent-kafka`` is the caller's choice.
"""

from __future__ import annotations

from ss3.kafka.errors import (
    ConfigError,
    FramingError,
    RegistryAuthError,
    RegistryError,
    Ss3KafkaError,
    UnexpectedEventError,
    UnknownSchemaError,
)
from ss3.kafka.registry import Registry, Schema
from ss3.kafka.serde import Deserializer, Framing, Record, Serializer, java_class_name

__all__ = [
    "ConfigError",
    "Deserializer",
    "Framing",
    "FramingError",
    "Record",
    "Registry",
    "RegistryAuthError",
    "RegistryError",
    "Schema",
    "Serializer",
    "Ss3KafkaError",
    "UnexpectedEventError",
    "UnknownSchemaError",
    "java_class_name",
]
