"""Issue 17: the gate cannot be bypassed, and no code from a PR ever holds a credential.

One test (or a few) per numbered finding of the issue, each built the way
someone with push access to a branch would try it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fakes import Answer, FakeServer
from tests.helpers import REPO_ROOT, SchemaRepo, make_schema_repo, require_nginx, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
DELETED_FIELD = "  // Why the order was cancelled.\n  CancellationReason reason = 3;\n"
# Two lines in the tool, as the issue found them: every *DELETE* finding is dropped.
DROP_DELETES = (
    "    return violations\n",
    '    return [v for v in violations if "DELETE" not in v.rule]\n',
)
WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _pr_that_drops_its_own_findings(tmp_path: Path) -> tuple[SchemaRepo, str]:
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    base = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "pr")
    repo.replace("tools/ss3_schema/toolchain/__init__.py", *DROP_DELETES)
    repo.replace(EVENTS, DELETED_FIELD, "")
    repo.commit("drop a field, and the finding that names it")
    return repo, base


def _run_prs_own_tool(repo: SchemaRepo, *args: str) -> subprocess.CompletedProcess[str]:
    """What the old workflow did: install tools/ from the PR and run it."""
    env = dict(os.environ, PYTHONPATH=str(repo.path("tools")))
    command = [sys.executable, "-m", "ss3_schema", *args]
    return subprocess.run(command, cwd=repo.root, env=env, capture_output=True, text=True, check=False)


def _make_pr_gate(repo: SchemaRepo, base: str) -> subprocess.CompletedProcess[str]:
    """The workflow's gate entry point, run from this checkout (the base) on the PR's checkout."""
    command = [
        "make",
        "-s",
        "-o",
        ".venv/.installed",
        "pr-gate",
        f"BIN={Path(sys.executable).parent}",
        f"PR={repo.root}",
        f"BASE_SHA={base}",
        "FORMAT=github",
    ]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_issue17_item04_a_pr_whose_tool_drops_findings_still_fails_the_gate(tmp_path: Path) -> None:
    repo, base = _pr_that_drops_its_own_findings(tmp_path)
    own = _run_prs_own_tool(repo, "check", "--against", base)
    assert own.returncode == 0, "the fixture's tool should hide the deleted field: " + own.stdout + own.stderr

    gate = _make_pr_gate(repo, base)

    # make exits 2 whenever a recipe fails; the entry point's own code is 1, a finding.
    assert gate.returncode != 0 and "pr-gate] Error 1" in gate.stderr, gate.stdout + gate.stderr
    assert f"::error file={EVENTS}," in gate.stdout
    assert "FIELD_NO_DELETE" in gate.stdout


def _workflow(name: str) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_issue17_item04_no_job_that_runs_pr_code_holds_a_secret() -> None:
    for path in sorted(WORKFLOWS.glob("*.yaml")):
        workflow = _workflow(path.name)
        if "pull_request" in workflow["on"]:
            assert "secrets." not in path.read_text(encoding="utf-8"), path.name


def test_issue17_item04_the_job_with_the_gate_secret_runs_only_mains_code() -> None:
    gate = _workflow("gate.yaml")
    assert set(gate["on"]) == {"pull_request_target"}  # the file as it is on main, never the PR's copy
    steps = _steps(gate)
    checkouts = [step.get("with", {}) for step in steps if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts[0].get("path") == "base" and "ref" not in checkouts[0]
    assert checkouts[1] == {
        "ref": "${{ github.event.pull_request.head.sha }}",
        "path": "pr",
        "fetch-depth": 0,
        "persist-credentials": False,
    }
    runs = [step["run"] for step in steps if "run" in step]
    assert runs == [
        "make -C base venv",
        'make -C base pr-gate PR="$GITHUB_WORKSPACE/pr" BASE_SHA="$BASE_SHA" FORMAT=github',
    ]
    assert not any("cache" in str(step.get("with", {})) for step in steps)


def test_issue17_item04_codeowners_cover_everything_that_decides_the_verdict() -> None:
    owned = {
        line.split()[0]
        for line in (REPO_ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    required = {"/tools/", "/.github/", "/Makefile", "/buf.yaml", "/buf.gen.yaml", "/gate-overrides.yaml"}
    assert required | {"/requirements/"} <= owned


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, proc.stdout + proc.stderr
    return lines[0]


def _link_the_orders_directory(repo: SchemaRepo) -> None:
    """The issue's recipe: the orders schemas move elsewhere, a link keeps buf compiling them."""
    repo.path("elsewhere").mkdir()
    repo.git("mv", "proto/ss3/orders/v1", "elsewhere/orders-v1")
    repo.path("proto/ss3/orders/v1").symlink_to("../../../elsewhere/orders-v1")
    repo.replace("elsewhere/orders-v1/order_events.proto", "ss3.orders.order-events.v1", "ss3.orders.renamed.v1")
    repo.commit("orders through a link")


@pytest.mark.parametrize(
    "command",
    [
        ["check", "--against", "main"],
        ["lint"],
        ["gen"],
        ["register", "--dry-run", "--registry-url", "http://127.0.0.1:9"],
        ["version", "--check"],
        ["catalog"],
    ],
    ids=lambda c: c[0],
)
def test_issue17_item01_a_symlinked_schema_directory_is_refused_by_every_stage(
    tmp_path: Path, command: list[str]
) -> None:
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    repo.git("checkout", "-q", "-b", "pr")
    _link_the_orders_directory(repo)

    proc = run_cli(*command, cwd=repo.root)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _one_error_line(proc) == (
        "error: proto/ss3/orders/v1: a symbolic link; everything under proto/ must be a real file or directory "
        "in the repository (docs/security.md)"
    )


def test_issue17_item01_a_link_to_a_file_outside_the_repository_is_never_read(
    tmp_path: Path, schema_repo: SchemaRepo
) -> None:
    outside = tmp_path / "outside.proto"
    outside.write_text('syntax = "proto3";\npackage OUTSIDE_SECRET_TEXT;\nmessage lower_case {}\n', encoding="utf-8")
    schema_repo.path("proto/ss3/orders/v1/leak.proto").symlink_to(outside)

    for command in (["lint"], ["check", "--against", "main"]):
        proc = run_cli(*command, cwd=schema_repo.root)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "OUTSIDE_SECRET_TEXT" not in proc.stdout + proc.stderr
        assert "proto/ss3/orders/v1/leak.proto: a symbolic link" in _one_error_line(proc)


def test_issue17_item01_linked_buf_yaml_or_version_is_refused(tmp_path: Path, schema_repo: SchemaRepo) -> None:
    for name in ("buf.yaml", "VERSION"):
        outside = tmp_path / f"outside-{name}"
        outside.write_bytes(schema_repo.path(name).read_bytes())
        schema_repo.path(name).unlink()
        schema_repo.path(name).symlink_to(outside)
        proc = run_cli("version", "--check", cwd=schema_repo.root)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert _one_error_line(proc) == f"error: {name}: a symbolic link; it must be a real file in the repository"
        schema_repo.path(name).unlink()
        schema_repo.path(name).write_bytes(outside.read_bytes())


VENDOR_MODULE = "  - path: proto\n  - path: vendor\n"


def _events_moved_into_a_second_module(repo: SchemaRepo) -> None:
    repo.replace("buf.yaml", "  - path: proto\n", VENDOR_MODULE)
    repo.path("vendor/ss3/orders/v1").mkdir(parents=True)
    repo.git("mv", EVENTS, "vendor/ss3/orders/v1/order_events.proto")
    repo.replace("vendor/ss3/orders/v1/order_events.proto", "ss3.orders.order-events.v1", "ss3.orders.renamed.v1")


def test_issue17_item02_a_second_module_in_buf_yaml_is_a_narrowing(schema_repo: SchemaRepo) -> None:
    _events_moved_into_a_second_module(schema_repo)

    proc = run_cli("check", "--against", "main", "--format", "json", cwd=schema_repo.root)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = [v for v in json.loads(proc.stdout)["violations"] if v["rule"] == "SS3_GATE_RULES_NARROWED"]
    line = schema_repo.line_of("buf.yaml", "path: vendor")
    assert [(v["file"], v["line"], v["message"]) for v in found] == [
        ("buf.yaml", line, "buf.yaml narrows what the gate checks: modules + vendor.")
    ]


def test_issue17_item02_a_changed_module_list_passes_only_with_a_reviewed_override(schema_repo: SchemaRepo) -> None:
    schema_repo.replace("buf.yaml", "  - path: proto\n", VENDOR_MODULE)
    schema_repo.path("vendor/third_party/v1").mkdir(parents=True)
    schema_repo.write("vendor/third_party/v1/money.proto", 'syntax = "proto3";\npackage third_party.v1;\n')
    schema_repo.write(
        "gate-overrides.yaml",
        'overrides:\n  - change: "modules + vendor"\n    reason: "vendored definitions, reviewed"\n',
    )

    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert "modules + vendor; reason: vendored definitions, reviewed" in proc.stderr
    assert "SS3_GATE_RULES_NARROWED" not in proc.stdout


@pytest.mark.parametrize(
    "written",
    [
        "v1      .     Order",  # as long as `ss3.orders.v1.Order`
        "orders .v1.Order   ",
        "ss3.orders . v1.Order",
        "ss3.orders.v1.\n      Order",
        "ss3 /* */ .orders.v1.Order",
    ],
)
def test_issue17_item03_the_full_name_rule_reads_the_type_as_written(schema_repo: SchemaRepo, written: str) -> None:
    schema_repo.git("checkout", "-q", "-b", "pr")
    schema_repo.replace(EVENTS, "  ss3.orders.v1.Order order = 2;", f"  {written} order = 2;")
    schema_repo.commit("a relative name as long as the full one")

    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = schema_repo.line_of(EVENTS, f"  {written.splitlines()[0]}")
    assert f"{EVENTS}:{line}:3: SS3_FIELD_TYPE_FULL_NAME: " in proc.stdout


def test_issue17_item03_full_names_with_tabs_or_a_leading_dot_pass(schema_repo: SchemaRepo) -> None:
    schema_repo.git("checkout", "-q", "-b", "pr")
    schema_repo.replace(EVENTS, "  ss3.orders.v1.Order order = 2;", " \t.ss3.orders.v1.Order\torder = 2;")
    schema_repo.commit("tabs")

    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert "SS3_FIELD_TYPE_FULL_NAME" not in proc.stdout, proc.stdout


FORGED = "ok\n::stop-commands::pause123\nhidden"
OUR_COMMANDS = ("::error ", "::notice::")


def _runner_commands(output: str) -> list[str]:
    """The lines a GitHub runner would act on: every line that starts with `::` after blanks."""
    return [line.strip() for line in output.splitlines() if line.strip().startswith("::")]


def test_issue17_item05_an_override_reason_cannot_command_the_runner(schema_repo: SchemaRepo) -> None:
    schema_repo.replace(
        "buf.yaml", "  use:\n    - FILE\n", "  use:\n    - FILE\n  except:\n    - FIELD_SAME_JSON_NAME\n"
    )
    schema_repo.write(
        "gate-overrides.yaml",
        f'overrides:\n  - change: "breaking.except + FIELD_SAME_JSON_NAME"\n    reason: {json.dumps(FORGED)}\n',
    )
    schema_repo.replace(EVENTS, DELETED_FIELD, "")  # one real finding, whose annotation must still count

    proc = run_cli("check", "--against", "main", "--format", "github", cwd=schema_repo.root)

    assert proc.returncode == 1
    commands = _runner_commands(proc.stdout + "\n" + proc.stderr)
    assert commands and all(line.startswith(OUR_COMMANDS) for line in commands), commands
    notice = next(line for line in commands if "FIELD_SAME_JSON_NAME; reason" in line)
    assert notice.endswith("reason: ok%0A::stop-commands::pause123%0Ahidden")
    assert any("FIELD_NO_DELETE" in line for line in commands)


def test_issue17_item05_text_lines_of_a_registration_cannot_command_the_runner() -> None:
    from ss3_schema.registry.client import Cause  # noqa: PLC0415
    from ss3_schema.registry.register import Action, Outcome, RegisterResult  # noqa: PLC0415
    from ss3_schema.registry.render import render_result  # noqa: PLC0415

    spec = "api\n::error file=x,title=forged::pwned\n.yaml"
    cause = Cause("incompatible\n::add-mask::x", "/paths")
    result = RegisterResult("orders", True, (Outcome("orders-api", spec, Action.REJECTED, causes=(cause,)),))

    output = render_result(result, "github", "register-openapi")

    commands = _runner_commands(output)
    assert len(commands) == 1 and commands[0].startswith("::error file=api%0A%3A%3Aerror file=x%2Ctitle=forged"), (
        commands
    )


@pytest.mark.integration  # creates a venv and runs pip
def test_issue17_item05_the_action_never_prints_the_index_password(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\n", encoding="utf-8")
    env = dict(
        os.environ,
        SS3_SPEC=str(spec),
        SS3_GROUP="orders",
        SS3_ARTIFACT_ID="orders-api",
        SS3_INDEX="http://idxuser:IDXSECRET@127.0.0.1:9/simple/?token=QUERYSECRET",
        SS3_REGISTRY_URL="http://127.0.0.1:9",
        SS3_TOOL_VERSION="1.0.0",
        SS3_PYTHON=sys.executable,
        RUNNER_TEMP=str(tmp_path),
        PIP_RETRIES="0",
        PIP_TIMEOUT="2",
    )
    script = REPO_ROOT / ".github" / "actions" / "register-openapi" / "register-openapi.sh"

    proc = subprocess.run([str(script)], env=env, capture_output=True, text=True, check=False, timeout=300)

    assert proc.returncode == 2
    assert "IDXSECRET" not in proc.stdout + proc.stderr and "QUERYSECRET" not in proc.stdout + proc.stderr
    assert "::error file=" in proc.stdout and "from http://127.0.0.1:9/simple/" in proc.stdout


OPENAPI = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"


@pytest.mark.integration  # sockets on 127.0.0.1
@pytest.mark.parametrize(("option", "value"), [("--artifact-id", ".."), ("--artifact-id", "."), ("--group", "..")])
def test_issue17_item06_dot_ids_are_refused_before_any_request(tmp_path: Path, option: str, value: str) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(OPENAPI, encoding="utf-8")
    ids = {"--group": "hostile", "--artifact-id": "orders-api", option: value}
    with FakeServer(lambda _: Answer(204)) as registry:
        proc = run_cli(
            "register-openapi", str(spec), *[a for pair in ids.items() for a in pair], "--registry-url", registry.url,
            cwd=tmp_path,
        )  # fmt: skip
        sent = list(registry.requests)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert _one_error_line(proc) == (
        f"error: {option} {value!r} is not a registry id: '.' and '..' name a path, not an artifact"
    )
    assert sent == []


@pytest.mark.integration  # sockets on 127.0.0.1
def test_issue17_item06_the_client_never_sends_a_dot_segment() -> None:
    from ss3_schema.errors import UsageError  # noqa: PLC0415
    from ss3_schema.registry.auth import NoAuth  # noqa: PLC0415
    from ss3_schema.registry.client import Connection, RegistryClient  # noqa: PLC0415

    with FakeServer(lambda _: Answer(204)) as registry:
        client = RegistryClient(Connection(registry.url, timeout=5, retries=0), NoAuth())
        for group, artifact in (("hostile", ".."), ("hostile", "."), ("..", "a")):
            with pytest.raises(UsageError, match="not a registry id"):
                client.create_rule(group, artifact, "COMPATIBILITY", "BACKWARD")
        client.create_rule("hostile", "ss3/common/v1/money.proto", "COMPATIBILITY", "BACKWARD")
        paths = [request.path for request in registry.requests]

    assert paths == ["/apis/registry/v3/groups/hostile/artifacts/ss3%2Fcommon%2Fv1%2Fmoney.proto/rules"]


def test_issue17_item07_a_json_name_with_a_newline_fails_lint_and_check(schema_repo: SchemaRepo) -> None:
    schema_repo.git("checkout", "-q", "-b", "pr")
    schema_repo.replace(EVENTS, "  string order_id = 2;", '  string order_id = 2 [json_name = "order\\nId"];')
    schema_repo.commit("a json_name with a newline")
    line = schema_repo.line_of(EVENTS, 'json_name = "order')

    for command in (["lint"], ["check", "--against", "main"]):
        proc = run_cli(*command, cwd=schema_repo.root)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert f"{EVENTS}:{line}:" in proc.stdout and "SS3_JSON_NAME_VALID" in proc.stdout, proc.stdout


def test_issue17_item07_a_long_comment_is_refused_at_the_gate(schema_repo: SchemaRepo) -> None:
    schema_repo.replace(EVENTS, "  // Id of the cancelled order.\n", "  // " + "x" * 5000 + "\n")

    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert proc.returncode == 1
    assert "SS3_COMMENT_TOO_LONG: a comment of 5002 characters; comments are at most 4096" in proc.stdout


@pytest.mark.parametrize(
    "command",
    [["check", "--against", "main"], ["register", "--dry-run", "--registry-url", "http://127.0.0.1:9"], ["catalog"]],
    ids=lambda c: c[0],
)
def test_issue17_item07_a_huge_schema_file_is_refused_with_one_line(tmp_path: Path, command: list[str]) -> None:
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    repo.replace(EVENTS, "  // Id of the cancelled order.\n", "  // " + "x" * 10_000_000 + "\n")

    proc = run_cli(*command, cwd=repo.root)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    size = repo.path(EVENTS).stat().st_size
    assert _one_error_line(proc) == (
        f"error: {EVENTS}: {size} bytes; a schema file is at most 262144 (docs/security.md)"
    )
    assert len(proc.stdout + proc.stderr) < 2000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 200_000 + "]" * 200_000),
        ("deep.yaml", "openapi: 3.0.3\nx: " + "[" * 200_000 + "]" * 200_000 + "\n"),
        ("digits.json", '{"openapi": "3.0.3", "x": ' + "9" * 5000 + "}"),
        ("digits.yaml", "openapi: 3.0.3\nx: " + "9" * 5000 + "\n"),
        ("date.yaml", "openapi: 3.0.3\nx: 2024-13-45\n"),
    ],
)
def test_issue17_item07_malformed_openapi_is_exit_1_naming_the_file(tmp_path: Path, name: str, text: str) -> None:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")

    proc = run_cli(
        "register-openapi", str(spec), "--group", "g", "--artifact-id", "a", "--registry-url", "http://127.0.0.1:9",
        "--retries", "0", cwd=tmp_path,
    )  # fmt: skip

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _one_error_line(proc).startswith(f"error: {spec}: ")
    assert "internal error" not in proc.stderr


def test_issue17_item08_a_rerun_completes_the_checksums_an_interrupted_deploy_left_out(
    schema_repo: SchemaRepo, tmp_path: Path
) -> None:
    from ss3_schema.artifacts.jar import build_jar  # noqa: PLC0415
    from ss3_schema.release.maven import DirectoryRepository, deploy  # noqa: PLC0415
    from ss3_schema.release.target import Outcome  # noqa: PLC0415
    from ss3_schema.workspace import Workspace  # noqa: PLC0415

    artifact = build_jar(Workspace(schema_repo.root))
    repository = DirectoryRepository(tmp_path / "maven")
    assert deploy(artifact, repository).outcome is Outcome.UPLOADED
    jar = tmp_path / "maven" / f"com/shopstar3/ss3-protos/{artifact.version}" / artifact.jar.name
    # Stopped between the jar's .sha1 and its .sha256 upload:
    for algorithm in ("sha256", "sha512"):
        Path(f"{jar}.{algorithm}").unlink()

    assert deploy(artifact, repository).outcome is Outcome.UPLOADED
    for algorithm in ("md5", "sha1", "sha256", "sha512"):
        expected = hashlib.new(algorithm, artifact.jar.read_bytes()).hexdigest()
        assert Path(f"{jar}.{algorithm}").read_text(encoding="ascii") == expected
    assert deploy(artifact, repository).outcome is Outcome.ALREADY_PUBLISHED


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.integration  # starts nginx on 127.0.0.1
def test_issue17_item08_maven_repo_down_stops_nginx(tmp_path: Path) -> None:
    require_nginx()

    def service(command: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "devservices.maven_repo", command, "--state-dir", str(tmp_path)]
        return subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)

    try:
        up = service("up")
        assert up.returncode == 0, up.stderr
        assert up.stdout.startswith("http://127.0.0.1:")
        nginx = int((tmp_path / "nginx.pid").read_text().strip())
        assert _alive(nginx)

        assert service("down").returncode == 0
    finally:
        service("reset")
    deadline = time.monotonic() + 10
    while _alive(nginx) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(nginx), "nginx outlived `down`"


def _as(server: Any, account: tuple[str, str]) -> dict[str, str]:
    return {"SS3_REGISTRY_URL": server.url, "SS3_REGISTRY_USERNAME": account[0], "SS3_REGISTRY_PASSWORD": account[1]}


PAYMENTS = "proto/ss3/payments/v1/payment_events.proto"


@pytest.mark.integration
def test_issue17_item04_the_gates_registry_dry_run_needs_only_a_read_only_account(
    schema_repo: SchemaRepo, registry: Any, registry_group: str
) -> None:
    registered = run_cli("register", "--group", registry_group, cwd=schema_repo.root, env=_as(registry, registry.auth))
    assert registered.returncode == 0, registered.stdout + registered.stderr
    reader = _as(registry, registry.reader)
    schema_repo.git("checkout", "-q", "-b", "pr")

    def check() -> subprocess.CompletedProcess[str]:
        return run_cli("check", "--against", "main", "--group", registry_group, cwd=schema_repo.root, env=reader)

    # A new event file (a new artifact) and an added field (a new version): the complete verdict, as a reader.
    schema_repo.write(
        "proto/ss3/orders/v1/order_notes.proto",
        schema_repo.read(EVENTS)
        .replace("ss3.orders.order-events.v1", "ss3.orders.order-notes.v1")
        .replace("OrderEventsProto", "OrderNotesProto")
        .replace("message OrderEvents", "message OrderNotes")
        .replace("OrderPlaced order_placed", "OrderNoted order_noted")
        .replace("OrderCancelled order_cancelled", "OrderNoteCancelled order_note_cancelled")
        .replace("message OrderPlaced", "message OrderNoted")
        .replace("message OrderCancelled", "message OrderNoteCancelled")
        .replace("enum CancellationReason", "enum NoteReason")
        .replace("CancellationReason reason", "NoteReason reason")
        .replace("CANCELLATION_REASON_", "NOTE_REASON_"),
    )
    passing = check()
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "incomplete" not in passing.stdout + passing.stderr

    schema_repo.replace(PAYMENTS, "  string payment_id = 2;", "  int64 payment_id = 2;")
    failing = check()
    assert failing.returncode == 1
    assert "SS3_REGISTRY_REJECTS: the registry would reject ss3.payments.payment-events.v1-value" in failing.stdout
    assert "incomplete" not in failing.stdout + failing.stderr

    # The same account can write nothing: registering is refused.
    refused = run_cli("register", "--group", registry_group, cwd=schema_repo.root, env=reader)
    assert refused.returncode == 2 and "403" in refused.stderr, refused.stdout + refused.stderr
