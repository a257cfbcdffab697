"""The one exception root of ss3-schema and the exit codes every command shares.

Exit codes:
  0  clean: nothing to report
  1  violations found: the schema change (or a registry rule, or a publish
     conflict) is not acceptable
  2  usage, configuration or tool error: the command could not do its job
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_ERROR = 2


class Ss3SchemaError(Exception):
    """Root of every error ss3-schema reports; rendered once, at the CLI edge."""

    exit_code = EXIT_ERROR


class UsageError(Ss3SchemaError):
    """An option or argument is wrong (unknown git ref, bad combination)."""


class ConfigError(Ss3SchemaError):
    """A configuration file or environment variable is missing or malformed."""


class ToolError(Ss3SchemaError):
    """An external tool (buf, protoc, git, the wheel builder) failed."""


class SchemaError(Ss3SchemaError):
    """The schema itself is broken (for example a syntax error)."""

    exit_code = EXIT_VIOLATIONS


class RegistryError(Ss3SchemaError):
    """The schema registry could not be reached or refused the credentials."""


class PublishError(Ss3SchemaError):
    """The package index could not be reached or refused the credentials."""


class PublishConflict(Ss3SchemaError):
    """The index already holds this version with different content."""

    exit_code = EXIT_VIOLATIONS


class ReleaseRefused(Ss3SchemaError):
    """The declared version does not fit the change since the last release."""

    exit_code = EXIT_VIOLATIONS
