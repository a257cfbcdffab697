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
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import HeaderParser
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

from ss3_schema import atomic, redact, validate
from ss3_schema.errors import ConfigError, PublishConflict, PublishError, UsageError
from ss3_schema.redact import display_url
from ss3_schema.release.simple_index import IndexLink, parse_project_page, render_project_page, render_root_page
from ss3_schema.retry import Backoff, RetriesExhausted, send_with_retries
from ss3_schema.workspace import Workspace

ENV_REPOSITORY_URL = "TWINE_REPOSITORY_URL"
ENV_USERNAME = "TWINE_USERNAME"
ENV_PASSWORD = "TWINE_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ENV_CERT = "TWINE_CERT"
ENV_TIMEOUT = "SS3_PUBLISH_TIMEOUT"
SDIST_SUFFIX = ".tar.gz"
PROJECT = "ss3-protos"
# One attempt (connect, upload, answer) ends within this many seconds, however slowly the server trickles.
DEFAULT_TIMEOUT_S = 60.0
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
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetryPolicy:
        raw = (os.environ if env is None else env).get(ENV_TIMEOUT)
        if not raw:
            return cls()
        try:
            timeout = float(raw)
        except ValueError:
            timeout = 0.0
        if not timeout > 0:
            raise ConfigError(f"{ENV_TIMEOUT}={raw[:20]!r} is not a positive number of seconds")
        return cls(timeout_s=timeout)

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


def publish(files: Sequence[Path], index: Index, *, project: str | None = None) -> PublishResult:
    """Upload what the index lacks; skip identical files; refuse changed ones before any upload.

    `project` given: files of any other project are refused before anything is sent.
    """
    dists = [read_distribution(path) for path in files]
    strangers = [d.filename for d in dists if project is not None and d.project != canonicalize_name(project)]
    if strangers:
        raise UsageError(f"{', '.join(strangers)}: not a distribution of {project}; only {project} is published here")
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
    """Name, version and sha256 of a wheel or sdist whose metadata agrees with its filename."""
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
    meta_name, meta_version = _metadata_name_version(path)
    # An index keeps a file forever: one whose name lies about its content must never get there.
    if canonicalize_name(meta_name) != canonicalize_name(name) or meta_version != str(version):
        raise ConfigError(
            f"{path.name}: its metadata says {meta_name[:60]} {meta_version[:30]}, its filename {name} {version}; "
            "rebuild it instead of renaming it"
        )
    return Distribution(path, canonicalize_name(name), str(version), file_sha256(path))


def _metadata_name_version(path: Path) -> tuple[str, str]:
    """Name and Version from the METADATA of a wheel or the PKG-INFO of an sdist."""
    try:
        text = _wheel_metadata(path) if path.name.endswith(".whl") else _sdist_metadata(path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, UnicodeDecodeError):
        raise ConfigError(f"{path.name}: not a readable archive (truncated or corrupt)") from None
    if text is None:
        raise ConfigError(f"{path.name}: has no package metadata (METADATA or PKG-INFO)")
    headers = HeaderParser().parsestr(text)
    return str(headers.get("Name", "")).strip(), str(headers.get("Version", "")).strip()


def _wheel_metadata(path: Path) -> str | None:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            return None
        if archive.testzip() is not None:
            raise zipfile.BadZipFile(path.name)
        return archive.read(names[0]).decode("utf-8")


def _sdist_metadata(path: Path) -> str | None:
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                stream = archive.extractfile(member)
                return stream.read().decode("utf-8") if stream is not None else None
    return None


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
    """The index behind an upload URL: `file://` is a directory index, http(s) the upload API.

    Credentials in the URL are used when TWINE_USERNAME/TWINE_PASSWORD are not set; they are
    split off the URL here, so no request, message or result ever carries them.
    """
    if repository_url.strip().startswith("file:"):
        return DirectoryIndex(file_url_path(repository_url))
    upload = validate.service_url(repository_url, "repository URL (http(s):// or file://)")
    index = validate.service_url(index_url, "index URL") if index_url else None
    if credentials is None:
        credentials = Credentials.from_env()
        if credentials.auth is None and upload.username is not None:
            credentials = Credentials(upload.username, upload.password)
    return HttpIndex(
        upload.url,
        index.url if index else derive_index_url(upload.url),
        credentials,
        ca_bundle=ca_bundle,
        retry=retry or RetryPolicy.from_env(),
    )


def derive_index_url(repository_url: str) -> str:
    """The simple index beside an upload URL: `<url without trailing /legacy>/simple/`."""
    parts = urlsplit(repository_url)
    path = parts.path.rstrip("/").removesuffix("/legacy")
    return parts._replace(path=f"{path}/simple/", query="", fragment="").geturl()


def file_url_path(url: str) -> Path:
    parts = urlsplit(url.strip())
    if parts.netloc not in ("", "localhost"):
        raise ConfigError(f"file URL must name a local directory: {display_url(url)!r}")
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
        # Given per request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's verify.
        self._verify: str | bool = ca_bundle or True
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        redact.register_secret(credentials.password)

    @property
    def destination(self) -> str:
        return display_url(self.upload_url)

    def published(self, project: str) -> dict[str, IndexLink]:
        page = urljoin(self.index_url, f"{project}/")
        response = self._send("GET", page, f"reading {display_url(page)}", headers={"Accept": "text/html"})
        if response.status_code == 404:
            return {}
        self._require_success(response, f"reading {display_url(page)}")
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
                timeout=self._retry.timeout_s,
                verify=self._verify,
                allow_redirects=allow_redirects,
            )

        try:
            return send_with_retries(
                attempt, attempts=self._retry.attempts, backoff=self._retry.backoff, deadline_s=self._retry.timeout_s
            )
        except requests.exceptions.SSLError:
            raise PublishError(f"{what}: TLS verification failed; set {ENV_CERT} to the CA bundle") from None
        except RetriesExhausted as exhausted:
            reason = exhausted_reason(exhausted, self._retry.timeout_s)
            raise PublishError(f"{what}: {reason} ({exhausted.attempts} attempts)") from None
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
            where = display_url(response.headers.get("Location", "?"))
            raise PublishError(f"{what}: redirected to {where}; configure that URL instead")
        if not 200 <= status < 300:
            raise PublishError(f"{what}: HTTP {status} {redact.server_text(response.reason or '')}".rstrip())

    def _credential_hint(self) -> str:
        if self._credentials.auth is None:
            return f"set {ENV_USERNAME} and {ENV_PASSWORD}"
        return f"check {ENV_USERNAME} and {ENV_PASSWORD}"


def exhausted_reason(exhausted: RetriesExhausted, timeout_s: float) -> str:
    if exhausted.response is not None:
        return f"HTTP {exhausted.response.status_code} {redact.server_text(exhausted.response.reason or '')}".rstrip()
    if isinstance(exhausted.error, requests.Timeout):
        return f"no complete answer within {timeout_s:g}s"
    return "cannot connect"


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
        with atomic.locked(self.simple):
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise atomic.output_error(directory, exc) from None
            if (directory / dist.filename).exists():
                return False
            atomic.write_file(directory / dist.filename, dist.path.read_bytes())
            self._write_pages(dist.project)
        return True

    def _write_pages(self, project: str) -> None:
        files = [(name, link.hashes["sha256"]) for name, link in self.published(project).items()]
        atomic.write_file(self.simple / project / "index.html", render_project_page(project, files).encode())
        projects = sorted(p.name for p in self.simple.iterdir() if p.is_dir())
        atomic.write_file(self.simple / "index.html", render_root_page(projects).encode())


def _is_index_internal(name: str) -> bool:
    return name == "index.html" or name.startswith(".")
