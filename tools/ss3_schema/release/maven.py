"""Stage: deploy com.shopstar3:ss3-protos to a Maven repository, idempotently.

The repository's own checksum of the jar decides, as the index's sha256
does for the wheel: the same bytes are already published (skipped, so a
re-run converges); other bytes under the same version are a conflict no
upload may paper over; no jar yet means deploy. A deploy PUTs what `mvn
deploy` would: POM, jar, their checksums and the artifact's
maven-metadata.xml. The jar's checksums go last, so a deploy that stopped
half-way is not mistaken for a finished one (its jar is then compared by
its bytes and the deploy finished).

Two kinds of repository: HTTP(S) with PUT and basic auth (Nexus,
Artifactory, Reposilite, a WebDAV server) and a directory (`file://`, or
dist/maven on a laptop) that Maven reads as `file:///…/dist/maven`.
Credentials come only from SS3_MAVEN_USERNAME / SS3_MAVEN_PASSWORD and never
appear in messages; TLS is verified (SS3_MAVEN_CA_BUNDLE for a private CA);
SS3_PUBLISH_TIMEOUT bounds each attempt, as for the package index.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests
from packaging.version import InvalidVersion, Version

from ss3_schema import atomic, http, validate
from ss3_schema.artifacts.jar import ARTIFACT_ID, GROUP_ID, MavenArtifact, artifact_paths
from ss3_schema.errors import ConfigError, PublishConflict, PublishError
from ss3_schema.http import Patience
from ss3_schema.redact import display_url
from ss3_schema.release.target import (
    Credentials,
    Decision,
    Endpoint,
    Held,
    Outcome,
    Variables,
    conflict,
    decide,
    digest_of,
    file_url_path,
    patience_from_env,
)
from ss3_schema.workspace import Workspace, read_version

ENV_REPOSITORY_URL = "SS3_MAVEN_REPOSITORY_URL"
ENV_USERNAME = "SS3_MAVEN_USERNAME"
ENV_PASSWORD = "SS3_MAVEN_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ENV_CA_BUNDLE = "SS3_MAVEN_CA_BUNDLE"
LOCAL_REPOSITORY_DIR = "maven"
# What Maven writes beside every deployed file.
CHECKSUMS = ("md5", "sha1", "sha256", "sha512")
# Which of them decides: the strong ones first, sha1 because every repository
# holds it; never md5.
TRUSTED_CHECKSUMS = ("sha256", "sha512", "sha1")
HEX = re.compile(r"[0-9a-f]+")
ARTIFACT_PATH = f"{GROUP_ID.replace('.', '/')}/{ARTIFACT_ID}"
METADATA = f"{ARTIFACT_PATH}/maven-metadata.xml"
USER_AGENT = "ss3-schema-maven"
VARIABLES = Variables(ENV_USERNAME, ENV_PASSWORD, ENV_CA_BUNDLE)


@dataclass(frozen=True)
class Deployed:
    coordinates: str
    destination: str
    outcome: Outcome


class Repository(Protocol):
    """A Maven repository by relative path; `destination` is printable."""

    @property
    def destination(self) -> str: ...

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when the repository has no such file."""

    def write(self, path: str, data: bytes) -> None: ...


# --- choosing the repository ---------------------------------------------------


def open_repository(
    url: str,
    *,
    credentials: Credentials | None = None,
    ca_bundle: str | None = None,
    patience: Patience | None = None,
) -> Repository:
    """`file://` is a directory, http(s) a repository that accepts PUT."""
    if url.strip().startswith("file:"):
        return DirectoryRepository(file_url_path(url))
    parsed = validate.service_url(url, f"{ENV_REPOSITORY_URL} (http(s):// or file://)")
    if (credentials is None or credentials.auth is None) and parsed.username is not None:
        credentials = Credentials(parsed.username, parsed.password)
    return HttpRepository(parsed.url, credentials or Credentials(), ca_bundle=ca_bundle, patience=patience)


def repository_from_env(env: Mapping[str, str] | None = None, *, required: bool = False) -> Repository | None:
    """The repository SS3_MAVEN_REPOSITORY_URL names; None (or, if required, an error) when unset."""
    env = os.environ if env is None else env
    url = env.get(ENV_REPOSITORY_URL) or None
    if url is None:
        if required:
            raise ConfigError(f"no Maven repository configured in CI: set {ENV_REPOSITORY_URL} (or pass --local)")
        return None
    credentials = Credentials.from_env(env, ENV_USERNAME, ENV_PASSWORD)
    ca_bundle = env.get(ENV_CA_BUNDLE) or None
    return open_repository(url, credentials=credentials, ca_bundle=ca_bundle, patience=patience_from_env(env))


def local_repository(ws: Workspace) -> DirectoryRepository:
    """dist/maven: the laptop's stand-in for the company repository."""
    return DirectoryRepository(ws.dist_dir / LOCAL_REPOSITORY_DIR)


# --- the release step ----------------------------------------------------------


def release_step(
    ws: Workspace, artifact: MavenArtifact, repository: Repository | None, *, local: bool
) -> tuple[str, str]:
    """Deploy the built jar; (outcome, detail) for the release summary.

    A local trial deploys into dist/maven even when a repository is configured:
    a trial changes nothing outside the checkout.
    """
    if local:
        result = _deploy_trial(ws, artifact)
        return f"{result.outcome} (local)", f"{result.coordinates} on {result.destination}"
    if repository is None:
        return "not configured", f"set {ENV_REPOSITORY_URL} to publish {artifact.coordinates}"
    result = deploy(artifact, repository)
    return str(result.outcome), f"{result.coordinates} on {result.destination}"


def _deploy_trial(ws: Workspace, artifact: MavenArtifact) -> Deployed:
    try:
        return deploy(artifact, local_repository(ws))
    except PublishConflict as refused:
        trials = ws.relative(ws.dist_dir / LOCAL_REPOSITORY_DIR)
        raise PublishConflict(
            f"{refused}. This is the local trial repository, holding an earlier trial of another commit: "
            f"`rm -rf {trials}` discards the trials, then run the release again"
        ) from None


def built_artifact(ws: Workspace) -> MavenArtifact:
    """The jar and POM `ss3-schema build` left in dist/ for VERSION."""
    artifact = artifact_paths(ws, read_version(ws))
    for path in (artifact.jar, artifact.pom):
        if not path.is_file():
            raise ConfigError(f"no {ws.relative(path)}: run `ss3-schema build` first")
    return artifact


def deploy(artifact: MavenArtifact, repository: Repository) -> Deployed:
    """Deploy unless the repository holds this version already: same bytes skip, other bytes refuse."""
    jar_path = f"{_version_dir(artifact.version)}/{artifact.jar.name}"
    jar = artifact.jar.read_bytes()
    held = _held_jar(repository, jar_path)
    decision = decide(held, digest_of(jar))
    if decision is Decision.CONFLICT and held is not None:
        algorithm, theirs = next(iter(held.digests.items()))
        ours = digest_of(jar)(algorithm)
        details = f"{artifact.jar.name}: repository {algorithm} {theirs[:12]}, local {ours[:12]}"
        raise conflict(artifact.coordinates, repository.destination, details)
    if decision is Decision.SKIP:
        return Deployed(artifact.coordinates, repository.destination, Outcome.ALREADY_PUBLISHED)
    _upload(artifact, jar, repository)
    return Deployed(artifact.coordinates, repository.destination, Outcome.UPLOADED)


def _version_dir(version: str) -> str:
    return f"{ARTIFACT_PATH}/{version}"


def _held_jar(repository: Repository, jar_path: str) -> Held | None:
    """The digests of the jar the repository holds, or None when it holds none.

    Complete only with every checksum file present: a deploy interrupted between
    two of them is finished by the next run, not taken for a finished one.
    """
    # The deciding checksums first: the first read is the strongest one's.
    order = [*TRUSTED_CHECKSUMS, *(a for a in CHECKSUMS if a not in TRUSTED_CHECKSUMS)]
    files = {algorithm: repository.read(f"{jar_path}.{algorithm}") for algorithm in order}
    digests = {
        algorithm: _parse_checksum(text, f"{jar_path}.{algorithm}", algorithm)
        for algorithm in TRUSTED_CHECKSUMS
        if (text := files[algorithm]) is not None
    }
    complete = all(text is not None for text in files.values())
    if digests:
        return Held(digests, complete)
    data = repository.read(jar_path)
    return None if data is None else Held({"sha256": hashlib.sha256(data).hexdigest()}, complete=False)


def _parse_checksum(text: bytes, where: str, algorithm: str) -> str:
    # Checksum files hold the hex digest, sometimes followed by a file name.
    words = text.decode("ascii", errors="replace").split()
    digest = words[0].lower() if words else ""
    if not HEX.fullmatch(digest) or len(digest) != hashlib.new(algorithm).digest_size * 2:
        raise PublishError(f"{where}: not a {algorithm} checksum; the repository's copy needs a look")
    return digest


def _upload(artifact: MavenArtifact, jar: bytes, repository: Repository) -> None:
    directory = _version_dir(artifact.version)
    jar_path = f"{directory}/{artifact.jar.name}"
    _put_with_checksums(repository, f"{directory}/{artifact.pom.name}", artifact.pom.read_bytes())
    repository.write(jar_path, jar)
    metadata = merged_metadata(repository.read(METADATA), artifact.version)
    _put_with_checksums(repository, METADATA, metadata)
    for algorithm in CHECKSUMS:  # last: their presence marks a finished deploy
        repository.write(f"{jar_path}.{algorithm}", hashlib.new(algorithm, jar).hexdigest().encode())


def _put_with_checksums(repository: Repository, path: str, data: bytes) -> None:
    repository.write(path, data)
    for algorithm in CHECKSUMS:
        repository.write(f"{path}.{algorithm}", hashlib.new(algorithm, data).hexdigest().encode())


# --- maven-metadata.xml ---------------------------------------------------------

VERSION_ELEMENT = re.compile(r"<version>\s*([^<\s]+)\s*</version>")
VERSIONS_BLOCK = re.compile(r"<versions>(.*?)</versions>", re.DOTALL)


def merged_metadata(existing: bytes | None, version: str) -> bytes:
    """The artifact's maven-metadata.xml listing the versions it had plus `version`."""
    versions = _listed_versions(existing) if existing else []
    if version not in versions:
        versions.append(version)
    versions.sort(key=_version_key)
    newest = versions[-1]
    listed = "\n".join(f"      <version>{v}</version>" for v in versions)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>{GROUP_ID}</groupId>
  <artifactId>{ARTIFACT_ID}</artifactId>
  <versioning>
    <latest>{newest}</latest>
    <release>{newest}</release>
    <versions>
{listed}
    </versions>
    <lastUpdated>{time.strftime("%Y%m%d%H%M%S", time.gmtime())}</lastUpdated>
  </versioning>
</metadata>
""".encode()


def _listed_versions(existing: bytes) -> list[str]:
    # Read with a pattern, not an XML parser: the file comes from the server,
    # and only its <version> list matters. Anything odd in it is dropped.
    block = VERSIONS_BLOCK.search(existing.decode("utf-8", errors="replace"))
    found = VERSION_ELEMENT.findall(block.group(1)) if block else []
    return [v for v in found if re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._+-]*", v)]


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


# --- repositories ----------------------------------------------------------------


class DirectoryRepository:
    """A Maven repository layout in a directory, readable as `file://<root>`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def destination(self) -> str:
        return self.root.resolve().as_uri()

    def read(self, path: str) -> bytes | None:
        target = self.root / path
        return target.read_bytes() if target.is_file() else None

    def write(self, path: str, data: bytes) -> None:
        target = self.root / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise atomic.output_error(target.parent, exc) from None
        atomic.write_file(target, data)


class HttpRepository:
    """A repository that answers GET and accepts PUT with basic auth."""

    def __init__(
        self, url: str, credentials: Credentials, *, ca_bundle: str | None = None, patience: Patience | None = None
    ) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self._endpoint = Endpoint(
            credentials, VARIABLES, who="the repository", user_agent=USER_AGENT, ca_bundle=ca_bundle, patience=patience
        )

    @property
    def destination(self) -> str:
        return display_url(self.url)

    def read(self, path: str) -> bytes | None:
        what = f"reading {path} on {self.destination}"
        response = self._send("GET", path, what)
        if response.status_code == 404:
            return None
        self._require_success(response, what)
        return response.content

    def write(self, path: str, data: bytes) -> None:
        what = f"uploading {path} on {self.destination}"
        self._require_success(self._send("PUT", path, what, data=data), what)

    def _send(self, method: str, path: str, what: str, *, data: bytes | None = None) -> requests.Response:
        # A redirect is reported, not followed: the credentials stay with this host.
        url = self.url + http.path(*path.split("/"))
        return self._endpoint.http.send(method, url, what, data=data, auth=self._endpoint.credentials.auth)

    def _require_success(self, response: requests.Response, what: str) -> None:
        self._endpoint.require_success(response, what)
