"""Where things live in a checkout of the schema repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ss3_schema import validate
from ss3_schema.errors import ConfigError, SchemaError

PROTO_DIR = "proto"
PACKAGE_PROJECT_DIR = "ss3-protos"
DIST_DIR = "dist"
VERSION_FILE = "VERSION"
# 100 times the largest schema file today: bounds what gen, register and the catalog read and send.
MAX_SCHEMA_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Workspace:
    """A checkout: the directory that holds buf.yaml, proto/ and ss3-protos/."""

    root: Path

    @property
    def proto_dir(self) -> Path:
        return self.root / PROTO_DIR

    @property
    def package_project(self) -> Path:
        return self.root / PACKAGE_PROJECT_DIR

    @property
    def package_runtime(self) -> Path:
        """Hand-written modules of the wheel (the Kafka runtime), copied into the generated package."""
        return self.package_project / "runtime"

    @property
    def generated_root(self) -> Path:
        """Where generated modules go: the wheel project's src/ directory."""
        return self.package_project / "src"

    @property
    def dist_dir(self) -> Path:
        return self.root / DIST_DIR

    @property
    def version_file(self) -> Path:
        return self.root / VERSION_FILE

    def relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def proto_files(self) -> list[str]:
        """Import paths (relative to proto/) of every schema file, sorted: the one schema set (see schema_files)."""
        return schema_files(self.root)


def schema_files(root: Path) -> list[str]:
    """Import paths of every `.proto` under root/proto/, sorted: what buf compiles and every stage uses.

    The gate, gen, build, register, version and the catalog all take their files
    from here. A symbolic link anywhere under proto/ (or proto/ itself) is refused:
    followed, it could bring in text from outside the repository, and a linked
    directory is one that Python's walk and buf's disagree about.
    """
    top = root / PROTO_DIR
    _refuse_symlink(top, PROTO_DIR)
    if not top.is_dir():
        return []
    found: list[str] = []
    for directory, subdirs, files in os.walk(top, onerror=_walk_error):
        rel_dir = Path(directory).relative_to(top)
        for name in sorted([*subdirs, *files]):
            _refuse_symlink(Path(directory) / name, (Path(PROTO_DIR) / rel_dir / name).as_posix())
        found += [(rel_dir / name).as_posix() for name in files if name.endswith(".proto")]
    for name in found:
        _refuse_oversized(top / name, f"{PROTO_DIR}/{name}")
    return sorted(found)


def _refuse_oversized(path: Path, shown: str) -> None:
    size = path.stat().st_size
    if size > MAX_SCHEMA_FILE_BYTES:
        raise SchemaError(f"{shown}: {size} bytes; a schema file is at most {MAX_SCHEMA_FILE_BYTES} (docs/security.md)")


def _refuse_symlink(path: Path, shown: str) -> None:
    if path.is_symlink():
        raise SchemaError(
            f"{shown}: a symbolic link; everything under {PROTO_DIR}/ must be a real file or directory "
            "in the repository (docs/security.md)"
        )


def _walk_error(error: OSError) -> None:
    raise ConfigError(f"cannot read {error.filename}: {error.strerror}")


def find_workspace(start: Path | None = None) -> Workspace:
    """The nearest directory at or above `start` that contains buf.yaml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "buf.yaml").is_file():
            return Workspace(candidate)
    raise ConfigError(f"no buf.yaml found in {here} or any parent directory; run inside the schema repository")


def read_version(ws: Workspace) -> str:
    """The release version declared in the VERSION file: MAJOR.MINOR.PATCH, checked here for every stage.

    It ends up in generated Python code and in the wheel's name, so nothing but a plain version passes.
    """
    try:
        text = validate.read_text(validate.not_a_link(ws.version_file, VERSION_FILE), VERSION_FILE).strip()
    except FileNotFoundError:
        raise ConfigError(f"{VERSION_FILE}: missing; it holds the release version, e.g. 1.0.0") from None
    if not text:
        raise ConfigError(f"{VERSION_FILE}: empty; it holds the release version, e.g. 1.0.0")
    validate.version(text, VERSION_FILE)
    return text
