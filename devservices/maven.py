"""A Maven new enough for Quarkus extensions (>= 3.9), kept under .cache/.

Quarkus 3.x's Maven plugin refuses Maven 3.8, which is what Debian ships;
the official binary distribution (``org.apache.maven:apache-maven:<v>:tar.gz:bin``
on Maven Central) is fetched once with the system ``mvn`` (``devservices.jvm``) and unpacked into
``.cache/maven/<v>``. Builds that use it keep their local repository in
``.cache/m2``, apart from the developer's ``~/.m2``.

Environment: ``SS3_MAVEN_VERSION`` (default 3.9.16), ``SS3_CACHE_DIR`` (see
``devservices.registry``).
"""

from __future__ import annotations

import os
import re
import tarfile
import tempfile
from pathlib import Path

from devservices.common import DevServiceError, cache_root
from devservices.jvm import maven_copy

DEFAULT_VERSION = "3.9.16"
MIN_VERSION = (3, 9)


class MavenError(DevServiceError):
    """Maven could not be provided."""


def maven_version() -> str:
    return os.environ.get("SS3_MAVEN_VERSION") or DEFAULT_VERSION


def local_repository() -> Path:
    """The local repository of the project's Maven builds."""
    return cache_root() / "m2"


def ensure_maven(version: str | None = None) -> Path:
    """The ``mvn`` script of Maven `version`, downloading and unpacking it on first use."""
    version = version or maven_version()
    if tuple(int(part) for part in re.findall(r"\d+", version)[:2]) < MIN_VERSION:
        raise MavenError(f"Maven {version} is too old: Quarkus extensions need Maven >= 3.9")
    target = cache_root() / "maven" / version
    mvn = target / "bin" / "mvn"
    if mvn.is_file():
        return mvn
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unpacked next to the target, then renamed: an interrupted run never
    # leaves a half-filled cache.
    with tempfile.TemporaryDirectory(prefix=f".{version}.", dir=target.parent) as tmp:
        archive = _download(version, Path(tmp) / "download")
        staged = Path(tmp) / "unpacked"
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staged, filter="data")
        homes = [p for p in staged.iterdir() if (p / "bin" / "mvn").is_file()]
        if len(homes) != 1:
            raise MavenError(f"{archive.name} holds no single Maven home with bin/mvn")
        home = homes[0]
        try:
            home.rename(target)
        except OSError:
            if not mvn.is_file():  # not a concurrent run that finished first
                raise
    return mvn


def _download(version: str, destination: Path) -> Path:
    try:
        return maven_copy(f"org.apache.maven:apache-maven:{version}:tar.gz:bin", destination)
    except DevServiceError as error:
        raise MavenError(str(error)) from None
