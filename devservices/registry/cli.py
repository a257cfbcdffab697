"""The command line: `python -m devservices.registry up|status|down|reset` (see the package's docstring)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

from devservices.common import (
    HOST,
    Service,
    kept_port,
    memory_text,
    read_state,
    remember_ports,
    remembered_ports,
    serve_command_line,
    service_parser,
)
from devservices.registry.config import RULE_TYPES
from devservices.registry.health import http_get
from devservices.registry.process import (
    DATA_DIR,
    PROCESS_MARKER,
    START_TIMEOUT_S,
    STATE_ENTRIES,
    STOP_TIMEOUT_S,
    default_state_dir,
    start_registry,
)


def _parse_user(value: str) -> tuple[str, str]:
    user, separator, password = value.partition(":")
    if not separator or not user or not password:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def _parse_rule(value: str) -> tuple[str, str]:
    rule_type, separator, level = value.partition("=")
    if not separator or rule_type.upper() not in RULE_TYPES or not level:
        raise argparse.ArgumentTypeError(f"expected TYPE=LEVEL with TYPE in {RULE_TYPES}")
    return rule_type.upper(), level.upper()


def _build_parser() -> argparse.ArgumentParser:
    parser, up = service_parser(
        "Local Apicurio Registry for ss3-protos.", ".cache/registry", "start a registry and print its base URL"
    )
    up.add_argument("--port", type=int, default=0, help="HTTP port (0 = pick a free port)")
    up.add_argument(
        "--basic-auth",
        metavar="USER:PASSWORD",
        type=_parse_user,
        action="append",
        default=[],
        help="require HTTP basic auth; repeat for more users (all get sr-admin)",
    )
    up.add_argument(
        "--legacy-error-codes",
        action="store_true",
        help="answer rule violations with 409 (pre-3.3 behaviour) instead of 400",
    )
    up.add_argument(
        "--global-rule",
        metavar="TYPE=LEVEL",
        type=_parse_rule,
        action="append",
        default=[],
        help="server-wide default rule, e.g. VALIDITY=FULL (none by default)",
    )
    up.add_argument("--timeout", type=float, default=START_TIMEOUT_S, help="start-up timeout (s)")
    return parser


def _cmd_up(args: argparse.Namespace, state_dir: Path) -> dict[str, object]:
    kept = remembered_ports(state_dir)
    registry = start_registry(
        port=kept_port(args.port, kept.get("port"), name="port", service="registry"),
        management_port=kept_port(0, kept.get("management_port"), name="management port", service="registry"),
        basic_auth=args.basic_auth or None,
        legacy_error_codes=args.legacy_error_codes,
        state_dir=state_dir,
        global_rules=dict(args.global_rule),
        timeout=args.timeout,
        data_dir=state_dir / DATA_DIR,
    )
    remember_ports(state_dir, {"port": registry.port, "management_port": registry.management_port})
    return read_state(state_dir) or {"url": registry.url}


def _exports(state: Mapping[str, object]) -> dict[str, str]:
    exports = {"SS3_REGISTRY_URL": str(state.get("url"))}
    user = state.get("auth_user")
    if isinstance(user, str):
        exports["SS3_REGISTRY_USERNAME"] = user  # the password stays in config/application.properties
    return exports


def _describe(state: Mapping[str, object]) -> tuple[str, bool]:
    pid = state.get("pid")
    management_port = state.get("management_port")
    healthy = isinstance(management_port, int) and (
        http_get(f"http://{HOST}:{management_port}/health/ready", None)[0] == 200
    )
    health = "ready" if healthy else "NOT ready"
    return f"{state.get('url')} pid={pid} version={state.get('version')} {health} rss={memory_text(pid)}", healthy


SERVICE = Service(
    name="registry",
    what="registry",
    marker=PROCESS_MARKER,
    entries=STATE_ENTRIES,
    exports=_exports,
    describe=_describe,
    stop_timeout=STOP_TIMEOUT_S,
)


def main(argv: Sequence[str] | None = None) -> int:
    return serve_command_line(SERVICE, _build_parser(), default_state_dir, _cmd_up, argv)
