# ss3-protos: every CI job is one target here, so CI can be run locally.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The ref a change is compared with: branch, tag or sha (merge-base with HEAD).
AGAINST ?= origin/main
# Output of lint/breaking/check: text, json or github.
FORMAT ?= text
PYTEST_ARGS ?=
# Extra arguments of `ss3-schema release`, e.g. --push-tag in CI.
RELEASE_ARGS ?=
# pr-gate: the PR's checkout (read as data, never run) and the commit the PR targets (full sha).
PR ?=
BASE_SHA ?=

VENV_STAMP := $(VENV)/.installed
# What working on the repository adds (tests, style, local servers, lock): requirements/dev.txt.
DEV_STAMP := $(VENV)/.dev-installed
# The catalog tests' npm packages (official AsyncAPI parser, Chromium driver), pinned by tests/js/package-lock.json.
NPM_DIR := .cache/npm
NPM_STAMP := $(NPM_DIR)/.installed
GEN_STAMP := ss3-protos/src/ss3/__init__.py

.PHONY: help
help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(VENV_STAMP) ## Create .venv with the pinned tools (buf, mypy-protobuf, ...)

# VERSION too: the installed tool's metadata (`ss3-schema --version`) is read from it.
$(VENV_STAMP): requirements/tools.txt tools/pyproject.toml VERSION
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else "Python 3.11 to 3.13 required")'
	@echo "venv: creating $(VENV) (once, about a minute)" >&2
	@$(PYTHON) -m venv $(VENV)
	@echo "venv: installing the pinned tools from requirements/tools.txt" >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/tools.txt
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e tools
	@echo "venv: ready" >&2
	@touch $@

$(DEV_STAMP): $(VENV_STAMP) requirements/dev.txt
	@echo "venv: installing the test and style tools from requirements/dev.txt" >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	@touch $@

.PHONY: gen
gen: $(GEN_STAMP) ## Generate the Python package into ss3-protos/src (no-op when up to date)

# Always asks ss3-schema: its gen is content-addressed (a no-op in well under a second when
# nothing changed), and file dates cannot tell make that a schema was deleted or renamed.
$(GEN_STAMP): $(VENV_STAMP) FORCE
	@$(BIN)/ss3-schema gen

.PHONY: FORCE
FORCE:

.PHONY: catalog
catalog: $(VENV_STAMP) ## Event catalog (index.html) and AsyncAPI 3 document into dist/catalog/
	$(BIN)/ss3-schema catalog

.PHONY: lint
lint: $(VENV_STAMP) ## Lint the schemas
	$(BIN)/ss3-schema lint --format $(FORMAT)

.PHONY: breaking
breaking: $(VENV_STAMP) ## What breaks compatibility since AGAINST: buf FILE rules + event rules
	$(BIN)/ss3-schema breaking --against $(AGAINST) --format $(FORMAT)

# The gate's verdict, then the VERSION the change needs (on stderr unless FORMAT=text, so
# that json and github output stay one stream); fails if either fails, after both ran.
.PHONY: check
check: $(VENV_STAMP) ## The PR gate against AGAINST (lint, breaking, event and gate rules) + the VERSION it needs
	@status=0; \
	$(BIN)/ss3-schema check --against $(AGAINST) --format $(FORMAT) || status=$$?; \
	$(BIN)/ss3-schema version --check $(if $(filter text,$(FORMAT)),,>&2) || { rc=$$?; [ $$rc -le $$status ] || status=$$rc; }; \
	exit $$status

.PHONY: pr-gate
pr-gate: $(VENV_STAMP) ## The PR verdict in CI: the merge-base's tool judges PR=<checkout> against BASE_SHA=<sha>
	$(BIN)/python tools/pr_gate.py --pr "$(PR)" --base "$(BASE_SHA)" --format $(FORMAT)

.PHONY: wheel
wheel: $(GEN_STAMP) ## Build the ss3-protos wheel and the Maven jar + POM into dist/
	$(BIN)/ss3-schema build

.PHONY: version-check
version-check: $(VENV_STAMP) ## Fail if VERSION is too small for the change since the last vX.Y.Z tag
	$(BIN)/ss3-schema version --check

.PHONY: release
release: $(VENV_STAMP) ## Post-merge job: version check, gen, build, publish (wheel, tool, jar), register, tag (re-runnable)
	$(BIN)/ss3-schema release $(RELEASE_ARGS)

.PHONY: drift
drift: $(GEN_STAMP) ## Fail if generation leaves anything for git to see
	@status="$$(git status --porcelain)"; if [ -n "$$status" ]; then echo "$$status"; echo "drift: generation changed tracked or unignored files"; exit 1; fi

.PHONY: style
style: $(VENV_STAMP) $(DEV_STAMP) ## ruff + mypy on the tooling
	$(BIN)/ruff check tools tests devservices ss3-protos/hatch_build.py ss3-protos/runtime
	$(BIN)/ruff format --check tools tests devservices ss3-protos/hatch_build.py ss3-protos/runtime
	$(BIN)/mypy

.PHONY: browser
browser: ## Debian's chromium for the catalog's browser tests (apt-get as root; no-op when present)
	@if command -v chromium >/dev/null; then exit 0; fi; \
	as_root=""; if [ "$$(id -u)" != 0 ]; then \
	  if sudo -n true 2>/dev/null; then as_root="sudo -n"; \
	  else echo "browser: chromium missing; as root: apt-get install chromium (the browser tests fail in CI without it)"; exit 0; fi; \
	fi; \
	$$as_root apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	$$as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null

.PHONY: js-deps
js-deps: $(NPM_STAMP) ## npm packages of the catalog tests into .cache/npm (from the lockfile)

$(NPM_STAMP): tests/js/package.json tests/js/package-lock.json
	mkdir -p $(NPM_DIR)
	cp tests/js/package.json tests/js/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Tiers (tests/tiers.py): unit = no network; integration = our servers on 127.0.0.1;
# interop = the other side's real code. Workers: a module stays on one, the interop modules on one.
WORKERS ?= 2
# Bytecode (and pytest's rewritten test modules) is cached under .cache/pycache even where
# PYTHONDONTWRITEBYTECODE is set: compiling every module again in every worker and every CLI
# subprocess cost a third of the unit tier. The tree itself gets no __pycache__.
PYTEST := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/.cache/pycache $(BIN)/pytest -n $(WORKERS) --dist loadscope
# Where the machine allows it, the unit tier runs in a network namespace of its own: no
# interface at all, so a subprocess cannot reach the network either. Elsewhere (user
# namespaces disabled) the in-process guard of tests/tiers.py still holds.
NO_NETWORK := $(shell unshare -rn true 2>/dev/null && echo unshare -rn)
# The unit tier writes some 50,000 scratch files (git repositories, exported trees, images):
# on tmpfs, where the machine has one with a GiB to spare, that is a sixth of its time less.
UNIT_TMPDIR := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$$(df -Pk /dev/shm | awk 'NR==2 {print $$4}')" -gt 1048576 ] 2>/dev/null && echo /dev/shm)

.PHONY: test
test: $(GEN_STAMP) $(DEV_STAMP) style browser js-deps ## style, then every tier at once (starts Apicurio, Kafka, pypiserver, nginx on 127.0.0.1)
	$(PYTEST) $(PYTEST_ARGS)

# The fast loop: outside CI, test-unit runs each property test on a quarter of its examples
# (tests/helpers.examples); CI=true and `make test` run them in full.
.PHONY: test-unit
test-unit: $(GEN_STAMP) $(DEV_STAMP) ## Unit tier: no network at all (a socket fails the test); properties quick unless CI=true
	$(NO_NETWORK) env SS3_QUICK_PROPERTIES=1 $(if $(UNIT_TMPDIR),TMPDIR=$(UNIT_TMPDIR)) $(PYTEST) -m unit $(PYTEST_ARGS)

.PHONY: test-integration
test-integration: $(GEN_STAMP) $(DEV_STAMP) ## Integration tier: Apicurio, Kafka, pypiserver, nginx on 127.0.0.1
	$(PYTEST) -m integration $(PYTEST_ARGS)

.PHONY: test-interop
test-interop: $(GEN_STAMP) $(DEV_STAMP) browser js-deps ## Interop tier: Java serde, Quarkus, ClickHouse, chromium, AsyncAPI parser, pip
	$(PYTEST) -m interop $(PYTEST_ARGS)

.PHONY: bench
bench: $(GEN_STAMP) $(DEV_STAMP) ## Benchmarks: ratios against the raw tools
	$(BIN)/python tests/bench/run.py

# The servers keep their port and data across down/up; *-reset forgets both.
.PHONY: registry-up
registry-up: $(VENV_STAMP) ## Start the local Apicurio Registry on 127.0.0.1 (same port and data as last time)
	@$(BIN)/python -m devservices.registry up

.PHONY: registry-down
registry-down: ## Stop the local Apicurio Registry (keeps its port and data)
	$(PYTHON) -m devservices.registry down

.PHONY: registry-reset
registry-reset: ## Stop the local Apicurio Registry and forget its port and data
	$(PYTHON) -m devservices.registry reset

.PHONY: kafka-up
kafka-up: $(VENV_STAMP) ## Start the local Kafka broker (KRaft) on 127.0.0.1 (same port and data as last time)
	@$(BIN)/python -m devservices.kafka up

.PHONY: kafka-down
kafka-down: ## Stop the local Kafka broker (keeps its port and data)
	$(PYTHON) -m devservices.kafka down

.PHONY: kafka-reset
kafka-reset: ## Stop the local Kafka broker and forget its port and data
	$(PYTHON) -m devservices.kafka reset

.PHONY: pypi-up
pypi-up: $(VENV_STAMP) $(DEV_STAMP) ## Start the local package index (pypiserver) on 127.0.0.1 (same port and packages as last time)
	@$(BIN)/python -m devservices.pypi up

.PHONY: pypi-down
pypi-down: ## Stop the local package index (keeps its port and packages)
	$(PYTHON) -m devservices.pypi down

.PHONY: pypi-reset
pypi-reset: ## Stop the local package index and forget its port and packages
	$(PYTHON) -m devservices.pypi reset

.PHONY: maven-repo-up
maven-repo-up: $(VENV_STAMP) ## Start the local Maven repository (nginx WebDAV) on 127.0.0.1 (same port and files as last time)
	@$(BIN)/python -m devservices.maven_repo up

.PHONY: maven-repo-down
maven-repo-down: ## Stop the local Maven repository (keeps its port and files)
	$(PYTHON) -m devservices.maven_repo down

.PHONY: maven-repo-reset
maven-repo-reset: ## Stop the local Maven repository and forget its port, files and password
	$(PYTHON) -m devservices.maven_repo reset

.PHONY: down
down: ## Stop every local service (keeps their ports and data); python -m devservices COMMAND NAME for one
	$(PYTHON) -m devservices down

.PHONY: status
status: ## What runs where (registry, Kafka, package index, Maven repository) and the export lines to use them
	@$(PYTHON) -m devservices status

.PHONY: lock
lock: $(DEV_STAMP) ## Re-resolve requirements/tools.txt and dev.txt (hashed, Python 3.11-3.13) and the generator's hashes from their .in files
	$(BIN)/uv pip compile --quiet requirements/tools.in --universal --python-version 3.11 --generate-hashes -o requirements/tools.txt
	$(BIN)/uv pip compile --quiet requirements/dev.in -c requirements/tools.txt --universal --python-version 3.11 \
	  --generate-hashes -o requirements/dev.txt
	$(BIN)/uv pip compile --quiet requirements/generator.in --no-deps --python-version 3.12 --generate-hashes \
	  -o tools/ss3_schema/toolchain/generator.txt

.PHONY: clean
clean: ## Remove generated code, wheels and caches (keeps .venv and .cache)
	rm -rf ss3-protos/src dist test-output .pytest_cache .mypy_cache .ruff_cache
