# The project's commands; `make` alone lists them. Every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help install up down status provision demo lint test test-unit submit cqlsh clean images test-containers

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

install: ## Install everything from nothing: .venv (pip) and the JVM pieces (mvn); quick when done before
	@scripts/bootstrap.sh

up: install ## Start Kafka, Cassandra, Flink and Prometheus (idempotent) and create topics and tables
	@scripts/stack.sh up
	@$(PY) -m infra.provision

down: ## Stop every local service, leaving no process behind
	@scripts/stack.sh down

status: ## Show whether each local service answers
	@scripts/stack.sh status

demo: install ## Run the pipeline end to end on this machine
	@scripts/demo.sh

lint: install ## Run the linter (ruff) and the type checker (mypy) on all our Python
	@.venv/bin/ruff check . && .venv/bin/mypy

test: install ## Lint, type-check, then run the whole test suite (starts the services it needs) with coverage
	@scripts/run-tests.sh

test-unit: install ## Run only the fast tests that need no service
	@$(PY) -m pytest -m "not services" -q

# With JOBMANAGER unset the job goes to the local cluster, started first; with it, to that cluster alone.
submit: install ## Submit the job to the local Flink cluster, started if needed (JOBMANAGER=host:port for another)
	@if [[ -z "$${JOBMANAGER:-}" ]]; then $(MAKE) --no-print-directory up; fi
	@.venv/bin/iot-submit --jobmanager $${JOBMANAGER:-127.0.0.1:8081}

cqlsh: install ## Open cqlsh on the results keyspace (CQL="SELECT …" runs one statement and exits)
	@.venv/bin/cqlsh $${IOT_CASSANDRA_HOST:-127.0.0.1} $${IOT_CASSANDRA_PORT:-9042} -k $${IOT_CASSANDRA_KEYSPACE:-iot} $(if $(CQL),-e "$(CQL)")

images: install ## Build the container images with podman (stand-in base images where no registry answers)
	@scripts/images.sh

test-containers: install ## Build the images, run docker/compose.yaml under podman against the oracle
	@$(PY) -m pytest -m containers tests/containers -q

clean: down ## Stop the services and delete their data and logs (var/)
	rm -rf var
