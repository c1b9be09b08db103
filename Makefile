# The project's commands. `make help` lists them.
.PHONY: help test sim

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\n", $$1, $$2}'

test: ## every test, as CI runs it (installs its own tools on first run)
	./scripts/test

sim: ## the Vonage Verify simulator alone, on http://127.0.0.1:4010
	cargo run --release -p vonage-sim -- --port 4010
