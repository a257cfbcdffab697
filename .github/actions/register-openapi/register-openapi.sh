#!/usr/bin/env bash
# shellcheck disable=SC2154 # the inputs are set by action.yml's env, which shellcheck cannot see
# The one step of the register-openapi action (action.yml). Every input
# arrives as an environment variable, never spliced into this script's text.
#
#   SS3_SPEC, SS3_GROUP, SS3_ARTIFACT_ID   the document and where it is registered
#   SS3_DRY_RUN                            true: ask the registry, persist nothing
#   SS3_COMPATIBILITY                      the artifact's COMPATIBILITY rule
#   SS3_INDEX                              simple index that holds ss3-schema
#   SS3_INDEX_USERNAME, SS3_INDEX_PASSWORD its credentials, if it needs them
#   SS3_TOOL_VERSION                       default: VERSION of this action's release
#   SS3_PYTHON                             interpreter for the tool's venv (>= 3.11)
#   SS3_REGISTRY_URL, SS3_REGISTRY_*       read by ss3-schema itself
#
# Exit codes are the tool's: 0 registered or unchanged, 1 the document is
# invalid or the registry refused it, 2 configuration or connection error.
# Every failure ends with a workflow annotation on the spec.
set -euo pipefail

ACTION_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The action lives at .github/actions/register-openapi of the release it was referenced at.
RELEASE_VERSION_FILE="$ACTION_DIR/../../../VERSION"

escape_data() {
  local text="$1"
  text="${text//'%'/%25}"
  text="${text//$'\r'/%0D}"
  printf '%s' "${text//$'\n'/%0A}"
}

annotate() {
  local file
  file="$(escape_data "${SS3_SPEC:-}")"
  file="${file//,/%2C}"
  echo "::error file=${file//:/%3A},title=register-openapi::$(escape_data "$1")"
}

fail() {
  annotate "$1"
  exit 2
}

require_inputs() {
  local name
  for name in SS3_SPEC SS3_GROUP SS3_ARTIFACT_ID SS3_INDEX SS3_REGISTRY_URL; do
    [[ -n "${!name:-}" ]] || fail "input ${name} is empty (see the action's inputs)"
  done
  [[ -f "$SS3_SPEC" ]] || fail "$SS3_SPEC: no such file; run the build that writes the OpenAPI document first"
  case "${SS3_DRY_RUN:-false}" in
    true | false) ;;
    *) fail "dry-run must be true or false, not '${SS3_DRY_RUN}'" ;;
  esac
}

resolve_tool_version() {
  TOOL_VERSION="${SS3_TOOL_VERSION:-}"
  if [[ -z "$TOOL_VERSION" ]]; then
    [[ -f "$RELEASE_VERSION_FILE" ]] || fail "no VERSION beside the action: set tool-version"
    TOOL_VERSION="$(tr -d '[:space:]' <"$RELEASE_VERSION_FILE")"
  fi
  [[ "$TOOL_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "tool version '${TOOL_VERSION}' is not X.Y.Z"
}

# The index URL as it may be printed: through the tool's one redaction (tools/ss3_schema/redact.py,
# beside this action in its release), so no user, password, query or fragment is ever shown.
shown_index() {
  SS3_SHOWN_URL="$SS3_INDEX" "${PYTHON:-python3}" -I -c '
import os, sys
sys.path.insert(0, sys.argv[1])
from ss3_schema.redact import display_url
print(display_url(os.environ["SS3_SHOWN_URL"]), end="")' "$ACTION_DIR/../../../tools" 2>/dev/null || printf 'the index'
}

# pip reads the index from the environment, so credentials never reach a command line.
index_with_credentials() {
  if [[ -z "${SS3_INDEX_USERNAME:-}${SS3_INDEX_PASSWORD:-}" ]]; then
    printf '%s' "$SS3_INDEX"
    return
  fi
  "$PYTHON" - <<'PY'
import os
from urllib.parse import quote, urlsplit, urlunsplit

url = urlsplit(os.environ["SS3_INDEX"])
user, password = (quote(os.environ.get(k, ""), safe="") for k in ("SS3_INDEX_USERNAME", "SS3_INDEX_PASSWORD"))
host = url.hostname or ""
netloc = f"{user}:{password}@{host}" + (f":{url.port}" if url.port else "")
print(urlunsplit(url._replace(netloc=netloc)), end="")
PY
}

# One venv per tool version under RUNNER_TEMP: a second document in the same job reuses it.
install_tool() {
  PYTHON="${SS3_PYTHON:-python3}"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||
    fail "'${PYTHON}' is not Python 3.11 or newer; add actions/setup-python before this step"
  VENV="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ss3-schema-${TOOL_VERSION}"
  [[ -f "$VENV/.installed" ]] && return
  local index
  # Computed apart: an empty index would make pip fall back to PyPI.
  index="$(index_with_credentials)"
  [[ -n "$index" ]] || fail "cannot build the index URL from $(shown_index)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || fail "cannot create a virtual environment with '${PYTHON}'"
  if ! PIP_INDEX_URL="$index" "$VENV/bin/python" -m pip install --quiet \
    --disable-pip-version-check "ss3-schema==${TOOL_VERSION}"; then
    rm -rf "$VENV"
    fail "cannot install ss3-schema==${TOOL_VERSION} from $(shown_index)"
  fi
  touch "$VENV/.installed"
}

register() {
  local args=(register-openapi "$SS3_SPEC" --group "$SS3_GROUP" --artifact-id "$SS3_ARTIFACT_ID"
    --compatibility "${SS3_COMPATIBILITY:-BACKWARD}" --format github)
  [[ "${SS3_DRY_RUN:-false}" == true ]] && args+=(--dry-run)
  local errors status=0
  errors="$(mktemp)"
  "$VENV/bin/ss3-schema" "${args[@]}" 2>"$errors" || status=$?
  cat "$errors" >&2
  # Rejections are annotated by the tool (--format github); its one-line errors are annotated here.
  local error_line
  error_line="$(grep '^error: ' "$errors" | tail -n 1 || true)"
  rm -f "$errors"
  [[ $status -ne 0 && -n "$error_line" ]] && annotate "${error_line#error: }"
  return "$status"
}

require_inputs
resolve_tool_version
install_tool
register
