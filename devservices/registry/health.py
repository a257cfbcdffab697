"""Asking a running server how it is: readiness and version, over loopback HTTP only."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from devservices.common import HOST
from devservices.registry.errors import RegistryError


def http_get(url: str, auth: tuple[str, str] | None, timeout: float = 2.0) -> tuple[int | None, bytes]:
    """GET a loopback URL: (status, body), status None when nothing answered."""
    if not url.startswith(f"http://{HOST}:"):
        raise RegistryError(f"refusing to query non-loopback URL {url}")
    request = urllib.request.Request(url)  # noqa: S310 - scheme checked above
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), b""
    except (urllib.error.URLError, OSError):
        return None, b""


def is_ready(port: int, management_port: int, auth: tuple[str, str] | None) -> bool:
    # Readiness covers storage; listing groups proves the REST layer and, when
    # auth is on, the credentials work (system/info is open to anonymous users).
    ready, _ = http_get(f"http://{HOST}:{management_port}/health/ready", None)
    groups, _ = http_get(f"http://{HOST}:{port}/apis/registry/v3/groups?limit=1", auth)
    return ready == 200 and groups == 200


def server_version(url: str, auth: tuple[str, str] | None) -> str | None:
    status, body = http_get(f"{url}/apis/registry/v3/system/info", auth, timeout=5)
    if status != 200:
        return None
    try:
        version = json.loads(body).get("version")
    except ValueError:
        return None
    return str(version) if version else None
