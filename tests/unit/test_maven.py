"""The Maven artifact: what the jar holds, that it is reproducible, and how a deploy decides."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from ss3_schema.artifacts.jar import build_jar
from ss3_schema.errors import ConfigError, PublishConflict, PublishError
from ss3_schema.release.maven import (
    DirectoryRepository,
    deploy,
    merged_metadata,
    release_step,
    repository_from_env,
)
from ss3_schema.release.target import Outcome
from ss3_schema.workspace import Workspace

from tests.helpers import SchemaRepo

JAR_DIR = "com/shopstar3/ss3-protos/1.0.0"
JAR = f"{JAR_DIR}/ss3-protos-1.0.0.jar"


@pytest.fixture
def ws(schema_repo: SchemaRepo) -> Workspace:
    schema_repo.write("VERSION", "1.0.0\n")
    schema_repo.commit("version")
    return Workspace(schema_repo.root)


def test_jar_holds_every_schema_at_its_root_and_nothing_of_google(ws: Workspace) -> None:
    artifact = build_jar(ws)
    with zipfile.ZipFile(artifact.jar) as jar:
        names = jar.namelist()
        manifest = jar.read("META-INF/MANIFEST.MF").decode()
    protos = sorted(n for n in names if n.endswith(".proto"))
    assert protos == ws.proto_files()
    assert "ss3/orders/v1/order_events.proto" in protos
    assert not [n for n in names if n.startswith("google/")]
    assert names[:2] == ["META-INF/", "META-INF/MANIFEST.MF"]  # where JarInputStream looks for it
    assert "Implementation-Version: 1.0.0" in manifest
    assert artifact.coordinates == "com.shopstar3:ss3-protos:1.0.0"


def test_pom_has_the_coordinates_and_no_dependencies(ws: Workspace) -> None:
    pom = build_jar(ws).pom.read_text()
    for element in (
        "<groupId>com.shopstar3</groupId>",
        "<artifactId>ss3-protos</artifactId>",
        "<version>1.0.0</version>",
    ):
        assert element in pom
    assert "<dependencies>" not in pom


def test_two_builds_of_one_commit_are_byte_identical(ws: Workspace) -> None:
    first = build_jar(ws).jar.read_bytes()
    for path in ws.proto_dir.rglob("*.proto"):
        os.utime(path, (1, 1))  # file times must not matter
    assert build_jar(ws).jar.read_bytes() == first


def test_a_commit_changes_the_bytes_the_version_stays(schema_repo: SchemaRepo, ws: Workspace) -> None:
    first = build_jar(ws).jar.read_bytes()
    schema_repo.write(
        "proto/ss3/orders/v1/order_events.proto", schema_repo.read("proto/ss3/orders/v1/order_events.proto") + "\n"
    )
    schema_repo.commit("whitespace")
    second = build_jar(ws)
    assert second.jar.name == "ss3-protos-1.0.0.jar"
    assert second.jar.read_bytes() != first


def test_a_version_that_would_be_a_path_is_refused(schema_repo: SchemaRepo, ws: Workspace) -> None:
    schema_repo.write("VERSION", "../1.0.0\n")
    with pytest.raises(ConfigError, match=r"VERSION: .* is not a release version"):  # read_version checks it for all
        build_jar(ws)


def test_deploy_then_skip_then_refuse(ws: Workspace, schema_repo: SchemaRepo, tmp_path: Path) -> None:
    repository = DirectoryRepository(tmp_path / "maven")
    artifact = build_jar(ws)
    published = artifact.jar.read_bytes()
    assert deploy(artifact, repository).outcome is Outcome.UPLOADED
    assert deploy(artifact, repository).outcome is Outcome.ALREADY_PUBLISHED
    schema_repo.write("proto/ss3/orders/v1/order.proto", schema_repo.read("proto/ss3/orders/v1/order.proto") + "\n")
    schema_repo.commit("whitespace")
    with pytest.raises(PublishConflict, match="already published with different content"):
        deploy(build_jar(ws), repository)
    assert (tmp_path / "maven" / JAR).read_bytes() == published


def test_a_deploy_that_stopped_after_the_jar_is_finished_on_rerun(ws: Workspace, tmp_path: Path) -> None:
    repository = DirectoryRepository(tmp_path / "maven")
    artifact = build_jar(ws)
    repository.write(JAR, artifact.jar.read_bytes())  # no checksums, no POM, no metadata yet
    assert deploy(artifact, repository).outcome is Outcome.UPLOADED
    sha256 = (tmp_path / "maven" / f"{JAR}.sha256").read_text()
    assert sha256 == hashlib.sha256(artifact.jar.read_bytes()).hexdigest()
    assert (tmp_path / "maven" / JAR_DIR / "ss3-protos-1.0.0.pom").is_file()


def test_a_checksum_that_is_no_checksum_stops_the_deploy(ws: Workspace, tmp_path: Path) -> None:
    repository = DirectoryRepository(tmp_path / "maven")
    repository.write(f"{JAR}.sha256", b"<html>login</html>")
    with pytest.raises(PublishError, match=r"ss3-protos-1.0.0.jar.sha256: not a sha256 checksum"):
        deploy(build_jar(ws), repository)


def test_metadata_keeps_earlier_versions_and_names_the_newest() -> None:
    first = merged_metadata(None, "1.2.0")
    merged = merged_metadata(first, "1.10.0").decode()
    assert merged.index("<version>1.2.0</version>") < merged.index("<version>1.10.0</version>")
    assert "<release>1.10.0</release>" in merged
    older = merged_metadata(merged.encode(), "1.3.1").decode()
    assert "<release>1.10.0</release>" in older
    assert older.count("<version>") == 3


def test_credentials_never_show_in_the_repository_or_its_errors() -> None:
    env = {"SS3_MAVEN_REPOSITORY_URL": "ftp://u:s3cret@host/", "SS3_MAVEN_PASSWORD": "s3cret"}
    with pytest.raises(ConfigError) as raised:
        repository_from_env(env)
    assert "s3cret" not in str(raised.value)
    repository = repository_from_env({"SS3_MAVEN_REPOSITORY_URL": "https://u:s3cret@repo.example/maven"})
    assert repository is not None
    assert repository.destination == "https://repo.example/maven/"


def test_ci_without_a_maven_repository_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="SS3_MAVEN_REPOSITORY_URL"):
        repository_from_env({}, required=True)
    assert repository_from_env({}) is None


def test_a_trial_stays_in_dist_maven_even_with_a_repository_configured(ws: Workspace, tmp_path: Path) -> None:
    configured = DirectoryRepository(tmp_path / "company")
    outcome, detail = release_step(ws, build_jar(ws), configured, local=True)
    assert outcome == "uploaded (local)"
    assert detail.endswith((ws.dist_dir / "maven").resolve().as_uri())
    assert not (tmp_path / "company").exists()


def test_a_trial_of_another_commit_under_the_same_version_says_how_to_start_over(
    ws: Workspace, schema_repo: SchemaRepo
) -> None:
    release_step(ws, build_jar(ws), None, local=True)
    schema_repo.write("proto/ss3/orders/v1/order.proto", schema_repo.read("proto/ss3/orders/v1/order.proto") + "\n")
    schema_repo.commit("whitespace")
    with pytest.raises(PublishConflict, match=r"`rm -rf dist/maven` discards the trials"):
        release_step(ws, build_jar(ws), None, local=True)
