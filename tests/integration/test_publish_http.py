"""Publishing without a real index: directory indexes, PEP 503 pages, and a scripted HTTP stub."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from ss3_schema.errors import ConfigError, PublishConflict, PublishError
from ss3_schema.http import Backoff, Patience
from ss3_schema.redact import display_url
from ss3_schema.release.distribution import read_distribution
from ss3_schema.release.index import DirectoryIndex, HttpIndex, credentials_from_env, derive_index_url, open_index
from ss3_schema.release.publish import publish
from ss3_schema.release.simple_index import parse_project_page
from ss3_schema.release.target import Credentials, Outcome

from tests import wheels
from tests.loopback import LoopbackServer

pytestmark = pytest.mark.integration

SECRET = "pa55-w0rd-never-shown"
NO_WAIT = Patience(timeout_s=60.0, attempts=3, backoff=Backoff(0.0, 0.0))


def make_wheel(directory: Path, payload: str = "x = 1\n", name: str = "demo", version: str = "1.0.0") -> Path:
    return wheels.make_wheel(directory, payload, name=name, version=version)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- a scripted HTTP server ---------------------------------------------------


@dataclass
class Stub:
    """Answers each `METHOD /path` with the next scripted (status, body); the last answer repeats."""

    url: str = ""
    script: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Authorization

    def answer(self, key: str, *responses: tuple[int, bytes | str]) -> None:
        self.script[key] = [(status, body.encode() if isinstance(body, str) else body) for status, body in responses]

    def next_for(self, key: str) -> tuple[int, bytes]:
        queue = self.script.get(key, [(404, b"not found")])
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def count(self, key: str) -> int:
        return sum(1 for method, path, _ in self.seen if f"{method} {path}" == key)


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            state.seen.append((self.command, self.path, self.headers.get("Authorization")))
            status, body = state.next_for(f"{self.command} {self.path}")
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        # http.server dispatches on these names.
        do_GET = _reply
        do_POST = _reply

        def log_message(self, *_: object) -> None:
            pass

    with LoopbackServer(Handler, "index-fake") as server:
        state.url = f"{server.url}/"
        yield state


def http_index(stub: Stub, *, index_url: str | None = None, password: str = SECRET) -> HttpIndex:
    simple = index_url or f"{stub.url}simple/"
    return HttpIndex(stub.url, simple, Credentials("ci", password), patience=NO_WAIT)


def page(*links: str) -> str:
    return "<html><body>" + "".join(f'<a href="{href}">{href.split("#")[0]}</a>' for href in links) + "</body></html>"


PAGE = "GET /simple/demo/"
UPLOAD = "POST /"


# --- HTTP index -------------------------------------------------------------------


def test_new_file_is_uploaded_with_credentials(stub: Stub, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    stub.answer(UPLOAD, (200, "ok"))
    result = publish([wheel], http_index(stub))
    assert [f.outcome for f in result.files] == [Outcome.UPLOADED]
    assert stub.count(UPLOAD) == 1
    assert all(auth is not None and auth.startswith("Basic ") for _, _, auth in stub.seen)


def test_same_file_with_same_sha256_is_not_uploaded_again(stub: Stub, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    stub.answer(PAGE, (200, page(f"../../packages/{wheel.name}#sha256={sha256(wheel)}")))
    result = publish([wheel], http_index(stub))
    assert [f.outcome for f in result.files] == [Outcome.ALREADY_PUBLISHED]
    assert stub.count(UPLOAD) == 0


def test_same_filename_with_other_bytes_is_a_conflict_before_any_upload(stub: Stub, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "a")
    other = make_wheel(tmp_path / "b", name="other")
    stub.answer(PAGE, (200, page(f"/packages/{wheel.name}#sha256={'0' * 64}")))
    with pytest.raises(PublishConflict, match=r"version 1\.0\.0 already published with different content"):
        publish([other, wheel], http_index(stub))
    assert stub.count(UPLOAD) == 0


def test_page_without_hash_fragment_is_checked_by_downloading(stub: Stub, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    stub.answer(PAGE, (200, page(f"/files/{wheel.name}")))
    stub.answer(f"GET /files/{wheel.name}", (200, wheel.read_bytes()))
    assert publish([wheel], http_index(stub)).files[0].outcome is Outcome.ALREADY_PUBLISHED
    stub.answer(f"GET /files/{wheel.name}", (200, b"other bytes"))
    with pytest.raises(PublishConflict):
        publish([wheel], http_index(stub))


def test_upload_answered_already_exists_is_rechecked(stub: Stub, tmp_path: Path) -> None:
    # Another job uploaded the same bytes between our check and our upload.
    wheel = make_wheel(tmp_path)
    stub.answer(PAGE, (404, ""), (200, page(f"/packages/{wheel.name}#sha256={sha256(wheel)}")))
    stub.answer(UPLOAD, (409, "exists"))
    assert publish([wheel], http_index(stub)).files[0].outcome is Outcome.ALREADY_PUBLISHED


def test_5xx_and_connection_errors_are_retried_a_bounded_number_of_times(stub: Stub, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    stub.answer(PAGE, (503, ""), (502, ""), (404, ""))
    stub.answer(UPLOAD, (500, ""))
    with pytest.raises(PublishError, match=r"uploading demo-1.0.0-.*HTTP 500 .*\(gave up after 3 attempts in "):
        publish([wheel], http_index(stub))
    assert stub.count(PAGE) == 3
    assert stub.count(UPLOAD) == 3


def test_unreachable_index_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    index = HttpIndex(f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/simple/", Credentials(), patience=NO_WAIT)
    with pytest.raises(PublishError, match=r"failed: connection refused \(gave up after 3 attempts in "):
        publish([make_wheel(tmp_path)], index)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_never_show_the_secret(stub: Stub, tmp_path: Path, status: int) -> None:
    stub.answer(UPLOAD, (status, f"bad password {SECRET}"))
    with pytest.raises(PublishError) as caught:
        publish([make_wheel(tmp_path)], http_index(stub))
    message = str(caught.value)
    assert f"the index refused the credentials (HTTP {status})" in message
    assert "TWINE_PASSWORD" in message
    assert SECRET not in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_credentials_only_go_to_the_upload_host(stub: Stub, tmp_path: Path) -> None:
    other_origin = stub.url.replace("127.0.0.1", "localhost") + "simple/"
    stub.answer(UPLOAD, (200, "ok"))
    publish([make_wheel(tmp_path)], http_index(stub, index_url=other_origin))
    auth = {method: header for method, _, header in stub.seen}
    assert auth["GET"] is None
    assert auth["POST"] is not None


def test_redirected_upload_is_refused(stub: Stub, tmp_path: Path) -> None:
    stub.answer(UPLOAD, (301, ""))
    with pytest.raises(PublishError, match="redirected"):
        publish([make_wheel(tmp_path)], http_index(stub))


# --- directory index ---------------------------------------------------------------


def test_directory_index_publishes_converges_and_refuses_changes(tmp_path: Path) -> None:
    index = DirectoryIndex(tmp_path / "index")
    wheel = make_wheel(tmp_path / "dist")
    assert publish([wheel], index).files[0].outcome is Outcome.UPLOADED
    assert publish([wheel], index).files[0].outcome is Outcome.ALREADY_PUBLISHED
    project_page = tmp_path / "index" / "simple" / "demo" / "index.html"
    links = parse_project_page(project_page.read_text(), project_page.as_uri())
    assert [(link.filename, link.sha256) for link in links] == [(wheel.name, sha256(wheel))]
    assert 'href="demo/"' in (tmp_path / "index" / "simple" / "index.html").read_text()
    tampered = make_wheel(tmp_path / "tampered", payload="x = 2\n")
    with pytest.raises(PublishConflict, match=r"version 1\.0\.0 already published with different content"):
        publish([tampered], index)


def test_file_url_opens_a_directory_index(tmp_path: Path) -> None:
    index = open_index((tmp_path / "idx").as_uri())
    assert isinstance(index, DirectoryIndex)
    assert index.destination == (tmp_path / "idx" / "simple").as_uri()


# --- small pieces -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "simple"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
        (
            "https://repo.example/artifactory/api/pypi/pypi-local",
            "https://repo.example/artifactory/api/pypi/pypi-local/simple/",
        ),
        ("https://nexus.example/repository/pypi-hosted/", "https://nexus.example/repository/pypi-hosted/simple/"),
    ],
)
def test_simple_index_is_derived_from_the_upload_url(upload: str, simple: str) -> None:
    assert derive_index_url(upload) == simple


def test_urls_are_printed_without_credentials() -> None:
    assert display_url(f"https://ci:{SECRET}@repo.example/simple/") == "https://repo.example/simple/"
    assert SECRET not in repr(Credentials("ci", SECRET))


def test_credentials_come_from_twine_variables() -> None:
    env = {"TWINE_USERNAME": "ci", "TWINE_PASSWORD": SECRET}
    assert credentials_from_env(env).auth == ("ci", SECRET)
    assert credentials_from_env({}).auth is None


def test_project_page_links_resolve_and_carry_hashes() -> None:
    text = '<a href="../../packages/ss3_protos-1.0.0-py3-none-any.whl#sha256=abc">ss3_protos-1.0.0-py3-none-any.whl</a>'
    [link] = parse_project_page(text, "http://h/simple/ss3-protos/")
    assert link.url == "http://h/packages/ss3_protos-1.0.0-py3-none-any.whl"
    assert link.filename == "ss3_protos-1.0.0-py3-none-any.whl"
    assert link.sha256 == "abc"


@pytest.mark.parametrize("name", ["notes.txt", "not-a-wheel.whl"])
def test_only_wheels_and_sdists_are_published(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("x")
    with pytest.raises(ConfigError):
        read_distribution(path)


def test_non_http_repository_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="http"):
        open_index("ftp://example/")
