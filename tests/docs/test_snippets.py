"""Every code block of README.md and docs/ that a reader would copy runs here (or in the test
RUNNERS names), as the page shows it; blocks that talk to Kafka or the registry run against
the session's real broker and Apicurio.

Placeholders a reader replaces (the registry's address, `X.Y.Z`) are replaced by the
test, each one asserted to be on the page, so a changed placeholder fails loudly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from ss3 import topics
from ss3.kafka import Registry, Serializer
from ss3.orders.v1 import order_events_pb2

from devservices.kafka import RunningKafka
from tests.docs.snippets import Block, blocks_of, code, problems, substituted
from tests.helpers import REPO_ROOT, SchemaRepo, run_cli
from tests.integration.registry_fixture import env_for

BIN = Path(sys.executable).parent
RUN_TIMEOUT_S = 180
ORDERS = topics.SS3_ORDERS_ORDER_EVENTS_V1
EVENTS_FILE = "proto/ss3/orders/v1/order_events.proto"


def test_every_copyable_block_has_a_runner() -> None:
    assert problems() == []


def test_a_copyable_block_without_a_name_or_runner_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint(1)\n```\n\n```\noutput\n```\n\n```sh nobody-runs-me\ntrue\n```\n\n```text\nfine\n```\n",
        encoding="utf-8",
    )
    found = problems(blocks_of(page, tmp_path))
    assert found[:3] == [
        "page.md:1: copyable python block without a name (```python <name>)",
        "page.md:5: a block without a language: tag output `text`, code `<language> <name>`",
        "page.md:9: block 'nobody-runs-me' has no runner in tests/docs/snippets.py RUNNERS",
    ]


def snippet_env(**extra: str) -> dict[str, str]:
    """The environment of a reader's shell: this checkout's package importable, none of the caller's SS3_*/KAFKA_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SS3_", "KAFKA_"))}
    env["PYTHONPATH"] = str(REPO_ROOT / "ss3-protos" / "src")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env | extra


def run_python(snippet: str, tmp_path: Path, env: dict[str, str], prelude: str = "", after: str = "") -> str:
    """Run `snippet` as a script (with `prelude` defining what the page leaves to the reader); its stdout."""
    script = tmp_path / "snippet.py"
    script.write_text(snippet, encoding="utf-8")
    run_file = "import pathlib, sys\nexec(compile(pathlib.Path(sys.argv[1]).read_text(), sys.argv[1], 'exec'))"
    runner = f"{prelude}\n{run_file}\n{after}"
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", runner, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return proc.stdout


def run_shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


# --- README.md ------------------------------------------------------------------------------


def test_readme_make_targets() -> None:
    lines = [line.split("#")[0].split() for line in code("readme-make").splitlines() if line.strip()]
    assert lines == [["make", "gen"], ["make", "test"]]
    gen = run_make("gen")
    assert gen.returncode == 0 and "gen: " in gen.stdout, gen.stdout + gen.stderr
    # The whole suite cannot run inside itself: make shows what `make test` would run.
    dry = run_make("-n", "test")
    assert dry.returncode == 0 and "pytest" in dry.stdout, dry.stdout + dry.stderr


def run_make(*args: str) -> subprocess.CompletedProcess[str]:
    command = ["make", "--no-print-directory", *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=snippet_env(), capture_output=True, text=True, check=False)


def test_readme_import_without_warnings(tmp_path: Path) -> None:
    run_python(code("readme-import"), tmp_path, snippet_env())


@pytest.fixture(scope="module")
def registered(registry: Any) -> Any:
    """The session registry after `ss3-schema register` into group `default`, where the README's serdes look."""
    proc = run_cli("register", cwd=REPO_ROOT, env=env_for(registry))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return registry


def produce(broker: RunningKafka, topic: str, records: list[tuple[bytes, bytes]]) -> list[int]:
    """Send (key, value) records in order; their offsets."""
    offsets: list[int] = []

    def delivered(error: Any, message: Any) -> None:
        assert error is None, error
        offsets.append(message.offset())

    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    for key, value in records:
        producer.produce(topic, key=key, value=value, on_delivery=delivered)
        producer.flush(30)
    assert len(offsets) == len(records)
    return offsets


# What the README leaves to the service: its own dead-letter and handling functions.
# They print what they got; the snippet's own event (o-1, event id "...") ends the run.
README_HANDLERS = """
import json, os

def dead_letter(msg, error):
    print(json.dumps({"dead_letter": msg.offset(), "error": type(error).__name__}), flush=True)

def cancel_order(event):
    print(json.dumps({"cancelled": event.order_id}), flush=True)
    if event.order_id == "o-1" and event.metadata.event_id == "...":
        os._exit(0)
"""


def test_readme_kafka_skips_a_bad_record_and_handles_each_event_once(
    kafka_broker: RunningKafka, registered: Any, tmp_path: Path
) -> None:
    user, password = registered.auth
    serializer = Serializer(Registry(registered.url, username=user, password=password))
    first, second = (f"doc-{uuid.uuid4().hex[:8]}-{n}" for n in (1, 2))
    # The README's own record has key o-1: the same key keeps these before it, in one partition.
    offsets = produce(
        kafka_broker,
        ORDERS,
        [
            (b"o-1", serializer.serialize(ORDERS, order_events_pb2.OrderCancelled(order_id=first))),
            (b"o-1", b"\x00\x00\x00\x00\x07not a record"),
            (b"o-1", serializer.serialize(ORDERS, order_events_pb2.OrderCancelled(order_id=second))),
        ],
    )
    env = snippet_env(
        KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap,
        SS3_REGISTRY_URL=registered.url,
        SS3_REGISTRY_USERNAME=user,
        SS3_REGISTRY_PASSWORD=password,
    )

    out = run_python(code("readme-kafka"), tmp_path, env, prelude=README_HANDLERS)

    seen = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    cancelled = [entry["cancelled"] for entry in seen if "cancelled" in entry]
    assert (cancelled.count(first), cancelled.count(second)) == (1, 1), seen
    assert cancelled.index(first) < cancelled.index(second) and cancelled[-1] == "o-1", seen
    assert {"dead_letter": offsets[1], "error": "FramingError"} in seen, seen


def test_readme_add_event_passes_the_gate(schema_repo: SchemaRepo) -> None:
    event = code("readme-add-event")
    member = code("readme-add-event-member")
    # The member block shows the envelope around the new lines; what is added is its
    # lines that are not the envelope's frame or an elision.
    frame = {"message OrderEvents {", "...", "oneof event {", "}"}
    added = [line for line in member.splitlines() if line.strip() and line.strip() not in frame]
    envelope_end = "    OrderCancelled order_cancelled = 3;\n"
    assert envelope_end in schema_repo.read(EVENTS_FILE)
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(EVENTS_FILE, envelope_end, envelope_end + "".join(f"  {line.strip()}\n" for line in added))
    schema_repo.write(EVENTS_FILE, schema_repo.read(EVENTS_FILE) + "\n" + event)
    schema_repo.commit("add OrderArchived as the README shows")

    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert proc.returncode == 0 and "check: ok" in proc.stdout, proc.stdout + proc.stderr
    assert "OrderArchived order_archived = 4;" in schema_repo.read(EVENTS_FILE)


# --- docs/kafka-clients.md ------------------------------------------------------------------

KAFKA_CLIENTS_CHECK = """
from ss3 import topics
from ss3.orders.v1 import order_events_pb2
event = order_events_pb2.OrderCancelled(order_id="o-7")
value = serializer.serialize(topics.SS3_ORDERS_ORDER_EVENTS_V1, event)
assert deserializer.deserialize(topics.SS3_ORDERS_ORDER_EVENTS_V1, value) == event
print("round trip ok")
"""


def test_kafka_clients_python_setup(registered: Any, tmp_path: Path) -> None:
    user, password = registered.auth
    env = snippet_env(SS3_REGISTRY_URL=registered.url, SS3_REGISTRY_USERNAME=user, SS3_REGISTRY_PASSWORD=password)
    snippet = code("kafka-clients-python") + KAFKA_CLIENTS_CHECK
    assert run_python(snippet, tmp_path, env).strip() == "round trip ok"


# --- docs/registry.md -----------------------------------------------------------------------


def test_registry_register_commands(registered: Any) -> None:
    user, password = registered.auth
    script = substituted(
        code("registry-register"),
        {
            "https://registry.example": registered.url,
            "SS3_REGISTRY_USERNAME=ci": f"SS3_REGISTRY_USERNAME={user}",
            "SS3_REGISTRY_PASSWORD=...": f"SS3_REGISTRY_PASSWORD={password}",
        },
    )
    proc = run_shell(script, REPO_ROOT, snippet_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dry run: nothing was registered" in proc.stdout and "unchanged" in proc.stdout, proc.stdout


# --- docs/releasing.md ----------------------------------------------------------------------


def test_releasing_version_commands(schema_repo: SchemaRepo) -> None:
    version = schema_repo.read("VERSION").strip()
    schema_repo.git("tag", "-a", f"v{version}", "-m", f"release {version}")
    outputs = []
    for line in code("releasing-version").splitlines():
        proc = run_shell(line, schema_repo.root, snippet_env())
        assert proc.returncode == 0, line + "\n" + proc.stdout + proc.stderr
        outputs.append(proc.stdout)
    assert outputs[2].strip() == version  # --next: nothing changed since the tag
    assert isinstance(json.loads(outputs[3]), dict)


def test_the_named_blocks_are_parsed_as_the_page_shows_them() -> None:
    block: Block = next(b for b in blocks_of(REPO_ROOT / "README.md") if b.name == "readme-add-event")
    assert block.code.startswith("// An order was archived")  # the list item's indentation is gone


# --- docs/java-services.md and docs/kafka-clients.md: what the Quarkus tests build ------------
#
# The Java blocks run in the one Quarkus project tests/quarkus: its @QuarkusTest in
# test_quarkus_consumer.py, its Kafka service in tests/interop/test_quarkus_service.py; here
# they are held to be what that project contains, with the reader's placeholders (a host, a
# port variable, a version, the company repository) standing for the test's values.

POM = "{http://maven.apache.org/POM/4.0.0}"
CONSUMER = REPO_ROOT / "tests" / "quarkus"
INTEROP_SERVICE = CONSUMER / "pom.xml"


def _pom_elements(xml: str, tag: str) -> list[ET.Element]:
    """The `tag` elements of a POM fragment (the page shows fragments without a namespace)."""
    root = ET.fromstring(f"<fragment>{xml}</fragment>")  # noqa: S314 - the repository's own page
    return list(root.iter(tag))


def _project(path: Path) -> tuple[ET.Element, dict[str, str]]:
    root = ET.parse(path).getroot()  # noqa: S314 - the repository's own POM
    properties = {child.tag.removeprefix(POM): child.text or "" for child in root.find(f"{POM}properties") or []}
    return root, properties


def _resolved(text: str | None, properties: dict[str, str]) -> str | None:
    if text is None:
        return None
    return re.sub(r"\$\{([^}]+)\}", lambda m: properties.get(m[1], m[0]), text.strip())


def _coordinates(elements: list[ET.Element], ns: str, properties: dict[str, str]) -> set[tuple[str | None, ...]]:
    return {
        tuple(_resolved(dep.findtext(f"{ns}{field}"), properties) for field in ("groupId", "artifactId", "version"))
        for dep in elements
    }


def _project_dependencies(path: Path) -> set[tuple[str | None, ...]]:
    root, properties = _project(path)
    return _coordinates(list(root.iter(f"{POM}dependency")), POM, properties)


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def test_java_services_blocks_are_what_the_quarkus_consumer_builds() -> None:
    shown = _coordinates(_pom_elements(code("java-services-pom"), "dependency"), "", {})
    assert shown == {("io.quarkus", "quarkus-grpc", None), ("com.shopstar3", "ss3-protos", "1.4.0")}
    built = _project_dependencies(CONSUMER / "pom.xml")
    assert {("io.quarkus", "quarkus-grpc", None), ("com.shopstar3", "ss3-protos", "1.0.0")} <= built  # any release

    [shown_repo] = _pom_elements(code("java-services-repository"), "repository")
    root, properties = _project(CONSUMER / "pom.xml")
    [built_repo] = root.iter(f"{POM}repository")
    assert shown_repo.findtext("url") == "https://maven.example.internal/releases"  # the company's; the test's is local
    assert _resolved(built_repo.findtext(f"{POM}url"), properties) == "file:///nonexistent"  # set per run
    assert shown_repo.findtext("snapshots/enabled") == built_repo.findtext(f"{POM}snapshots/{POM}enabled") == "false"

    used = _properties((CONSUMER / "src/main/resources/application.properties").read_text(encoding="utf-8"))
    placeholders = {"orders.internal": "127.0.0.1", "${ORDERS_PORT:9000}": "${SS3_ORDERS_PORT:9000}"}
    for name in ("java-services-properties", "java-services-test-port"):
        shown_properties = _properties(
            substituted(code(name), {k: v for k, v in placeholders.items() if k in code(name)})
        )
        assert shown_properties.items() <= used.items(), name

    test_class = (CONSUMER / "src/test/java/com/shopstar3/consumer/OrderServiceClientTest.java").read_text()
    compiled = {line.strip() for line in test_class.splitlines()}
    for line in code("java-services-java").splitlines():
        statement = line.split("//")[0].strip()
        if statement:
            assert statement in compiled, statement


def test_kafka_clients_pom_is_what_the_interop_service_builds() -> None:
    shown = _coordinates(_pom_elements(code("kafka-clients-pom"), "dependency"), "", {})
    assert shown <= _project_dependencies(INTEROP_SERVICE)
    assert "io.quarkus:quarkus-bom 3.33.x" in code("kafka-clients-pom")
    assert ("io.quarkus", "quarkus-bom", "3.33.2") in _project_dependencies(INTEROP_SERVICE)


INTEROP_JAVA = CONSUMER / "src/main/java/com/shopstar3/interop/quarkus/OrderEventsService.java"


def test_kafka_clients_java_is_what_the_interop_service_runs() -> None:
    # tests/interop/test_quarkus_service.py runs that service through a real broker.
    compiled = {line.split("//")[0].strip() for line in INTEROP_JAVA.read_text(encoding="utf-8").splitlines()}
    for line in code("kafka-clients-java").splitlines():
        statement = line.split("//")[0].strip()
        if statement:
            assert statement in compiled, statement


def _proto_tokens(text: str) -> list[str]:
    """The tokens of proto text without its comments: what protoc compiles."""
    text = re.sub(r"//[^\n]*", "", text)
    return re.findall(r"[A-Za-z_][\w.]*|\d+|\S", text)


def test_kafka_clients_envelope_is_the_orders_envelope() -> None:
    shown = _proto_tokens(code("kafka-clients-envelope"))
    source = (REPO_ROOT / EVENTS_FILE).read_text(encoding="utf-8")
    start = source.index("message OrderEvents {")
    end = source.index("\n}\n", start) + 2
    assert shown == _proto_tokens(source[start:end])


CONFLUENT_DESERIALIZER_CHECK = """
from confluent_kafka.serialization import MessageField, SerializationContext
from ss3 import topics
from ss3.kafka import Deserializer, Registry, Serializer
registry = Registry.from_env()
topic = topics.SS3_ORDERS_ORDER_EVENTS_V1
event = order_events_pb2.OrderCancelled(order_id="o-9")
event.metadata.event_id = "e-9"
value = Serializer(registry).serialize(topic, event)
envelope = deserializer(value, SerializationContext(topic, MessageField.VALUE))
assert envelope == Deserializer(registry, envelope=True).deserialize(topic, value)
assert envelope.order_cancelled.order_id == "o-9" and envelope.metadata.event_id == "e-9"
print("confluent ok")
"""


def test_kafka_clients_confluent_deserializer_reads_the_envelope(registered: Any, tmp_path: Path) -> None:
    user, password = registered.auth
    env = snippet_env(SS3_REGISTRY_URL=registered.url, SS3_REGISTRY_USERNAME=user, SS3_REGISTRY_PASSWORD=password)
    snippet = code("kafka-clients-confluent-deserializer") + CONFLUENT_DESERIALIZER_CHECK
    assert run_python(snippet, tmp_path, env).strip() == "confluent ok"


@pytest.mark.integration  # the script starts a registry on 127.0.0.1
def test_registry_compat_repro_starts_its_own_registry_and_leaves_nothing(tmp_path: Path) -> None:
    # The page's last line runs tests/integration/test_registry_rules.py, which this suite
    # runs anyway; everything before it runs as written, against a registry of its own.
    nested = ".venv/bin/pytest tests/integration/test_registry_rules.py"
    script = substituted(code("registry-compat-repro"), {nested: 'echo "$STATE" > "$REPRO_STATE_FILE"'})
    state_file = tmp_path / "state-dir"
    proc = run_shell(script, REPO_ROOT, snippet_env(REPRO_STATE_FILE=str(state_file)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"artifactId":"orders-value"' in proc.stdout, proc.stdout  # the createArtifact answer
    state = Path(state_file.read_text(encoding="utf-8").strip())
    assert not (state / "state.json").exists() and not (state / "data").exists()  # reset: stopped, forgotten


# --- docs/gate.md ---------------------------------------------------------------------------


def test_gate_override_lets_the_narrowing_it_names_through(schema_repo: SchemaRepo) -> None:
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(
        "buf.yaml", "  use:\n    - FILE\n", "  use:\n    - FILE\n  except:\n    - FIELD_SAME_JSON_NAME\n"
    )
    schema_repo.commit("narrow the breaking rules")
    refused = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert refused.returncode == 1 and "breaking.except + FIELD_SAME_JSON_NAME" in refused.stdout, refused.stdout

    schema_repo.write("gate-overrides.yaml", code("gate-override"))
    schema_repo.commit("accept it, as docs/gate.md shows")
    accepted = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "gate override" in accepted.stdout + accepted.stderr
