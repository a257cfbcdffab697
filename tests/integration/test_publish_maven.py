"""`ss3-schema publish-maven` against a real Maven repository (nginx WebDAV, PUT + basic auth) and file://."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devservices.maven_repo import MavenRepoError, RunningMavenRepo, start_maven_repo
from tests.helpers import SchemaRepo, run_cli, server_unavailable
from tests.integration.pypi_fixture import PypiIndex, make_package_repo, run_release, summary

pytestmark = pytest.mark.integration

VERSION = "4.0.0"
VERSION_DIR = f"com/shopstar3/ss3-protos/{VERSION}"
JAR = f"{VERSION_DIR}/ss3-protos-{VERSION}.jar"
EVENTS = "proto/ss3/orders/v1/order_events.proto"
WRONG_PASSWORD = "not-the-password-7c2e"


@dataclass(frozen=True)
class Target:
    """A repository to publish to: its URL, the directory behind it, and the credentials it wants."""

    url: str
    files: Path
    username: str = ""
    password: str = field(default="", repr=False)

    def env(self, *, password: str | None = None) -> dict[str, str]:
        env = {"SS3_MAVEN_REPOSITORY_URL": self.url}
        if self.username:
            env.update(SS3_MAVEN_USERNAME=self.username, SS3_MAVEN_PASSWORD=password or self.password)
        return env


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMavenRepo]:
    try:
        repo = start_maven_repo(password=secrets.token_urlsafe(18), state_dir=tmp_path_factory.mktemp("nginx"))
    except MavenRepoError as exc:
        server_unavailable(f"Maven repository (nginx): {exc}")
    with repo:
        yield repo


@pytest.fixture(params=["http", "file"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """Each test gets an empty repository: a fresh directory on nginx, or a fresh file:// directory."""
    if request.param == "file":
        return Target((tmp_path / "maven").as_uri(), tmp_path / "maven")
    server: RunningMavenRepo = request.getfixturevalue("nginx")
    prefix = f"t-{secrets.token_hex(4)}"
    return Target(f"{server.url}{prefix}/", server.repository / prefix, server.username, server.password)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    """A schema repo with dist/ss3-protos-4.0.0.jar and .pom built."""
    repo = make_package_repo(tmp_path_factory.mktemp("maven") / "repo", VERSION)
    build(repo)
    return repo


def build(repo: SchemaRepo) -> bytes:
    for step in ("gen", "build"):
        proc = run_cli(step, cwd=repo.root)
        assert proc.returncode == 0, proc.stderr
    return repo.path(f"dist/ss3-protos-{VERSION}.jar").read_bytes()


def publish(repo: SchemaRepo, target: Target, *, password: str | None = None) -> tuple[int, str, str]:
    proc = run_cli("publish-maven", cwd=repo.root, env=target.env(password=password))
    return proc.returncode, proc.stdout, proc.stderr


def test_publish_deploys_jar_pom_checksums_and_metadata(repo: SchemaRepo, target: Target) -> None:
    code, out, err = publish(repo, target)
    assert code == 0, err
    assert out.strip() == f"publish-maven: com.shopstar3:ss3-protos:{VERSION}: uploaded on {target.url}"
    jar = repo.path(f"dist/ss3-protos-{VERSION}.jar").read_bytes()
    assert (target.files / JAR).read_bytes() == jar
    assert (target.files / f"{JAR}.sha1").read_text() == hashlib.sha1(jar).hexdigest()  # noqa: S324
    assert (target.files / f"{JAR}.sha256").read_text() == hashlib.sha256(jar).hexdigest()
    pom = (target.files / f"{VERSION_DIR}/ss3-protos-{VERSION}.pom").read_text()
    assert "<artifactId>ss3-protos</artifactId>" in pom
    assert "<dependencies>" not in pom
    metadata = (target.files / "com/shopstar3/ss3-protos/maven-metadata.xml").read_text()
    assert f"<release>{VERSION}</release>" in metadata


def test_republishing_the_same_jar_is_skipped(repo: SchemaRepo, target: Target) -> None:
    assert publish(repo, target)[0] == 0
    stamp = (target.files / JAR).stat().st_mtime_ns
    code, out, err = publish(repo, target)
    assert code == 0, err
    assert out.strip() == f"publish-maven: com.shopstar3:ss3-protos:{VERSION}: already published on {target.url}"
    assert (target.files / JAR).stat().st_mtime_ns == stamp


def test_other_bytes_under_the_same_version_are_refused(repo: SchemaRepo, target: Target, tmp_path: Path) -> None:
    assert publish(repo, target)[0] == 0
    published = (target.files / JAR).read_bytes()
    other = make_package_repo(tmp_path / "other", VERSION)
    other.replace(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order.")
    other.commit("reword a comment, VERSION unchanged")
    other_jar = build(other)
    assert other_jar != published

    code, _, err = publish(other, target)
    assert code == 1
    sha256 = hashlib.sha256(published).hexdigest()[:12]
    assert err.strip() == (
        f"error: com.shopstar3:ss3-protos:{VERSION} already published with different content on {target.url} "
        f"(ss3-protos-{VERSION}.jar: repository sha256 {sha256}, local {hashlib.sha256(other_jar).hexdigest()[:12]}); "
        "a published version never changes: bump VERSION"
    )
    assert (target.files / JAR).read_bytes() == published


def test_wrong_password_is_exit_2_without_the_secret(repo: SchemaRepo, nginx: RunningMavenRepo) -> None:
    target = Target(nginx.url, nginx.repository, nginx.username, nginx.password)
    code, out, err = publish(repo, target, password=WRONG_PASSWORD)
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: reading {JAR}.sha256 on {nginx.url} failed: the repository refused the credentials (HTTP 401); "
        "check SS3_MAVEN_USERNAME and SS3_MAVEN_PASSWORD"
    ]
    assert WRONG_PASSWORD not in out + err
    assert nginx.password not in out + err
    assert not (nginx.repository / VERSION_DIR).exists()


def test_publish_without_a_repository_is_a_configuration_error(repo: SchemaRepo) -> None:
    proc = run_cli("publish-maven", cwd=repo.root, env={"SS3_MAVEN_REPOSITORY_URL": ""})
    assert proc.returncode == 2
    assert "SS3_MAVEN_REPOSITORY_URL" in proc.stderr


def test_release_deploys_to_the_repository_and_converges(
    tmp_path: Path, nginx: RunningMavenRepo, pypi_index: PypiIndex
) -> None:
    repo = make_package_repo(tmp_path / "release", "4.1.0")
    target = Target(f"{nginx.url}release/", nginx.repository / "release", nginx.username, nginx.password)
    env = {**pypi_index.env(), **target.env()}

    first = run_release(repo, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert summary(first.stdout)["publish-jar"] == ("uploaded", f"com.shopstar3:ss3-protos:4.1.0 on {target.url}")
    jar = target.files / "com/shopstar3/ss3-protos/4.1.0/ss3-protos-4.1.0.jar"
    assert jar.read_bytes() == repo.path("dist/ss3-protos-4.1.0.jar").read_bytes()

    again = run_release(repo, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert summary(again.stdout)["publish-jar"][0] == "already published"
    assert nginx.password not in first.stdout + first.stderr + again.stdout + again.stderr
