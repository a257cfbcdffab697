"""A small client of the Apicurio Registry REST API v3, with retries and timeouts.

Connection errors, timeouts and 5xx answers are retried with exponential
backoff (bounded attempts, bounded sleeps); 4xx answers never are, because
the same request would get the same answer. Retrying createArtifact is safe:
registration uses ifExists=FIND_OR_CREATE_VERSION, so a retry of a request
whose answer was lost finds the version the first attempt created.

Every HTTP attempt, including retries and token requests, is counted in
`requests_sent` (the benchmark reports it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests

from ss3_schema import http, redact, validate
from ss3_schema.errors import ConfigError, RegistryError
from ss3_schema.redact import display_url
from ss3_schema.registry.auth import (
    BasicAuth,
    BearerToken,
    ClientCredentials,
    Credentials,
    NoAuth,
    RegistryAuthError,
    TokenSource,
    credentials_from_env,
)

API_PATH = "/apis/registry/v3"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 4
BACKOFF = http.Backoff(base_s=0.5, cap_s=8.0, jitter=True)
PAGE_SIZE = 500
TIMEOUT_ENV = "SS3_REGISTRY_TIMEOUT"
RETRIES_ENV = "SS3_REGISTRY_RETRIES"
CA_BUNDLE_ENV = "SS3_REGISTRY_CA_BUNDLE"
RULE_VIOLATION = "RuleViolationException"

Number = TypeVar("Number", int, float)


@dataclass(frozen=True)
class Connection:
    """Where the registry is and how patiently to talk to it."""

    url: str  # without user:password@
    timeout: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    ca_bundle: Path | None = None
    url_credentials: BasicAuth | None = field(default=None, repr=False)  # from user:password@ in the URL

    @property
    def display_url(self) -> str:
        return display_url(self.url)

    @property
    def patience(self) -> http.Patience:
        return http.Patience(self.timeout, self.retries + 1, BACKOFF)


def connection_from_env(
    url: str,
    env: Mapping[str, str],
    *,
    timeout: float | None = None,
    retries: int | None = None,
    ca_bundle: Path | None = None,
) -> Connection:
    """Options win over SS3_REGISTRY_TIMEOUT/_RETRIES/_CA_BUNDLE, which win over defaults."""
    if timeout is None:
        timeout = _env_number(env, TIMEOUT_ENV, float, DEFAULT_TIMEOUT_S)
    if retries is None:
        retries = _env_number(env, RETRIES_ENV, int, DEFAULT_RETRIES)
    if ca_bundle is None and env.get(CA_BUNDLE_ENV):
        ca_bundle = Path(env[CA_BUNDLE_ENV])
    if timeout <= 0 or retries < 0:
        raise ConfigError("registry timeout must be > 0 and retries >= 0")
    if ca_bundle is not None and not ca_bundle.is_file():
        raise ConfigError(f"CA bundle {ca_bundle} does not exist")
    parsed = validate.service_url(url, "registry URL")
    credentials = BasicAuth(parsed.username, parsed.password or "") if parsed.username is not None else None
    return Connection(_base_url(parsed.url), timeout, retries, ca_bundle, credentials)


def _env_number(env: Mapping[str, str], name: str, kind: Callable[[str], Number], default: Number) -> Number:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None


def _base_url(url: str) -> str:
    parts = urlsplit(url)
    # Accept the API root as well as the server root.
    path = parts.path.rstrip("/").removesuffix(API_PATH)
    return display_url(urlunsplit((parts.scheme, parts.netloc, path, "", "")))


@dataclass(frozen=True)
class Reference:
    """An ArtifactReference: `name` is the exact import string of the .proto file."""

    group_id: str
    artifact_id: str
    version: str
    name: str

    def as_json(self) -> dict[str, str]:
        return {"groupId": self.group_id, "artifactId": self.artifact_id, "version": self.version, "name": self.name}


@dataclass(frozen=True)
class NewContent:
    """One artifact version to create (or find, when the content is already there)."""

    artifact_id: str
    artifact_type: str
    content: str
    content_type: str
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class VersionInfo:
    artifact_id: str
    version: str
    global_id: int
    content_id: int = 0  # the same for every version with the same content and references


@dataclass(frozen=True)
class Cause:
    description: str
    context: str

    def __str__(self) -> str:
        return f"{self.description} at {self.context}" if self.context else self.description


@dataclass(frozen=True)
class Rejection:
    """The server's rules refused a version; `causes` say why."""

    title: str
    causes: tuple[Cause, ...]


class RegistryClient:
    """The REST v3 calls registration needs, over one keep-alive session; usable from several threads."""

    def __init__(
        self,
        connection: Connection,
        credentials: Credentials,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        self._credentials = credentials
        ca_bundle = str(connection.ca_bundle) if connection.ca_bundle else None
        tls_hint = f"pass --ca-bundle or set {CA_BUNDLE_ENV} if it uses a private CA"
        self._http = http.HttpTransport(
            connection.patience,
            error=RegistryError,
            tls_hint=tls_hint,
            ca_bundle=ca_bundle,
            session=session,
            sleep=sleep,
        )
        self._tokens = TokenSource(credentials, self._post_form) if isinstance(credentials, ClientCredentials) else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        """Every HTTP attempt so far, retries and token requests included."""
        return self._http.requests_sent

    def close(self) -> None:
        self._http.close()

    # -- registration ------------------------------------------------------

    def create_or_find(self, group: str, new: NewContent, *, dry_run: bool = False) -> VersionInfo | Rejection:
        """createArtifact with ifExists=FIND_OR_CREATE_VERSION&canonical=true.

        An existing version with the same canonical content and references is
        returned as is; otherwise a new version is created, rules permitting.
        """
        params = {"ifExists": "FIND_OR_CREATE_VERSION", "canonical": "true", "dryRun": str(dry_run).lower()}
        body = {
            "artifactId": new.artifact_id,
            "artifactType": new.artifact_type,
            "firstVersion": {
                "content": {
                    "content": new.content,
                    "contentType": new.content_type,
                    "references": [ref.as_json() for ref in new.references],
                }
            },
        }
        response = self._call("POST", f"/groups/{_seg(group)}/artifacts", params=params, json=body)
        if response.status_code == 200:
            return _version_info(_json_field(response, "version", f"registering {new.artifact_id}"))
        rejection = _rejection(response)
        if rejection is None:
            raise self._unexpected(response, f"registering {new.artifact_id}")
        return rejection

    def dry_run_as_reader(self, group: str, new: NewContent, *, exists: bool) -> VersionInfo | Rejection:
        """The registry's verdict on `new` with read permission only; nothing is stored.

        Apicurio 3.3 lets `sr-readonly` dry-run createArtifactVersion (existing
        artifacts) and createArtifact without ifExists (new ones), and refuses it
        the ifExists=FIND_OR_CREATE_VERSION dry run of an existing artifact (403);
        measured by tests/hostile/test_issue17.py. The rules run as for a real
        registration (UPDATE for a new version).
        """
        content = {
            "content": new.content,
            "contentType": new.content_type,
            "references": [ref.as_json() for ref in new.references],
        }
        doing = f"dry-running {new.artifact_id}"
        if exists:
            path = f"/groups/{_seg(group)}/artifacts/{_seg(new.artifact_id)}/versions"
            body: dict[str, Any] = {"content": content}
        else:
            path = f"/groups/{_seg(group)}/artifacts"
            body = {
                "artifactId": new.artifact_id,
                "artifactType": new.artifact_type,
                "firstVersion": {"content": content},
            }
        response = self._call("POST", path, params={"dryRun": "true"}, json=body)
        if response.status_code == 200:
            return _version_info(response.json() if exists else _json_field(response, "version", doing))
        rejection = _rejection(response)
        if rejection is None:
            raise self._unexpected(response, doing)
        return rejection

    def create_version(self, group: str, new: NewContent) -> VersionInfo | Rejection:
        """A new version of an existing artifact, even when an older version has the same content."""
        body = {
            "content": {
                "content": new.content,
                "contentType": new.content_type,
                "references": [ref.as_json() for ref in new.references],
            }
        }
        path = f"/groups/{_seg(group)}/artifacts/{_seg(new.artifact_id)}/versions"
        response = self._call("POST", path, json=body)
        if response.status_code == 200:
            return _version_info(response.json())
        rejection = _rejection(response)
        if rejection is None:
            raise self._unexpected(response, f"adding a version to {new.artifact_id}")
        return rejection

    def set_branch(self, group: str, artifact_id: str, branch: str, version: str) -> None:
        """Make `branch` of the artifact hold exactly `version` (created if missing; idempotent).

        Serdes resolve it with the version expression `branch=<branch>`.
        """
        branches = f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/branches"
        doing = f"putting version {version} of {artifact_id} on branch {branch}"
        replace = {"versions": [version]}
        response = self._call("PUT", f"{branches}/{_seg(branch)}/versions", json=replace)
        if response.status_code == 404:
            response = self._call("POST", branches, json={"branchId": branch, **replace})
            if response.status_code == 409:
                # Created by a concurrent run between our PUT and POST: replace its versions.
                response = self._call("PUT", f"{branches}/{_seg(branch)}/versions", json=replace)
        if response.status_code not in (200, 204):
            raise self._unexpected(response, doing)

    def latest_version(self, group: str, artifact_id: str) -> VersionInfo | None:
        """The version serdes resolve as `latest` (branch=latest); None when the artifact does not exist."""
        path = f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/versions/branch=latest"
        response = self._call("GET", path)
        if response.status_code == 404:
            return None
        self._expect(response, 200, f"reading the latest version of {artifact_id}")
        return _version_info(response.json())

    def group_versions(self, group: str) -> list[VersionInfo]:
        """Every version in the group, oldest first (paged search, not one call per artifact)."""
        found: list[VersionInfo] = []
        for page in self._search_pages(group):
            found += page
        return found

    def _search_pages(self, group: str) -> Iterator[list[VersionInfo]]:
        offset = 0
        while True:
            params = {"groupId": group, "limit": PAGE_SIZE, "offset": offset, "orderby": "globalId", "order": "asc"}
            response = self._call("GET", "/search/versions", params=params)
            doing = f"listing the versions of group {group}"
            self._expect(response, 200, doing)
            items = _json_field(response, "versions", doing)
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise _malformed(response, doing, "`versions` is not a list of objects")
            yield [_version_info(item, response, doing) for item in items]
            offset += len(items)
            if len(items) < PAGE_SIZE:
                return

    # -- rules ---------------------------------------------------------------

    def get_rule(self, group: str, artifact_id: str, rule_type: str) -> str | None:
        """The artifact's own rule level, or None when it has none."""
        response = self._call("GET", self._rule_path(group, artifact_id, rule_type))
        if response.status_code == 404:
            return None
        doing = f"reading the {rule_type} rule of {artifact_id}"
        self._expect(response, 200, doing)
        return str(_json_field(response, "config", doing))

    def create_rule(self, group: str, artifact_id: str, rule_type: str, config: str) -> bool:
        """Add the rule; False when the artifact already has one of that type (409)."""
        path = f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/rules"
        response = self._call("POST", path, json={"ruleType": rule_type, "config": config})
        if response.status_code == 409:
            return False
        self._expect(response, 204, f"adding the {rule_type} rule to {artifact_id}")
        return True

    def update_rule(self, group: str, artifact_id: str, rule_type: str, config: str) -> None:
        path = self._rule_path(group, artifact_id, rule_type)
        response = self._call("PUT", path, json={"ruleType": rule_type, "config": config})
        self._expect(response, 200, f"updating the {rule_type} rule of {artifact_id}")

    @staticmethod
    def _rule_path(group: str, artifact_id: str, rule_type: str) -> str:
        return f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/rules/{rule_type}"

    # -- transport -----------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One registry request with credentials; 401/403 become RegistryAuthError."""
        auth: tuple[str, str] | None = None
        headers = {"Accept": "application/json"}
        if isinstance(self._credentials, BasicAuth):
            auth = (self._credentials.username, self._credentials.password)
        elif isinstance(self._credentials, BearerToken):
            headers["Authorization"] = f"Bearer {self._credentials.token}"
        elif self._tokens is not None:
            headers["Authorization"] = f"Bearer {self._tokens.token()}"
        url = self.connection.url + API_PATH + path
        where = f"registry at {self.connection.display_url}"
        response = self._send(method, url, where, auth=auth, headers=headers, **kwargs)
        if response.status_code in (401, 403):
            raise self._refused(response.status_code)
        return response

    def _refused(self, status: int) -> RegistryAuthError:
        where = f"registry at {self.connection.display_url}"
        if isinstance(self._credentials, NoAuth):
            return RegistryAuthError(f"{where} requires credentials (HTTP {status}); {self._credentials.describe()}")
        if status == 403:
            # Authenticated, but the account's role does not allow this (sr-readonly writing, say).
            return RegistryAuthError(
                f"{where} denied {self._credentials.describe()} (HTTP 403): the account lacks a role that may do this"
            )
        return RegistryAuthError(f"{where} refused the credentials (HTTP {status}) for {self._credentials.describe()}")

    def _post_form(self, url: str, form: dict[str, str]) -> requests.Response:
        where = f"token endpoint {display_url(url)}"
        return self._send("POST", url, where, data=form, headers={"Accept": "application/json"})

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> requests.Response:
        # No redirects: a 307 would re-send the body (a client secret, say) to wherever it points.
        return self._http.send(method, url, where, **kwargs)

    # -- answers ---------------------------------------------------------------

    def _expect(self, response: requests.Response, status: int, doing: str) -> None:
        if response.status_code != status:
            raise self._unexpected(response, doing)

    def _unexpected(self, response: requests.Response, doing: str) -> RegistryError:
        return RegistryError(f"registry answered HTTP {response.status_code} {doing}: {_problem_title(response)}")


def connect(connection: Connection, env: Mapping[str, str] | None = None) -> RegistryClient:
    """A client with the credentials the environment configures, else those in the URL."""
    credentials = credentials_from_env(os.environ if env is None else env)
    if isinstance(credentials, NoAuth) and connection.url_credentials is not None:
        credentials = connection.url_credentials
    return RegistryClient(connection, credentials)


def _seg(value: str) -> str:
    """One path segment, every reserved character encoded; a dot segment is refused, never sent.

    Artifact ids are import paths ("ss3/common/v1/money.proto"): the slashes
    must be escaped to stay one segment. `.` and `..` would be normalised by the
    HTTP client or the server into another resource, encoded or not.
    """
    return http.segment(validate.registry_id(value, "registry id"))


def _version_info(item: Any, response: requests.Response | None = None, doing: str = "") -> VersionInfo:
    try:
        content_id = item.get("contentId")
        return VersionInfo(
            str(item["artifactId"]),
            str(item["version"]),
            int(item["globalId"]),
            int(content_id) if isinstance(content_id, int) else 0,
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise _malformed(response, doing, "a version lacks artifactId, version or a numeric globalId") from None


def _json_field(response: requests.Response, key: str, doing: str) -> Any:
    """`key` of the JSON object the server answered; RegistryError if the answer is anything else."""
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        raise _malformed(response, doing, f"the answer is not JSON ({redact.server_text(kind)})") from None
    if not isinstance(body, dict) or key not in body:
        raise _malformed(response, doing, f"the answer is not a JSON object with `{key}`")
    return body[key]


def _malformed(response: requests.Response | None, doing: str, what: str) -> RegistryError:
    status = f"HTTP {response.status_code} " if response is not None else ""
    return RegistryError(f"registry answered {status}{doing}, but {what}; is the URL an Apicurio Registry 3.x?")


def _rejection(response: requests.Response) -> Rejection | None:
    """A rule violation: 400 since 3.3, 409 before and with legacy error codes.

    Other 409s (e.g. ArtifactAlreadyExists) are told apart by the problem's
    `name`, or by the `causes` list only rule violations carry.
    """
    if response.status_code not in (400, 409):
        return None
    body = _json_object(response)
    if body.get("name") != RULE_VIOLATION and "causes" not in body:
        return None
    raw_causes = body.get("causes")
    causes = tuple(
        Cause(redact.server_text(str(c.get("description", ""))), redact.server_text(str(c.get("context", ""))))
        for c in (raw_causes if isinstance(raw_causes, list) else [])
        if isinstance(c, dict)
    )
    title = redact.server_text(str(body.get("title") or body.get("message") or "rule violation"))
    if not causes:
        # VALIDITY violations carry no causes; the parser's message is in `detail`.
        causes = (Cause(redact.server_text(str(body.get("detail") or title)), ""),)
    return Rejection(title, causes)


def _problem_title(response: requests.Response) -> str:
    # The server's words are untrusted: one that reflects the request would echo its credentials.
    body = _json_object(response)
    return redact.server_text(str(body.get("title") or body.get("message") or response.reason or "no details"))


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
