"""The one exception root of the Kafka runtime, and its kinds.

Every error names where it happened: the topic, and for a record being read
its partition and offset (when the client gives them) and the schema id the
record carries. Messages never contain credentials, request headers or
response bodies.
"""

from __future__ import annotations


class Ss3KafkaError(Exception):
    """Root of every error the ss3 Kafka serializer and deserializer raise."""

    def __init__(
        self,
        reason: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
        schema_id: int | None = None,
    ) -> None:
        self.reason = reason
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.schema_id = schema_id
        super().__init__(self._render())

    def _render(self) -> str:
        where = [f"topic {self.topic}"] if self.topic is not None else []
        if self.partition is not None:
            where.append(f"partition {self.partition}")
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        if self.schema_id is not None:
            where.append(f"schema id {self.schema_id}")
        return f"{self.reason} ({', '.join(where)})" if where else self.reason

    def located(
        self, *, topic: str | None, partition: int | None, offset: int | None, schema_id: int | None = None
    ) -> Ss3KafkaError:
        """The same error, completed with where it happened (fields already set are kept)."""
        return type(self)(
            self.reason,
            topic=self.topic if self.topic is not None else topic,
            partition=self.partition if self.partition is not None else partition,
            offset=self.offset if self.offset is not None else offset,
            schema_id=self.schema_id if self.schema_id is not None else schema_id,
        )


class ConfigError(Ss3KafkaError):
    """The serde or the registry connection is configured wrongly (URL, credentials, framing)."""


class FramingError(Ss3KafkaError):
    """A record is not in the topic's wire format: wrong magic byte, truncated, missing or bad header."""


class UnknownSchemaError(Ss3KafkaError):
    """The registry does not know the schema id a record carries, or the topic has no artifact."""


class UnexpectedEventError(Ss3KafkaError):
    """A message type that is not an event of the topic (or not declared by the record's schema)."""


class RegistryError(Ss3KafkaError):
    """The registry could not answer: down, timed out, 5xx after the retries, or an unusable answer."""


class RegistryAuthError(RegistryError):
    """The registry refused the credentials (HTTP 401/403)."""
