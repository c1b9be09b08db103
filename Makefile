# The project's commands. `make help` lists them.
.PHONY: help dev test test-fast setup check stress bench replay failover capacity watch sim page

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-6s %s\n", $$1, $$2}'

dev: page ## the product on http://localhost:3000: page, both functions, simulated SMS, in-memory store
	cargo run --locked -p otp-local

test: ## every test, as CI runs it: setup (what is missing), then check
	./scripts/test

test-fast: frontend/node_modules/.package-lock.json ## the tests that need no server (every crate's unit tests, the page's Vitest suite): seconds once built
	cargo nextest run --workspace --locked --lib --bins
	npm --prefix frontend test

setup: ## install the tools the checks need (a .venv, cargo-nextest, npm packages, Chromium, the arm64 target)
	./scripts/setup

check: ## every check again, without the setup
	./scripts/check

stress: ## the checks five times in a row with stress-ng --cpu 2 beside them (RUNS=n for more or fewer)
	./scripts/stress-check $(RUNS)

bench: ## cold start, memory, size and per-call cost of both functions, and the local server under load (a table)
	./scripts/bench

replay: ## the attack replay: SMS pumping, harassment and code guessing, and a legitimate day, against the defaults (a table)
	./scripts/replay

failover: ## the failover benchmark: Vonage down, slow, then throttled, AWS End User Messaging carrying the codes (a table, ~4 minutes)
	./scripts/failover

capacity: ## the capacity model, and a launch in one country against DynamoDB's per-partition limits, scaled down (tables, ~2 minutes)
	./scripts/capacity

watch: ## both functions under `cargo lambda watch` on :9000, with moto on :8000 and the simulator on :4010
	./scripts/watch

sim: ## the Vonage Verify simulator alone, on http://127.0.0.1:4010
	cargo run --locked -p vonage-sim -- --port 4010

page: frontend/node_modules/.package-lock.json ## build the page into frontend/dist
	npm --prefix frontend run build

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	npm --prefix frontend ci --no-audit --no-fund
