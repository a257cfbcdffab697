"""Files in the PR and options are data: checked once where they enter, reported in one line, never run.

Every command here must end with 0, 1 or 2 and, on bad input, one line on
stderr that names the file (and line) or the option — never a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SchemaRepo, make_schema_repo, run_cli

ORDER_EVENTS = "proto/ss3/orders/v1/order_events.proto"
TOPIC_LINE = 'option (ss3.options.v1.topic) = "ss3.orders.order-events.v1";'
COMMENT = "// A customer placed an order at checkout."
DIAGNOSTICS = ("note: ", "warning: ", "debug: ", "... ")
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard: nothing listens, so any request would fail with exit 2


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one `error:` line a failing command prints; asserts there is no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    # Notes and progress lines (a slow step says what it is doing) are not errors.
    lines = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith(DIAGNOSTICS)]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.fixture
def package_repo(tmp_path: Path) -> SchemaRepo:
    return make_schema_repo(tmp_path / "repo", with_package=True)


def test_item04_version_with_code_in_it_is_refused_and_never_imported(package_repo: SchemaRepo) -> None:
    marker = package_repo.root / "ran"
    package_repo.path("VERSION").write_text(f'1.0.0"; open({str(marker)!r}, "w"); x="\n', encoding="utf-8")
    proc = run_cli("gen", cwd=package_repo.root)
    assert proc.returncode == 2
    assert "VERSION" in one_error_line(proc) and "MAJOR.MINOR.PATCH" in proc.stderr
    init = package_repo.path("ss3-protos/src/ss3/__init__.py")
    if init.exists():  # nothing was generated; should a tree exist, importing it must run nothing
        subprocess.run([sys.executable, "-c", "import ss3"], cwd=init.parent.parent, check=False)
    assert not marker.exists()


@pytest.mark.parametrize("declared", ["1.2", "v1.2.3", "1.2.3-rc1", "01.2.3", "1.2.3\n4"])
@pytest.mark.parametrize("command", ["gen", "build", "version"])
def test_item04_gen_build_and_version_accept_only_what_release_accepts(
    package_repo: SchemaRepo, declared: str, command: str
) -> None:
    if command == "build":  # a tree generated with a good version, then VERSION changes
        assert run_cli("gen", cwd=package_repo.root).returncode == 0
    package_repo.path("VERSION").write_text(declared + "\n", encoding="utf-8")
    proc = run_cli(command, cwd=package_repo.root)
    assert proc.returncode == 2, (command, declared, proc.stdout, proc.stderr)
    assert one_error_line(proc).startswith("error: VERSION: ")


def test_item04_build_refuses_the_stale_tree_a_failed_gen_left(package_repo: SchemaRepo) -> None:
    assert run_cli("gen", cwd=package_repo.root).returncode == 0
    package_repo.replace(ORDER_EVENTS, COMMENT, "// A customer placed an order (reworded).")
    package_repo.replace("proto/ss3/orders/v1/order_service.proto", "syntax", "syntax error")
    assert run_cli("gen", cwd=package_repo.root).returncode == 1
    proc = run_cli("build", cwd=package_repo.root)
    assert proc.returncode == 2
    assert "stale" in one_error_line(proc)
    assert not list(package_repo.root.joinpath("dist").glob("*.whl"))


def test_item06_non_utf8_byte_in_a_proto_comment_is_located(package_repo: SchemaRepo) -> None:
    path = package_repo.path(ORDER_EVENTS)
    line = package_repo.line_of(ORDER_EVENTS, COMMENT)
    path.write_bytes(path.read_bytes().replace(COMMENT.encode(), b"// A customer placed an \xff order.", 1))
    proc = run_cli("gen", cwd=package_repo.root)
    assert proc.returncode == 1
    assert f"{ORDER_EVENTS}:{line}:" in one_error_line(proc) and "UTF-8" in proc.stderr


@pytest.mark.parametrize("command", [["gen"], ["version", "--check"], ["release", "--local"]])
def test_item06_non_utf8_version_is_one_line(package_repo: SchemaRepo, command: list[str]) -> None:
    package_repo.path("VERSION").write_bytes(b"1.0.\xff\n")
    package_repo.commit("a VERSION that is not UTF-8")  # release builds from commits only
    proc = run_cli(*command, cwd=package_repo.root)
    assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
    assert "VERSION:1:5: not UTF-8" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ("lint:\n      ignore: [5]", "lint.ignore"),
        ("lint:\n      ignore: proto/ss3", "lint.ignore"),
        ("breaking:\n      ignore_only: [FILE_NO_DELETE]", "breaking.ignore_only"),
        ("breaking:\n      ignore_only:\n        FIELD_NO_DELETE: [7]", "breaking.ignore_only.FIELD_NO_DELETE"),
    ],
)
def test_item06_buf_yaml_with_wrong_types_names_the_key(schema_repo: SchemaRepo, block: str, key: str) -> None:
    text = schema_repo.read("buf.yaml")
    schema_repo.write("buf.yaml", text.replace("  - path: proto\n", f"  - path: proto\n    {block}\n", 1))
    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert f"buf.yaml: key '{key}'" in one_error_line(proc)


@pytest.mark.parametrize(
    "topic",
    ["ss3/orders events;$(id)", "", "SS3.Orders.Events", "t" * 300],
)
def test_item07_register_refuses_invalid_topics_before_any_request(schema_repo: SchemaRepo, topic: str) -> None:
    schema_repo.replace(ORDER_EVENTS, TOPIC_LINE, f'option (ss3.options.v1.topic) = "{topic}";')
    proc = run_cli("register", "--registry-url", CLOSED_PORT_URL, "--retries", "0", cwd=schema_repo.root)
    assert proc.returncode == 1, proc.stderr
    assert f"{ORDER_EVENTS}:" in one_error_line(proc) and "SS3_EVENT_TOPIC_VALID" in proc.stderr


def test_item07_register_and_release_refuse_an_event_without_the_envelope(package_repo: SchemaRepo) -> None:
    package_repo.replace(ORDER_EVENTS, "ss3.common.v1.EventMetadata metadata = 1;", "string metadata = 1;")
    proc = run_cli("register", "--registry-url", CLOSED_PORT_URL, "--retries", "0", cwd=package_repo.root)
    assert proc.returncode == 1
    assert "SS3_EVENT_ENVELOPE" in one_error_line(proc)
    package_repo.commit("an event without its envelope")
    release = run_cli("release", "--local", cwd=package_repo.root)
    assert release.returncode == 1
    assert "SS3_EVENT_ENVELOPE" in release.stdout + release.stderr


@pytest.mark.parametrize(("option", "value"), [("--artifact-id", ""), ("--artifact-id", " x"), ("--group", "")])
def test_item08_register_openapi_refuses_empty_or_padded_ids(tmp_path: Path, option: str, value: str) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n", encoding="utf-8")
    ids = {"--group": "g", "--artifact-id": "a", option: value}
    args = [arg for pair in ids.items() for arg in pair]
    proc = run_cli("register-openapi", str(spec), *args, "--registry-url", CLOSED_PORT_URL, cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{option} " in one_error_line(proc) and "not a registry id" in proc.stderr


def test_item12_file_name_with_a_space_is_located(package_repo: SchemaRepo) -> None:
    bad = "proto/ss3/orders/v1/bad file.proto"
    package_repo.write(bad, 'syntax = "proto3";\npackage ss3.orders.v1;\nmessage X { int32 a = 1 }\n')
    proc = run_cli("gen", cwd=package_repo.root)
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"{bad}:3:"), proc.stdout


def test_item12_unknown_buf_yaml_key_is_named(schema_repo: SchemaRepo) -> None:
    schema_repo.write("buf.yaml", schema_repo.read("buf.yaml") + "lnit:\n  use: [STANDARD]\n")
    proc = run_cli("lint", cwd=schema_repo.root)
    assert proc.returncode == 2
    assert "lnit" in one_error_line(proc)


def test_item12_buf_yaml_v1_is_a_config_error_not_a_compile_error(schema_repo: SchemaRepo) -> None:
    schema_repo.write("buf.yaml", schema_repo.read("buf.yaml").replace("version: v2", "version: v1", 1))
    for command in (["lint"], ["check", "--against", "main"], ["gen"]):
        proc = run_cli(*command, cwd=schema_repo.root)
        assert proc.returncode == 2, command
        assert "buf.yaml: key 'version' must be v2" in one_error_line(proc)


def test_item12_empty_proto_dir_is_the_same_error_for_gen_and_lint(package_repo: SchemaRepo) -> None:
    for proto in package_repo.path("proto").rglob("*.proto"):
        proto.unlink()
    for command in ("gen", "lint"):
        proc = run_cli(command, cwd=package_repo.root)
        assert proc.returncode == 2, command
        assert "no .proto files" in one_error_line(proc)


BILLION_LAUGHS = """openapi: 3.0.3
info: {title: laughs, version: '1'}
paths: {}
x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
x-h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
x-i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def refused_openapi(spec: Path, text: str) -> str:
    """The error line of registering `text` as an OpenAPI document; exit 1, and no registry reached."""
    spec.write_text(text, encoding="utf-8")
    proc = run_cli(
        "register-openapi", str(spec), "--group", "g", "--artifact-id", "a", "--registry-url", CLOSED_PORT_URL,
        "--retries", "0", cwd=spec.parent,
    )  # fmt: skip
    assert proc.returncode == 1  # a closed port would be exit 2
    return one_error_line(proc)


def test_item14_billion_laughs_openapi_is_refused_before_the_registry(tmp_path: Path) -> None:
    assert "YAML aliases" in refused_openapi(tmp_path / "laughs.yaml", BILLION_LAUGHS)


def test_item14_oversized_openapi_is_refused_unparsed(tmp_path: Path) -> None:
    filler = "".join(f"x-{n}: {'y' * 100}\n" for n in range(60_000))  # about 6.5 MB
    text = f"openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n{filler}"
    assert "bytes, more than" in refused_openapi(tmp_path / "huge.yaml", text)
