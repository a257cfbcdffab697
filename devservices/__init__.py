"""Real servers on 127.0.0.1 for local work and the tests: Apicurio Registry (more to come).

Each module is importable (the test fixtures use it) and runnable as
``python -m devservices.<name> up|status|down``; the Makefile's ``*-up`` and
``*-down`` targets call exactly that.
"""
