"""Property-based tests over every parser of outside input: whatever comes in, the answer is a
value or an Ss3SchemaError (one line, exit 1 or 2), never another exception, never a secret.

The redaction properties run against both places the one redaction lives: the tool's
module and the copy `gen` puts into the wheel's Kafka runtime (ss3.kafka._redact);
the runtime's Registry(...) gets the same URLs."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ss3.kafka import ConfigError, Registry
from ss3.kafka import _redact as wheel_redact
from ss3_schema import redact as tool_redact
from ss3_schema.errors import Ss3SchemaError
from ss3_schema.gate.bufconfig import image_config
from ss3_schema.registry.auth import NoAuth
from ss3_schema.registry.client import Connection, NewContent, RegistryClient
from ss3_schema.registry.openapi import load_openapi
from ss3_schema.release.simple_index import parse_project_page
from ss3_schema.validate import service_url, version
from ss3_schema.workspace import Workspace, read_version

from tests.helpers import examples

# Files are written into one directory per test; examples overwrite each other.
FILES = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FAST = settings(max_examples=examples(300), deadline=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@FAST
@given(st.text(max_size=30))
def test_version_is_a_plain_triple_or_refused(text: str) -> None:
    try:
        parsed = version(text, "VERSION")
    except Ss3SchemaError:
        return
    assert ".".join(str(part) for part in parsed) == text.strip()


@FILES
@given(st.binary(max_size=40))
def test_version_file_of_any_bytes_is_read_or_refused(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "VERSION").write_bytes(data)
    try:
        declared = read_version(Workspace(tmp_path))
    except Ss3SchemaError as exc:
        assert "\n" not in str(exc)
        return
    assert declared.count(".") == 2 and '"' not in declared


buf_blocks = st.dictionaries(
    st.sampled_from(["use", "except", "ignore", "ignore_only", "enum_zero_value_suffix"]), json_values, max_size=3
)


@FILES
@given(st.dictionaries(st.sampled_from(["lint", "breaking", "path"]), buf_blocks | json_values, max_size=3))
def test_buf_yaml_module_of_any_shape_is_read_or_refused(tmp_path: Path, module: dict[str, Any]) -> None:
    config = {"version": "v2", "modules": [{**module, "path": "proto"}]}
    (tmp_path / "buf.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    try:
        result = json.loads(image_config(tmp_path))
    except Ss3SchemaError as exc:
        assert str(exc).startswith("buf.yaml")
        return
    assert result["version"] == "v2"


@FILES
@given(st.binary(max_size=200))
def test_buf_yaml_of_any_bytes_is_read_or_refused(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "buf.yaml").write_bytes(data)
    try:
        image_config(tmp_path)
    except Ss3SchemaError as exc:
        assert str(exc).startswith("buf.yaml")


secrets = st.text(alphabet=string.ascii_letters + string.digits + "/#?@:!$&'()*+,;=-._~", min_size=6, max_size=24)
users = st.text(alphabet=string.ascii_letters + string.digits + "-._", min_size=1, max_size=10)
paths = st.text(alphabet=string.ascii_letters + string.digits + "/-._", max_size=20)


REDACTIONS = pytest.mark.parametrize("redact", [tool_redact, wheel_redact], ids=["tool", "wheel"])


def test_the_wheel_redacts_with_the_tools_module() -> None:
    assert Path(wheel_redact.__file__).read_bytes() == Path(tool_redact.__file__).read_bytes()


@REDACTIONS
@FAST
@given(users, secrets, st.integers(min_value=1, max_value=65535), paths)
def test_url_credentials_are_split_off_and_never_shown(
    redact: Any, user: str, password: str, port: int, path: str
) -> None:
    raw = f"https://{user}:{password}@registry.example:{port}/{path}"
    clean = f"https://registry.example:{port}/{path}"
    assume(password not in clean)
    assert redact.split_credentials(raw) == (clean, user, password)
    assert password not in redact.display_url(raw)
    assert password not in redact.scrub(f"POST {raw} failed")


def test_the_tool_splits_urls_as_the_redaction_does() -> None:
    parsed = service_url("https://svc:pa/ss@registry.example:8443/x", "registry URL")
    assert (parsed.url, parsed.username, parsed.password) == ("https://registry.example:8443/x", "svc", "pa/ss")


@REDACTIONS
@FAST
@given(st.text(max_size=60))
def test_any_url_text_is_shown_without_credentials(redact: Any, raw: str) -> None:
    shown = redact.display_url(raw)  # total: never raises
    clean, _, password = redact.split_credentials(raw)
    if password is not None and len(password) >= 4:
        assert password not in shown or password in clean


@FAST
@given(st.text(max_size=60))
def test_any_url_text_is_parsed_or_refused_without_echoing_credentials(raw: str) -> None:
    try:
        service_url(raw, "registry URL")
    except Ss3SchemaError as exc:
        if "@" in raw:
            userinfo = raw.partition("://")[2].rsplit("@", 1)[0]
            assume(len(userinfo) >= 4 and userinfo not in raw.rsplit("@", 1)[1])
            assert userinfo not in str(exc)


def _registry_outcome(**kwargs: Any) -> str:
    """What Registry(...) made of the arguments: its repr, or its ConfigError's message."""
    try:
        return repr(Registry(**kwargs))
    except ConfigError as error:
        assert "\n" not in str(error)
        return str(error)


@FAST
@given(users, secrets, st.integers(min_value=0, max_value=999999), paths, st.sampled_from(["https", "http", "ftp"]))
def test_registry_never_echoes_url_credentials(user: str, password: str, port: int, path: str, scheme: str) -> None:
    clean = f"{scheme}://registry.example:{port}/{path}"
    assume(password not in clean and password not in user)  # the user name is no secret
    assert password not in _registry_outcome(url=f"{scheme}://{user}:{password}@registry.example:{port}/{path}")


@FAST
@given(st.text(max_size=60))
def test_registry_of_any_url_text_is_built_or_a_config_error(raw: str) -> None:
    shown = _registry_outcome(url=raw)
    if "@" in raw:
        userinfo = raw.partition("://")[2].rsplit("@", 1)[0]
        assume(len(userinfo) >= 4 and userinfo not in raw.rsplit("@", 1)[1])
        assert userinfo not in shown


settings_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), st.binary(max_size=5), st.just([1])
)


@FAST
@given(
    st.fixed_dictionaries(
        {"url": st.just("https://registry.example")},
        optional={
            "username": settings_values,
            "password": st.just("s3cret-pass") | settings_values,
            "token": st.just("t0ken-value\n") | settings_values,
            "ca_bundle": settings_values,
            "timeout": settings_values,
            "retries": settings_values,
            "unknown_ttl": settings_values,
            "outage_ttl": settings_values,
        },
    )
)
def test_registry_settings_of_any_type_are_taken_or_a_config_error(kwargs: dict[str, Any]) -> None:
    shown = _registry_outcome(**kwargs)
    assert "s3cret-pass" not in shown and "t0ken-value" not in shown


class _Answering(requests.Session):
    """Answers every request with one canned response."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__()
        self._answer = (status, body, content_type)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = requests.Response()
        response.status_code, response._content = self._answer[0], self._answer[1]
        response.headers["Content-Type"] = self._answer[2]
        response.url = str(url)
        return response


registry_bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries({"versions": json_values}).map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries({"version": json_values, "config": json_values}).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=50),
)


@FAST
@given(
    st.sampled_from([200, 204, 400, 404, 409, 422]), registry_bodies, st.sampled_from(["application/json", "text/html"])
)
def test_registry_answers_of_any_shape_are_understood_or_refused(status: int, body: bytes, content_type: str) -> None:
    connection = Connection("http://registry.test", timeout=5, retries=0)
    new = NewContent("a-value", "PROTOBUF", 'syntax = "proto3";', "application/x-protobuf")
    for call in (
        lambda c: c.create_or_find("g", new),
        lambda c: c.group_versions("g"),
        lambda c: c.get_rule("g", "a", "COMPATIBILITY"),
        lambda c: c.create_rule("g", "a", "COMPATIBILITY", "BACKWARD"),
    ):
        client = RegistryClient(connection, NoAuth(), session=_Answering(status, body, content_type))
        try:
            call(client)
        except Ss3SchemaError as exc:
            assert "\n" not in str(exc)


url_like = st.lists(
    st.sampled_from(["http://", "//", "[", "]", ":", "::1", "#", "sha256=", "=", "/", "a.whl", "%", "%zz", "@", "?"]),
    max_size=8,
).map("".join)


@FAST
@given(st.text(max_size=300), st.lists(st.text(max_size=40) | url_like, max_size=5))
def test_index_project_pages_of_any_text_are_read(noise: str, hrefs: list[str]) -> None:
    page = noise + "".join(f'<a href="{href}">x</a>' for href in hrefs)
    for link in parse_project_page(page, "https://index.example/simple/ss3-protos/"):
        assert "#" not in link.url


@FILES
@given(
    st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda value: json.dumps(value).encode()),
        json_values.map(lambda value: yaml.safe_dump(value).encode()),
        st.fixed_dictionaries({"openapi": json_values, "info": json_values}).map(lambda v: yaml.safe_dump(v).encode()),
    )
)
def test_openapi_documents_of_any_content_are_loaded_or_refused(tmp_path: Path, data: bytes) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_bytes(data)
    try:
        artifact = load_openapi(spec, "api")
    except Ss3SchemaError as exc:
        assert str(exc).startswith(str(spec))
        return
    assert artifact.artifact_type == "OPENAPI"


@pytest.mark.parametrize("status", [200, 400])
def test_registry_answer_that_reflects_a_bearer_token_is_masked(status: int) -> None:
    body = json.dumps({"title": "Authorization: Bearer abc.def.ghi was refused", "name": "X"}).encode()
    client = RegistryClient(
        Connection("http://registry.test", timeout=5, retries=0),
        NoAuth(),
        session=_Answering(status + 100, body, "application/json"),
    )
    with pytest.raises(Ss3SchemaError) as raised:
        client.get_rule("g", "a", "COMPATIBILITY")
    assert "abc.def.ghi" not in str(raised.value)


registry_settings = st.sampled_from(
    [
        "SS3_REGISTRY_URL",
        "SS3_REGISTRY_USERNAME",
        "SS3_REGISTRY_TIMEOUT",
        "SS3_REGISTRY_RETRIES",
        "SS3_REGISTRY_UNKNOWN_TTL",
        "SS3_REGISTRY_OUTAGE_TTL",
    ]
)
# Secrets that cannot be mistaken for the words of a message.
marked_secrets = secrets.map(lambda text: f"Zq9{text}")


@FAST
@given(
    st.dictionaries(registry_settings, st.text(max_size=30) | url_like, max_size=6),
    st.dictionaries(st.sampled_from(["SS3_REGISTRY_PASSWORD", "SS3_REGISTRY_TOKEN"]), marked_secrets, max_size=2),
)
def test_registry_from_any_environment_is_built_or_a_config_error(
    settings_env: dict[str, str], secret_env: dict[str, str]
) -> None:
    env = settings_env | secret_env
    try:
        shown = repr(Registry.from_env(env))
    except ConfigError as error:
        shown = str(error)
    for secret in secret_env.values():
        if secret not in env.get("SS3_REGISTRY_URL", "") + env.get("SS3_REGISTRY_USERNAME", ""):
            assert secret not in shown
