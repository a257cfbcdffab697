"""What a service does with the wheel, run inside one runtime of the matrix.

Run as `python -W error runtime_check.py CHECK` in a venv that has the
ss3-protos wheel and one protobuf/grpcio pair installed; it prints one JSON
line with what it counted. Standalone on purpose: only the standard library,
protobuf, grpcio and the wheel are importable there.

Checks:
  imports   import every module of the wheel
  messages  fill every message (nested ones too), round-trip it in binary and in JSON
  grpc      serve OrderService on 127.0.0.1 and call GetOrder through a generated stub
  kafka     serialize every event of every topic with ss3.kafka (its topic envelope) and read it
            back, against the registry named by SS3_REGISTRY_URL (group SS3_MATRIX_GROUP)

A hand-written runtime module in the wheel (such as an `ss3.kafka` serde)
gets its own check here, named in CHECKS and its package in
HAND_WRITTEN_COVERED; test_runtime_matrix.py fails until it has one. A check
that needs a server (the Kafka serde's schema registry) reads its address from
the environment; _run_cell in test_runtime_matrix.py would then take the
session's server fixture and put its URL into the check's environment.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Iterator
from concurrent import futures
from types import ModuleType
from typing import Any

from google.protobuf import descriptor, json_format
from google.protobuf.message import Message

MAX_DEPTH = 3


def modules() -> list[ModuleType]:
    import ss3  # noqa: PLC0415 (the test suite reads CHECKS where the wheel is not installed)

    names = [info.name for info in pkgutil.walk_packages(ss3.__path__, "ss3.")]
    return [importlib.import_module(name) for name in names]


def check_imports() -> dict[str, Any]:
    import ss3  # noqa: PLC0415 (see modules())

    loaded = modules()
    files = [f.name for f in ss3.load_descriptor_set().file]
    return {
        "modules": len(loaded),
        "pb2_modules": sum(m.__name__.endswith("_pb2") for m in loaded),
        "schema_files": sum(name.startswith("ss3/") for name in files),
        "well_known_imports": sorted(name for name in files if name.startswith("google/protobuf/")),
        "version": ss3.__version__,
    }


def message_classes() -> Iterator[type[Message]]:
    for module in modules():
        file = getattr(module, "DESCRIPTOR", None)
        if not isinstance(file, descriptor.FileDescriptor) or not module.__name__.endswith("_pb2"):
            continue
        for name in sorted(file.message_types_by_name):
            yield from _with_nested(getattr(module, name))


def _with_nested(cls: type[Message]) -> Iterator[type[Message]]:
    yield cls
    for nested in cls.DESCRIPTOR.nested_types:
        if not nested.GetOptions().map_entry:
            yield from _with_nested(getattr(cls, nested.name))


def _is_repeated(field: descriptor.FieldDescriptor) -> bool:
    # `label` is deprecated on newer runtimes (a warning is an error here); older ones lack is_repeated.
    if hasattr(type(field), "is_repeated"):
        return bool(field.is_repeated)
    return bool(field.label == descriptor.FieldDescriptor.LABEL_REPEATED)


def _scalar(field: descriptor.FieldDescriptor) -> Any:
    cpp = descriptor.FieldDescriptor
    if field.cpp_type == cpp.CPPTYPE_ENUM:
        return field.enum_type.values[-1].number
    if field.cpp_type == cpp.CPPTYPE_STRING:
        return b"\x00\xffss3" if field.type == cpp.TYPE_BYTES else "ss3 \u00e9"
    if field.cpp_type == cpp.CPPTYPE_BOOL:
        return True
    if field.cpp_type in (cpp.CPPTYPE_DOUBLE, cpp.CPPTYPE_FLOAT):
        return 1.5
    return 7  # valid for every integer type, and for Timestamp/Duration seconds and nanos


def fill(message: Message, depth: int = 0) -> Message:
    """Set every field (each oneof member in turn, the last one stays) to a non-default value."""
    for field in message.DESCRIPTOR.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _fill_map(message, field, depth)
        elif _is_repeated(field):
            container = getattr(message, field.name)
            if field.message_type is None:
                container.append(_scalar(field))
            elif depth < MAX_DEPTH:
                fill(container.add(), depth + 1)
        elif field.message_type is not None:
            if depth < MAX_DEPTH:
                fill(getattr(message, field.name), depth + 1)
        else:
            setattr(message, field.name, _scalar(field))
    return message


def _fill_map(message: Message, field: descriptor.FieldDescriptor, depth: int) -> None:
    key_field, value_field = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
    container = getattr(message, field.name)
    key = _scalar(key_field)
    if value_field.message_type is None:
        container[key] = _scalar(value_field)
    elif depth < MAX_DEPTH:
        fill(container[key], depth + 1)


def check_messages() -> dict[str, Any]:
    count = 0
    for cls in message_classes():
        original = fill(cls())
        if cls.FromString(original.SerializeToString()) != original:
            raise AssertionError(f"{cls.DESCRIPTOR.full_name}: binary round trip changed the message")
        if json_format.Parse(json_format.MessageToJson(original), cls()) != original:
            raise AssertionError(f"{cls.DESCRIPTOR.full_name}: JSON round trip changed the message")
        count += 1
    return {"messages": count}


def check_grpc() -> dict[str, Any]:
    import grpc  # noqa: PLC0415 (only this check needs the grpc extra)
    from ss3.orders.v1 import order_pb2, order_service_pb2, order_service_pb2_grpc  # noqa: PLC0415

    class Orders(order_service_pb2_grpc.OrderServiceServicer):
        def GetOrder(self, request: Any, context: Any) -> Any:
            order = order_pb2.Order(order_id=request.order_id, status=order_pb2.ORDER_STATUS_PAID)
            order.total.currency_code, order.total.amount_minor = "EUR", 1999
            return order_service_pb2.GetOrderResponse(order=order)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    order_service_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = order_service_pb2_grpc.OrderServiceStub(channel)  # type: ignore[no-untyped-call]
            reply = stub.GetOrder(order_service_pb2.GetOrderRequest(order_id="ord_1"), timeout=10)
    finally:
        server.stop(None)
    status = order_pb2.OrderStatus.Name(reply.order.status)
    return {"order_id": reply.order.order_id, "amount_minor": reply.order.total.amount_minor, "status": status}


def check_kafka() -> dict[str, Any]:
    import os  # noqa: PLC0415 (only this check needs a registry)

    from ss3 import topics  # noqa: PLC0415
    from ss3.kafka import Deserializer, Registry, Serializer  # noqa: PLC0415

    registry, group = Registry.from_env(), os.environ["SS3_MATRIX_GROUP"]
    serializer, deserializer = Serializer(registry, group=group), Deserializer(registry)
    envelopes = Deserializer(registry, envelope=True)
    count = 0
    for topic, classes in sorted(topics.TOPIC_EVENTS.items()):
        for cls in classes:
            event = fill(cls())
            value = serializer.serialize(topic, event)
            decoded = deserializer.deserialize(topic, value)
            if type(decoded) is not cls or decoded != event:
                raise AssertionError(f"{topic} {cls.DESCRIPTOR.full_name}: round trip changed the event")
            envelope = envelopes.deserialize(topic, value)
            if envelope is None or envelope.metadata != event.metadata:  # type: ignore[attr-defined]
                raise AssertionError(f"{topic} {cls.DESCRIPTOR.full_name}: the envelope lost the metadata")
            count += 1
    return {"round_trips": count, "envelopes": len(topics.TOPIC_ENVELOPE)}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "imports": check_imports,
    "messages": check_messages,
    "grpc": check_grpc,
}
# Checks that need a server, run by their own test with its address in the environment.
SERVER_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {"kafka": check_kafka}
# Subpackages of ss3 written by hand rather than generated, each covered by a check above.
HAND_WRITTEN_COVERED: tuple[str, ...] = ("kafka",)


if __name__ == "__main__":
    print(json.dumps({**CHECKS, **SERVER_CHECKS}[sys.argv[1]]()))
