"""Run a throw-away single-node Kafka broker (KRaft) on 127.0.0.1 for local work and tests.

The broker is Apache Kafka's own ``kafka.Kafka`` main class from the Maven
Central jars (``org.apache.kafka:kafka_2.13:<version>`` and its runtime
dependencies, resolved once into ``.cache/kafka/<version>/lib``), run with
the default JDK (17 is enough). One process is broker and controller. Started from the command line it keeps
its topics, offsets and cluster id in ``data/`` and its ports in ``ports.json``,
so a restart serves the same address and records; ``reset`` forgets both.
Started from Python (the tests' fixtures) its storage is formatted fresh on
every start.

CLI::

    python -m devservices.kafka up [--port N] [--state-dir DIR]
    python -m devservices.kafka status [--state-dir DIR]
    python -m devservices.kafka down [--state-dir DIR]
    python -m devservices.kafka reset [--state-dir DIR]

``up`` prints the bootstrap address (``127.0.0.1:PORT``) on stdout and the
``export KAFKA_BOOTSTRAP_SERVERS=...`` line on stderr. Every
command exits 0 on success and 2 on failure, with a one-line reason on stderr
(a failed start adds the last lines of the broker log). Default state
directory: ``.cache/kafka/run`` (``state.json``, ``ports.json``, ``kafka.log``,
``server.properties``, ``log4j2.properties``, ``data/``).

Environment: ``KAFKA_VERSION`` (default below) selects the broker version,
``SS3_CACHE_DIR`` (default ``<repo>/.cache``) the download cache root.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from devservices.common import (
    HOST,
    DevServiceError,
    ServerHandle,
    Service,
    cache_root,
    free_port,
    kept_port,
    launch,
    memory_text,
    port_answers,
    port_is_free,
    read_state,
    refuse_if_running,
    remember_ports,
    remembered_ports,
    serve_command_line,
    service_parser,
    stop_recorded,
    wait_until,
    write_state,
)
from devservices.jvm import find_java
from devservices.maven import maven_classpath

DEFAULT_VERSION = "4.1.2"
MIN_JAVA_MAJOR = 17
# Kafka's jars leave the slf4j binding open and metrics-core would pull
# slf4j 1.7; slf4j 2 plus Log4j's provider lets the broker log its state.
LOGGING_PINS = ("org.slf4j:slf4j-api:2.0.17",)
LOG4J_VERSION = "2.25.3"
PROCESS_MARKER = "kafka.Kafka"
LOG_FILE = "kafka.log"
DATA_DIR = "data"
# What `reset` removes from the state directory (state.json and ports.json too).
STATE_ENTRIES = (DATA_DIR, LOG_FILE, "server.properties", "log4j2.properties")
# Written by StorageTool format; its presence means the storage holds a cluster.
FORMATTED_MARKER = "meta.properties"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
STARTED_LINE = "Kafka Server started"
JVM_OPTIONS = ("-Xmx512m", "-XX:+UseSerialGC")
LOG4J_CONFIG = """\
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
"""


def kafka_version() -> str:
    return os.environ.get("KAFKA_VERSION") or DEFAULT_VERSION


def default_state_dir() -> Path:
    return cache_root() / "kafka" / "run"


def ensure_classpath(version: str | None = None) -> Path:
    """The directory of the broker's jars, resolved with Maven on first use."""
    version = version or kafka_version()
    return maven_classpath(
        [f"org.apache.kafka:kafka_2.13:{version}", f"org.apache.logging.log4j:log4j-slf4j2-impl:{LOG4J_VERSION}"],
        LOGGING_PINS,
        cache_root() / "kafka" / version / "lib",
    )


def broker_properties(port: int, controller_port: int, data_dir: Path) -> dict[str, str]:
    """One node that is broker and controller, loopback only, every internal topic with one replica."""
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }


@dataclass
class RunningKafka(ServerHandle):
    """A started broker. ``stop()`` is idempotent."""

    marker: ClassVar[str] = PROCESS_MARKER
    stop_timeout: ClassVar[float] = STOP_TIMEOUT_S
    bootstrap: str
    pid: int
    port: int
    controller_port: int
    state_dir: Path
    version: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.state_dir / LOG_FILE


def start_kafka(
    port: int = 0,
    *,
    state_dir: Path | str | None = None,
    version: str | None = None,
    timeout: float = START_TIMEOUT_S,
    controller_port: int = 0,
    keep_data: bool = False,
) -> RunningKafka:
    """Start a broker and block until it serves, or raise DevServiceError.

    ``port=0`` (and ``controller_port=0``) picks a free port; ``state_dir``
    defaults to a fresh temporary directory, so concurrent brokers never
    collide. ``keep_data`` starts on the storage of the last start, when there
    is one, instead of formatting a fresh one.
    """
    version = version or kafka_version()
    directory = Path(state_dir).resolve() if state_dir else Path(tempfile.mkdtemp(prefix="ss3-kafka-"))
    directory.mkdir(parents=True, exist_ok=True)
    refuse_if_running(directory, PROCESS_MARKER, "Kafka broker")
    java = find_java(MIN_JAVA_MAJOR)
    classpath = ensure_classpath(version)
    for wanted in (port, controller_port):
        if wanted and not port_is_free(wanted):
            raise DevServiceError(f"port {wanted} on {HOST} is already in use")
    broker_port = port or free_port()
    controller_port = controller_port or free_port()
    data_dir = directory / DATA_DIR
    if not keep_data or not (data_dir / FORMATTED_MARKER).is_file():
        shutil.rmtree(data_dir, ignore_errors=True)  # a fresh cluster
    config = _write_config(directory, broker_properties(broker_port, controller_port, data_dir))
    command = _java_command(java, classpath, directory)
    if not (data_dir / FORMATTED_MARKER).is_file():
        _format_storage(command, config)
    process = launch([*command, "kafka.Kafka", str(config)], cwd=directory, log_path=directory / LOG_FILE)
    kafka = RunningKafka(
        f"{HOST}:{broker_port}", process.pid, broker_port, controller_port, directory, version, process
    )
    try:
        wait_until(lambda: _started(kafka), process, timeout=timeout, what="Kafka broker", log_path=kafka.log_path)
        _write_state(kafka, java)
    except BaseException:
        # Also on Ctrl-C: the broker runs in its own session and would
        # otherwise outlive us unrecorded.
        kafka.stop()
        raise
    return kafka


def _java_command(java: Path, classpath: Path, state_dir: Path) -> list[str]:
    log4j = state_dir / "log4j2.properties"
    log4j.write_text(LOG4J_CONFIG, encoding="utf-8")
    return [str(java), *JVM_OPTIONS, f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{classpath}/*"]


def _write_config(state_dir: Path, props: Mapping[str, str]) -> Path:
    path = state_dir / "server.properties"
    path.write_text("".join(f"{key}={value}\n" for key, value in props.items()), encoding="utf-8")
    return path


def _format_storage(command: list[str], config: Path) -> None:
    """KRaft needs its metadata log formatted with a cluster id before the first start."""
    cluster_id = _cluster_id()
    result = subprocess.run(
        [*command, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        # The tool logs INFO lines too; the cause is the first line that is not one.
        causes = [line for line in lines if " INFO " not in line]
        reason = (causes or lines or [str(result.returncode)])[0]
        raise DevServiceError(f"formatting the Kafka storage failed: {reason}")


def _cluster_id() -> str:
    """A random KRaft cluster id (22 base64url characters) that StorageTool will take.

    One id in 64 starts with "-", which the tool's argument parser reads as an
    option; Kafka's own Uuid.randomUuid() skips those for the same reason.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _started(kafka: RunningKafka) -> bool:
    try:
        logged = STARTED_LINE in kafka.log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return logged and port_answers(kafka.port)


def _write_state(kafka: RunningKafka, java: Path) -> None:
    write_state(
        kafka.state_dir,
        {
            "pid": kafka.pid,
            "url": kafka.bootstrap,
            "port": kafka.port,
            "controller_port": kafka.controller_port,
            "version": kafka.version,
            "java": str(java),
            "log": str(kafka.log_path),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )


def stop_kafka(state_dir: Path) -> bool:
    """Stop the broker recorded in ``state_dir``; False if none was running."""
    return stop_recorded(state_dir, PROCESS_MARKER, "Kafka broker", STOP_TIMEOUT_S)


# --------------------------------------------------------------------------
# CLI


def _build_parser() -> argparse.ArgumentParser:
    parser, up = service_parser(
        "Local Kafka broker (KRaft) for ss3-protos.", ".cache/kafka/run", "start a broker and print its address"
    )
    up.add_argument("--port", type=int, default=0, help="broker port (0 = pick a free port)")
    up.add_argument("--timeout", type=float, default=START_TIMEOUT_S, help="start-up timeout (s)")
    return parser


def _cmd_up(args: argparse.Namespace, state_dir: Path) -> dict[str, object]:
    kept = remembered_ports(state_dir)
    kafka = start_kafka(
        kept_port(args.port, kept.get("port"), name="port", service="kafka"),
        controller_port=kept_port(0, kept.get("controller_port"), name="controller port", service="kafka"),
        state_dir=state_dir,
        timeout=args.timeout,
        keep_data=True,
    )
    remember_ports(state_dir, {"port": kafka.port, "controller_port": kafka.controller_port})
    return read_state(state_dir) or {"url": kafka.bootstrap}


def _describe(state: Mapping[str, object]) -> tuple[str, bool]:
    pid, port = state.get("pid"), state.get("port")
    serving = isinstance(port, int) and port_answers(port)
    health = "serving" if serving else "NOT serving"
    return f"{state.get('url')} pid={pid} version={state.get('version')} {health} rss={memory_text(pid)}", serving


SERVICE = Service(
    name="kafka",
    what="Kafka broker",
    marker=PROCESS_MARKER,
    entries=STATE_ENTRIES,
    exports=lambda state: {"KAFKA_BOOTSTRAP_SERVERS": str(state.get("url"))},
    describe=_describe,
    stop_timeout=STOP_TIMEOUT_S,
)


def main(argv: Sequence[str] | None = None) -> int:
    return serve_command_line(SERVICE, _build_parser(), default_state_dir, _cmd_up, argv)


if __name__ == "__main__":
    sys.exit(main())
