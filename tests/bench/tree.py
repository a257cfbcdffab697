"""Synthetic schema trees for benchmarks: N event files spread over packages."""

from __future__ import annotations

from pathlib import Path

FILES_PER_PACKAGE = 50

_EVENT_FILE = """syntax = "proto3";

package ss3.bench{pkg:03d}.v1;

import "ss3/common/v1/event_metadata.proto";
import "ss3/common/v1/money.proto";
import "ss3/options/v1/options.proto";

option (ss3.options.v1.topic) = "ss3.bench{pkg:03d}.thing{n:04d}-events.v1";

// The record type of the topic.
message Thing{n:04d}Events {{
  option (ss3.options.v1.topic_envelope) = true;

  // Metadata of the event.
  ss3.common.v1.EventMetadata metadata = 1;
  // The event.
  oneof event {{
    // Thing {n} changed.
    Thing{n:04d}Changed thing{n:04d}_changed = 2;
  }}
}}

// Thing {n} changed.
message Thing{n:04d}Changed {{
  option (ss3.options.v1.event) = true;

  // Event envelope.
  ss3.common.v1.EventMetadata metadata = 1;
  // Id of the thing.
  string thing_id = 2;
  // Price of the thing.
  ss3.common.v1.Money price = 3;
  // Number of things.
  int64 quantity = 4;
  // State of the thing.
  Thing{n:04d}State state = 5;
  // Labels of the thing.
  repeated string labels = 6;
}}

// State of thing {n}.
enum Thing{n:04d}State {{
  // Not set.
  THING{n:04d}_STATE_UNSPECIFIED = 0;
  // Active.
  THING{n:04d}_STATE_ACTIVE = 1;
  // Retired.
  THING{n:04d}_STATE_RETIRED = 2;
}}
"""

_SERVICE_BLOCK = """
// Internal API of thing {n}.
service Thing{n:04d}Service {{
  // Returns a thing.
  rpc GetThing{n:04d}(GetThing{n:04d}Request) returns (GetThing{n:04d}Response);
}}

// Request of GetThing{n:04d}.
message GetThing{n:04d}Request {{
  // Id of the thing.
  string thing_id = 1;
}}

// Response of GetThing{n:04d}.
message GetThing{n:04d}Response {{
  // State of the thing.
  Thing{n:04d}State state = 1;
}}
"""


def write_tree(proto_dir: Path, count: int, *, service_every: int = 10) -> list[Path]:
    """Write `count` event files (every `service_every`-th with a gRPC service) under proto_dir."""
    written = []
    for n in range(count):
        pkg = n // FILES_PER_PACKAGE
        text = _EVENT_FILE.format(pkg=pkg, n=n)
        if service_every and n % service_every == 0:
            text += _SERVICE_BLOCK.format(n=n)
        path = proto_dir / "ss3" / f"bench{pkg:03d}" / "v1" / f"thing{n:04d}_events.proto"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
