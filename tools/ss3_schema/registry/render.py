"""The outcome of a registration, for people (text), tools (json) and workflows (github)."""

from __future__ import annotations

import json
from collections import Counter

from ss3_schema.registry.register import Action, Outcome, RegisterResult
from ss3_schema.report import annotation, log_line

_WIDTH = max(len(action.value) for action in Action)


def render_result(result: RegisterResult, fmt: str, what: str) -> str:
    if fmt == "json":
        return _render_json(result, what)
    if fmt == "github":
        return _render_github(result, what)
    return _render_text(result, what)


def summary(result: RegisterResult, what: str) -> str:
    counts = Counter(outcome.action for outcome in result.outcomes)
    parts = [f"{action.value}: {counts[action]}" for action in Action if counts[action]]
    total = len(result.outcomes)
    text = f"{what}: {total} artifact{'s' if total != 1 else ''} in group '{result.group}'"
    if parts:
        text += f" ({', '.join(parts)})"
    if result.dry_run:
        text += "; dry run: nothing was registered"
    return text


def _render_text(result: RegisterResult, what: str) -> str:
    lines: list[str] = []
    for outcome in result.outcomes:
        lines.append(_text_line(outcome))
        lines += [f"{'':{_WIDTH}}   - {cause}" for cause in outcome.causes]
    lines.append(summary(result, what))
    return "\n".join(lines)


def _render_github(result: RegisterResult, what: str) -> str:
    # The log keeps the text; each rejection also becomes an annotation on its file.
    annotations = [_rejection_annotation(outcome) for outcome in result.rejected]
    text = [log_line(line) for line in _render_text(result, what).split("\n")]
    return "\n".join([*text, *annotations])


def _rejection_annotation(outcome: Outcome) -> str:
    causes = [str(cause) for cause in outcome.causes] or ["no cause given by the registry"]
    message = f"The registry rejected this document as {outcome.artifact_id}:\n" + "\n".join(
        f"- {cause}" for cause in causes
    )
    return annotation(message, file=outcome.file, title=f"{outcome.artifact_id} rejected by the registry")


def _text_line(outcome: Outcome) -> str:
    name = outcome.artifact_id if outcome.artifact_id == outcome.file else f"{outcome.artifact_id} ({outcome.file})"
    details = [f"version {outcome.version}"] if outcome.version and outcome.action is not Action.REJECTED else []
    details += [text for text in (outcome.note, outcome.rule) if text]
    suffix = f": {'; '.join(details)}" if details else ""
    return f"{outcome.action.value:<{_WIDTH}}  {name}{suffix}"


def _render_json(result: RegisterResult, what: str) -> str:
    artifacts = [
        {
            "artifact_id": o.artifact_id,
            "file": o.file,
            "action": o.action.value,
            "version": o.version,
            "note": o.note,
            "rule": o.rule,
            "causes": [{"description": c.description, "context": c.context} for c in o.causes],
        }
        for o in result.outcomes
    ]
    body = {
        "ok": result.ok,
        "dry_run": result.dry_run,
        "group": result.group,
        "summary": summary(result, what),
        "artifacts": artifacts,
    }
    return json.dumps(body, indent=2)
