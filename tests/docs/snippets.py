"""The code blocks of README.md and docs/*.md, by name, and the test that runs each.

A fenced block's info string is its language and, for a block a reader would
copy, a name: ```` ```python readme-kafka ````. Output, diagrams and other text
nobody copies are tagged ```` ```text ````. Every named block is listed in
RUNNERS with the test that executes it; that test reads the block through
`code(name)`, so what runs is what the page shows. test_snippets.py fails for a
copyable block without a name or a runner, a runner whose test is gone, and a
runner that never reads its block.

To add a block: give it a name in its info string, write (or pick) the test
that runs it with `code("<name>")`, and add `"<name>": "<test node id>"` here.
A block that cannot be run yet goes into PENDING with the reason, in review's view.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.helpers import REPO_ROOT

PAGES = ("README.md", "docs/*.md")
NOT_COPIED = "text"
_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

HERE = "tests/docs/test_snippets.py::"
RELEASE_FLOW = "tests/integration/test_release_flow.py::"
REGISTRY_RULES = "tests/integration/test_registry_rules.py::"
QUARKUS_SERVICE = (
    "tests/interop/test_quarkus_service.py::test_documented_configuration_sends_and_reads_generated_classes"
)
# block name -> the test that runs it (a pytest node id, relative to the repository)
RUNNERS = {
    "readme-make": HERE + "test_readme_make_targets",
    "readme-pip-install": RELEASE_FLOW + "test_the_documented_pip_commands_install_the_released_wheel",
    "readme-import": HERE + "test_readme_import_without_warnings",
    "readme-pip-find-links": (RELEASE_FLOW + "test_laptop_release_publishes_into_a_local_index_pip_can_use"),
    "releasing-pip-find-links": (RELEASE_FLOW + "test_laptop_release_publishes_into_a_local_index_pip_can_use"),
    "releasing-pip-index": RELEASE_FLOW + "test_the_documented_pip_commands_install_the_released_wheel",
    "releasing-release": RELEASE_FLOW + "test_next_release_from_the_cli_pushes_its_tag",
    "readme-kafka": HERE + "test_readme_kafka_skips_a_bad_record_and_handles_each_event_once",
    "readme-add-event": HERE + "test_readme_add_event_passes_the_gate",
    "readme-add-event-member": HERE + "test_readme_add_event_passes_the_gate",
    "kafka-clients-python": HERE + "test_kafka_clients_python_setup",
    "kafka-clients-properties": QUARKUS_SERVICE,
    "java-services-pom": HERE + "test_java_services_blocks_are_what_the_quarkus_consumer_builds",
    "java-services-repository": HERE + "test_java_services_blocks_are_what_the_quarkus_consumer_builds",
    "java-services-properties": HERE + "test_java_services_blocks_are_what_the_quarkus_consumer_builds",
    "java-services-test-port": HERE + "test_java_services_blocks_are_what_the_quarkus_consumer_builds",
    "java-services-java": HERE + "test_java_services_blocks_are_what_the_quarkus_consumer_builds",
    "kafka-clients-pom": HERE + "test_kafka_clients_pom_is_what_the_interop_service_builds",
    "kafka-clients-java": HERE + "test_kafka_clients_java_is_what_the_interop_service_runs",
    "kafka-clients-envelope": HERE + "test_kafka_clients_envelope_is_the_orders_envelope",
    "kafka-clients-confluent-deserializer": HERE + "test_kafka_clients_confluent_deserializer_reads_the_envelope",
    "gate-override": HERE + "test_gate_override_lets_the_narrowing_it_names_through",
    "registry-compat-repro": HERE + "test_registry_compat_repro_starts_its_own_registry_and_leaves_nothing",
    "registry-compat-schema": REGISTRY_RULES + "test_the_page_shows_the_schema_the_matrix_registers",
    "service-ci-register-openapi": (
        "tests/integration/test_service_ci.py::test_without_github_actions_the_two_documented_commands_register"
    ),
    "registry-register": HERE + "test_registry_register_commands",
    "releasing-version": HERE + "test_releasing_version_commands",
    "analytics-catalog": "tests/bi/test_analytics_doc.py::test_the_server_steps_create_the_tables",
    "analytics-clickhouse-server": "tests/bi/test_analytics_doc.py::test_the_server_steps_create_the_tables",
    "analytics-chdb": "tests/bi/test_analytics_doc.py::test_the_chdb_loop_reads_the_topic",
    "service-ci-quarkus-workflow": "tests/test_workflows.py::test_service_examples_are_what_the_page_shows",
    "service-ci-python-workflow": "tests/test_workflows.py::test_service_examples_are_what_the_page_shows",
}

# Copyable blocks no test runs yet, with the reason: listed here, never silently skipped.
PENDING = {
    "service-ci-openapi-properties": (
        "needs a Quarkus build with quarkus-smallrye-openapi; test_service_ci.py writes the document "
        "where this property makes Quarkus write it"
    ),
}


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository
    line: int  # of the opening fence
    language: str
    name: str | None
    code: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages(root: Path = REPO_ROOT) -> list[Path]:
    return sorted(path for pattern in PAGES for path in root.glob(pattern))


def blocks_of(path: Path, root: Path = REPO_ROOT) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        words = match["info"].split()
        language = words[0] if words else ""
        name = words[1] if len(words) > 1 else None
        line = text.count("\n", 0, match.start()) + 1
        code = textwrap.dedent(match["body"]) if match["indent"] else match["body"]
        found.append(Block(path.relative_to(root).as_posix(), line, language, name, code))
    return found


@cache
def all_blocks() -> tuple[Block, ...]:
    return tuple(block for path in pages() for block in blocks_of(path))


def named() -> dict[str, Block]:
    return {block.name: block for block in all_blocks() if block.name is not None}


def code(name: str) -> str:
    """The text of the block called `name` (a KeyError names the blocks there are)."""
    blocks = named()
    if name not in blocks:
        raise KeyError(f"no block named {name!r} in {', '.join(PAGES)}; there are: {', '.join(sorted(blocks))}")
    return blocks[name].code


def substituted(text: str, placeholders: dict[str, str]) -> str:
    """`text` with each placeholder a reader replaces (asserted to be there) replaced by the test's value."""
    for placeholder, value in placeholders.items():
        assert placeholder in text, f"the page no longer shows {placeholder!r}"
        text = text.replace(placeholder, value)
    return text


def problems(blocks: Iterable[Block] | None = None) -> list[str]:
    """What keeps the pages' blocks (or `blocks`) from being run: one line per block or runner."""
    found = []
    seen: dict[str, Block] = {}
    checking_pages = blocks is None
    for block in all_blocks() if blocks is None else blocks:
        if not block.language:
            found.append(
                f"{block.where}: a block without a language: tag output `{NOT_COPIED}`, code `<language> <name>`"
            )
        elif block.language == NOT_COPIED:
            continue
        elif block.name is None or not _NAME.match(block.name):
            found.append(f"{block.where}: copyable {block.language} block without a name (```{block.language} <name>)")
        elif block.name in seen:
            found.append(f"{block.where}: block name {block.name!r} is also used at {seen[block.name].where}")
        elif block.name not in RUNNERS and block.name not in PENDING:
            found.append(f"{block.where}: block {block.name!r} has no runner in tests/docs/snippets.py RUNNERS")
        if block.name is not None:
            seen.setdefault(block.name, block)
    for name, node in sorted(RUNNERS.items()) if checking_pages else ():
        if name not in seen:
            found.append(f"RUNNERS[{name!r}]: no page has a block of that name")
        if name in PENDING:
            found.append(f"PENDING[{name!r}]: it has a runner now; remove it from PENDING")
        found += _runner_problems(name, node)
    for name in sorted(PENDING) if checking_pages else ():
        if name not in seen:
            found.append(f"PENDING[{name!r}]: no page has a block of that name")
    return found


def _runner_problems(name: str, node: str) -> list[str]:
    path, _, test = node.partition("::")
    module = REPO_ROOT / path
    if not module.is_file():
        return [f"RUNNERS[{name!r}]: {path} does not exist"]
    source = module.read_text(encoding="utf-8")
    found = []
    if not re.search(rf"^def {re.escape(test)}\(", source, re.M):
        found.append(f"RUNNERS[{name!r}]: {path} has no test {test}")
    if f'"{name}"' not in source:
        found.append(f'RUNNERS[{name!r}]: {path} never reads the block (code("{name}"))')
    return found
