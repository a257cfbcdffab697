"""`ss3-schema release` end to end: a real pypiserver, a stand-in registry, git tags on a real remote."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from ss3_schema.errors import RegistryError
from ss3_schema.release.index import open_index
from ss3_schema.release.pipeline import Done, RegistryTarget, ReleaseConfig, ReleaseReport, release
from ss3_schema.release.target import Credentials
from ss3_schema.workspace import Workspace

from tests.docs.snippets import code, substituted
from tests.helpers import SchemaRepo, git, run_cli
from tests.integration.pypi_fixture import (
    PypiIndex,
    fresh_venv,
    make_package_repo,
    pip_install,
    pip_on_path,
    repack_installed,
    run_release,
    summary,
)

pytestmark = pytest.mark.integration

EVENTS = "proto/ss3/orders/v1/order_events.proto"
REFUNDED = "  ss3.common.v1.Money refunded = 4;\n"


class FlakyRegistry:
    """A register step whose registry is down until `down` is cleared."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    def __call__(self, ws: Workspace, target: RegistryTarget | None) -> Done:
        self.calls += 1
        if self.down:
            raise RegistryError("registry at http://registry.invalid is unreachable (4 attempts)")
        return Done("registered", f"5 event artifacts in group {target.group if target else '?'}")


def outcomes(report: ReleaseReport) -> dict[str, str]:
    return {step.step: step.outcome for step in report.steps}


def tag_commit(repo: SchemaRepo, tag: str) -> str | None:
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    """A package repo on VERSION 1.0.0 with a bare `origin` to push tags to."""
    base = tmp_path_factory.mktemp("release")
    origin = base / "origin.git"
    origin.mkdir()
    git(origin, "init", "-q", "--bare")
    repo = make_package_repo(base / "repo", "1.0.0")
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    return repo


def test_half_done_release_converges_on_rerun(repo: SchemaRepo, pypi_index: PypiIndex) -> None:
    index = open_index(pypi_index.url, credentials=Credentials(pypi_index.username, pypi_index.password))
    config = ReleaseConfig(index=index, registry=RegistryTarget("http://registry.invalid", "default"))
    registry = FlakyRegistry()
    ws = Workspace(repo.root)

    first = release(ws, config, registry)
    assert isinstance(first.error, RegistryError)
    assert outcomes(first) == {
        "version": "ok",
        "gen": "ok",
        "build": "ok",
        "publish-wheel": "uploaded",
        "publish-tool": "uploaded",
        "publish-jar": "not configured",
        "register": "failed",
        "tag": "not run",
    }
    assert tag_commit(repo, "v1.0.0") is None

    registry.down = False
    second = release(ws, config, registry)
    assert second.ok, second.error
    assert outcomes(second)["publish-wheel"] == "already published"
    assert outcomes(second)["publish-tool"] == "already published"
    assert outcomes(second)["register"] == "registered"
    assert outcomes(second)["tag"] == "created"
    assert tag_commit(repo, "v1.0.0") == repo.git("rev-parse", "HEAD")

    third = release(ws, config, registry)
    assert third.ok, third.error
    assert "finishing that release" in third.steps[0].detail
    assert outcomes(third)["publish-wheel"] == "already published"
    assert outcomes(third)["tag"] == "already at HEAD"
    assert sorted(p.name for p in pypi_index.packages.glob("ss3_*-1.0.0*")) == [
        "ss3_protos-1.0.0-py3-none-any.whl",
        "ss3_schema-1.0.0-py3-none-any.whl",
    ]


def test_next_release_from_the_cli_pushes_its_tag(repo: SchemaRepo, pypi_index: PypiIndex) -> None:
    repo.replace(EVENTS, REFUNDED, REFUNDED + "  // Free text from the customer.\n  string note = 5;\n")
    repo.write("CHANGELOG.md", "# Changelog\n\n## Unreleased\n\n- `OrderCancelled.note`: the customer's words.\n")
    bumped = run_cli("version", "--bump", cwd=repo.root)  # what the PR's author runs
    assert bumped.returncode == 0, bumped.stdout + bumped.stderr
    assert repo.path("VERSION").read_text(encoding="utf-8") == "1.1.0\n"
    head = repo.commit("add a field, release 1.1.0")

    documented = shlex.split(code("releasing-release"))  # the CI release job, as docs/releasing.md shows it
    assert documented[:2] == ["ss3-schema", "release"]
    proc = run_release(repo, *documented[2:], env=pypi_index.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = summary(proc.stdout)
    assert table["version"][1].startswith("1.1.0: schema change since v1.0.0, needs minor (added field")
    assert table["publish-wheel"] == ("uploaded", pypi_index.url)
    assert table["publish-tool"][0] == "uploaded"
    assert table["publish-tool"][1] == f"dist/ss3_schema-1.1.0-py3-none-any.whl on {pypi_index.url}"
    assert (
        table["build"][1].startswith("dist/ss3_protos-1.1.0-py3-none-any.whl (sha256 ")
        and ", dist/ss3_schema-1.1.0-py3-none-any.whl (sha256 " in table["build"][1]
    )
    assert table["register"][0] == "planned"
    assert table["register"][1].startswith("registry not configured: would register 5 event artifacts (+")
    assert "ss3.orders.order-events.v1-value" in table["register"][1]
    assert table["tag"][0] == "created, pushed"
    assert proc.stdout.rstrip().endswith("release 1.1.0: released")
    assert repo.git("ls-remote", "--tags", "origin", "v1.1.0^{}").startswith(head)
    assert repo.git("tag", "-l", "--format=%(contents)", "v1.1.0") == (
        "ss3-protos 1.1.0\n\n- `OrderCancelled.note`: the customer's words."
    )


@pytest.mark.parametrize("block", ["readme-pip-install", "releasing-pip-index"])
def test_the_documented_pip_commands_install_the_released_wheel(
    repo: SchemaRepo, pypi_index: PypiIndex, tmp_path: Path, block: str
) -> None:
    """A service's pip and its usual index: here a wheelhouse with what the company index mirrors from PyPI,
    plus, for the command without an index, the wheel the release uploaded (other tests of the session
    upload other versions to the pypiserver, and `pip install ss3-protos` takes the newest)."""
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    for name in ("protobuf", "grpcio", "typing_extensions"):
        repack_installed(name, wheelhouse)
    python = fresh_venv(tmp_path / "venv")
    env = pip_on_path(python, tmp_path / "bin") | {"PIP_FIND_LINKS": str(wheelhouse)}
    script = code(block)
    if "--index-url" in script:
        placeholders = {"https://nexus.example/repository/pypi-group/simple/": pypi_index.simple_url, "X.Y.Z": "1.1.0"}
        script = substituted(script, placeholders)
    else:
        shutil.copy2(pypi_index.packages / "ss3_protos-1.1.0-py3-none-any.whl", wheelhouse)
        env["PIP_NO_INDEX"] = "1"

    proc = subprocess.run(["bash", "-eu", "-c", script], env=env, capture_output=True, text=True, check=False)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    check = "import ss3, ss3.orders.v1.order_service_pb2_grpc, ss3.kafka; print(ss3.__version__)"
    run = subprocess.run([str(python), "-W", "error", "-c", check], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "1.1.0", run.stdout + run.stderr


def test_release_with_too_small_a_version_stops_before_building(
    repo: SchemaRepo,
    pypi_index: PypiIndex,
) -> None:
    repo.replace(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order (web or app).")
    repo.commit("reword a comment, VERSION still 1.1.0")

    proc = run_release(repo, env=pypi_index.env())
    assert proc.returncode == 1
    table = summary(proc.stdout)
    assert table["version"][0] == "failed"
    assert "declared 1.1.0, need at least 1.1.1 because tag v1.1.0 already exists" in table["version"][1]
    assert {
        table[step][0] for step in ("gen", "build", "publish-wheel", "publish-tool", "publish-jar", "register", "tag")
    } == {"not run"}
    assert proc.stderr.startswith("error: declared 1.1.0, need at least 1.1.1")
    assert not list(pypi_index.packages.glob("ss3_protos-1.1.1*"))


def test_laptop_release_publishes_into_a_local_index_pip_can_use(
    tmp_path: Path,
    protobuf_wheelhouse: Path,
) -> None:
    repo = make_package_repo(tmp_path / "laptop", "0.1.0")

    proc = run_release(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = summary(proc.stdout)
    local_index = repo.path("dist/index/simple")
    assert table["publish-wheel"][0] == "uploaded (local)"
    assert table["publish-wheel"][1].startswith(local_index.as_uri())
    assert table["publish-tool"][0] == "uploaded (local)"
    assert (local_index / "ss3-schema" / "ss3_schema-0.1.0-py3-none-any.whl").is_file()
    local_maven = repo.path("dist/maven")
    assert table["publish-jar"] == ("uploaded (local)", f"com.shopstar3:ss3-protos:0.1.0 on {local_maven.as_uri()}")
    assert repo.path("dist/maven/com/shopstar3/ss3-protos/0.1.0/ss3-protos-0.1.0.jar").is_file()
    assert table["register"][0] == "planned"
    assert table["tag"] == (
        "planned",
        f"would tag v0.1.0 at {repo.git('rev-parse', 'HEAD')[:12]} (local trial: no tag)",
    )
    assert tag_commit(repo, "v0.1.0") is None
    assert run_release(repo).returncode == 0  # converges locally too

    # The printed command as it is, with the wheelhouse standing in for the usual index (protobuf).
    hint = table["publish-wheel"][1].split("(try: ", 1)[1].removesuffix(")")
    command = shlex.split(hint)
    assert command[:2] == ["pip", "install"] and command[-1] == "ss3-protos==0.1.0"
    python = fresh_venv(tmp_path / "venv")
    installed = pip_install(python, *command[2:], "--no-index", "--find-links", str(protobuf_wheelhouse))
    assert installed.returncode == 0, installed.stderr
    check = "import ss3.orders.v1.order_events_pb2 as events; events.OrderPlaced()"
    run = subprocess.run([str(python), "-W", "error", "-c", check], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr

    # The command README.md and docs/releasing.md show, run where the trial ran.
    assert code("readme-pip-find-links") == code("releasing-pip-find-links")
    documented = code("readme-pip-find-links").replace("X.Y.Z", "0.1.0")
    python = fresh_venv(tmp_path / "documented-venv")
    env = pip_on_path(python, tmp_path / "bin") | {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(protobuf_wheelhouse)}
    proc = subprocess.run(
        ["bash", "-eu", "-c", documented], cwd=repo.root, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = subprocess.run([str(python), "-W", "error", "-c", check], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "no package index configured in CI: set TWINE_REPOSITORY_URL"),
        ({"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/"}, "no schema registry configured in CI: set SS3_REGISTRY_URL"),
        (
            {"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/", "SS3_REGISTRY_URL": "http://127.0.0.1:9/"},
            "no Maven repository configured in CI: set SS3_MAVEN_REPOSITORY_URL",
        ),
    ],
)
def test_ci_release_without_its_services_is_refused(tmp_path: Path, env: dict[str, str], missing: str) -> None:
    repo = make_package_repo(tmp_path / "ci", "0.1.0")
    proc = run_release(repo, env={"CI": "true", **env})
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {missing} (or pass --local)"
    assert not repo.path("dist").exists()


def test_local_release_cannot_push_a_tag(tmp_path: Path) -> None:
    repo = make_package_repo(tmp_path / "local", "0.1.0")
    proc = run_release(repo, "--local", "--push-tag")
    assert proc.returncode == 2
    assert "--push-tag" in proc.stderr
