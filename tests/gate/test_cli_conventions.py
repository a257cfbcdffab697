"""What every command shares: --version, -q/-v, NO_COLOR, stdout vs stderr, the formats, partial verdicts."""

from __future__ import annotations

import json
import re
import socket

import click
import pytest
from ss3_schema.cli.main import cli

from tests.helpers import REPO_ROOT, SchemaRepo, diagnostics, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
DROPPED = "  // Amount refunded to the customer; zero when nothing was paid yet.\n  ss3.common.v1.Money refunded = 4;\n"
REFUNDED = "  ss3.common.v1.Money refunded = 4;\n"
ADDED = REFUNDED + "  // Why it was cancelled, in the customer's words.\n  string note = 5;\n"


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _pr(repo: SchemaRepo, old: str, new: str) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.replace(EVENTS, old, new)
    repo.commit("pr")


def test_version_option(schema_repo: SchemaRepo) -> None:
    proc = run_cli("--version", cwd=schema_repo.root)
    assert proc.returncode == 0
    assert proc.stdout.startswith("ss3-schema ") and proc.stdout.strip().split()[-1][0].isdigit()


@pytest.mark.integration  # sockets on 127.0.0.1
def test_unreachable_registry_still_reports_every_other_verdict(schema_repo: SchemaRepo) -> None:
    _pr(schema_repo, DROPPED, "")
    env = {"SS3_REGISTRY_RETRIES": "0", "SS3_REGISTRY_TIMEOUT": "2"}
    proc = run_cli("check", "--against", "main", "--registry-url", _closed_port_url(), cwd=schema_repo.root, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the change is refused either way
    assert "FIELD_NO_DELETE" in proc.stdout and "(incomplete)" in proc.stdout
    assert "error:" in proc.stderr


@pytest.mark.integration  # sockets on 127.0.0.1
def test_unreachable_registry_on_a_clean_change_exits_2_with_the_verdict(schema_repo: SchemaRepo) -> None:
    _pr(schema_repo, REFUNDED, ADDED)
    env = {"SS3_REGISTRY_RETRIES": "1", "SS3_REGISTRY_TIMEOUT": "2"}
    args = ("check", "--against", "main", "--format", "json", "--registry-url", _closed_port_url())
    proc = run_cli(*args, cwd=schema_repo.root, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["violations"] == [] and report["summary"] == "check: ok (incomplete)"
    assert any(n.startswith("incomplete verdict:") for n in report["notices"])
    assert "attempt 1/2 failed" in proc.stderr  # the retry is visible, with its count


def test_json_carries_the_base_commit_and_the_notices(schema_repo: SchemaRepo) -> None:
    base = schema_repo.git("rev-parse", "HEAD")
    _pr(schema_repo, REFUNDED, ADDED)
    for command in ("check", "breaking"):
        proc = run_cli(command, "--against", "main", "--format", "json", cwd=schema_repo.root)
        report = json.loads(proc.stdout)
        assert proc.returncode == 0 and report["base"] == base
        assert any("merge-base of main and HEAD" in n for n in report["notices"])
        assert diagnostics(proc.stderr) == []  # nothing outside the document but progress


def test_github_annotations_have_end_positions(schema_repo: SchemaRepo) -> None:
    _pr(schema_repo, DROPPED, "")
    proc = run_cli("check", "--against", "main", "--format", "github", cwd=schema_repo.root)
    [annotation] = [line for line in proc.stdout.splitlines() if "title=FIELD_NO_DELETE" in line]
    start = schema_repo.line_of(EVENTS, "message OrderCancelled {")
    end = start + schema_repo.read(EVENTS).splitlines()[start - 1 :].index("}")
    assert annotation.startswith(f"::error file={EVENTS},line={start},endLine={end},col=1,endColumn=2,")


def test_lint_findings_say_how_to_fix_them(schema_repo: SchemaRepo) -> None:
    schema_repo.replace(EVENTS, "// A customer placed an order at checkout.\n", "")
    schema_repo.replace(EVENTS, "message OrderCancelled {", "message order_cancelled {")
    proc = run_cli("lint", cwd=schema_repo.root)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("proto/")]
    assert proc.returncode == 1 and lines
    assert all("(fix: " in line for line in lines), lines


def test_quiet_keeps_results_and_errors_only(schema_repo: SchemaRepo) -> None:
    quiet = run_cli("-q", "check", "--against", "main", cwd=schema_repo.root)
    assert quiet.returncode == 0 and quiet.stdout.strip() == "check: ok" and quiet.stderr == ""
    normal = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert "note: registry check skipped" in normal.stderr
    error = run_cli("-q", "check", "--against", "nope", cwd=schema_repo.root)
    assert error.returncode == 2 and error.stderr.startswith("error: ")


@pytest.mark.parametrize("command", ["check", "register", "gen", "version", "register-openapi"])
def test_quiet_and_verbose_work_before_and_after_every_command_name(command: str) -> None:
    for where in ([flag, command, "--help"] for flag in ("-q", "-v")):
        assert run_cli(*where, cwd=REPO_ROOT).returncode == 0, where
    for where in ([command, flag, "--help"] for flag in ("-q", "--quiet", "-v", "--verbose")):
        proc = run_cli(*where, cwd=REPO_ROOT)
        assert proc.returncode == 0, (where, proc.stderr)
        assert "-q, --quiet" in proc.stdout and "-v, --verbose" in proc.stdout


def test_quiet_after_the_command_name_is_quiet(schema_repo: SchemaRepo) -> None:
    quiet = run_cli("check", "-q", "--against", "main", cwd=schema_repo.root)
    assert quiet.returncode == 0 and quiet.stdout.strip() == "check: ok" and quiet.stderr == ""
    both = run_cli("-q", "check", "-v", "--against", "main", cwd=schema_repo.root)
    assert both.returncode == 2 and "-q and -v exclude each other" in both.stderr


def test_verbose_shows_debug_lines(schema_repo: SchemaRepo) -> None:
    proc = run_cli("-v", "check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 0 and "debug: " in proc.stderr


def test_no_color_means_plain_text_even_when_colour_is_forced(schema_repo: SchemaRepo) -> None:
    coloured = run_cli("check", "--against", "nope", cwd=schema_repo.root, env={"SS3_FORCE_COLOR": "1"})
    plain = run_cli("check", "--against", "nope", cwd=schema_repo.root, env={"SS3_FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" in coloured.stderr
    assert "\x1b[" not in plain.stderr and plain.stderr.startswith("error: ")


def test_the_cli_page_lists_every_command_and_only_those() -> None:
    page = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)[ `]", page, re.MULTILINE)) - {"command"}
    with click.Context(cli) as ctx:
        assert documented == set(cli.list_commands(ctx))


def test_every_option_the_cli_page_shows_is_an_option_of_its_command() -> None:
    page = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (`[a-z-]+[^|]*?) \|", page, re.MULTILINE)
    with click.Context(cli) as ctx:
        for row in rows:
            name = re.match(r"`([a-z-]+)", row)
            command = cli.get_command(ctx, name[1]) if name else None
            if command is None:
                continue
            known = {opt for param in command.params for opt in getattr(param, "opts", ())}
            shown = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", row))
            assert shown <= known, f"docs/cli.md shows {sorted(shown - known)} for `{name[1] if name else row}`"
