"""`python -m devservices COMMAND [NAME ...]`: one command for every local service.

    python -m devservices status                  what runs where, with the export lines (exit 0)
    python -m devservices up|down|reset|status NAME ...
    python -m devservices down|reset              every service

NAME is registry, kafka, pypi or maven-repo. Each service runs its own
`python -m devservices.<module> COMMAND` with its defaults (ports and data
kept from last time); that command's options (`--port`, `--basic-auth`, ...)
are for starting one service differently. The exit code is the worst of the
services' (0 done, 2 failed; a named `status` is 2 for a server that is not
running, the overview is always 0).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from devservices import kafka, maven_repo, pypi, registry
from devservices.common import Service, run_cli

SERVICES: dict[str, tuple[Service, Callable[[], Path], Callable[[Sequence[str]], int]]] = {
    service.name: (service, state_dir, main)
    for service, state_dir, main in (
        (registry.SERVICE, registry.default_state_dir, registry.main),
        (kafka.SERVICE, kafka.default_state_dir, kafka.main),
        (pypi.SERVICE, pypi.default_state_dir, pypi.main),
        (maven_repo.SERVICE, maven_repo.default_state_dir, maven_repo.main),
    )
}
COMMANDS = ("up", "status", "down", "reset")
USAGE = f"usage: python -m devservices {{{'|'.join(COMMANDS)}}} [{' '.join(SERVICES)} ...]"


def overview() -> int:
    for service, state_dir, _ in SERVICES.values():
        lines, _ = service.state_summary(state_dir())
        print("\n".join(lines))
    return 0


def run_each(command: str, names: Sequence[str]) -> int:
    """`command` for each named service in turn; the worst exit code."""
    codes = []
    for name in names:
        if command in ("down", "reset"):  # their one line ("stopped") does not name the service
            print(f"{name}: ", end="", flush=True)
        codes.append(SERVICES[name][2]([command]))
    return max(codes)


def main(argv: Sequence[str]) -> int:
    command, names = (argv[0], list(argv[1:])) if argv else ("", [])
    unknown = [name for name in names if name not in SERVICES]
    if command not in COMMANDS or unknown or (command == "up" and not names):
        problem = f"unknown service {unknown[0]!r}; " if unknown else ""
        print(f"{problem}{USAGE}", file=sys.stderr)
        return 2
    if command == "status" and not names:
        return run_cli("devservices", overview)
    return run_each(command, names or list(SERVICES))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
