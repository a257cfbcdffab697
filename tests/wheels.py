"""Minimal valid wheels for publish tests, optionally lying about themselves."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def make_wheel(
    directory: Path,
    payload: str = "x = 1\n",
    *,
    name: str = "ss3_protos",
    version: str = "1.0.0",
    metadata_version: str | None = None,
) -> Path:
    """A wheel `<name>-<version>`; `payload` changes its bytes, `metadata_version` makes METADATA disagree."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{version}-py3-none-any.whl"
    meta = metadata_version or version
    info = f"{name}-{meta}.dist-info"
    files = {
        f"{name}/__init__.py": payload,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {meta}\nRequires-Dist: protobuf\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(path, "w") as wheel:
        for member, text in files.items():
            wheel.writestr(member, text)
        wheel.writestr(f"{info}/RECORD", "".join(f"{m},{_record_hash(t)},{len(t)}\n" for m, t in files.items()))
    return path


def _record_hash(text: str) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
