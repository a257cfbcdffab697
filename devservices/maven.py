"""The one Maven of every Java build here (>= 3.9, as Quarkus extensions need), and its one local repository.

The official binary distribution
(``org.apache.maven:apache-maven:<v>:tar.gz:bin``) is downloaded once from
Maven Central over verified TLS, checked against its SHA-512 (pinned here for
the default version, Central's ``.sha512`` for another) and unpacked into
``.cache/maven/<v>``: no ``mvn`` needs to be installed. Every build runs it
with the local repository ``.cache/m2`` (apart from the developer's
``~/.m2``) and, through ``run_maven``, with the settings file
``maven_settings()`` writes into the cache: a mirror of every remote repository to
Maven Central (a ``file://`` or localhost repository, such as a build's freshly
published jar, is read as it is), so parent POMs that declare other repositories (Apicurio's do)
never wait on hosts this machine may not reach. Central's URL for that mirror
is read from Maven's own super POM.

Environment: ``SS3_MAVEN_VERSION`` (default 3.9.16), ``SS3_CACHE_DIR`` (see
``devservices.common``).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tarfile
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from devservices.cache import cached_directory
from devservices.common import DevServiceError, cache_root, ensure_cache_root, last_line

DEFAULT_VERSION = "3.9.16"
# The SHA-512 Maven Central publishes for apache-maven-3.9.16-bin.tar.gz.
DEFAULT_SHA512 = (
    "831a8591fe20c8243b1dbe7d71e3244f31d1665b0804b2e825e38cbbe5ce0caf"
    "b8338851f90780735568773e0a6cd07bbec107cda0b896b008b861075358b6f6"
)
MIN_VERSION = (3, 9)
CENTRAL_URL = "https://repo.maven.apache.org/maven2"
DOWNLOAD_TIMEOUT_S = 60.0
SUPER_POM = "org/apache/maven/model/pom-4.0.0.xml"
MAVEN_TIMEOUT_S = 900


class MavenError(DevServiceError):
    """Maven could not be provided."""


# --------------------------------------------------------------------------
# The distribution


def maven_version() -> str:
    return os.environ.get("SS3_MAVEN_VERSION") or DEFAULT_VERSION


def local_repository() -> Path:
    """The local repository of every Maven build of the project."""
    return cache_root() / "m2"


def ensure_maven(version: str | None = None) -> Path:
    """The ``mvn`` script of Maven `version`, downloading and unpacking it on first use."""
    version = version or maven_version()
    if tuple(int(part) for part in re.findall(r"\d+", version)[:2]) < MIN_VERSION:
        raise MavenError(f"Maven {version} is too old: Quarkus extensions need Maven >= 3.9")
    ensure_cache_root()

    def unpack(staged: Path) -> None:
        archive = _download(version, staged.parent / f"apache-maven-{version}-bin.tar.gz")
        unpacked = staged.parent / "unpacked"
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(unpacked, filter="data")
        homes = [p for p in unpacked.iterdir() if (p / "bin" / "mvn").is_file()]
        if len(homes) != 1:
            raise MavenError(f"{archive.name} holds no single Maven home with bin/mvn")
        homes[0].rename(staged)

    home = cached_directory(cache_root() / "maven" / version, unpack, complete=lambda d: (d / "bin" / "mvn").is_file())
    return home / "bin" / "mvn"


def distribution_url(version: str) -> str:
    return f"{CENTRAL_URL}/org/apache/maven/apache-maven/{version}/apache-maven-{version}-bin.tar.gz"


def _download(version: str, destination: Path) -> Path:
    """The distribution archive of `version` at `destination`, its SHA-512 checked."""
    url = distribution_url(version)
    expected = DEFAULT_SHA512 if version == DEFAULT_VERSION else _fetch(f"{url}.sha512").decode().split()[0]
    data = _fetch(url)
    actual = hashlib.sha512(data).hexdigest()
    if actual != expected.strip().lower():
        raise MavenError(f"{url}: SHA-512 {actual[:16]}… is not the expected {expected[:16]}…; nothing was kept")
    destination.write_bytes(data)
    return destination


def _fetch(url: str) -> bytes:
    if not url.startswith(("https://", "file:")):
        raise MavenError(f"refusing to download Maven over {url.split(':', 1)[0]}: use https")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:  # noqa: S310 - scheme checked
            return bytes(response.read())
    except (OSError, ValueError) as error:
        raise MavenError(f"could not download {url}: {error}") from None


# --------------------------------------------------------------------------
# Running it


def central_url(mvn: str) -> str:
    """Maven Central's URL as this Maven's super POM names it."""
    home = Path(mvn).resolve().parent.parent
    for jar in sorted((home / "lib").glob("maven-model-builder-*.jar")):
        try:
            with zipfile.ZipFile(jar) as archive:
                text = archive.read(SUPER_POM).decode("utf-8")
        except (OSError, KeyError, zipfile.BadZipFile):
            continue
        match = re.search(r"<id>central</id>.*?<url>([^<]+)</url>", text, re.DOTALL)
        if match:
            return match.group(1).strip()
    return CENTRAL_URL


def maven_settings(mvn: str) -> Path:
    """A settings file that sends every remote repository request to Maven Central (``external:*``)."""
    path = ensure_cache_root() / "maven" / "settings.xml"
    text = (
        "<settings>\n  <mirrors>\n    <mirror>\n      <id>ss3-central-only</id>\n"
        "      <mirrorOf>external:*</mirrorOf>\n"
        f"      <url>{escape(central_url(mvn))}</url>\n"
        "    </mirror>\n  </mirrors>\n</settings>\n"
    )
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def maven_command(*args: str) -> list[str]:
    """The command line of every Maven build here: the project's Maven, batch mode, its settings and repository."""
    mvn = str(ensure_maven())
    return [mvn, "-B", "-s", str(maven_settings(mvn)), f"-Dmaven.repo.local={local_repository()}", *args]


def run_maven(args: Sequence[str], *, cwd: Path | None = None, java_home: Path | None = None) -> None:
    """Run the project's Maven in batch mode with the Central-only settings and the project's local repository.

    Raises with Maven's first [ERROR] line.
    """
    env = dict(os.environ)
    if java_home is not None:
        env["JAVA_HOME"] = str(java_home)
    command = maven_command("-q", *args)
    try:
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=MAVEN_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise DevServiceError(f"mvn {' '.join(args[:1])} did not finish within {MAVEN_TIMEOUT_S}s") from None
    if result.returncode != 0:
        raise DevServiceError(f"mvn {' '.join(args[:1])} failed: {maven_error(result.stdout + result.stderr)}")


def maven_error(output: str) -> str:
    # Maven prints a multi-line [ERROR] block; its first line names the cause.
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    errors = [line.removeprefix("[ERROR]").strip() for line in plain.splitlines() if "[ERROR]" in line]
    message = next((line for line in errors if line), "") or last_line(plain)
    return message[:300]


def maven_copy(artifact: str, destination: Path) -> Path:
    """Download one artifact (``g:a:v[:type[:classifier]]``) into ``destination``; its path."""
    destination.mkdir(parents=True, exist_ok=True)
    try:
        run_maven(["dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={destination}"])
    except DevServiceError as error:
        raise DevServiceError(f"could not download {artifact}: {error}") from None
    files = sorted(p for p in destination.iterdir() if p.is_file())
    if not files:
        raise DevServiceError(f"mvn downloaded nothing for {artifact}")
    return files[0]


def maven_classpath(coordinates: Sequence[str], pins: Sequence[str], destination: Path) -> Path:
    """Resolve ``coordinates`` (``g:a:v``) with their runtime dependencies into ``destination``.

    ``pins`` (``g:a:v``) override versions Maven would otherwise pick for
    transitive dependencies. Resolved once, through the cache's staging
    (``devservices.cache``). Returns ``destination``.
    """

    def resolve(staged: Path) -> None:
        pom = staged.parent / "pom.xml"
        pom.write_text(_resolver_pom(coordinates, pins), encoding="utf-8")
        run_maven(
            ["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={staged}"], cwd=staged.parent
        )

    return cached_directory(destination, resolve, complete=lambda d: d.is_dir() and any(d.glob("*.jar")))


def _resolver_pom(coordinates: Sequence[str], pins: Sequence[str]) -> str:
    def dependency(coordinate: str) -> str:
        group, artifact, version = coordinate.split(":")
        return (
            f"<dependency><groupId>{escape(group)}</groupId><artifactId>{escape(artifact)}</artifactId>"
            f"<version>{escape(version)}</version></dependency>"
        )

    managed = "".join(dependency(pin) for pin in pins)
    direct = "".join(dependency(coordinate) for coordinate in coordinates)
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>local.ss3</groupId><artifactId>classpath</artifactId><version>0</version>"
        f"<dependencyManagement><dependencies>{managed}</dependencies></dependencyManagement>"
        f"<dependencies>{direct}</dependencies></project>\n"
    )
