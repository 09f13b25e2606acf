# consent-edge — every tool the project needs is installed here, idempotently,
# from the package registries only (crates.io, npm, Debian). Nothing else is
# downloaded: worker-build is pointed at local wasm-bindgen, esbuild and wasm-opt.
SHELL := /bin/bash
.DEFAULT_GOAL := test

CARGO_BIN      := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
WORKER_BUILD_VERSION := 0.8.7
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/version = |"/,""); print}' Cargo.lock)

export PATH := $(CARGO_BIN):$(PATH)
export WASM_BINDGEN_BIN := $(CARGO_BIN)/wasm-bindgen
export ESBUILD_BIN      := $(CURDIR)/node_modules/.bin/esbuild
export WASM_OPT_BIN     := $(CURDIR)/node_modules/.bin/wasm-opt
# wrangler: no telemetry, no update checks (the network is closed).
export WRANGLER_SEND_METRICS := false
export WRANGLER_SEND_ERROR_REPORTS := false
export CLOUDFLARE_DISABLE_UPDATE_CHECK := true

.PHONY: tools rust-tools node-tools browser-tools build dev test lint test-native test-e2e test-browser screenshots bench bench-guard bench-native clean

## ---- tools (idempotent) ---------------------------------------------------
tools: rust-tools node-tools

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$($(CARGO_BIN)/worker-build --version 2>/dev/null)" != "$(WORKER_BUILD_VERSION)" ]; then \
	  echo "installing worker-build $(WORKER_BUILD_VERSION)"; \
	  cargo install worker-build --version $(WORKER_BUILD_VERSION) --locked; fi
	@if ! $(CARGO_BIN)/wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$"; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked \
	    || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi

# npm ci only when package-lock.json differs from the one last installed
# (compared by content: checkouts and worktrees reset file times).
node-tools:
	@lock=$$(sha256sum package-lock.json | cut -d' ' -f1); \
	if [ "$$(cat node_modules/.installed 2>/dev/null)" != "$$lock" ]; then \
	  npm ci --no-audit --no-fund && echo "$$lock" > node_modules/.installed; fi

browser-tools:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian chromium"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null); }

## ---- build --------------------------------------------------------------
# Release build of the worker into build/ (index.js, index_bg.wasm, shim).
SOURCES := $(shell find src crates buildscript -type f) build.rs Cargo.toml Cargo.lock consent.toml $(wildcard trackers.toml)
build: build/index.js
# wasm-opt's feature set as worker-build passes it (what workerd supports).
WASM_FEATURES := --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling --enable-simd
# The worker is the shell crate (crates/edge, a cdylib over the core):
# worker-build runs there and writes ../../build (its --out-dir is relative
# to the crate).
build/index.js: $(SOURCES) | tools
	cd crates/edge && worker-build --release --out-dir ../../build
	@# worker-build keeps the function-name section (~17% of the module): drop it.
	$(WASM_OPT_BIN) $(WASM_FEATURES) --strip-debug --strip-producers build/index_bg.wasm -o build/index_bg.wasm
	@touch $@

## ---- dev ----------------------------------------------------------------
# wrangler dev on http://localhost:8787, the demo site served through the worker.
.dev.vars:
	@echo "CONSENT_SECRET=\"$$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')\"" > $@
	@echo "ADMIN_TOKEN=\"dev-admin-token\"" >> $@
	@echo "wrote $@ (random CONSENT_SECRET for local dev)"

dev: build .dev.vars
	CI=true npx wrangler d1 migrations apply DB --local --env dev
	npx wrangler dev --env dev --port 8787 --ip 127.0.0.1

## ---- test ---------------------------------------------------------------
test: lint test-native build browser-tools test-e2e load-smoke test-browser

# Gates: formatting, clippy with warnings as errors for the host (every
# target of the workspace) and for wasm32 (--workspace --lib: the shell
# crate, crates/edge, is only code there; the dev-dependencies are host-only), and rustdoc without warnings.
lint: node-tools
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --workspace --lib -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace

test-native: node-tools
	cargo test --workspace --all-targets

test-e2e: node-tools
	node --test --test-concurrency=1 tests/e2e/

# Real Chromium (Debian's) driven by playwright-core, against the built worker.
test-browser: node-tools browser-tools
	@if ls tests/browser/*.test.mjs >/dev/null 2>&1; then node --test --test-concurrency=1 tests/browser/; fi

# Regenerate the screenshots shown in docs/BROWSER.md.
screenshots: build node-tools browser-tools
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots node --test --test-concurrency=1 tests/browser/

# In the real runtime: the release worker in workerd beside a pass-through and a
# JS HTMLRewriter worker (bench/workerd.mjs); writes docs/BENCHMARKS.md
# "## In workerd" and docs/bench-latency.svg. BENCH_QUICK=1 for a short run.
bench: build
	node bench/workerd.mjs

# What the crash guard of src/entry.mjs costs per request (A/B in workerd).
bench-guard: build
	node bench/guard.mjs

# The native filter benchmark (criterion, no runtime).
bench-native: tools
	cargo bench --bench filter

clean:
	rm -rf build target/wasm32-unknown-unknown .wrangler

## ---- hardening: fuzzing and load (docs/SECURITY.md) ----------------------
.PHONY: fuzz fuzz-tools load-tools load load-smoke
FUZZ_SECONDS ?= 60

# cargo-fuzz (crates.io) and the nightly toolchain libFuzzer needs.
fuzz-tools:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Every fuzz target for FUZZ_SECONDS each (one after the other), e.g.
# `make fuzz FUZZ_SECONDS=1800`. Final libFuzzer stats per target are printed.
fuzz: fuzz-tools
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

# wrk (Debian) against the built worker on loopback: 64 connections, mixed
# consent states; fails on any error, any non-2xx or a growing workerd RSS.
load-tools:
	@command -v wrk >/dev/null || { echo "installing Debian wrk"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null); }

load: build node-tools load-tools
	node tests/load/run.mjs --duration 60 --connections 64

load-smoke: build node-tools load-tools
	node tests/load/run.mjs --duration 5 --connections 16
