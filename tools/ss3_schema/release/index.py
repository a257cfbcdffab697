"""Package indexes a wheel is published to: an HTTP index with the legacy upload API, or a directory.

An HTTP index (pypiserver, Artifactory, Nexus) is read through its PEP 503
project page, which lists each file with its sha256, and written through the
legacy upload API, as twine does. A directory under `file://` is a PEP 503
index pip can install from. Credentials come only from TWINE_USERNAME /
TWINE_PASSWORD (or the URL) and never appear in messages; TLS is verified
(TWINE_CERT names a private CA bundle).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests

from ss3_schema import atomic, http, validate
from ss3_schema.errors import ConfigError
from ss3_schema.http import Patience
from ss3_schema.redact import display_url
from ss3_schema.release.distribution import Distribution, file_sha256
from ss3_schema.release.simple_index import IndexLink, parse_project_page, render_project_page, render_root_page
from ss3_schema.release.target import Credentials, Endpoint, Held, Variables, file_url_path, patience_from_env

ENV_REPOSITORY_URL = "TWINE_REPOSITORY_URL"
ENV_USERNAME = "TWINE_USERNAME"
ENV_PASSWORD = "TWINE_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ENV_CERT = "TWINE_CERT"
USER_AGENT = "ss3-schema-publish"
VARIABLES = Variables(ENV_USERNAME, ENV_PASSWORD, ENV_CERT)


class Index(Protocol):
    """Where distributions are published; `destination` is printable."""

    @property
    def destination(self) -> str: ...

    def held(self, project: str) -> dict[str, Held]:
        """The project's files on the index, by filename (empty when the project is new)."""
        ...

    def upload(self, dist: Distribution) -> bool:
        """Upload one file; False when the index answers that the file already exists."""
        ...


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials:
    return Credentials.from_env(os.environ if env is None else env, ENV_USERNAME, ENV_PASSWORD)


def open_index(
    repository_url: str,
    *,
    index_url: str | None = None,
    credentials: Credentials | None = None,
    ca_bundle: str | None = None,
    patience: Patience | None = None,
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
        credentials = credentials_from_env()
        if credentials.auth is None and upload.username is not None:
            credentials = Credentials(upload.username, upload.password)
    return HttpIndex(
        upload.url,
        index.url if index else derive_index_url(upload.url),
        credentials,
        ca_bundle=ca_bundle,
        patience=patience or patience_from_env(),
    )


def derive_index_url(repository_url: str) -> str:
    """The simple index beside an upload URL: `<url without trailing /legacy>/simple/`."""
    parts = urlsplit(repository_url)
    path = parts.path.rstrip("/").removesuffix("/legacy")
    return parts._replace(path=f"{path}/simple/", query="", fragment="").geturl()


class HttpIndex:
    """An index with the legacy upload API and a PEP 503 simple index."""

    def __init__(
        self,
        upload_url: str,
        index_url: str,
        credentials: Credentials,
        *,
        ca_bundle: str | None = None,
        patience: Patience | None = None,
    ) -> None:
        self.upload_url = upload_url
        self.index_url = index_url if index_url.endswith("/") else index_url + "/"
        self._endpoint = Endpoint(
            credentials, VARIABLES, who="the index", user_agent=USER_AGENT, ca_bundle=ca_bundle, patience=patience
        )

    @property
    def destination(self) -> str:
        return display_url(self.upload_url)

    def held(self, project: str) -> dict[str, Held]:
        links = self._listed(project)
        return {name: Held({"sha256": link.sha256 or self._download_sha256(link)}) for name, link in links.items()}

    def _listed(self, project: str) -> dict[str, IndexLink]:
        page = urljoin(self.index_url, f"{http.segment(project)}/")
        what = f"reading {display_url(page)}"
        response = self._get(page, what, headers={"Accept": "text/html"})
        if response.status_code == 404:
            return {}
        self._require_success(response, what)
        return {link.filename: link for link in parse_project_page(response.text, response.url)}

    def _download_sha256(self, link: IndexLink) -> str:
        """The sha256 of a listed file whose page carries no sha256 fragment."""
        what = f"downloading {link.filename}"
        response = self._get(link.url, what)
        self._require_success(response, what)
        return hashlib.sha256(response.content).hexdigest()

    def _get(self, url: str, what: str, **kwargs: object) -> requests.Response:
        # Reading may follow the index to where it keeps its files (a CDN, say).
        return self._endpoint.http.send("GET", url, what, auth=self._auth_for(url), follow_redirects=True, **kwargs)

    def upload(self, dist: Distribution) -> bool:
        what = f"uploading {dist.filename} to {self.destination}"
        content = dist.path.read_bytes()
        response = self._endpoint.http.send(
            "POST",
            self.upload_url,
            what,
            data=upload_form(dist),
            files={"content": (dist.filename, content, "application/octet-stream")},
            auth=self._endpoint.credentials.auth,
        )
        if _says_already_exists(response):
            return False
        self._require_success(response, what)
        return True

    def _auth_for(self, url: str) -> tuple[str, str] | None:
        # Credentials are meant for the upload host; a simple index elsewhere
        # (a CDN, a proxy) reads anonymously, so they never leave that host.
        same_origin = urlsplit(url)[:2] == urlsplit(self.upload_url)[:2]
        return self._endpoint.credentials.auth if same_origin else None

    def _require_success(self, response: requests.Response, what: str) -> None:
        self._endpoint.require_success(response, what)


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

    def held(self, project: str) -> dict[str, Held]:
        return {name: Held({"sha256": sha256}) for name, sha256 in self._files(project).items()}

    def _files(self, project: str) -> dict[str, str]:
        directory = self.simple / project
        if not directory.is_dir():
            return {}
        files = [p for p in sorted(directory.iterdir()) if p.is_file() and not _is_index_internal(p.name)]
        return {p.name: file_sha256(p) for p in files}

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
        files = sorted(self._files(project).items())
        atomic.write_file(self.simple / project / "index.html", render_project_page(project, files).encode())
        projects = sorted(p.name for p in self.simple.iterdir() if p.is_dir())
        atomic.write_file(self.simple / "index.html", render_root_page(projects).encode())


def _is_index_internal(name: str) -> bool:
    return name == "index.html" or name.startswith(".")
