"""A service repository registers its OpenAPI document as its CI does.

Everything a service pipeline touches is real: an ss3-protos checkout at a
release (its tool project, VERSION and the register-openapi action), the
tool wheel that release publishes to the real package index, the action's
script installing that wheel into a fresh venv, and the real registry.
Nothing is imported from tools/: the service only has the published wheel.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from ss3_schema.artifacts.tool_wheel import TOOL_PROJECT, build_tool_wheel, unconditional_requirements
from ss3_schema.release.index import open_index
from ss3_schema.release.publish import publish
from ss3_schema.release.target import Credentials
from ss3_schema.workspace import Workspace

from tests.docs.snippets import code
from tests.helpers import REPO_ROOT, git
from tests.integration.pypi_fixture import PypiIndex, repack_installed
from tests.integration.registry_fixture import RegistryReader

pytestmark = pytest.mark.integration

# A version of its own: the index is shared with the release tests.
TOOL_VERSION = "3.0.0"
ACTION = ".github/actions/register-openapi"
ARTIFACT = "orders-api"
# Where each kind of service has its document, and which OpenAPI version its framework writes:
# smallrye-openapi stores target/openapi/openapi.yaml at build time; a FastAPI service
# exports app.openapi() (OpenAPI 3.1) as JSON.
QUARKUS = ("target/openapi/openapi.yaml", "3.0.3")
PYTHON = ("openapi.json", "3.1.0")

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Orders API", "version": "1.0.0"},
    "paths": {
        "/orders/{id}": {
            "get": {
                "operationId": "getOrder",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The order"}},
            }
        }
    },
}
WRONG_PASSWORD = "not-the-password-0f3c"
INDEX_PASSWORD = "p@ss:w/rd%3f"  # every character that needs quoting in a URL
LIST_ORDERS = {"get": {"operationId": "listOrders", "responses": {"200": {"description": "All orders"}}}}


@dataclass(frozen=True)
class Release:
    """An ss3-protos checkout at a release whose tool wheel is on the index."""

    root: Path
    wheel: Path

    @property
    def script(self) -> Path:
        return self.root / ACTION / "register-openapi.sh"


@dataclass
class Service:
    """A service repository: its spec file and what its CI job would set."""

    root: Path
    spec: str
    openapi_version: str
    env: dict[str, str]

    def write_spec(self, document: dict[str, object]) -> None:
        document = dict(document, openapi=self.openapi_version) if "openapi" in document else document
        path = self.root / self.spec
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(document, indent=2) if path.suffix == ".json" else yaml.safe_dump(document, sort_keys=False)
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory, pypi_index: PypiIndex) -> Release:
    root = tmp_path_factory.mktemp("ss3-protos-release")
    shutil.copytree(REPO_ROOT / TOOL_PROJECT, root / TOOL_PROJECT, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / ACTION, root / ACTION)
    shutil.copyfile(REPO_ROOT / ".gitignore", root / ".gitignore")
    (root / "VERSION").write_text(f"{TOOL_VERSION}\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"release {TOOL_VERSION}")

    index = open_index(pypi_index.url, credentials=Credentials(pypi_index.username, pypi_index.password))
    wheel = build_tool_wheel(Workspace(root))
    assert publish([wheel], index).files[0].outcome == "uploaded"
    assert publish([wheel], index).files[0].outcome == "already published"
    mirror_runtime_dependencies(wheel, pypi_index.packages)
    return Release(root, wheel)


def mirror_runtime_dependencies(wheel: Path, packages: Path) -> None:
    """Put the tool's runtime dependencies on the index, as a company index mirrors PyPI.

    They are repackaged from this interpreter, so installs need no network.
    """
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"ss3_schema-{TOOL_VERSION}.dist-info/METADATA").decode()
    todo, seen = unconditional_requirements(metadata), set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        repack_installed(name, packages)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUNNER_TEMP of one CI job: the tool's venv is created once and reused by later steps."""
    return tmp_path_factory.mktemp("runner-temp")


@pytest.fixture
def ci_env(registry_env: dict[str, str], pypi_index: PypiIndex, runner_temp: Path) -> dict[str, str]:
    """What the action's step gets from GitHub: its inputs as variables, no developer settings."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(runner_temp)),
        "RUNNER_TEMP": str(runner_temp),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
        "SS3_INDEX": pypi_index.simple_url,
        "SS3_PYTHON": sys.executable,
        "SS3_GROUP": "",  # set per test
        "SS3_ARTIFACT_ID": ARTIFACT,
        "SS3_COMPATIBILITY": "BACKWARD",
        "SS3_TOOL_VERSION": "",  # the release's own version
        **registry_env,
    }


def make_service(root: Path, layout: tuple[str, str], env: dict[str, str], group: str) -> Service:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    spec, openapi_version = layout
    service = Service(root, spec, openapi_version, dict(env, SS3_SPEC=spec, SS3_GROUP=group))
    service.write_spec(SPEC)
    return service


def run_action(release: Release, service: Service, *, dry_run: bool) -> subprocess.CompletedProcess[str]:
    """The action's step: `dry_run` on pull requests, a registration on the default branch."""
    env = dict(service.env, SS3_DRY_RUN="true" if dry_run else "false")
    return subprocess.run(
        ["bash", str(release.script)], cwd=service.root, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(params=[QUARKUS, PYTHON], ids=["quarkus-yaml", "python-json"])
def service(request: pytest.FixtureRequest, tmp_path: Path, ci_env: dict[str, str], registry_group: str) -> Service:
    return make_service(tmp_path / "service", request.param, ci_env, registry_group)


@pytest.fixture
def quarkus_service(tmp_path: Path, ci_env: dict[str, str], registry_group: str) -> Service:
    return make_service(tmp_path / "service", QUARKUS, ci_env, registry_group)


def test_pull_request_dry_run_then_default_branch_registers_then_rerun_is_unchanged(
    release: Release, service: Service, registry_reader: RegistryReader
) -> None:
    group = service.env["SS3_GROUP"]

    pr = run_action(release, service, dry_run=True)
    assert pr.returncode == 0, pr.stdout + pr.stderr
    assert pr.stdout.startswith(f"create       {ARTIFACT} ({service.spec})")
    assert "dry run: nothing was registered" in pr.stdout
    assert registry_reader.versions(group, ARTIFACT) == []

    main = run_action(release, service, dry_run=False)
    assert main.returncode == 0, main.stdout + main.stderr
    assert main.stdout.startswith(f"create       {ARTIFACT} ({service.spec}): version 1")
    assert registry_reader.versions(group, ARTIFACT) == ["1"]
    assert registry_reader.rule(group, ARTIFACT) == "BACKWARD"

    again = run_action(release, service, dry_run=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.startswith(f"unchanged    {ARTIFACT}")
    assert "::error" not in again.stdout + again.stderr
    assert registry_reader.versions(group, ARTIFACT) == ["1"]


def test_added_endpoint_is_accepted_and_removed_endpoint_is_refused_with_an_annotation(
    release: Release, service: Service, registry_reader: RegistryReader
) -> None:
    group = service.env["SS3_GROUP"]
    assert run_action(release, service, dry_run=False).returncode == 0

    added = json.loads(json.dumps(SPEC))
    added["paths"]["/orders"] = LIST_ORDERS
    service.write_spec(added)
    accepted = run_action(release, service, dry_run=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert accepted.stdout.startswith(f"new version  {ARTIFACT} ({service.spec}): version 2")

    removed = json.loads(json.dumps(SPEC))
    removed["paths"] = {"/orders": LIST_ORDERS}
    service.write_spec(removed)
    for dry_run in (True, False):
        refused = run_action(release, service, dry_run=dry_run)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert f"rejected     {ARTIFACT} ({service.spec})" in refused.stdout
        assert "- Missing endpoint at /orders/{id}" in refused.stdout
        annotation = next(line for line in refused.stdout.splitlines() if line.startswith("::error "))
        assert annotation.startswith(f"::error file={service.spec},title={ARTIFACT} rejected by the registry::")
        assert "Missing endpoint at /orders/{id}" in annotation
    assert registry_reader.versions(group, ARTIFACT) == ["1", "2"]


def test_the_service_runs_only_the_published_lean_wheel(
    release: Release, quarkus_service: Service, tmp_path: Path
) -> None:
    service = quarkus_service
    # A job of its own (a fresh venv), reading an index that wants credentials; they
    # reach pip through its environment, URL-quoted, and are never printed.
    service.env.update(RUNNER_TEMP=str(tmp_path), SS3_INDEX_USERNAME="reader", SS3_INDEX_PASSWORD=INDEX_PASSWORD)
    first = run_action(release, service, dry_run=True)
    assert first.returncode == 0, first.stdout + first.stderr
    assert INDEX_PASSWORD not in first.stdout + first.stderr
    venv = tmp_path / f"ss3-schema-{TOOL_VERSION}"
    python = venv / "bin" / "python"

    where = _python(python, "import ss3_schema, sys; print(ss3_schema.__file__)")
    assert where.stdout.startswith(str(venv)), where.stdout
    installed = _python(python, "import importlib.metadata as m; print(m.version('ss3-schema'))")
    assert installed.stdout.strip() == TOOL_VERSION
    # No protobuf toolchain in a service pipeline; the commands that need it say so in one line.
    assert _python(python, "import google.protobuf").returncode == 1
    lint = subprocess.run(
        [str(venv / "bin" / "ss3-schema"), "lint"], cwd=service.root, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 2
    listed = subprocess.run([str(venv / "bin" / "ss3-schema"), "--help"], capture_output=True, text=True, check=False)
    assert listed.returncode == 0, listed.stderr
    assert "lint              (needs ss3-schema[toolchain])" in listed.stdout
    assert "register-openapi  Register an OpenAPI 3 document" in listed.stdout
    assert lint.stderr == (
        f"error: `lint` needs the schema toolchain, which this install lacks: "
        f"pip install 'ss3-schema[toolchain]=={TOOL_VERSION}'\n"
    )


def _python(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)


def test_failures_are_annotated_on_the_spec(release: Release, quarkus_service: Service) -> None:
    service = quarkus_service
    service.write_spec({"swagger": "2.0", "info": {"title": "Orders API", "version": "1"}})
    invalid = run_action(release, service, dry_run=True)
    assert invalid.returncode == 1
    assert f"::error file={service.spec},title=register-openapi::{service.spec}: no top-level `openapi` key" in (
        invalid.stdout
    )

    service.write_spec(SPEC)
    service.env["SS3_REGISTRY_PASSWORD"] = WRONG_PASSWORD
    refused = run_action(release, service, dry_run=True)
    assert refused.returncode == 2
    assert WRONG_PASSWORD not in refused.stdout + refused.stderr
    assert f"::error file={service.spec},title=register-openapi::" in refused.stdout

    (service.root / service.spec).unlink()
    missing = run_action(release, service, dry_run=True)
    assert missing.returncode == 2
    assert f"{service.spec}: no such file; run the build that writes the OpenAPI document first" in missing.stdout


def test_without_github_actions_the_two_documented_commands_register(
    release: Release, quarkus_service: Service, pypi_index: PypiIndex, registry_reader: RegistryReader
) -> None:
    service = quarkus_service
    group = service.env["SS3_GROUP"]
    user, password = service.env["SS3_REGISTRY_USERNAME"], service.env["SS3_REGISTRY_PASSWORD"]
    documented = code("service-ci-register-openapi")
    for placeholder in (
        "X.Y.Z",
        "SS3_REGISTRY_URL=... SS3_REGISTRY_USERNAME=... SS3_REGISTRY_PASSWORD=...",
        "--group orders",
    ):
        assert placeholder in documented, placeholder
    script = (
        documented.replace("X.Y.Z", TOOL_VERSION)
        .replace("SS3_REGISTRY_URL=...", f"SS3_REGISTRY_URL={service.env['SS3_REGISTRY_URL']}")
        .replace("SS3_REGISTRY_USERNAME=...", f"SS3_REGISTRY_USERNAME={user}")
        .replace("SS3_REGISTRY_PASSWORD=...", f"SS3_REGISTRY_PASSWORD={password}")
        .replace("--group orders", f"--group {group}")
    )
    env = dict(service.env, SS3_INDEX_URL=pypi_index.simple_url, PIP_DISABLE_PIP_VERSION_CHECK="1")

    def run(dry_run: bool) -> subprocess.CompletedProcess[str]:
        command = script.replace("[--dry-run]", "--dry-run" if dry_run else "")
        return subprocess.run(
            ["bash", "-eu", "-c", command], cwd=service.root, env=env, capture_output=True, text=True, check=False
        )

    dry = run(dry_run=True)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "dry run: nothing was registered" in dry.stdout and registry_reader.versions(group, ARTIFACT) == []
    registered = run(dry_run=False)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert registry_reader.versions(group, ARTIFACT) == ["1"]
