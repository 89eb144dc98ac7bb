# The two commands of the README. Both set everything up first (idempotent).
.PHONY: run test setup

setup:
	scripts/setup.sh

run: setup
	.venv/bin/rag ingest
	.venv/bin/rag ui

test:
	scripts/setup.sh --test
	.venv/bin/python -m pytest -q -p no:cacheprovider
