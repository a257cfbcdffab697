"""What buf accepts but later stages cannot carry: control characters in json_name, oversized comments.

* `SS3_JSON_NAME_VALID`: a `json_name` holds no control character. buf and
  protoc accept a newline there; the AsyncAPI document, the catalog and every
  JSON consumer then see a key that no JSON writer produces.
* `SS3_COMMENT_TOO_LONG`: a comment is at most MAX_COMMENT_CHARS characters.
  Comments go into the event catalog's page and into every registered schema
  text, so their size is what keeps those bounded.

The size of a whole schema file is bounded where the files are found
(workspace.MAX_SCHEMA_FILE_BYTES), before any stage reads one.
"""

from __future__ import annotations

import unicodedata

from google.protobuf import descriptor_pb2

from ss3_schema.gate.jvm import fields_with_paths
from ss3_schema.report import Violation
from ss3_schema.rules import RuleId
from ss3_schema.schema.image import Image, violation_at

# A page of prose; the longest comment in the schemas today is a few lines.
MAX_COMMENT_CHARS = 4096
FIELD_JSON_NAME = 10


def check_limits(image: Image) -> list[Violation]:
    """json_name text and comment size of every own file."""
    violations: list[Violation] = []
    for fd in sorted(image.own_files(), key=lambda f: f.name):
        violations += _json_names(image, fd) + _comments(image, fd)
    return violations


def _json_names(image: Image, fd: descriptor_pb2.FileDescriptorProto) -> list[Violation]:
    found = []
    for path, field in fields_with_paths(fd):
        if any(unicodedata.category(char) == "Cc" for char in field.json_name):
            found.append(
                violation_at(
                    image,
                    fd,
                    [*path, FIELD_JSON_NAME],
                    RuleId.JSON_NAME_VALID,
                    f"json_name of field {field.name!r} is {field.json_name!r}: a control character in a JSON "
                    "key breaks the AsyncAPI document and JSON consumers.",
                )
            )
    return found


def _comments(image: Image, fd: descriptor_pb2.FileDescriptorProto) -> list[Violation]:
    found = []
    for location in fd.source_code_info.location:
        comments = [location.leading_comments, location.trailing_comments, *location.leading_detached_comments]
        longest = max(len(text) for text in comments)
        if longest > MAX_COMMENT_CHARS:
            found.append(
                violation_at(
                    image,
                    fd,
                    list(location.path),
                    RuleId.COMMENT_TOO_LONG,
                    f"a comment of {longest} characters; comments are at most {MAX_COMMENT_CHARS} "
                    "(they go into the event catalog and every registered schema).",
                )
            )
    return found
