"""`python -m devservices.registry up|status|down|reset`."""

import sys

from devservices.registry.cli import main

sys.exit(main())
