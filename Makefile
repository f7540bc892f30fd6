# Two commands matter: `make demo` (the server plus the lifecycle demo) and `make test`
# (every test). Everything else here is a step of those two.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c

CARGO_PROFILE ?= ci
CARGO := cargo
SPEC_DIR ?= $(abspath ../shared/spec)

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
SERVER_BIN := $(TARGET_DIR)/$(CARGO_PROFILE)/zaby-server
# Marks every process and test cluster this run starts (tests/support/check-leaks.sh).
ifndef ZABY_TEST_RUN
ZABY_TEST_RUN := $(shell date +%s%N)
endif
export ZABY_TEST_RUN

.PHONY: test demo postgres test-rust lint codegen-check spec-conformance python-env python-dev test-python node-env node-build test-node test-web test-browser chromium test-web-example jvm kotlin-native test-kotlin \
	server e2e e2e-rust e2e-python e2e-typescript e2e-kotlin bench bench-smoke check-leaks

## The server plus the lifecycle demo, on embedded SQLite.
demo:
	scripts/demo

## Every test, as CI runs it.
test: lint codegen-check playground-check test-rust spec-conformance openapi-check test-python test-node test-web test-browser test-playground test-web-example test-kotlin e2e bench-smoke test-schemathesis check-leaks

## Nothing the suites started (PostgreSQL clusters, zaby-server processes, zaby-pg-*
## folders) outlives them.
check-leaks:
	tests/support/check-leaks.sh

## The Rust workspace: unit, integration and doc tests. The server suites run on SQLite
## and on a PostgreSQL cluster the tests start themselves (ZABY_REQUIRE_POSTGRES makes a
## missing PostgreSQL a failure instead of a skip). The end-to-end crate needs a built
## server and runs in `e2e-rust`; so do the `zaby` command's tests, in `e2e-cli`.
test-rust: postgres
	ZABY_REQUIRE_POSTGRES=1 $(CARGO) test --workspace --exclude zaby-e2e --exclude zaby-cli --profile $(CARGO_PROFILE)

## PostgreSQL server binaries (initdb, postgres), from Debian's packages when missing.
postgres:
	if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	fi

## rustfmt and clippy, warnings as errors; no file sends its reader to the contract outside
## the repository (docs/ holds the facts), by its file names or by a bare section sign (an
## RFC's sections are fine). Not checked: applied migrations, whose text is frozen by their
## checksums (storage/migrate.rs), and the test that reads the contract.
LINT_SPARED := ':!crates/zaby-server/migrations/000[1-5]_*.sql' ':!crates/zaby/tests/spec_conformance.rs'
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --profile $(CARGO_PROFILE) -- -D warnings
	if git grep -nE '(API|SERVER|CLI|WEB|ARCHITECTURE|EXTENSIONS)[.]md' -- . $(LINT_SPARED) \
		|| git grep -n '§' -- . ':!Makefile' $(LINT_SPARED) | grep -v 'RFC [0-9]* §'; then
		echo 'lint: cite the docs/ page that holds the fact, not the contract' >&2
		exit 1
	fi

## The generated Python and TypeScript files match the endpoint table.
codegen-check:
	$(CARGO) run -q -p zaby-codegen --profile $(CARGO_PROFILE) -- --check

## The endpoint table matches the endpoint index of the contract the project is built to
## (maintainers: needs the contract's folder beside the repository, SPEC_DIR).
spec-conformance:
	ZABY_SPEC_DIR=$(SPEC_DIR) $(CARGO) test -p zaby --profile $(CARGO_PROFILE) --test spec_conformance -- --include-ignored

.PHONY: openapi-check
## The OpenAPI document a live zaby-server serves is valid OpenAPI 3.1 and complete
## (every operation summarised, with credentials and schemas): tests/openapi/validate.py.
openapi-check: server python-env
	ZABY_SERVER_BIN=$(SERVER_BIN) $(PY) tests/openapi/validate.py

## A virtualenv with the Python dev tools (maturin, pytest, mypy, openapi-spec-validator).
python-env: $(VENV)/.installed
$(VENV)/.installed: python/requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r python/requirements-dev.txt
	touch $@

## The Python package built from source into the virtualenv.
python-dev: python-env
	cd python && VIRTUAL_ENV=$(VENV) $(VENV)/bin/maturin develop --profile $(CARGO_PROFILE)

## Python tests, then the abi3 wheel installed into a fresh virtualenv.
test-python: python-dev
	$(PY) -m pytest -q python/tests
	PATH=$(VENV)/bin:$$PATH python/scripts/check_wheel.sh

## npm dependencies of the Node package.
node-env: typescript/node_modules/.package-lock.json
typescript/node_modules/.package-lock.json: typescript/package-lock.json
	cd typescript && npm ci --no-audit --no-fund

## The Node package built from source: native addon (ci profile) and TypeScript.
node-build: node-env
	cd typescript && npm run build

## The Node package's tests (node --test).
test-node: node-build
	cd typescript && npm test

## The web build (`docs/web.md`): the addon-independent suites and the Rust core's
## conformance vectors replayed against dist/web/ (test-node runs them on the native build).
test-web: node-build
	cd typescript && npm run test:web

## Debian's chromium for the browser tests, installed when missing (never a downloaded browser).
chromium:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)

## The same vectors inside headless Chromium, the web build loaded as ES modules by a local page.
test-browser: node-build chromium
	cd typescript && npm run test:browser

## The embedding example (examples/web/README.md) in Chromium against a live server: a
## chat from an allowed origin, a refusal from another, the vectors inside its page, /docs.
## --ignore-scripts: the SDK's prepare hook would rebuild it in release mode (node-build did).
test-web-example: server node-build chromium
	cd examples/web
	npm install --ignore-scripts --no-audit --no-fund --loglevel=error
	ZABY_SERVER_BIN=$(SERVER_BIN) node --test --test-concurrency=1 --test-timeout=180000 test/example.test.mjs

.PHONY: schemathesis-env test-schemathesis soak
## Schemathesis (pinned in scripts/schemathesis/requirements.txt, its own virtualenv)
## against the /openapi.json of a live zaby-server on a fresh SQLite database, with an API
## key and with a runtime token, every check but positive_data_acceptance: no 5xx, every
## status, header and body as documented, requests that break the document refused, none
## slower than 5 s (scripts/schemathesis/run says why that one check is left out,
## RELIABILITY.md). About 7,500 cases in under a minute.
SCHEMATHESIS_VENV := $(TARGET_DIR)/schemathesis-venv
SCHEMATHESIS_RUN = ZABY_SERVER_BIN=$(SERVER_BIN) SCHEMATHESIS=$(SCHEMATHESIS_VENV)/bin/schemathesis \
	SCHEMATHESIS_REPORT_DIR=$(TARGET_DIR)/schemathesis scripts/schemathesis/run
schemathesis-env: $(SCHEMATHESIS_VENV)/.installed
$(SCHEMATHESIS_VENV)/.installed: scripts/schemathesis/requirements.txt
	python3 -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install -q --disable-pip-version-check -r scripts/schemathesis/requirements.txt
	touch $@

test-schemathesis: server schemathesis-env
	RUST_LOG=warn $(SCHEMATHESIS_RUN) --examples 3 --seed 20

## For local use, not in `make test` (it takes much longer): schemathesis with
## many more cases and a random seed, the reliability suite's property tests with 20 times
## their cases (ZABY_SOAK) plus its fault experiments on both databases, and the SSE
## parser's properties 10 times over (each run draws new cases).
soak: server schemathesis-env postgres
	RUST_LOG=warn $(SCHEMATHESIS_RUN) --examples 40
	ZABY_SOAK=20 ZABY_REQUIRE_POSTGRES=1 $(CARGO) test -p zaby-server --profile $(CARGO_PROFILE) --test api -- reliability
	for round in $$(seq 10); do $(CARGO) test -q -p zaby --profile $(CARGO_PROFILE) --lib sse::tests; done

.PHONY: playground-bundle playground-check test-playground
## The playground's assets (crates/zaby-server/playground/README.md), rebuilt into its
## dist/, which is committed so that a plain `cargo build` embeds them without Node.
playground-bundle: node-env
	node crates/zaby-server/playground/build.mjs

## dist/ is what the playground's sources and the web build of @zaby/sdk build to today.
playground-check: node-env
	node crates/zaby-server/playground/build.mjs --check

## The playground served by a live zaby-server, driven in headless Chromium
## (tests/browser/playground.test.mjs); screenshots in target/playground/.
test-playground: server node-env chromium
	ZABY_SERVER_BIN=$(SERVER_BIN) node --test --test-timeout=180000 tests/browser/playground.test.mjs

## The Kotlin/JVM SDK (kotlin/README.md): the UniFFI library in the ci profile, the Kotlin
## glue UniFFI generates from it, and the library laid out for JNA (linux-x86-64/).
KOTLIN_NATIVE := kotlin/target/native/linux-x86-64
kotlin-native:
	$(CARGO) build --profile $(CARGO_PROFILE) -p zaby-ffi
	rm -rf kotlin/target/generated-sources/uniffi
	# Library mode reads bindings/uniffi/uniffi.toml (the Kotlin package and library name).
	$(TARGET_DIR)/$(CARGO_PROFILE)/uniffi-bindgen generate --no-format --language kotlin \
		--out-dir kotlin/target/generated-sources/uniffi --library $(TARGET_DIR)/$(CARGO_PROFILE)/libzaby_ffi.so
	mkdir -p $(KOTLIN_NATIVE)
	cp $(TARGET_DIR)/$(CARGO_PROFILE)/libzaby_ffi.so $(KOTLIN_NATIVE)/

## Maven runs offline once ~/.m2 holds everything a pom needs (a stamp per pom
## version); the first run resolves from Maven Central. `$(call mvn,DIR,GOALS)`.
mvn_stamp = $(HOME)/.m2/zaby-$(shell cat $(1)/pom.xml | sha256sum | cut -c1-16).resolved
mvn = mvn -B -ntp -f $(1)/pom.xml $$(test -f $(call mvn_stamp,$(1)) && echo -o) $(2) && touch $(call mvn_stamp,$(1))

## JDK 17 and Maven, from Debian's packages when missing.
jvm:
	if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
	fi

## The Kotlin package's MockTransport suite (JUnit 5 through Surefire), then the jar,
## installed into ~/.m2 for the end-to-end suite.
test-kotlin: jvm kotlin-native
	$(call mvn,kotlin,install)

## zaby-server for the end-to-end suites and the bench smoke, in the same profile as every
## other crate of `make test` (so a cold run compiles each crate once; `make bench` and
## `make dist` build the release binary). It answers --version.
server:
	$(CARGO) build --profile $(CARGO_PROFILE) -p zaby-server
	$(SERVER_BIN) --version

## End-to-end suites: each language's SDK, as users install it, against a live
## release zaby-server started by the suite (tests/README.md).
e2e: e2e-rust e2e-python e2e-typescript e2e-cli e2e-kotlin

e2e-rust: server postgres
	ZABY_SERVER_BIN=$(SERVER_BIN) $(CARGO) test -p zaby-e2e --profile $(CARGO_PROFILE)

e2e-python: server postgres python-env
	ZABY_SERVER_BIN=$(SERVER_BIN) MATURIN=$(VENV)/bin/maturin CARGO_PROFILE=$(CARGO_PROFILE) tests/python/run

e2e-typescript: server node-env
	ZABY_SERVER_BIN=$(SERVER_BIN) tests/typescript/run

## The Kotlin suite runs on SQLite, then on a throwaway PostgreSQL (tests/kotlin/run).
e2e-kotlin: server test-kotlin postgres
	ZABY_SERVER_BIN=$(SERVER_BIN) tests/kotlin/run $(call mvn,tests/kotlin,verify)

.PHONY: e2e-cli
## The `zaby` command end to end (crates/zaby-cli/README.md): each test starts `zaby dev`,
## which runs the zaby-server built beside it, and drives it through the command line.
e2e-cli: server
	$(CARGO) test -p zaby-cli --profile $(CARGO_PROFILE)

.PHONY: install-check dist
## The README's install lines, from a copy of this clone (scripts/check-install):
## `pip install ./python` into a fresh virtualenv and `npm install <clone>/typescript` into
## a fresh folder, each imported and called there. In the ci profile and the shared target
## dir, so compiled dependencies are reused. Part of `make e2e`.
e2e: install-check
install-check:
	CARGO_PROFILE=$(CARGO_PROFILE) CARGO_TARGET_DIR=$(TARGET_DIR) scripts/check-install

## Release artifacts in dist/ (scripts/dist): the abi3 wheel, the npm tarball with its
## native addon, the `zaby` and `zaby-server` binaries as a tarball, the Kotlin jar, and
## SHA256SUMS; then each is checked as a user would use it (scripts/check-dist, alone:
## `make dist-check`). Release builds: not part of `make test` (docs/operations.md).
dist: python-env node-env jvm
	MATURIN=$(VENV)/bin/maturin CARGO_TARGET_DIR=$(TARGET_DIR) scripts/dist
	scripts/check-dist

.PHONY: dist-check
dist-check:
	scripts/check-dist

## Benchmarks (BENCHMARKS.md): release builds, full figures. `bench-smoke` runs every
## benchmark for a few iterations so the harness cannot rot.
bench: postgres python-env node-build
	MATURIN=$(VENV)/bin/maturin bench/run

bench-smoke: server postgres python-dev node-build
	MATURIN=$(VENV)/bin/maturin CARGO_PROFILE=$(CARGO_PROFILE) bench/run --smoke
