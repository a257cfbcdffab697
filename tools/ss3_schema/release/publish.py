"""Stage: publish wheels (and sdists) to a package index, idempotently.

Before uploading, the index's PEP 503 project page is read: a file with the
same name and the same sha256 is already published (a success, so re-running
a release converges); the same name with other bytes is a conflict that no
upload may paper over. twine's `--skip-existing` cannot do this for private
indexes (twine 6.2+ refuses it there), hence the check here.

Two kinds of index: an HTTP index (legacy upload API, e.g. pypiserver,
Artifactory, Nexus) and a directory under `file://` that pip can install from.
Credentials come only from TWINE_USERNAME / TWINE_PASSWORD and never appear
in messages; TLS is verified (TWINE_CERT names a private CA bundle).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from ss3_schema.errors import ConfigError, PublishConflict, PublishError
from ss3_schema.release.simple_index import IndexLink, parse_project_page, render_project_page, render_root_page
from ss3_schema.retry import Backoff, RetriesExhausted, send_with_retries
from ss3_schema.workspace import Workspace

ENV_REPOSITORY_URL = "TWINE_REPOSITORY_URL"
ENV_USERNAME = "TWINE_USERNAME"
ENV_PASSWORD = "TWINE_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ENV_CERT = "TWINE_CERT"
SDIST_SUFFIX = ".tar.gz"
TIMEOUT_S = (10.0, 120.0)  # (connect, read)
BACKOFF_CAP_S = 8.0
USER_AGENT = "ss3-schema-publish"


class Outcome(StrEnum):
    UPLOADED = "uploaded"
    ALREADY_PUBLISHED = "already published"


@dataclass(frozen=True)
class Distribution:
    """A local wheel or sdist: its project (normalized), version and sha256."""

    path: Path
    project: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class FilePublished:
    filename: str
    version: str
    sha256: str
    outcome: Outcome


@dataclass(frozen=True)
class PublishResult:
    """What happened to each file; `destination` is safe to print (no credentials)."""

    destination: str
    files: tuple[FilePublished, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome is outcome)


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        return cls(env.get(ENV_USERNAME) or None, env.get(ENV_PASSWORD) or None)

    @property
    def auth(self) -> tuple[str, str] | None:
        if self.username is None and self.password is None:
            return None
        return (self.username or "", self.password or "")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of connection errors and 5xx answers, with exponential backoff."""

    attempts: int = 4
    backoff_s: float = 1.0

    @property
    def backoff(self) -> Backoff:
        return Backoff(base_s=self.backoff_s, cap_s=BACKOFF_CAP_S)


class Index(Protocol):
    """Where distributions are published; `destination` is printable."""

    @property
    def destination(self) -> str: ...

    def published(self, project: str) -> dict[str, IndexLink]:
        """The project's files on the index, by filename (empty when the project is new)."""
        ...

    def sha256_of(self, link: IndexLink) -> str:
        """The sha256 of a listed file whose page carries no sha256 fragment."""
        ...

    def upload(self, dist: Distribution) -> bool:
        """Upload one file; False when the index answers that the file already exists."""
        ...


def publish(files: Sequence[Path], index: Index) -> PublishResult:
    """Upload what the index lacks; skip identical files; refuse changed ones before any upload."""
    dists = [read_distribution(path) for path in files]
    known = _index_sha256s(dists, index)
    _refuse_conflicts([(d, known[d.filename]) for d in dists if known.get(d.filename) not in (None, d.sha256)])
    published = [_publish_one(d, known.get(d.filename), index) for d in dists]
    return PublishResult(index.destination, tuple(published))


def _index_sha256s(dists: Sequence[Distribution], index: Index) -> dict[str, str]:
    """sha256 on the index of every local filename it already lists."""
    found: dict[str, str] = {}
    for project in sorted({d.project for d in dists}):
        links = index.published(project)
        for dist in (d for d in dists if d.project == project and d.filename in links):
            link = links[dist.filename]
            found[dist.filename] = link.sha256 or index.sha256_of(link)
    return found


def _refuse_conflicts(conflicts: Sequence[tuple[Distribution, str]]) -> None:
    if not conflicts:
        return
    details = "; ".join(f"{d.filename}: index sha256 {theirs[:12]}, local {d.sha256[:12]}" for d, theirs in conflicts)
    versions = ", ".join(sorted({d.version for d, _ in conflicts}))
    raise PublishConflict(
        f"version {versions} already published with different content ({details}); "
        "published files never change: bump VERSION"
    )


def _publish_one(dist: Distribution, index_sha256: str | None, index: Index) -> FilePublished:
    if index_sha256 is None and not index.upload(dist):
        # Another job won the race, or the index lists the file under another
        # name: only the bytes it now holds decide.
        index_sha256 = _index_sha256s([dist], index).get(dist.filename)
        if index_sha256 is None:
            raise PublishError(
                f"{dist.filename}: the index says it exists but its simple page does not list it; check --index-url"
            )
        _refuse_conflicts([(dist, index_sha256)] if index_sha256 != dist.sha256 else [])
    outcome = Outcome.UPLOADED if index_sha256 is None else Outcome.ALREADY_PUBLISHED
    return FilePublished(dist.filename, dist.version, dist.sha256, outcome)


def read_distribution(path: Path) -> Distribution:
    """Name, version and sha256 of a wheel or sdist, from its (standard) filename."""
    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
        elif path.name.endswith(SDIST_SUFFIX):
            name, version = parse_sdist_filename(path.name)
        else:
            raise ConfigError(f"{path.name}: not a wheel or sdist (.whl, {SDIST_SUFFIX})")
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    return Distribution(path, canonicalize_name(name), str(version), file_sha256(path))


def default_files(ws: Workspace) -> list[Path]:
    """Every wheel and sdist directly in dist/."""
    files = sorted(ws.dist_dir.glob("*.whl")) + sorted(ws.dist_dir.glob(f"*{SDIST_SUFFIX}"))
    if not files:
        raise ConfigError(f"no wheel in {ws.relative(ws.dist_dir)}/: run `ss3-schema build` first")
    return files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_index(
    repository_url: str,
    *,
    index_url: str | None = None,
    credentials: Credentials | None = None,
    ca_bundle: str | None = None,
    retry: RetryPolicy | None = None,
) -> Index:
    """The index behind an upload URL: `file://` is a directory index, http(s) the upload API."""
    if repository_url.startswith("file:"):
        return DirectoryIndex(file_url_path(repository_url))
    if urlsplit(repository_url).scheme not in ("http", "https"):
        raise ConfigError(f"repository URL must be http(s):// or file://, not {safe_url(repository_url)!r}")
    return HttpIndex(
        repository_url,
        index_url or derive_index_url(repository_url),
        credentials or Credentials.from_env(),
        ca_bundle=ca_bundle,
        retry=retry or RetryPolicy(),
    )


def derive_index_url(repository_url: str) -> str:
    """The simple index beside an upload URL: `<url without trailing /legacy>/simple/`."""
    parts = urlsplit(repository_url)
    path = parts.path.rstrip("/").removesuffix("/legacy")
    return parts._replace(path=f"{path}/simple/", query="", fragment="").geturl()


def safe_url(url: str) -> str:
    """The URL without user:password@, for messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def file_url_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ConfigError(f"file URL must name a local directory: {url!r}")
    return Path(url2pathname(unquote(parts.path)))


class HttpIndex:
    """An index with the legacy upload API and a PEP 503 simple index."""

    def __init__(
        self,
        upload_url: str,
        index_url: str,
        credentials: Credentials,
        *,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.upload_url = upload_url
        self.index_url = index_url if index_url.endswith("/") else index_url + "/"
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._session = requests.Session()
        self._session.verify = ca_bundle or True
        self._session.headers["User-Agent"] = USER_AGENT

    @property
    def destination(self) -> str:
        return safe_url(self.upload_url)

    def published(self, project: str) -> dict[str, IndexLink]:
        page = urljoin(self.index_url, f"{project}/")
        response = self._send("GET", page, f"reading {safe_url(page)}", headers={"Accept": "text/html"})
        if response.status_code == 404:
            return {}
        self._require_success(response, f"reading {safe_url(page)}")
        return {link.filename: link for link in parse_project_page(response.text, response.url)}

    def sha256_of(self, link: IndexLink) -> str:
        response = self._send("GET", link.url, f"downloading {link.filename}")
        self._require_success(response, f"downloading {link.filename}")
        return hashlib.sha256(response.content).hexdigest()

    def upload(self, dist: Distribution) -> bool:
        what = f"uploading {dist.filename} to {self.destination}"
        content = dist.path.read_bytes()
        response = self._send(
            "POST",
            self.upload_url,
            what,
            data=upload_form(dist),
            files={"content": (dist.filename, content, "application/octet-stream")},
            allow_redirects=False,
        )
        if _says_already_exists(response):
            return False
        self._require_success(response, what)
        return True

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        headers: dict[str, str] | None = None,
        data: list[tuple[str, str]] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        def attempt() -> requests.Response:
            return self._session.request(
                method,
                url,
                headers=headers,
                data=data,
                files=files,
                auth=self._auth_for(url),
                timeout=TIMEOUT_S,
                allow_redirects=allow_redirects,
            )

        try:
            return send_with_retries(attempt, attempts=self._retry.attempts, backoff=self._retry.backoff)
        except requests.exceptions.SSLError:
            raise PublishError(f"{what}: TLS verification failed; set {ENV_CERT} to the CA bundle") from None
        except RetriesExhausted as exhausted:
            raise PublishError(f"{what}: {exhausted_reason(exhausted)} ({exhausted.attempts} attempts)") from None
        except requests.RequestException as exc:
            raise PublishError(f"{what}: {type(exc).__name__}") from None

    def _auth_for(self, url: str) -> tuple[str, str] | None:
        # Credentials are meant for the upload host; a simple index elsewhere
        # (a CDN, a proxy) reads anonymously, so they never leave that host.
        same_origin = urlsplit(url)[:2] == urlsplit(self.upload_url)[:2]
        return self._credentials.auth if same_origin else None

    def _require_success(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status in (401, 403):
            raise PublishError(f"{what}: the index refused the credentials (HTTP {status}); {self._credential_hint()}")
        if 300 <= status < 400:
            where = safe_url(response.headers.get("Location", "?"))
            raise PublishError(f"{what}: redirected to {where}; configure that URL instead")
        if not 200 <= status < 300:
            raise PublishError(f"{what}: HTTP {status} {response.reason}")

    def _credential_hint(self) -> str:
        if self._credentials.auth is None:
            return f"set {ENV_USERNAME} and {ENV_PASSWORD}"
        return f"check {ENV_USERNAME} and {ENV_PASSWORD}"


def exhausted_reason(exhausted: RetriesExhausted) -> str:
    if exhausted.response is not None:
        return f"HTTP {exhausted.response.status_code} {exhausted.response.reason}"
    return "timed out" if isinstance(exhausted.error, requests.Timeout) else "cannot connect"


def _says_already_exists(response: requests.Response) -> bool:
    # pypiserver and CodeArtifact answer 409, PyPI and Nexus 400 with a reason.
    if response.status_code == 409:
        return True
    return response.status_code == 400 and "exist" in f"{response.reason} {response.text[:500]}".lower()


def upload_form(dist: Distribution) -> list[tuple[str, str]]:
    """The legacy upload API's form fields: twine's reading of the package metadata."""
    # Imported here: twine is only needed for an upload, and importing it
    # costs every other command a noticeable start-up delay.
    from twine.exceptions import TwineException  # noqa: PLC0415
    from twine.package import PackageFile  # noqa: PLC0415

    try:
        metadata = PackageFile.from_filename(str(dist.path), None).metadata_dictionary()
    except TwineException as exc:
        raise ConfigError(f"{dist.filename}: {exc}") from None
    fields = [(":action", "file_upload"), ("protocol_version", "1")]
    for key, value in metadata.items():
        fields.extend((key, item) for item in _form_values(key, value))
    return fields


def _form_values(key: str, value: object) -> list[str]:
    # The reverse of warehouse's form parsing, as twine's Repository does it.
    if isinstance(value, str):
        return [value]
    if key == "keywords" and isinstance(value, list):
        return [", ".join(value)]
    if isinstance(value, dict):
        return [f"{name}, {url}" for name, url in value.items()]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []  # signatures and attestations: never produced here


class DirectoryIndex:
    """A PEP 503 index in a directory: `<root>/simple/<project>/` holds the files and index.html."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.simple = root / "simple"

    @property
    def destination(self) -> str:
        return self.simple.resolve().as_uri()

    def published(self, project: str) -> dict[str, IndexLink]:
        directory = self.simple / project
        if not directory.is_dir():
            return {}
        files = [p for p in sorted(directory.iterdir()) if p.is_file() and not _is_index_internal(p.name)]
        return {p.name: IndexLink(p.name, p.resolve().as_uri(), {"sha256": file_sha256(p)}) for p in files}

    def sha256_of(self, link: IndexLink) -> str:
        return file_sha256(file_url_path(link.url))

    def upload(self, dist: Distribution) -> bool:
        directory = self.simple / dist.project
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / dist.filename).exists():
            return False
        write_atomically(directory / dist.filename, dist.path.read_bytes())
        self._write_pages(dist.project)
        return True

    def _write_pages(self, project: str) -> None:
        files = [(name, link.hashes["sha256"]) for name, link in self.published(project).items()]
        write_atomically(self.simple / project / "index.html", render_project_page(project, files).encode())
        projects = sorted(p.name for p in self.simple.iterdir() if p.is_dir())
        write_atomically(self.simple / "index.html", render_root_page(projects).encode())


def _is_index_internal(name: str) -> bool:
    return name == "index.html" or name.startswith(".")


def write_atomically(target: Path, data: bytes) -> None:
    # A reader (pip, a concurrent run) sees the old file or the new one, never half of it.
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
