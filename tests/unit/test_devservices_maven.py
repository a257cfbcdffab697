"""The one Maven of the project's Java builds: fetched once, checked against its SHA-512, never half-unpacked."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from devservices import maven

VERSION = "3.9.99"


def _central(root: Path, *, sha512: str | None = None) -> Path:
    """A file:// stand-in for Maven Central holding one apache-maven distribution."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        script = b"#!/bin/sh\necho maven\n"
        info = tarfile.TarInfo(f"apache-maven-{VERSION}/bin/mvn")
        info.size, info.mode = len(script), 0o755
        tar.addfile(info, io.BytesIO(script))
    archive = root / "org/apache/maven/apache-maven" / VERSION / f"apache-maven-{VERSION}-bin.tar.gz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(buffer.getvalue())
    digest = sha512 or hashlib.sha512(buffer.getvalue()).hexdigest()
    Path(f"{archive}.sha512").write_text(digest + "\n")
    return root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SS3_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_maven_is_unpacked_once_into_the_cache(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maven, "CENTRAL_URL", _central(tmp_path / "central").as_uri())

    mvn = maven.ensure_maven(VERSION)

    assert mvn == cache / "maven" / VERSION / "bin" / "mvn"
    assert mvn.read_text() == "#!/bin/sh\necho maven\n"
    assert sorted(p.name for p in (cache / "maven").iterdir()) == [VERSION]  # no download or staging left
    assert maven.local_repository() == cache / "m2"


def test_a_distribution_with_another_checksum_is_refused_and_nothing_kept(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maven, "CENTRAL_URL", _central(tmp_path / "central", sha512="0" * 128).as_uri())

    with pytest.raises(
        maven.MavenError, match=r"apache-maven-3\.9\.99-bin\.tar\.gz: SHA-512 .* is not the expected 0{16}"
    ):
        maven.ensure_maven(VERSION)

    assert list((cache / "maven").iterdir()) == []


def test_the_default_version_is_checked_against_the_pinned_checksum(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    central = _central(tmp_path / "central")
    monkeypatch.setattr(maven, "CENTRAL_URL", central.as_uri())
    monkeypatch.setattr(maven, "DEFAULT_VERSION", VERSION)  # the stand-in's .sha512 is right, the pin is not

    with pytest.raises(maven.MavenError, match="is not the expected 831a8591fe20c824"):
        maven.ensure_maven(VERSION)


def test_a_maven_older_than_3_9_is_refused(cache: Path) -> None:
    with pytest.raises(maven.MavenError, match=r"^Maven 3\.8\.7 is too old: Quarkus extensions need Maven >= 3\.9$"):
        maven.ensure_maven("3.8.7")


def test_maven_is_never_fetched_over_plain_http(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maven, "CENTRAL_URL", "http://repo.example/maven2")

    with pytest.raises(maven.MavenError, match="refusing to download Maven over http: use https"):
        maven.ensure_maven(VERSION)
