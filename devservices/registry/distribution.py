"""The Apicurio Registry distribution: the Quarkus fast-jar from Maven Central, downloaded once into .cache/."""

from __future__ import annotations

import os
import sys
import tarfile
from pathlib import Path

from devservices.cache import cached_directory
from devservices.common import cache_root, ensure_cache_root
from devservices.maven import maven_copy
from devservices.registry.errors import RegistryError

DEFAULT_VERSION = "3.3.3"


def registry_version() -> str:
    return os.environ.get("APICURIO_VERSION") or DEFAULT_VERSION


def runner_in(directory: Path) -> Path | None:
    # 3.3.0+ archives have the fast-jar at the root, older ones under quarkus-app/.
    for candidate in (
        directory / "quarkus-run.jar",
        directory / "quarkus-app" / "quarkus-run.jar",
    ):
        if candidate.is_file():
            return candidate
    return None


def _extract(archive: Path, destination: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            # Refuses absolute paths, `..` and device files (3.11.4+).
            tar.extractall(destination, filter="data")
        else:  # pragma: no cover - only on Python < 3.11.4
            root = destination.resolve()
            for member in tar.getmembers():
                target = (destination / member.name).resolve()
                if root not in target.parents and target != root:
                    raise RegistryError(f"unsafe path in {archive.name}: {member.name}")
            tar.extractall(destination)  # noqa: S202 - every member was checked above


def ensure_distribution(version: str | None = None) -> Path:
    """Return the cached ``quarkus-run.jar``, downloading it first if needed."""
    version = version or registry_version()
    ensure_cache_root()

    def download(staged: Path) -> None:
        # About 150 MB, once per version: say so rather than look hung.
        print(f"registry: downloading Apicurio Registry {version} with Maven (once, into .cache/)", file=sys.stderr)
        archive = maven_copy(f"io.apicurio:apicurio-registry-app:{version}:tar.gz:all", staged.parent / "download")
        _extract(archive, staged)
        if not runner_in(staged):
            raise RegistryError(f"{archive.name} contains no quarkus-run.jar")

    target = cached_directory(cache_root() / "apicurio" / version, download, complete=lambda d: bool(runner_in(d)))
    runner = runner_in(target)
    if runner is None:
        raise RegistryError(f"cache {target} has no quarkus-run.jar after extraction")
    return runner
