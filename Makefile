# rushes — one command for each thing a person wants to do. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
FOOTAGE ?= demo
INDEX ?= index
ADDR ?= 127.0.0.1:7878
RUSHES := target/release/rushes

.PHONY: run setup build models index serve demo test test-rust test-browser lint bench bench-quick fuzz stress screenshot clean

run: setup build models demo index serve ## install what is missing, build, fetch the default models if online, index FOOTAGE, serve

setup:
	scripts/setup.sh run

build:
	$(CARGO) build --release --locked -p rushes-cli

models: ## the models for speech, visual search and captions when online; offline, one line says what stays off
	$(RUSHES) models fetch --defaults --if-online

demo: ## a small demo set of real footage from Debian's opencv-doc
	@if [ "$(FOOTAGE)" = "demo" ]; then scripts/make-demo.sh demo; fi

index:
	$(RUSHES) index "$(FOOTAGE)" --index "$(INDEX)"

serve:
	$(RUSHES) serve --index "$(INDEX)" --addr "$(ADDR)"

test: ## install what is missing, build, run every test
	scripts/setup.sh test
	$(MAKE) lint
	$(MAKE) test-rust
	$(MAKE) test-browser

lint:
	$(CARGO) fmt --all -- --check
	@# Issue 20's rule: no file imports a file that imports it back (the checker checks itself first).
	python3 scripts/module_cycles.py --self-test
	python3 scripts/module_cycles.py
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) build --locked -p rushes-cli
	if command -v cargo-nextest >/dev/null; then $(CARGO) nextest run --locked --workspace --no-fail-fast; \
	else $(CARGO) test --locked --workspace --no-fail-fast; fi
	$(CARGO) build --locked --workspace --benches

test-browser:
	@if [ -f tests/browser/run.sh ]; then tests/browser/run.sh; else echo "no browser tests yet"; fi

bench:
	scripts/setup.sh bench
	scripts/bench.sh full

bench-quick:
	scripts/setup.sh bench
	scripts/bench.sh quick

stress: ## crash-safety tests with RUSHES_STRESS_KILLS (default 20) SIGKILLs of `rushes index`; the server load test
	export RUSHES_STRESS_KILLS=$${RUSHES_STRESS_KILLS:-20}; \
	if command -v cargo-nextest >/dev/null; then $(CARGO) nextest run --locked -p rushes-cli -E 'test(reliability)'; \
	else $(CARGO) test --locked -p rushes-cli --test it reliability; fi
	@# The server under load: 50 clients × 30 s of searches, thumbnails and Range requests while
	@# the index commits; prints throughput and p95, fails on any error.
	RUSHES_LOAD_CLIENTS=$${RUSHES_LOAD_CLIENTS:-50} RUSHES_LOAD_SECONDS=$${RUSHES_LOAD_SECONDS:-30} \
	  $(CARGO) test --locked -p rushes-server --test it load::load_mixed -- --nocapture

screenshot:
	tests/browser/run.sh screenshot

FUZZ_SECONDS ?= 120
FUZZ_TARGETS := query_parser subtitles ffprobe_json search_query_string
fuzz: ## each cargo-fuzz target for FUZZ_SECONDS (default 120 s) from fuzz/corpus; finds go to fuzz/artifacts
	scripts/setup.sh fuzz
	cd fuzz && for target in $(FUZZ_TARGETS); do \
	  mkdir -p corpus-new/$$target; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --dev -s none $$target corpus-new/$$target corpus/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -timeout=10 || exit 1; \
	done

clean:
	$(CARGO) clean
	rm -rf demo bench/work
