"""Kafka serializer and deserializer of ss3 events: topic envelopes in Confluent's wire format.

Public API (stable)::

    from ss3 import topics
    from ss3.kafka import Deserializer, Registry, Serializer, Ss3KafkaError

    registry = Registry.from_env()            # SS3_REGISTRY_URL (+ credentials) from the environment
    serializer = Serializer(registry)
    deserializer = Deserializer(registry)

    value = serializer.serialize(topics.SS3_ORDERS_ORDER_EVENTS_V1, event)   # any client: the record value
    event = deserializer.deserialize(topic, value, partition=p, offset=o)

    # confluent-kafka: the (obj, ctx) call shape of its Serializer/Deserializer
    producer = SerializingProducer({"bootstrap.servers": ..., "value.serializer": serializer})
    consumer = DeserializingConsumer({..., "value.deserializer": deserializer})
    event = deserializer.deserialize_message(msg)   # with a plain Consumer: errors name partition and offset

``Registry(url, username=, password=, token=, ca_bundle=, timeout=, retries=)``
    Read-only Apicurio 3.x client; ``Registry.from_env()`` reads ``SS3_REGISTRY_URL``,
    ``SS3_REGISTRY_USERNAME``/``SS3_REGISTRY_PASSWORD`` or ``SS3_REGISTRY_TOKEN``,
    ``SS3_REGISTRY_CA_BUNDLE``, ``SS3_REGISTRY_TIMEOUT`` (s per request, total),
    ``SS3_REGISTRY_RETRIES``. Lookups are cached per process once they succeed;
    ``calls`` counts the HTTP requests sent.
``Serializer(registry=None, *, group="default", topics=None)``
    Takes an event of the topic (``OrderPlaced``) or the topic's envelope (``OrderEvents``)
    and writes the envelope: the event's ``metadata`` goes into the envelope's, the rest of
    the event into its oneof member. The schema id is the latest version of artifact
    ``<topic>-value`` in ``group`` (Apicurio's TopicIdStrategy with ``find-latest``), whose
    first message must be the topic's envelope.
``Deserializer(registry=None, *, envelope=False, topics=None)``
    Returns the generated class of the event the record holds, its ``metadata`` taken from
    the envelope; with ``envelope=True`` the envelope itself. The record's schema id must
    be registered and have the topic's envelope as its first message.
``topics``
    ``{topic: envelope class}``; by default ``ss3.topics.TOPIC_ENVELOPE`` (every ss3 topic).
``Ss3KafkaError``
    The one exception root; ``FramingError`` (wrong magic byte, truncated frame, an envelope
    without an event, undecodable message), ``UnknownSchemaError`` (id or artifact the
    registry does not know), ``UnexpectedEventError`` (a type that is not an event of the
    topic, a member this version does not know, a schema without the topic's envelope),
    ``RegistryError``/``RegistryAuthError`` (registry down or refusing), ``ConfigError``.
    Each carries ``topic``, ``partition``, ``offset`` and ``schema_id`` (None where
    unknown) and names them in its message.

The wire format is described byte by byte in :mod:`ss3.kafka.wire`. The runtime needs
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
from ss3.kafka.serde import Deserializer, Serializer, TopicEnvelope

__all__ = [
    "ConfigError",
    "Deserializer",
    "FramingError",
    "Registry",
    "RegistryAuthError",
    "RegistryError",
    "Schema",
    "Serializer",
    "Ss3KafkaError",
    "TopicEnvelope",
    "UnexpectedEventError",
    "UnknownSchemaError",
]
