"""Stage: build the Maven artifact com.shopstar3:ss3-protos, a jar of the schema sources.

JVM services generate their own code from the `.proto` files (Quarkus:
`quarkus.generate-code.grpc.scan-for-proto=com.shopstar3:ss3-protos`), so the
jar carries every `ss3/**/*.proto` at its root and nothing else but the
manifest and the POM; `google/*` imports come from protobuf-java.

The jar is reproducible: entries in a fixed order, every timestamp the commit
time of HEAD (SOURCE_DATE_EPOCH), fixed permissions, and stored rather than
deflated, so its bytes do not depend on the zlib of the machine that built
it. Publishing relies on that: the same version must always be the same bytes.
"""

from __future__ import annotations

import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from ss3_schema import atomic
from ss3_schema.artifacts.wheel import source_date_epoch
from ss3_schema.errors import ConfigError, ToolError
from ss3_schema.workspace import Workspace, read_version

GROUP_ID = "com.shopstar3"
ARTIFACT_ID = "ss3-protos"
SCHEMA_PREFIX = "ss3/"
MANIFEST = "META-INF/MANIFEST.MF"
POM_DIR = f"META-INF/maven/{GROUP_ID}/{ARTIFACT_ID}"
# Zip timestamps cannot go below 1980-01-01 (the DOS epoch).
ZIP_EPOCH = 315532800
FILE_MODE = 0o644
DIR_MODE = 0o755
UNIX_SYSTEM = 3
# Maven version strings may be anything in principle; this keeps the one we
# write into paths and URLs from ever being a path of its own.
VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+-]*")


@dataclass(frozen=True)
class MavenArtifact:
    """A built jar and its POM, with the coordinates they are published under."""

    version: str
    jar: Path
    pom: Path

    @property
    def coordinates(self) -> str:
        return f"{GROUP_ID}:{ARTIFACT_ID}:{self.version}"


def artifact_paths(ws: Workspace, version: str) -> MavenArtifact:
    """Where `build_jar` puts the jar and POM of `version` (dist/ss3-protos-<version>.jar/.pom)."""
    stem = f"{ARTIFACT_ID}-{checked_version(version)}"
    return MavenArtifact(version, ws.dist_dir / f"{stem}.jar", ws.dist_dir / f"{stem}.pom")


def checked_version(version: str) -> str:
    if not VERSION_PATTERN.fullmatch(version):
        raise ConfigError(f"VERSION: {version!r} is not a usable Maven version")
    return version


def build_jar(ws: Workspace) -> MavenArtifact:
    """Build dist/ss3-protos-<VERSION>.jar and .pom from proto/ss3 (no generation needed)."""
    artifact = artifact_paths(ws, read_version(ws))
    schemas = [name for name in ws.proto_files() if name.startswith(SCHEMA_PREFIX)]
    if not schemas:
        raise ToolError(f"no schema files under {ws.relative(ws.proto_dir)}/{SCHEMA_PREFIX}")
    pom = render_pom(artifact.version)
    members = {
        MANIFEST: render_manifest(artifact.version),
        f"{POM_DIR}/pom.xml": pom,
        f"{POM_DIR}/pom.properties": render_pom_properties(artifact.version),
    }
    members.update({name: (ws.proto_dir / name).read_bytes() for name in schemas})
    # A failed build leaves the previous files, never half of new ones.
    with atomic.staging(ws.dist_dir, ".build-jar-") as staging:
        jar, pom_file = staging / artifact.jar.name, staging / artifact.pom.name
        write_jar(jar, members, _zip_time(ws))
        pom_file.write_bytes(pom)
        for built, target in ((jar, artifact.jar), (pom_file, artifact.pom)):
            built.chmod(FILE_MODE)
            atomic.replace_file(built, target)
    return artifact


def write_jar(path: Path, members: dict[str, bytes], timestamp: int) -> None:
    """A jar of `members` (name -> bytes): manifest first, then directories and files sorted."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name in _ordered_entries(members):
            info = zipfile.ZipInfo(name, date_time=time.gmtime(timestamp)[:6])
            info.create_system = UNIX_SYSTEM
            is_dir = name.endswith("/")
            info.external_attr = ((0o040000 | DIR_MODE) if is_dir else (0o100000 | FILE_MODE)) << 16
            archive.writestr(info, b"" if is_dir else members[name])


def _ordered_entries(members: dict[str, bytes]) -> list[str]:
    # java.util.jar.JarInputStream finds the manifest only as the first or
    # second entry, after META-INF/; everything else in plain sorted order.
    directories = {name[: index + 1] for name in members for index, char in enumerate(name) if char == "/"}
    head = ["META-INF/", MANIFEST]
    return head + sorted((directories | set(members)) - set(head))


def _zip_time(ws: Workspace) -> int:
    return max(int(source_date_epoch(ws)), ZIP_EPOCH)


def render_manifest(version: str) -> bytes:
    lines = [
        "Manifest-Version: 1.0",
        "Created-By: ss3-schema",
        f"Implementation-Title: {ARTIFACT_ID}",
        f"Implementation-Version: {version}",
        f"Implementation-Vendor-Id: {GROUP_ID}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def render_pom(version: str) -> bytes:
    """A POM with coordinates and description only: the jar has no dependencies."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{GROUP_ID}</groupId>
  <artifactId>{ARTIFACT_ID}</artifactId>
  <version>{escape(version)}</version>
  <packaging>jar</packaging>
  <name>{ARTIFACT_ID}</name>
  <description>ShopSTAR3 Protobuf schemas: .proto sources of every event and gRPC API</description>
</project>
""".encode()


def render_pom_properties(version: str) -> bytes:
    return f"artifactId={ARTIFACT_ID}\ngroupId={GROUP_ID}\nversion={version}\n".encode()
