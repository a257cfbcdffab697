"""Finding a JDK and running Maven, for every Java-based local service and the Java test harness.

``find_java(min_major)`` picks a ``java`` of at least that feature version
(JAVA_HOME first when new enough, else the newest in the usual install
directories or on PATH). Maven is the ``mvn`` on PATH, always run with the
settings file ``maven_settings()`` writes into the cache: a mirror of every
repository to Maven Central, so parent POMs that declare other repositories
(Apicurio's do) never wait on hosts this machine may not reach. Central's
URL is read from Maven's own super POM rather than written here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from devservices.cache import cached_directory
from devservices.common import DevServiceError, ensure_cache_root, last_line

# Directories where JDKs are commonly installed (Linux packages, macOS,
# SDKMAN!, IntelliJ, Homebrew, manual installs).
JVM_GLOBS = (
    "/usr/lib/jvm/*",
    "/usr/lib64/jvm/*",
    "/usr/java/*",
    "/opt/java/*",
    "/opt/jdk*",
    "/Library/Java/JavaVirtualMachines/*/Contents/Home",
    "/opt/homebrew/opt/openjdk*/libexec/openjdk.jdk/Contents/Home",
    "~/Library/Java/JavaVirtualMachines/*/Contents/Home",
    "~/.sdkman/candidates/java/*",
    "~/.jdks/*",
)
SUPER_POM = "org/apache/maven/model/pom-4.0.0.xml"
FALLBACK_CENTRAL = "https://repo.maven.apache.org/maven2"
MAVEN_TIMEOUT_S = 900


# --------------------------------------------------------------------------
# Java discovery


def java_major_version(java: Path) -> int | None:
    """Return the feature version reported by ``java -version``, or None."""
    try:
        result = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # `java -version` writes to stderr: `openjdk version "25.0.3" ...` or,
    # for Java 8 and older, `java version "1.8.0_402"`.
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def _java_in(home: Path) -> Path | None:
    java = home / "bin" / "java"
    return java if java.is_file() and os.access(java, os.X_OK) else None


def _candidate_javas() -> Iterator[Path]:
    for pattern in JVM_GLOBS:
        expanded = os.path.expanduser(pattern)
        for home in sorted(Path("/").glob(expanded.lstrip("/"))):
            java = _java_in(home)
            if java:
                yield java
    on_path = shutil.which("java")
    if on_path:
        yield Path(on_path)


def find_java(min_major: int) -> Path:
    """A ``java`` executable of version >= ``min_major``.

    JAVA_HOME wins when it is new enough (the user chose it); otherwise the
    newest JDK found in the usual install directories or on PATH.
    """
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = _java_in(Path(java_home))
        if java and (java_major_version(java) or 0) >= min_major:
            return java
    best: tuple[int, Path] | None = None
    seen: set[Path] = set()
    for java in _candidate_javas():
        real = java.resolve()
        if real in seen:
            continue
        seen.add(real)
        major = java_major_version(java)
        if major is not None and major >= min_major and (best is None or major > best[0]):
            best = (major, java)
    if best is None:
        raise DevServiceError(f"no Java >= {min_major} found; set JAVA_HOME to a JDK {min_major} or newer")
    return best[1]


# --------------------------------------------------------------------------
# Maven


def maven_executable() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise DevServiceError("Maven (mvn) is needed but is not on PATH")
    return mvn


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
    return FALLBACK_CENTRAL


def maven_settings(mvn: str) -> Path:
    """A settings file that sends every repository request to Maven Central."""
    path = ensure_cache_root() / "maven" / "settings.xml"
    text = (
        "<settings>\n  <mirrors>\n    <mirror>\n      <id>ss3-central-only</id>\n"
        "      <mirrorOf>*</mirrorOf>\n"
        f"      <url>{escape(central_url(mvn))}</url>\n"
        "    </mirror>\n  </mirrors>\n</settings>\n"
    )
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def run_maven(args: Sequence[str], *, cwd: Path | None = None, java_home: Path | None = None) -> None:
    """Run Maven in batch mode with the Central-only settings; raise with its first [ERROR] line."""
    mvn = maven_executable()
    env = dict(os.environ)
    if java_home is not None:
        env["JAVA_HOME"] = str(java_home)
    command = [mvn, "-q", "-B", "-s", str(maven_settings(mvn)), *args]
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
