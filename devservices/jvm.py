"""Finding a JDK, for every Java-based local service and the Java test harness (Maven: devservices.maven).

``find_java(min_major)`` picks a ``java`` of at least that feature version
(JAVA_HOME first when new enough, else the newest in the usual install
directories or on PATH).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from devservices.common import DevServiceError

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
