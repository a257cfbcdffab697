"""Rules that keep the schemas usable by JVM services and Apicurio's Java Kafka serde.

* `SS3_JAVA_OPTIONS`: every file sets `java_multiple_files = true`,
  `java_outer_classname = "<FileName>Proto"` and `java_package =
  "com.shopstar3.<package>"`. The serde's `apicurio.protobuf.derive.class`
  finds the generated class of a record from these options; they are part of
  every generated class name, so they are decided once and never change.
* `SS3_FIELD_TYPE_FULL_NAME`: in event files and the files they import (what
  registration puts in the registry), a field whose type is declared in another
  file names it by its full name (`ss3.orders.v1.Order`, not `Order`). The
  serializer's default validation compares the registered text with the
  descriptor of the generated class and refuses a short name of a type from
  another file (`Field type changed … before: Order, after .ss3.orders.v1.Order`),
  so no event that carries such a field could be produced. The name is read as
  written, character for character: `v1 . Order` is as short as `Order` to it.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf import descriptor_pb2

from ss3_schema.report import Violation
from ss3_schema.rules import RuleId
from ss3_schema.schema.elements import file_elements
from ss3_schema.schema.events import event_files
from ss3_schema.schema.image import FILE_OPTIONS, Image, violation_at

JAVA_PACKAGE_PREFIX = "com.shopstar3."
PACKAGE_STATEMENT = 2
FIELD_TYPE_NAME = 6
# FileOptions field numbers.
JAVA_PACKAGE = 1
JAVA_OUTER_CLASSNAME = 8
JAVA_MULTIPLE_FILES = 10


def check_jvm_rules(image: Image) -> list[Violation]:
    """Java options on every file; full type names in event files and what they import."""
    declared_in = _declaring_files(image)
    registered = _event_closure(image)
    violations: list[Violation] = []
    for fd in sorted(image.own_files(), key=lambda f: f.name):
        violations += _check_java_options(image, fd)
        if fd.name in registered:
            violations += _check_field_type_names(image, fd, declared_in)
    return violations


def _event_closure(image: Image) -> set[str]:
    """Event files and every own file they import, transitively: what registration puts in the registry."""
    files = {fd.name: fd for fd in image.own_files()}
    todo = [event.name for event in event_files(image)]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in files:
            continue
        seen.add(name)
        todo += list(files[name].dependency)
    return seen


def expected_java_options(fd: descriptor_pb2.FileDescriptorProto) -> dict[str, object]:
    stem = fd.name.rsplit("/", 1)[-1].removesuffix(".proto")
    outer = "".join(part[:1].upper() + part[1:] for part in stem.split("_")) + "Proto"
    return {
        "java_multiple_files": True,
        "java_outer_classname": outer,
        "java_package": JAVA_PACKAGE_PREFIX + fd.package,
    }


def _check_java_options(image: Image, fd: descriptor_pb2.FileDescriptorProto) -> list[Violation]:
    numbers = {"java_package": JAVA_PACKAGE, "java_outer_classname": JAVA_OUTER_CLASSNAME}
    numbers["java_multiple_files"] = JAVA_MULTIPLE_FILES
    found = []
    present = {option.name: value for option, value in fd.options.ListFields()}
    for name, expected in expected_java_options(fd).items():
        actual = present.get(name)
        if actual == expected:
            continue
        written = _proto_literal(expected)
        path = [FILE_OPTIONS, numbers[name]] if actual is not None else [PACKAGE_STATEMENT]
        problem = "is missing" if actual is None else f"is {_proto_literal(actual)}"
        found.append(
            violation_at(
                image,
                fd,
                path,
                RuleId.JAVA_OPTIONS,
                f"option {name} {problem}; every file sets `option {name} = {written};` so JVM services "
                "(and the Apicurio serde's derive.class) find one generated class per message.",
            )
        )
    return found


def _check_field_type_names(
    image: Image, fd: descriptor_pb2.FileDescriptorProto, declared_in: dict[str, str]
) -> list[Violation]:
    found = []
    for path, field in fields_with_paths(fd):
        if not field.type_name or declared_in.get(field.type_name, fd.name) == fd.name:
            continue
        full_name = field.type_name.removeprefix(".")
        written = _written_name(image, fd, [*path, FIELD_TYPE_NAME])
        if written in (full_name, field.type_name):
            continue
        found.append(
            violation_at(
                image,
                fd,
                [*path, FIELD_TYPE_NAME],
                RuleId.FIELD_TYPE_FULL_NAME,
                f'Field "{field.name}" names {full_name} (declared in {declared_in[field.type_name]}) by a '
                f"shorter name; write `{full_name}`: the Apicurio Java serializer compares the registered text "
                "with the generated class and refuses short names of types from other files.",
            )
        )
    return found


def fields_with_paths(
    fd: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[list[int], descriptor_pb2.FieldDescriptorProto]]:
    """Every field of every (nested) message of the file, with its SourceCodeInfo path."""
    for element in file_elements(fd):
        if element.kind == "field" and isinstance(element.descriptor, descriptor_pb2.FieldDescriptorProto):
            yield list(element.path), element.descriptor


def _declaring_files(image: Image) -> dict[str, str]:
    """Fully qualified type name (with leading dot) -> the file that declares it."""
    return {
        f".{element.name}": fd.name
        for fd in image.files
        for element in file_elements(fd)
        if element.kind in ("message", "enum")
    }


def _written_name(image: Image, fd: descriptor_pb2.FileDescriptorProto, path: list[int]) -> str | None:
    """The type name exactly as the source writes it, on one line (None: spread over lines, or unknown).

    Compared as text, not by length or after removing blanks: `v1 . Order` or a
    name split by a comment is a different, relative name to the Java parser.
    """
    for location in fd.source_code_info.location:
        if list(location.path) == path and len(location.span) == 3:
            line = image.source_line(fd.name, location.span[0])
            return None if line is None else line[location.span[1] : location.span[2]]
    return None


def _proto_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'
