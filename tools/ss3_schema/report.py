"""Violations found by the gate and their three renderings (text, json, github)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from ss3_schema import rules

FORMATS = ("text", "json", "github")


@dataclass(frozen=True, order=True)
class Violation:
    """One finding, located in a file relative to the repository root."""

    file: str
    line: int
    column: int
    rule: str
    message: str
    end_line: int = 0  # 0: unknown, the start position is used
    end_column: int = 0

    @property
    def advice(self) -> str:
        return rules.advice(self.rule)

    @property
    def end(self) -> tuple[int, int]:
        """Where the finding ends (line, column); the start when unknown."""
        if self.end_line <= 0:
            return self.line, self.column
        return self.end_line, max(self.end_column, 1)


def render(
    violations: Sequence[Violation],
    fmt: str,
    *,
    summary: str = "",
    notices: Sequence[str] = (),
    base: str | None = None,
) -> str:
    """Render findings in one of FORMATS; an empty list renders the summary only.

    Notices and the base commit are part of the json document; the text and
    github renderings leave them to the caller (they go to stderr there).
    """
    if fmt == "json":
        return _render_json(violations, summary, notices, base)
    if fmt == "github":
        return _render_github(violations, summary)
    return _render_text(violations, summary)


def _render_text(violations: Sequence[Violation], summary: str) -> str:
    lines = [_text_line(v) for v in sorted(violations)]
    if summary:
        lines.append(summary)
    return "\n".join(lines)


def _text_line(v: Violation) -> str:
    advice = f" (fix: {v.advice})" if v.advice else ""
    return f"{v.file}:{v.line}:{v.column}: {v.rule}: {v.message}{advice}"


def _render_json(violations: Sequence[Violation], summary: str, notices: Sequence[str], base: str | None) -> str:
    items = [_json_item(v) for v in sorted(violations)]
    document = {"ok": not violations, "summary": summary, "base": base, "notices": list(notices), "violations": items}
    return json.dumps(document, indent=2)


def _json_item(v: Violation) -> dict[str, object]:
    end_line, end_column = v.end
    return dict(asdict(v), end_line=end_line, end_column=end_column, advice=v.advice)


def _render_github(violations: Sequence[Violation], summary: str) -> str:
    lines = [_github_line(v) for v in sorted(violations)]
    if summary:
        lines.append(log_line(summary))
    return "\n".join(lines)


def log_line(text: str) -> str:
    """Plain text for a workflow log: one line that the runner never reads as a workflow command.

    The runner acts on any line that starts with `::` (after blanks), so only our
    annotations may; text from files, servers or users could otherwise hide every
    later annotation (`::stop-commands::`) or forge one.
    """
    line = _escape_data(text)
    if line.lstrip().startswith("::"):
        line = line.replace("::", ":%3A", 1)
    return line


def notice(text: str) -> str:
    """A workflow notice; its text escaped like an annotation's."""
    return f"::notice::{_escape_data(text)}"


def _github_line(v: Violation) -> str:
    # Workflow commands need %, CR and LF escaped in data, plus ',' and ':' in properties.
    message = _escape_data(v.message + (f" Fix: {v.advice}." if v.advice else ""))
    end_line, end_column = v.end
    position = f"line={v.line},endLine={end_line},col={v.column},endColumn={end_column}"
    props = f"file={_escape_prop(v.file)},{position},title={_escape_prop(v.rule)}"
    return f"::error {props}::{message}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summarize(violations: Iterable[Violation], what: str) -> str:
    count = len(list(violations))
    if count == 0:
        return f"{what}: ok"
    return f"{what}: {count} violation{'s' if count != 1 else ''}"


def annotation(message: str, *, file: str, title: str) -> str:
    """A workflow error annotation on a whole file (no line: e.g. a document the registry refused)."""
    return f"::error file={_escape_prop(file)},title={_escape_prop(title)}::{_escape_data(message)}"
