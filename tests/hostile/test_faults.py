"""Faults of servers, disks and processes: bounded in time, one line, nothing half-written or left behind."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from ss3_schema.artifacts import protoc
from ss3_schema.artifacts.generate import generate
from ss3_schema.artifacts.wheel import build_wheel
from ss3_schema.errors import PublishError, SchemaError, ToolError
from ss3_schema.http import Backoff, Patience
from ss3_schema.release import maven
from ss3_schema.release.index import DirectoryIndex, HttpIndex
from ss3_schema.release.pipeline import Done, RegistryTarget, ReleaseConfig, release
from ss3_schema.release.publish import publish
from ss3_schema.release.target import Credentials
from ss3_schema.workspace import Workspace

from tests.fakes import DRIP, SILENT, Answer, FakeServer
from tests.helpers import SchemaRepo, git, make_schema_repo, run_cli
from tests.hostile.test_inputs import one_error_line
from tests.wheels import make_wheel

pytestmark = pytest.mark.integration


@pytest.fixture
def package_repo(tmp_path: Path) -> SchemaRepo:
    return make_schema_repo(tmp_path / "repo", with_package=True)


# --- item 5: one total deadline per request ------------------------------------


def run_cli_within(seconds: float, *args: str, cwd: Path, env: dict[str, str] | None = None) -> CompletedProcess[str]:
    """`ss3-schema ARGS`, failing the test if it is still running after `seconds`."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "ss3_schema", *args],
            cwd=cwd,
            env=dict(os.environ, **(env or {})),
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"ss3-schema {' '.join(args)} still running after {seconds}s")


def test_item05_register_timeout_bounds_a_server_that_trickles(schema_repo: SchemaRepo) -> None:
    with FakeServer(lambda _: DRIP) as registry:
        # buf compiles first; without a total deadline this never ends
        args = ("register", "--registry-url", registry.url, "--timeout", "2", "--retries", "0")
        proc = run_cli_within(30, *args, cwd=schema_repo.root)
    assert proc.returncode == 2
    assert "within 2s" in one_error_line(proc)


@pytest.mark.parametrize("behaviour", [SILENT, DRIP])
def test_item05_publish_gives_up_on_a_silent_or_trickling_index_within_its_timeout(
    tmp_path: Path, behaviour: str
) -> None:
    wheel = make_wheel(tmp_path)
    with FakeServer(lambda _: behaviour) as index:
        # 4 attempts of 1 s and 7 s of backoff; it was 488 s against a silent server
        env = {"SS3_PUBLISH_TIMEOUT": "1"}
        proc = run_cli_within(40, "publish", "--repository-url", index.url, str(wheel), cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert "no complete answer within 1s" in one_error_line(proc)


# --- item 6: no traceback, whatever the answer, the file or the disk ----------


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, b"<html><body>proxy login</body></html>", {"Content-Type": "text/html"}),
        Answer(200, b"[1, 2, 3]", {"Content-Type": "application/json"}),
        Answer(200, b'{"versions": [{"artifactId": "x"}]}', {"Content-Type": "application/json"}),
        Answer(200, b'{"versions": 7}', {"Content-Type": "application/json"}),
    ],
)
def test_item06_registry_answering_200_with_something_else_is_one_line(schema_repo: SchemaRepo, answer: Answer) -> None:
    with FakeServer(lambda _: answer) as registry:
        proc = run_cli("register", "--registry-url", registry.url, "--retries", "0", cwd=schema_repo.root)
    assert proc.returncode == 2
    assert "is the URL an Apicurio Registry 3.x?" in one_error_line(proc)


def test_item06_truncated_wheel_is_refused_before_upload(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    wheel.write_bytes(wheel.read_bytes()[:-40])
    assert "truncated or corrupt" in refused_by_publish(wheel, tmp_path)


def refused_by_publish(wheel: Path, tmp_path: Path) -> str:
    """The error line of publishing `wheel` into a directory index, which must stay untouched."""
    index = tmp_path / "index"
    proc = run_cli("publish", "--repository-url", index.as_uri(), str(wheel), cwd=tmp_path)
    assert proc.returncode == 2
    assert not index.exists()
    return one_error_line(proc)


def test_item06_gen_into_an_unwritable_place_is_one_line(package_repo: SchemaRepo) -> None:
    # Tests may run as root, which ignores permissions: a file where the directory belongs fails for everyone.
    package_repo.path("ss3-protos/src").write_text("not a directory\n", encoding="utf-8")
    proc = run_cli("gen", cwd=package_repo.root)
    assert proc.returncode == 2
    assert "ss3-protos/src" in one_error_line(proc)


def test_item06_build_into_an_unwritable_dist_is_one_line(package_repo: SchemaRepo) -> None:
    assert run_cli("gen", cwd=package_repo.root).returncode == 0
    package_repo.path("dist").write_text("not a directory\n", encoding="utf-8")
    proc = run_cli("build", cwd=package_repo.root)
    assert proc.returncode == 2
    assert "cannot write" in one_error_line(proc) and "dist" in proc.stderr


def test_item06_disk_full_under_dist_index_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist")

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ToolError, match=r"cannot write .*ss3_protos-1\.0\.0-py3-none-any\.whl: no space left"):
        publish([wheel], DirectoryIndex(tmp_path / "index"))
    assert not [p for p in (tmp_path / "index").rglob("*") if p.is_file() and p.name.startswith(".tmp-")]


def _gen(repo: SchemaRepo) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "ss3_schema", "gen"]
    return subprocess.Popen(command, cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_item06_gens_at_once_in_one_clone_all_succeed(package_repo: SchemaRepo) -> None:
    for _ in range(2):  # the unguarded swap tore about one round in three
        runs = [_gen(package_repo) for _ in range(4)]
        outcomes = [(run.wait(timeout=300), run.stderr.read() if run.stderr else "") for run in runs]
        assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
    src = package_repo.path("ss3-protos/src")
    assert sorted(p.name for p in src.iterdir() if p.is_dir()) == ["ss3"]
    assert package_repo.path("ss3-protos/src/ss3/orders/v1/order_events_pb2.py").is_file()


def test_item06_a_gen_waits_while_another_writes(package_repo: SchemaRepo) -> None:
    src = package_repo.path("ss3-protos/src")
    src.mkdir(parents=True)
    lock = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a running gen holds it
        run = _gen(package_repo)
        time.sleep(3)
        assert run.poll() is None, "gen wrote while another writer held the output"
    finally:
        os.close(lock)
    assert run.wait(timeout=120) == 0


# --- item 9: publish refuses what it must never upload ---------------------------


def test_item09_publish_refuses_a_wheel_renamed_to_another_version(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, version="2.0.0", metadata_version="1.0.0")
    assert "its metadata says ss3_protos 1.0.0, its filename ss3-protos 2.0.0" in refused_by_publish(wheel, tmp_path)


def test_item09_publish_refuses_a_wheel_of_another_project(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, name="requests", version="99.0.0")
    with FakeServer(lambda _: Answer(404)) as index:
        proc = run_cli("publish", "--repository-url", index.url, str(wheel), cwd=tmp_path)
        assert index.requests == []
    assert proc.returncode == 2
    assert "not a distribution of ss3-protos" in one_error_line(proc)


# --- item 11: release --push-tag looks at origin before publishing --------------


def test_item11_release_push_tag_refuses_before_publishing_when_origin_has_the_tag_elsewhere(
    tmp_path: Path,
) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    git(other, "commit", "-q", "--allow-empty", "-m", "someone else's release")
    version = repo.read("VERSION").strip()
    git(other, "tag", f"v{version}")
    git(other, "push", "-q", "origin", f"v{version}")

    index = DirectoryIndex(tmp_path / "index")
    report = release(
        Workspace(repo.root),
        ReleaseConfig(index=index, registry=RegistryTarget("http://127.0.0.1:9", "default"), push_tag=True),
        register=lambda *_: Done("registered"),
    )
    assert report.error is not None and f"tag v{version} already exists on origin" in str(report.error)
    assert [s.step for s in report.steps if s.outcome == "failed"] == ["version"]
    assert index.held("ss3-protos") == {}


# --- item 12: messages that name the real cause ----------------------------------


def test_item12_disk_full_during_gen_is_a_tool_error_not_a_syntax_error(
    monkeypatch: pytest.MonkeyPatch, package_repo: SchemaRepo
) -> None:
    def protoc_out_of_space(command: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        stderr = b"/tmp/out/ss3/orders/v1/order_events_pb2.py: No space left on device\n"
        return subprocess.CompletedProcess(command, 1, b"", stderr)

    protoc.ensure_generator()  # installed before protoc's subprocess call is replaced
    monkeypatch.setattr(protoc.subprocess, "run", protoc_out_of_space)
    with pytest.raises(ToolError, match="No space left on device") as raised:
        generate(Workspace(package_repo.root))
    assert not isinstance(raised.value, SchemaError)


def test_item12_disk_full_during_build_says_so(monkeypatch: pytest.MonkeyPatch, package_repo: SchemaRepo) -> None:
    assert run_cli("gen", cwd=package_repo.root).returncode == 0
    output = (
        "Traceback (most recent call last):\n  ...\nOSError: [Errno 28] No space left on device\n\n"
        "ERROR Backend subprocess exited when trying to invoke build_wheel\n"
    )

    def failing_build(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", output)

    monkeypatch.setattr(subprocess, "run", failing_build)
    with pytest.raises(ToolError, match=r"wheel build failed: OSError: \[Errno 28\] No space left on device"):
        build_wheel(Workspace(package_repo.root))


# --- item 13: a killed run leaves nothing behind that piles up ------------------


def test_item13_staging_left_by_a_killed_run_is_removed_by_the_next(package_repo: SchemaRepo) -> None:
    stale = [package_repo.path("ss3-protos/src/.gen-killed"), package_repo.path("dist/.build-killed")]
    for directory in stale:
        (directory / "half").mkdir(parents=True)
    assert run_cli("gen", cwd=package_repo.root).returncode == 0
    assert run_cli("build", cwd=package_repo.root).returncode == 0
    assert [d for d in stale if d.exists()] == []


def test_item13_sigterm_during_gen_cleans_its_staging(package_repo: SchemaRepo) -> None:
    src = package_repo.path("ss3-protos/src")
    run = subprocess.Popen(
        [sys.executable, "-m", "ss3_schema", "gen"],
        cwd=package_repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(src.glob(".gen-*")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if run.poll() is not None:
        pytest.fail("gen finished before it could be interrupted")
    run.send_signal(signal.SIGTERM)
    code = run.wait(timeout=60)
    assert code == 2
    assert "terminated" in (run.stderr.read() if run.stderr else "")
    assert list(src.glob(".gen-*")) == []


def test_item05_http_index_attempt_deadline_covers_the_whole_answer(tmp_path: Path) -> None:
    with FakeServer(lambda _: DRIP) as server:
        index = HttpIndex(
            f"{server.url}/legacy/",
            f"{server.url}/simple/",
            Credentials(),
            patience=Patience(1.0, 1, Backoff(0.0, 0.0)),
        )
        started = time.monotonic()
        with pytest.raises(PublishError, match="no complete answer within 1s"):
            index.held("ss3-protos")
        assert time.monotonic() - started < 5


def test_item05_maven_repository_attempt_deadline_is_ss3_publish_timeout_too() -> None:
    with FakeServer(lambda _: DRIP) as server:
        env = {"SS3_MAVEN_REPOSITORY_URL": f"{server.url}/maven/", "SS3_PUBLISH_TIMEOUT": "1"}
        repository = maven.repository_from_env(env)
        assert repository is not None
        with pytest.raises(PublishError, match=r"failed: no complete answer within 1s \(gave up after 4 attempts"):
            repository.read("com/shopstar3/ss3-protos/maven-metadata.xml")
