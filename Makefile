# Two commands matter: `make demo` (the server plus the lifecycle demo) and `make test`
# (every test). Everything else here is a step of those two.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c

CARGO_PROFILE ?= ci
CARGO := cargo
SPEC_DIR ?= $(abspath ../shared/spec)

.PHONY: test demo test-rust lint codegen-check spec-conformance

## Every test, as CI runs it.
test: lint codegen-check test-rust spec-conformance

## The Rust workspace: unit, integration and doc tests.
test-rust:
	$(CARGO) test --workspace --profile $(CARGO_PROFILE)

## rustfmt and clippy, warnings as errors.
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --profile $(CARGO_PROFILE) -- -D warnings

## The generated Python and TypeScript files match the endpoint table.
codegen-check:
	$(CARGO) run -q -p zaby-codegen --profile $(CARGO_PROFILE) -- --check

## The endpoint table matches API.md §8 (needs the spec beside the repository).
spec-conformance:
	ZABY_SPEC_DIR=$(SPEC_DIR) $(CARGO) test -p zaby --profile $(CARGO_PROFILE) --test spec_conformance -- --include-ignored
