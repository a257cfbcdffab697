"""Real servers on 127.0.0.1 for local work and the tests: Apicurio Registry, Kafka, pypiserver, a Maven repository.

Each server module is importable (the test fixtures use it) and runnable as
``python -m devservices.<name> up|status|down|reset``; the Makefile's ``*-up``,
``*-down`` and ``*-reset`` targets call exactly that, and ``make status`` runs
``python -m devservices status`` (every service at once).
"""
