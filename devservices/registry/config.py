"""The server's configuration: Quarkus/Apicurio properties, written to a file only its user can read."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from devservices.common import HOST
from devservices.registry.errors import RegistryError

ADMIN_ROLE = "sr-admin"
RULE_TYPES = ("COMPATIBILITY", "VALIDITY", "INTEGRITY")


def _escape_property(value: str) -> str:
    # java.util.Properties treats backslash, ':' '=' and leading spaces specially.
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n")
    for char in ":= #!":
        escaped = escaped.replace(char, "\\" + char)
    # SmallRye Config would expand `${...}`; `\$` (written as `\\$`) is a literal `$`.
    return escaped.replace("$", "\\\\$")


def _auth_properties(users: Sequence[tuple[str, str]], roles: Mapping[str, str]) -> dict[str, str]:
    props = {
        "quarkus.http.auth.basic": "true",
        "quarkus.security.users.embedded.enabled": "true",
        "quarkus.security.users.embedded.plain-text": "true",
        # Without role checks any authenticated user may write; with them the
        # embedded users need the admin role, which they get below.
        "apicurio.auth.role-based-authorization": "true",
    }
    for user, password in users:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", user):
            raise RegistryError(f"basic-auth user name {user!r} must match [A-Za-z0-9_.-]+")
        props[f"quarkus.security.users.embedded.users.{user}"] = password
        props[f"quarkus.security.users.embedded.roles.{user}"] = roles.get(user, ADMIN_ROLE)
    return props


def server_properties(
    port: int,
    management_port: int,
    users: Sequence[tuple[str, str]],
    legacy_error_codes: bool,
    global_rules: Mapping[str, str],
    *,
    roles: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
) -> dict[str, str]:
    """Quarkus/Apicurio configuration for one isolated instance: in memory, or in H2 files under ``data_dir``."""
    props = {
        # Loopback only: this is an unauthenticated-by-default test server.
        "quarkus.http.host": HOST,
        "quarkus.http.port": str(port),
        "quarkus.management.host": HOST,
        "quarkus.management.port": str(management_port),
        "apicurio.storage.kind": "sql",
        "apicurio.storage.sql.kind": "h2",
        "apicurio.datasource.url": _datasource_url(data_dir),
        "apicurio.rest.legacy-error-codes.enabled": str(legacy_error_codes).lower(),
    }
    for rule_type, level in global_rules.items():
        props[f"apicurio.rules.global.{rule_type.lower()}"] = level
    if users:
        props.update(_auth_properties(users, roles or {}))
    return props


def _datasource_url(data_dir: Path | None) -> str:
    if data_dir is None:
        return "jdbc:h2:mem:registry"
    # Apicurio creates its tables when they are missing and keeps its id
    # sequences in them, so content ids survive a restart with the files.
    return f"jdbc:h2:file:{data_dir.resolve() / 'registry'}"


def write_config(state_dir: Path, props: Mapping[str, str]) -> None:
    # Quarkus reads ./config/application.properties from the working directory.
    # A file (mode 0600) keeps passwords out of the process list.
    config_dir = state_dir / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "application.properties"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        for key, value in props.items():
            handle.write(f"{key}={_escape_property(value)}\n")


def child_environment() -> dict[str, str]:
    # QUARKUS_*/APICURIO_* variables outrank config/application.properties;
    # drop them so a developer's shell cannot point the test server elsewhere.
    return {key: value for key, value in os.environ.items() if not key.startswith(("QUARKUS_", "APICURIO_"))}
