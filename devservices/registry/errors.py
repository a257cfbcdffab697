"""The registry service's one error."""

from __future__ import annotations

from devservices.common import DevServiceError


class RegistryError(DevServiceError):
    """A failure that the CLI reports as one line and exit code 2."""
