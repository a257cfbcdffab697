"""`python -m devservices status`: what runs where, for every local service, with the export lines to use them.

An overview: it exits 0 whatever runs (each line says what does not); the
services' own `status` commands exit 2 for a server that is not running.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from devservices import kafka, maven_repo, pypi, registry
from devservices.common import run_cli

SERVICES = (
    (registry.SERVICE, registry.default_state_dir),
    (kafka.SERVICE, kafka.default_state_dir),
    (pypi.SERVICE, pypi.default_state_dir),
    (maven_repo.SERVICE, maven_repo.default_state_dir),
)


def status() -> int:
    for service, state_dir in SERVICES:
        lines, _ = service.state_summary(state_dir())
        print("\n".join(lines))
    return 0


def main(argv: Sequence[str]) -> int:
    if list(argv) != ["status"]:
        print("usage: python -m devservices status", file=sys.stderr)
        return 2
    return run_cli("devservices", status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
