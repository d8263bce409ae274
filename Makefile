# Confab: `make run` starts it, `make test` runs every suite. Each target installs what it
# needs first (system packages via apt, npm packages, tauri-driver), so on a fresh Debian or
# Ubuntu machine these two commands are the whole set-up.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
DEMO_DIR ?= target/demo
# `npm ci` takes the versions from the committed lock file.
NPM_CI := npm --prefix ui ci --no-audit --no-fund

# CI builds everything once: incremental caches would only take disk (several GB).
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif

PHONY_EXTRA := serve-demo bindings disk
.PHONY: run $(PHONY_EXTRA) test test-rust test-windows test-ui test-e2e test-package package lint bench setup ui deps-build deps-ui deps-keyring deps-e2e deps-bench fmt

setup: deps-build ui

deps-build:
	@scripts/ensure-system.sh build
	@scripts/ensure-toolchain.sh

deps-ui:
	@scripts/ensure-system.sh ui

deps-keyring:
	@scripts/ensure-system.sh keyring

deps-e2e: deps-build
	@scripts/ensure-system.sh e2e
	@scripts/ensure-toolchain.sh tauri-driver

deps-bench: deps-build
	@scripts/ensure-system.sh bench

ui/node_modules/.package-lock.json: ui/package-lock.json
	$(NPM_CI)

UI_SOURCES := $(shell find ui/src -type f 2>/dev/null) ui/index.html ui/vite.config.ts ui/svelte.config.js ui/tsconfig.json

# The app embeds ui/dist at compile time, so the UI is built before any cargo build of the app.
# Rebuilt only when a UI source changed, so cargo does not re-embed an identical UI.
ui: deps-build ui/dist/index.html

ui/dist/index.html: ui/node_modules/.package-lock.json $(UI_SOURCES)
	npm --prefix ui run build

# The app on its embedded demo: the reference server in-process, one account per dialect.
run: deps-build ui
	$(CARGO) build --locked -p confab
	@if [ "$$(uname)" = Linux ] && [ -z "$${DISPLAY:-}" ] && [ -z "$${WAYLAND_DISPLAY:-}" ]; then \
		echo "make run: no display (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop session, or use confab-cli."; \
	else \
		$(CARGO) run --locked -q -p confab -- --demo; \
	fi

# The reference server alone, in demo mode, for other clients (confab-cli, curl).
serve-demo: deps-build
	@mkdir -p $(DEMO_DIR)
	$(CARGO) run --locked -q -p confab-server -- serve --bind 127.0.0.1:8080 --db $(DEMO_DIR)/demo.db --demo \
		--keys-file $(DEMO_DIR)/demo.keys.json

# Regenerates what is generated from the Rust side of IPC: ui/src/lib/bindings.ts (the types),
# ui/src/lib/commands.ts (the commands) and fixtures/contract/shapes.json (the shapes of the
# real commands' answers, which the fake backend must match).
bindings: deps-build ui
	CONFAB_WRITE_BINDINGS=1 $(CARGO) test --locked -p confab --lib -- bindings ipc_contract

# Lint first: a warning or a stale format fails CI like a failing test.
test: disk lint test-rust test-windows test-ui test-e2e

# A full test run needs a few GB under target/; say how much there is before starting.
disk:
	@mkdir -p target && df -h target | awk 'NR == 2 { print "disk: " $$4 " free for target/" }'

# Keys go to a real Secret Service: a private D-Bus session with gnome-keyring. Size knobs are
# small here and large in `make bench`: MUTATION_CASES mutated server answers per decoder.
MUTATION_CASES ?= 20000
test-rust: deps-build deps-keyring ui
	CONFAB_MUTATION_CASES=$(MUTATION_CASES) scripts/with-keyring.sh $(CARGO) test --locked --workspace

# The Windows build of the core, server, CLI and shell suites, run under Wine (docs/platforms.md).
test-windows: deps-build ui
	@scripts/ensure-toolchain.sh windows
	@scripts/ensure-system.sh windows wine
	CARGO=$(CARGO) scripts/test-windows.sh

test-ui: deps-build deps-ui ui/node_modules/.package-lock.json
	npm --prefix ui run check
	npm --prefix ui test

# The real app binary in a real WebKit window under Xvfb, driven through tauri-driver.
test-e2e: deps-e2e ui
	$(CARGO) build --locked -p confab-cli
	CONFAB_SCREENSHOTS=$(CURDIR)/docs/screenshots scripts/with-keyring.sh \
		xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
		$(CARGO) test --locked --features e2e --test e2e -- --test-threads=1

# The Linux installers, with the tauri CLI from the UI's lock file. AppImage bundling downloads
# linuxdeploy from GitHub, so it is opt-in: `make package PACKAGES=deb,rpm,appimage`.
PACKAGES ?= deb,rpm
package: deps-build ui
	ui/node_modules/.bin/tauri build --ci --bundles $(PACKAGES)
	@ls -1 target/release/bundle/*/*.{deb,rpm,AppImage} 2>/dev/null || true

# Installs the .deb on this machine (CI's is throwaway; elsewhere it asks first) and starts the
# installed app under Xvfb until its window shows.
test-package: package deps-e2e
	scripts/test-package.sh target/release/bundle/deb/*.deb

lint: deps-build ui
	@scripts/ensure-toolchain.sh windows
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets --all-features -- -D warnings
	$(CARGO) clippy --locked --workspace --all-targets --target x86_64-pc-windows-gnu -- -D warnings
	npm --prefix ui run check

fmt:
	$(CARGO) fmt --all

bench: deps-bench deps-e2e deps-keyring ui
	scripts/bench-server.sh
	$(CARGO) bench --locked -q -p confab-core --bench core
	CONFAB_MUTATION_CASES=500000 $(CARGO) test --locked --release -q -p confab-core --test core -- mutations
	scripts/bench-app.sh
	$(CARGO) build --locked --release -q -p confab -p confab-cli -p confab-server
	scripts/with-keyring.sh python3 scripts/bench-day.py
