"""The Java side of the interop tests: build the Maven projects once, run them per step.

tests/interop/java compiles the repository's proto/ tree with protoc from Maven
Central and a small main class against Apicurio's Kafka Protobuf serde;
tests/quarkus is a Quarkus service built as docs/java-services.md and
docs/kafka-clients.md say, against the checkout's schemas published as the jar.
Builds are cached in ``.cache/interop-java/<digest>`` and
``.cache/interop-quarkus/<digest>``, keyed by the pom, the sources and every
.proto file, so only a change to one of them rebuilds.

Each run is one JVM: ``produce`` / ``consume`` use the serde exactly as a
service configures it (the properties are passed through untouched), wrapping
each event into its topic envelope and unwrapping what is read;
``produce-raw`` / ``consume-raw`` move bytes and headers unchanged.
``running_producer`` starts one JVM that keeps producing, row by row, until
closed: a service that runs across a schema release.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ss3_schema.artifacts.jar import build_jar
from ss3_schema.release.maven import DirectoryRepository, deploy
from ss3_schema.workspace import Workspace

from devservices.cache import cached_directory
from devservices.common import DevServiceError, ensure_cache_root
from devservices.jvm import find_java
from devservices.maven import local_repository, run_maven
from tests.helpers import REPO_ROOT, make_schema_repo

PROJECT = REPO_ROOT / "tests" / "interop" / "java"
MAIN_CLASS = "com.shopstar3.interop.Harness"
MAIN_CLASS_FILE = Path("classes") / "com" / "shopstar3" / "interop" / "Harness.class"
QUARKUS_PROJECT = REPO_ROOT / "tests" / "quarkus"
QUARKUS_RUNNER = Path("quarkus-app") / "quarkus-run.jar"
MIN_JAVA_MAJOR = 17  # what the serde and kafka-clients need
RUN_TIMEOUT_S = 120  # a step takes seconds; see _run_with_deadline
# The serde and the Kafka clients log through slf4j-simple; warnings and errors are enough.
JVM_OPTIONS = (
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
)

Headers = list[tuple[str, bytes]]


class HarnessFailed(AssertionError):
    """A Java step exited non-zero; the message carries its exception lines."""


@dataclass(frozen=True)
class Produced:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Consumed:
    topic: str
    partition: int
    offset: int
    java_class: str | None  # the class the deserializer returned (None for raw reads)
    payload: bytes  # the message bytes (serde) or the record value (raw)
    headers: Headers


@dataclass(frozen=True)
class JavaHarness:
    java: Path
    build: Path
    build_seconds: float  # 0 when the cache was warm

    def produce(self, config: Mapping[str, str], rows: Iterable[tuple[str, str, bytes, str]]) -> list[Produced]:
        """Send (topic, event class, event bytes, envelope class) through the serde, wrapped; where each landed."""
        encoded = ([topic, cls, _b64(data), envelope] for topic, cls, data, envelope in rows)
        lines = self._run("produce", config, encoded)
        return [Produced(t, int(p), int(o)) for t, p, o in lines]

    def produce_raw(self, config: Mapping[str, str], rows: Iterable[tuple[str, bytes, Headers]]) -> list[Produced]:
        """Send (topic, value, headers) as they are."""
        encoded = ([topic, _b64(value), _headers_text(headers)] for topic, value, headers in rows)
        return [Produced(t, int(p), int(o)) for t, p, o in self._run("produce-raw", config, encoded)]

    def consume(self, config: Mapping[str, str], records: Sequence[Produced]) -> dict[Produced, Consumed]:
        """Read exactly `records` back through the deserializer."""
        consumed = (_consumed(line) for line in self._run("consume", config, _reads(records)))
        return {Produced(c.topic, c.partition, c.offset): c for c in consumed}

    def consume_raw(self, config: Mapping[str, str], records: Sequence[Produced]) -> dict[Produced, Consumed]:
        """Read exactly `records` back as bytes and headers."""
        consumed = (_consumed(line) for line in self._run("consume-raw", config, _reads(records)))
        return {Produced(c.topic, c.partition, c.offset): c for c in consumed}

    def running_producer(self, config: Mapping[str, str], workdir: Path) -> RunningProducer:
        """One producer that stays up (a service): send() one event at a time, close() at the end."""
        config_file = _write_config(workdir / "producer.properties", config)
        proc = subprocess.Popen(
            [*self._argv("produce-stream", config_file), "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        return RunningProducer(proc)

    def _argv(self, command: str, config_file: Path) -> list[str]:
        classpath = f"{self.build / 'classes'}{os.pathsep}{self.build / 'lib'}/*"
        return [str(self.java), *JVM_OPTIONS, "-cp", classpath, MAIN_CLASS, command, str(config_file)]

    def _run(self, command: str, config: Mapping[str, str], rows: Iterable[Sequence[str]]) -> list[list[str]]:
        with tempfile.TemporaryDirectory(prefix="ss3-harness-") as tmp:
            config_file = _write_config(Path(tmp) / "client.properties", config)
            rows_file = Path(tmp) / "rows.tsv"
            rows_file.write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
            returncode, stdout, stderr = _run_with_deadline([*self._argv(command, config_file), str(rows_file)])
        if returncode != 0:
            raise HarnessFailed(f"java {command} exited {returncode}:\n{_exception_lines(stderr)}")
        return [line.split("\t") for line in stdout.splitlines() if line]


@dataclass
class RunningProducer:
    """A Java producer process that stays up between sends (see JavaHarness.running_producer)."""

    proc: subprocess.Popen[str]

    def send(self, topic: str, event_class: str, event: bytes, envelope_class: str) -> Produced | str:
        """Where the event landed, or the error line of the record the serializer refused."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\t".join([topic, event_class, _b64(event), envelope_class]) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise HarnessFailed(f"the running producer exited {self.proc.wait(RUN_TIMEOUT_S)}")
        fields = answer.rstrip("\n").split("\t")
        if fields[0] == "error":
            return fields[1]
        topic_out, partition, offset = fields
        return Produced(topic_out, int(partition), int(offset))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(RUN_TIMEOUT_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


class HarnessHung(AssertionError):
    """A Java step was still running at its deadline; the message carries where its main thread was."""


def _run_with_deadline(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one JVM step, run again once if it hangs.

    A step takes seconds; one still running at RUN_TIMEOUT_S is stuck (seen once, on a loaded
    CI machine, in a Kafka producer step that passes everywhere else). Its thread dump goes
    into a warning and the step runs once more; a second hang fails with both dumps.
    """
    dumps = []
    for _ in range(2):
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            dumps.append(_thread_dump_of(proc))
            if len(dumps) == 1:
                warnings.warn(f"java {argv[-3]} hung for {RUN_TIMEOUT_S} s; running it again. {dumps[0]}", stacklevel=2)
            continue
        return proc.returncode, stdout, stderr
    raise HarnessHung(f"java {argv[-3]} hung twice for {RUN_TIMEOUT_S} s:\n" + "\n\n".join(dumps))


def _thread_dump_of(proc: subprocess.Popen[str]) -> str:
    # SIGQUIT makes the JVM print every thread's stack to stdout: what it waited for.
    proc.send_signal(signal.SIGQUIT)
    time.sleep(2)
    proc.kill()
    stdout, stderr = proc.communicate()
    return f"threads:\n{_busy_threads(stdout)}\nstderr:\n{_exception_lines(stderr)}"


def _busy_threads(dump: str) -> str:
    """The thread-dump stacks that hold project, Kafka or Apicurio frames (the rest is JVM housekeeping)."""
    stacks = [block for block in dump.split("\n\n") if block.startswith('"')]
    wanted = ("com.shopstar3", "org.apache.kafka", "io.apicurio", "io.vertx", "java.net")
    busy = [block for block in stacks if any(name in block for name in wanted)]
    return "\n\n".join(busy)[-12000:] or dump[-4000:]


def build_harness(proto_root: Path = REPO_ROOT / "proto", cache_name: str = "interop-java") -> JavaHarness:
    """The harness built with the classes of `proto_root`, from the cache when its sources are unchanged.

    Builds of another tree than the repository's go into their own `cache_name`
    (each cache keeps only its newest build).
    """
    java = find_java(MIN_JAVA_MAJOR)
    target, seconds = cached_build(PROJECT, cache_name, MAIN_CLASS_FILE, "compile", proto_root)
    return JavaHarness(java, target, seconds)


def build_quarkus_service() -> Path:
    """The runner jar of the Quarkus service, from the cache when its sources and the schemas are unchanged."""
    target, _ = cached_build(
        QUARKUS_PROJECT, "interop-quarkus", QUARKUS_RUNNER, "package", REPO_ROOT / "proto", prepare=_published_checkout
    )
    return target / QUARKUS_RUNNER


def _published_checkout(scratch: Path) -> list[str]:
    """The checkout's schemas as their jar in a file:// Maven repository; the Maven arguments that build against it."""
    schemas = make_schema_repo(scratch / "schemas")
    artifact = build_jar(Workspace(schemas.root))
    repository = DirectoryRepository(scratch / "maven")
    deploy(artifact, repository)
    # A copy of this version from an earlier build (other schemas, same VERSION) would shadow the new jar.
    shutil.rmtree(local_repository() / "com" / "shopstar3" / "ss3-protos" / artifact.version, ignore_errors=True)
    return [f"-Dss3.repository={repository.destination}", f"-Dss3.version={artifact.version}"]


def cached_build(
    project: Path,
    cache_name: str,
    product: Path,
    goal: str,
    proto_root: Path,
    *,
    prepare: Callable[[Path], list[str]] | None = None,
) -> tuple[Path, float]:
    """Build `project` with Maven into .cache/<cache_name>/<digest> unless there; (directory, seconds spent).

    ``prepare(scratch)`` readies what the build needs in a scratch directory and returns its Maven arguments.
    """
    root = ensure_cache_root() / cache_name
    target = root / source_digest(project, proto_root)
    if (target / product).is_file():
        return target, 0.0
    started = time.monotonic()

    def build(staged: Path) -> None:
        extra = prepare(staged.parent) if prepare is not None else []
        _build(project, staged, product, goal, proto_root=proto_root, extra=extra)

    cached_directory(target, build, complete=lambda directory: (directory / product).is_file())
    _drop_other_builds(root, keep=target)
    return target, time.monotonic() - started


def source_digest(project: Path, proto_root: Path) -> str:
    """What a build depends on: the project's pom and sources, and every .proto file."""
    digest = hashlib.sha256()
    sources = [project / "pom.xml", *sorted(p for p in (project / "src").rglob("*") if p.is_file())]
    protos = sorted(proto_root.rglob("*.proto"))
    for path in sources:
        digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for path in protos:
        name = "proto/" + path.relative_to(proto_root).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _build(project: Path, staged: Path, product: Path, goal: str, *, proto_root: Path, extra: Sequence[str]) -> None:
    run_maven(
        [
            "-f",
            str(project / "pom.xml"),
            f"-Dss3.proto.dir={proto_root}",
            f"-Dss3.build.dir={staged}",
            *extra,
            "-DskipTests",
            goal,
        ]
    )
    if not (staged / product).is_file():
        raise DevServiceError(f"the Maven build of {project.name} produced no {product}")


def _drop_other_builds(root: Path, *, keep: Path) -> None:
    for entry in root.iterdir():
        if entry != keep and entry.is_dir() and not entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)


def _write_config(path: Path, config: Mapping[str, str]) -> Path:
    # The file holds the registry password: readable by this user only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(f"{key}={value}\n" for key, value in config.items())
    return path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _headers_text(headers: Headers) -> str:
    return ",".join(f"{name}={_b64(value)}" for name, value in headers)


def _parse_headers(text: str) -> Headers:
    pairs = (item.split("=", 1) for item in text.split(",") if item)
    return [(name, base64.b64decode(value)) for name, value in pairs]


def _reads(records: Sequence[Produced]) -> list[list[str]]:
    """(topic, partition, first offset, count) per partition, for records written one after another."""
    spans: dict[tuple[str, int], list[int]] = {}
    for record in records:
        spans.setdefault((record.topic, record.partition), []).append(record.offset)
    return [[topic, str(p), str(min(offsets)), str(len(offsets))] for (topic, p), offsets in sorted(spans.items())]


def _consumed(line: list[str]) -> Consumed:
    """A consume line: topic, partition, offset, [class,] base64 payload, headers."""
    topic, partition, offset, *rest = line
    java_class = rest.pop(0) if len(rest) == 3 else None
    data, headers = rest
    return Consumed(topic, int(partition), int(offset), java_class, base64.b64decode(data), _parse_headers(headers))


def _exception_lines(stderr: str) -> str:
    """The exception and its causes, without stack frames or start-up chatter."""
    keep = [line for line in stderr.splitlines() if line.strip() and not line.lstrip().startswith(("at ", "..."))]
    return "\n".join(keep[-20:])
