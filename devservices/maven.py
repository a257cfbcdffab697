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
from pathlib import Path

from devservices.cache import cached_directory
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

    def unpack(staged: Path) -> None:
        archive = _download(version, staged.parent / "download")
        unpacked = staged.parent / "unpacked"
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(unpacked, filter="data")
        homes = [p for p in unpacked.iterdir() if (p / "bin" / "mvn").is_file()]
        if len(homes) != 1:
            raise MavenError(f"{archive.name} holds no single Maven home with bin/mvn")
        homes[0].rename(staged)

    home = cached_directory(cache_root() / "maven" / version, unpack, complete=lambda d: (d / "bin" / "mvn").is_file())
    return home / "bin" / "mvn"


def _download(version: str, destination: Path) -> Path:
    try:
        return maven_copy(f"org.apache.maven:apache-maven:{version}:tar.gz:bin", destination)
    except DevServiceError as error:
        raise MavenError(str(error)) from None
