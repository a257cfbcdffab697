"""Compiled schema images: buf builds them, the event checks and generation read them."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from ss3_schema import atomic
from ss3_schema.errors import SchemaError, ToolError
from ss3_schema.report import Violation
from ss3_schema.toolchain import BUF_VIOLATIONS_EXIT, buf_executable, cache_dir, parse_buf_json, run_buf
from ss3_schema.workspace import schema_files

# Field numbers inside descriptor.proto, used to address SourceCodeInfo paths.
FILE_MESSAGE_TYPE = 4
FILE_OPTIONS = 8
# buf's SourceCodeInfo columns count characters, with a tab advancing to the next multiple of 4.
SOURCE_TAB_WIDTH = 4
# Compiled images kept by content (see cached_image); the oldest beyond this many are removed.
IMAGE_CACHE_ENTRIES = 256


class CompileFailed(SchemaError):
    """The schema does not compile; carries buf's located findings."""

    def __init__(self, violations: list[Violation]) -> None:
        first = violations[0] if violations else None
        where = f"{first.file}:{first.line}:{first.column}: {first.message}" if first else "unknown error"
        super().__init__(f"schema does not compile: {where}")
        self.violations = violations


@dataclass(frozen=True)
class Image:
    """A FileDescriptorSet plus which files are the module's own (not imports)."""

    files: tuple[descriptor_pb2.FileDescriptorProto, ...]
    own: frozenset[str]
    path_prefix: str  # how the image's file names map to repository paths
    source_dir: Path | None = None  # the tree that holds proto/, when its text is still there to read

    def source_line(self, name: str, line: int) -> str | None:
        """Line `line` (0-based) of own file `name` as written, tabs expanded as buf counts columns."""
        if self.source_dir is None or name not in self.own:
            return None
        lines = (self.source_dir / "proto" / name).read_text(encoding="utf-8").splitlines()
        return lines[line].expandtabs(SOURCE_TAB_WIDTH) if line < len(lines) else None

    def own_files(self) -> list[descriptor_pb2.FileDescriptorProto]:
        return [f for f in self.files if f.name in self.own]

    def repo_path(self, name: str) -> str:
        return self.path_prefix + name


def build_image(
    source_dir: Path, output: Path | None = None, *, path_prefix: str = "proto/", plain: bool = False
) -> Image:
    """Compile the workspace at `source_dir` with buf; raise CompileFailed on errors.

    `output` keeps the image file (with imports and source info) when given.
    `plain` leaves out buf's image extensions: a FileDescriptorSet as protoc
    writes it, for readers other than buf (the catalog's BI bundle).
    """
    own = frozenset(_own_file_names(source_dir))  # refuses what buf must not read, before buf runs
    with tempfile.TemporaryDirectory(prefix="ss3-image-") as tmp:
        target = output or Path(tmp) / "image.binpb"
        args = ["build", "--error-format", "json", "-o", str(target)]
        proc = run_buf([*args, "--as-file-descriptor-set"] if plain else args, cwd=source_dir)
        if proc.returncode == BUF_VIOLATIONS_EXIT:
            raise CompileFailed(parse_buf_json(proc.stdout + "\n" + proc.stderr))
        return _image_of(target.read_bytes(), own, path_prefix, source_dir)


def _image_of(data: bytes, own: frozenset[str], path_prefix: str, source_dir: Path) -> Image:
    fds = descriptor_pb2.FileDescriptorSet.FromString(data)
    return Image(files=tuple(fds.file), own=own, path_prefix=path_prefix, source_dir=source_dir)


def cached_image(source_dir: Path, output: Path, *, inputs: str, path_prefix: str = "proto/") -> Image:
    """build_image, but a tree compiled before is read back rather than compiled again.

    `inputs` must name every byte buf reads in `source_dir` (for a tree exported
    from git: the object ids of its buf.yaml and proto/). The key adds the buf
    executable, so a new buf compiles again. Only successful builds are kept; a
    damaged entry is compiled again and replaced.
    """
    entry = cache_dir() / "images" / f"{_image_key(inputs)}.binpb"
    try:
        data = entry.read_bytes()
        image = _cached_image_of(data, source_dir, path_prefix)
        output.write_bytes(data)
        return image
    except (OSError, SchemaError):
        pass
    image = build_image(source_dir, output, path_prefix=path_prefix)
    _keep(output, entry)
    return image


def _image_key(inputs: str) -> str:
    buf = Path(buf_executable())
    stat = buf.stat()
    identity = f"{buf.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{inputs}"
    return hashlib.sha256(identity.encode()).hexdigest()


def _cached_image_of(data: bytes, source_dir: Path, path_prefix: str) -> Image:
    """The image a cache entry holds, if it is one of `source_dir`; SchemaError otherwise."""
    own = frozenset(_own_file_names(source_dir))
    try:
        image = _image_of(data, own, path_prefix, source_dir)
    except DecodeError:
        raise SchemaError("not an image") from None
    if not own or not own <= {f.name for f in image.files}:
        raise SchemaError(f"not an image of {source_dir}")
    return image


def _keep(image_file: Path, entry: Path) -> None:
    """Put the image into the cache, whole or not at all; best effort."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_file(entry, image_file.read_bytes())
        _prune(entry.parent)
    except (OSError, ToolError):
        pass  # a read-only or full cache only costs the next run a compile


def _prune(cache: Path) -> None:
    entries = sorted(cache.glob("*.binpb"), key=lambda path: path.stat().st_mtime_ns)
    for old in entries[:-IMAGE_CACHE_ENTRIES]:
        old.unlink(missing_ok=True)


def _own_file_names(source_dir: Path) -> list[str]:
    return schema_files(source_dir)


def location_line(fd: descriptor_pb2.FileDescriptorProto, path: list[int]) -> tuple[int, int]:
    """1-based line and column of the element at SourceCodeInfo `path` (longest known prefix)."""
    line, column, _, _ = location_span(fd, path)
    return line, column


def location_span(fd: descriptor_pb2.FileDescriptorProto, path: list[int]) -> tuple[int, int, int, int]:
    """1-based start line, start column, end line, end column of the element at `path` (longest known prefix)."""
    spans = {tuple(loc.path): loc.span for loc in fd.source_code_info.location}
    for end in range(len(path), -1, -1):
        span = spans.get(tuple(path[:end]))
        if span:
            # SourceCodeInfo spans are [line, col, end_col] or [line, col, end_line, end_col], 0-based.
            end_line = span[2] if len(span) == 4 else span[0]
            return span[0] + 1, span[1] + 1, end_line + 1, span[-1] + 1
    return 1, 1, 1, 1


def violation_at(
    image: Image, fd: descriptor_pb2.FileDescriptorProto, path: list[int], rule: str, message: str
) -> Violation:
    line, column, end_line, end_column = location_span(fd, path)
    return Violation(image.repo_path(fd.name), line, column, rule, message, end_line, end_column)
