"""The runtime's registry client: configuration from the environment, credentials, TLS.

A loopback server stands in for the registry where the real one cannot show the
behaviour: it refuses every request that lacks the expected credentials, or
serves TLS with a certificate no public CA signed.
"""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ss3.kafka import ConfigError, Registry, RegistryAuthError, RegistryError

from tests.loopback import LoopbackServer

pytestmark = pytest.mark.integration

SCHEMA = b'syntax = "proto3";\npackage ss3.orders.v1;\nmessage OrderPlaced {}\nmessage OrderCancelled {}\n'


class Loopback:
    """Answers GET /apis/registry/v3/ids/contentIds/1 with SCHEMA when the Authorization header is `expected`."""

    def __init__(self, expected: str | None, tls: ssl.SSLContext | None = None) -> None:
        self.expected = expected
        self.seen: list[str | None] = []
        self._server = LoopbackServer(self._handler(), "registry-fake", tls=tls)
        # By name: the TLS certificate is issued to localhost.
        self.url = f"{'https' if tls else 'http'}://localhost:{self._server.port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                loopback.seen.append(auth)
                ok = auth == loopback.expected and self.path == "/apis/registry/v3/ids/contentIds/1"
                body = SCHEMA if ok else b"{}"
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def bearer_server() -> Iterator[Loopback]:
    server = Loopback("Bearer t0ken-value")
    yield server
    server.close()


def test_from_env_reads_the_same_variables_as_the_tool(bearer_server: Loopback) -> None:
    env = {"SS3_REGISTRY_URL": bearer_server.url + "/apis/registry/v3/", "SS3_REGISTRY_TOKEN": "t0ken-value"}
    registry = Registry.from_env(env)

    schema = registry.schema(1)

    assert (schema.package, schema.messages) == ("ss3.orders.v1", ("OrderPlaced", "OrderCancelled"))
    assert bearer_server.seen == ["Bearer t0ken-value"]
    assert "t0ken-value" not in repr(registry)


def test_basic_credentials_are_sent_and_a_refusal_never_shows_them(bearer_server: Loopback) -> None:
    registry = Registry.from_env(
        {"SS3_REGISTRY_URL": bearer_server.url, "SS3_REGISTRY_USERNAME": "svc", "SS3_REGISTRY_PASSWORD": "pa55word"}
    )
    with pytest.raises(RegistryAuthError) as caught:
        registry.schema(1)
    assert bearer_server.seen == ["Basic c3ZjOnBhNTV3b3Jk"]  # base64("svc:pa55word")
    assert "pa55word" not in str(caught.value) and "c3Zj" not in str(caught.value)


def test_credentials_in_the_url_are_used_and_never_shown(bearer_server: Loopback) -> None:
    host = bearer_server.url.removeprefix("http://")
    registry = Registry.from_env({"SS3_REGISTRY_URL": f"http://svc:s3cret@{host}"})
    with pytest.raises(RegistryAuthError) as caught:
        registry.schema(1)
    assert bearer_server.seen == ["Basic c3ZjOnMzY3JldA=="]  # base64("svc:s3cret")
    assert "s3cret" not in str(caught.value) and "s3cret" not in repr(registry)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SS3_REGISTRY_URL is not set"),
        ({"SS3_REGISTRY_URL": "ftp://registry"}, "is not an http"),
        ({"SS3_REGISTRY_URL": "http://r", "SS3_REGISTRY_USERNAME": "u"}, "set both SS3_REGISTRY_USERNAME"),
        (
            {
                "SS3_REGISTRY_URL": "http://r",
                "SS3_REGISTRY_USERNAME": "u",
                "SS3_REGISTRY_PASSWORD": "p",
                "SS3_REGISTRY_TOKEN": "t",
            },
            "ambiguous",
        ),
        (
            {"SS3_REGISTRY_URL": "http://r", "SS3_REGISTRY_TIMEOUT": "soon"},
            "SS3_REGISTRY_TIMEOUT='soon' is not a number",
        ),
    ],
)
def test_misconfiguration_is_a_config_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Registry.from_env(env)


def _self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def test_tls_is_verified_and_a_private_ca_is_accepted_from_the_bundle(tmp_path: Path) -> None:
    context, cert_file = _self_signed(tmp_path)
    server = Loopback(None, tls=context)
    try:
        with pytest.raises(RegistryError, match="SSLCertVerificationError"):
            Registry(server.url, retries=0).schema(1)
        trusted = Registry.from_env({"SS3_REGISTRY_URL": server.url, "SS3_REGISTRY_CA_BUNDLE": str(cert_file)})
        assert trusted.schema(1).messages == ("OrderPlaced", "OrderCancelled")
    finally:
        server.close()
