"""A wheel or sdist about to be published: its name, version and sha256, read and cross-checked."""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from ss3_schema.errors import ConfigError
from ss3_schema.workspace import Workspace

SDIST_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class Distribution:
    """A local wheel or sdist: its project (normalized), version and sha256."""

    path: Path
    project: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.path.name

    def digest(self, algorithm: str) -> str:
        if algorithm == "sha256":
            return self.sha256
        return hashlib.new(algorithm, self.path.read_bytes()).hexdigest()


def read_distribution(path: Path) -> Distribution:
    """Name, version and sha256 of a wheel or sdist whose metadata agrees with its filename."""
    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
        elif path.name.endswith(SDIST_SUFFIX):
            name, version = parse_sdist_filename(path.name)
        else:
            raise ConfigError(f"{path.name}: not a wheel or sdist (.whl, {SDIST_SUFFIX})")
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    meta_name, meta_version = _metadata_name_version(path)
    # An index keeps a file forever: one whose name lies about its content must never get there.
    if canonicalize_name(meta_name) != canonicalize_name(name) or meta_version != str(version):
        raise ConfigError(
            f"{path.name}: its metadata says {meta_name[:60]} {meta_version[:30]}, its filename {name} {version}; "
            "rebuild it instead of renaming it"
        )
    return Distribution(path, canonicalize_name(name), str(version), file_sha256(path))


def _metadata_name_version(path: Path) -> tuple[str, str]:
    """Name and Version from the METADATA of a wheel or the PKG-INFO of an sdist."""
    try:
        text = _wheel_metadata(path) if path.name.endswith(".whl") else _sdist_metadata(path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, UnicodeDecodeError):
        raise ConfigError(f"{path.name}: not a readable archive (truncated or corrupt)") from None
    if text is None:
        raise ConfigError(f"{path.name}: has no package metadata (METADATA or PKG-INFO)")
    headers = HeaderParser().parsestr(text)
    return str(headers.get("Name", "")).strip(), str(headers.get("Version", "")).strip()


def _wheel_metadata(path: Path) -> str | None:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            return None
        if archive.testzip() is not None:
            raise zipfile.BadZipFile(path.name)
        return archive.read(names[0]).decode("utf-8")


def _sdist_metadata(path: Path) -> str | None:
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                stream = archive.extractfile(member)
                return stream.read().decode("utf-8") if stream is not None else None
    return None


def default_files(ws: Workspace, project: str) -> list[Path]:
    """Every wheel and sdist of `project` directly in dist/ (build puts the tool's wheel there too)."""
    stem = canonicalize_name(project).replace("-", "_")
    files = sorted(ws.dist_dir.glob(f"{stem}-*.whl")) + sorted(ws.dist_dir.glob(f"{stem}-*{SDIST_SUFFIX}"))
    if not files:
        raise ConfigError(f"no {project} wheel in {ws.relative(ws.dist_dir)}/: run `ss3-schema build` first")
    return files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
