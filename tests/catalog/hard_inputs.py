"""Schema texts of the catalog tests: one more event, and a file of the inputs that break naive generators."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SchemaRepo, make_schema_repo, run_cli

HARD_EVENTS = ("ss3.hard.v1.TreeChanged", "ss3.hard.v1.WideRowChanged")

# Appended to proto/ss3/orders/v1/order_events.proto: a new event on an existing topic.
ORDER_ARCHIVED = """
// An order was archived after the retention period.
message OrderArchived {
  option (ss3.options.v1.event) = true;

  // Event envelope.
  ss3.common.v1.EventMetadata metadata = 1;
  // Id of the archived order.
  string order_id = 2;
}
"""
ARCHIVED_MEMBER = (
    "    OrderCancelled order_cancelled = 3;\n",
    "    OrderCancelled order_cancelled = 3;\n    // Set when the event is OrderArchived.\n"
    "    OrderArchived order_archived = 4;\n",
)


def with_order_archived(events_file: str) -> str:
    """order_events.proto with OrderArchived added, as the docs say: the message and its envelope member."""
    old, new = ARCHIVED_MEMBER
    assert old in events_file
    return events_file.replace(old, new) + ORDER_ARCHIVED


HARD_TOPIC = "ss3.hard.edge-events.v1"
HOSTILE_COMMENT = (
    'Shown as text: <script>window.__pwned = "script"</script> <img src=x onerror="window.__pwned=1"> & </table>'
)
WIDE_FIELDS = 300
DEPTH = 12


def hard_events_proto() -> str:
    """Recursive types, deep nesting, maps, oneofs, a 300-field message, HTML in comments."""
    wide = "\n".join(
        f"  // Column {n} of the wide row.\n  int64 column_{n:03d} = {n + 1};" for n in range(1, WIDE_FIELDS + 1)
    )
    return f"""syntax = "proto3";

package ss3.hard.v1;

import "google/protobuf/timestamp.proto";
import "ss3/common/v1/event_metadata.proto";
import "ss3/common/v1/money.proto";
import "ss3/options/v1/options.proto";

option java_multiple_files = true;
option java_outer_classname = "HardEventsProto";
option java_package = "com.shopstar3.ss3.hard.v1";
option (ss3.options.v1.topic) = "{HARD_TOPIC}";

// The record type of the topic.
message HardEvents {{
  option (ss3.options.v1.topic_envelope) = true;

  // Metadata of the event.
  ss3.common.v1.EventMetadata metadata = 1;
  // The event.
  oneof event {{
    // A tree changed.
    TreeChanged tree_changed = 2;
    // A wide row changed.
    WideRowChanged wide_row_changed = 3;
  }}
}}

// {HOSTILE_COMMENT}
message TreeChanged {{
  option (ss3.options.v1.event) = true;

  // Event envelope.
  ss3.common.v1.EventMetadata metadata = 1;
  // The tree; nodes hold nodes. <b>bold?</b>
  Node root = 2;
  // Prices by currency code.
  map<string, ss3.common.v1.Money> prices = 3;
  // Counters by number.
  map<int32, int64> counters = 4;
  // What changed.
  oneof change {{
    // A node was added.
    Node added = 5;
    // A node was removed, by id.
    string removed_id = 6;
    // When it was pruned.
    google.protobuf.Timestamp pruned_at = 7;
  }}
  // Explicit presence.
  optional int32 weight = 8;
  // Deepest level of a nested chain.
  {_nested_path()} deepest = 9;
  // Old name; use root.
  Node legacy_root = 10 [deprecated = true];
  // Raw bytes.
  bytes blob = 11;
  // Custom JSON name.
  string renamed = 12 [json_name = "aliasName"];
}}

// A node of a tree: recursive through its children and its parent.
message Node {{
  // Node id.
  string id = 1;
  // Children of the node.
  repeated Node children = 2;
  // Back to the top of the tree through another type.
  Edge edge = 3;
{_nested_levels()}
}}

// An edge points back at a node (mutual recursion).
message Edge {{
  // The node it points at.
  Node target = 1;
}}

// A message with hundreds of fields.
message WideRowChanged {{
  option (ss3.options.v1.event) = true;

  // Event envelope.
  ss3.common.v1.EventMetadata metadata = 1;
{wide}
}}
"""


def _nested_path() -> str:
    return "Node." + ".".join(f"Level{n}" for n in range(1, DEPTH + 1))


def _nested_levels() -> str:
    lines: list[str] = []
    for n in range(1, DEPTH + 1):
        pad = "  " * n
        lines += [
            f"{pad}// Nesting level {n}.",
            f"{pad}message Level{n} {{",
            f"{pad}  // Value at level {n}.",
            f"{pad}  string value = 1;",
        ]
    for n in range(DEPTH, 0, -1):
        lines.append("  " * n + "}")
    return "\n".join(lines)


def hard_catalog_repo(dest: Path) -> SchemaRepo:
    """The real tree plus the hard inputs, committed, with `ss3-schema catalog` run on it."""
    repo = make_schema_repo(dest)
    repo.write("proto/ss3/hard/v1/hard_events.proto", hard_events_proto())
    repo.commit("hard inputs")
    proc = run_cli("catalog", cwd=repo.root)
    assert proc.returncode == 0, proc.stderr
    return repo
