"""Run a throw-away Apicurio Registry 3.x on 127.0.0.1 for local work and tests.

The server is the official Quarkus fast-jar distribution published on Maven
Central (``io.apicurio:apicurio-registry-app:<version>:tar.gz:all``), started
with a JDK >= 21. Started from the command line it keeps its data in H2 files
under the state directory and its ports in ``ports.json``, so a restart serves
the same URL, artifacts and content ids; ``reset`` forgets both. Started from
Python (the tests' fixtures) it holds everything in memory.

CLI::

    python -m devservices.registry up [--port N] [--basic-auth USER:PASSWORD ...]
                                  [--legacy-error-codes] [--global-rule TYPE=LEVEL ...]
                                  [--state-dir DIR]
    python -m devservices.registry status [--state-dir DIR]
    python -m devservices.registry down [--state-dir DIR]
    python -m devservices.registry reset [--state-dir DIR]

``up`` prints the base URL (``http://127.0.0.1:PORT``) on stdout and the
``export SS3_REGISTRY_URL=...`` line on stderr. Every command exits 0 on
success and 2 on failure, with a one-line reason on stderr (a failed start
adds the last lines of the server log after it). ``status`` also exits 2 when
no healthy server is recorded. Default state directory: ``.cache/registry``
(``state.json``, ``ports.json``, ``registry.log``, ``data/``,
``config/application.properties``).

Environment: ``APICURIO_VERSION`` (default 3.3.3) selects the server version,
``SS3_CACHE_DIR`` (default ``<repo>/.cache``) the download cache root.

The functions ``start_registry``, ``find_java21`` and ``ensure_distribution``
are importable (the integration-test fixture uses them). One module per
concern: ``distribution`` (download), ``config`` (properties), ``health``
(probing), ``process`` (start, stop, state file), ``cli``.
"""

from devservices.registry.cli import SERVICE, main
from devservices.registry.config import RULE_TYPES, server_properties
from devservices.registry.distribution import DEFAULT_VERSION, ensure_distribution, registry_version
from devservices.registry.errors import RegistryError
from devservices.registry.process import (
    STATE_ENTRIES,
    RunningRegistry,
    default_state_dir,
    find_java21,
    start_registry,
    stop_registry,
)

__all__ = [
    "DEFAULT_VERSION",
    "RULE_TYPES",
    "SERVICE",
    "STATE_ENTRIES",
    "RegistryError",
    "RunningRegistry",
    "default_state_dir",
    "ensure_distribution",
    "find_java21",
    "main",
    "registry_version",
    "server_properties",
    "start_registry",
    "stop_registry",
]
