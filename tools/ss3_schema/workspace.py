"""Where things live in a checkout of the schema repository."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ss3_schema import validate
from ss3_schema.errors import ConfigError

PROTO_DIR = "proto"
PACKAGE_PROJECT_DIR = "ss3-protos"
DIST_DIR = "dist"
VERSION_FILE = "VERSION"


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
        """Import paths (relative to proto/) of every schema file, sorted."""
        return sorted(p.relative_to(self.proto_dir).as_posix() for p in self.proto_dir.rglob("*.proto"))


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
        text = validate.read_text(ws.version_file, VERSION_FILE).strip()
    except FileNotFoundError:
        raise ConfigError(f"{VERSION_FILE}: missing; it holds the release version, e.g. 1.0.0") from None
    if not text:
        raise ConfigError(f"{VERSION_FILE}: empty; it holds the release version, e.g. 1.0.0")
    validate.version(text, VERSION_FILE)
    return text
