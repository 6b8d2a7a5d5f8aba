#!/usr/bin/env bash
# Installs what is missing and runs every test of Porchlight: the UI's type checks and component
# tests, a check that the committed TypeScript bindings match the Rust types, and every Rust test
# in the workspace, including the end-to-end test of the real app under Xvfb. `.ci/run` calls
# this. It exits non-zero when anything fails and stops every background process it started.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$SECONDS
# shellcheck source=scripts/setup.sh
source scripts/setup.sh

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/porchlight/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-always}
mkdir -p "$CARGO_TARGET_DIR"

results=()
failed=0

# Runs one named step, records how it went and how long it took, and carries on either way so
# that one run reports every failure.
step() {
  local name=$1
  shift
  local t0=$SECONDS
  printf '\n\033[1;34m==> %s\033[0m\n' "$name"
  if "$@"; then
    results+=("ok    $(printf '%4ds' $((SECONDS - t0)))  $name")
  else
    results+=("FAIL  $(printf '%4ds' $((SECONDS - t0)))  $name")
    failed=1
  fi
}

xvfb_pid=""
pg_started=0
cleanup() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  if [ "$pg_started" -eq 1 ]; then
    bash scripts/pg.sh stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The committed TypeScript twins of the Rust wire types must be exactly what the Rust types
# generate; regenerating them is part of the domain crate's tests.
bindings_are_current() {
  local generated=(ui/src/lib/bindings ui/src/lib/codes.ts)
  cargo test -p porchlight-domain --quiet || return 1
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "not a git checkout: cannot tell whether the bindings changed" >&2
    return 1
  fi
  local dirty
  dirty=$(git status --porcelain -- "${generated[@]}")
  if [ -n "$dirty" ] || ! git diff --quiet -- "${generated[@]}"; then
    echo "The TypeScript bindings are stale: the Rust types changed but the committed files did not." >&2
    echo "$dirty" >&2
    git --no-pager diff --stat -- "${generated[@]}" >&2 || true
    echo "Run \`cargo test -p porchlight-domain\` and commit ui/src/lib/bindings and ui/src/lib/codes.ts." >&2
    return 1
  fi
}

# A virtual display for the app window; a free display number, so two runs can share a machine.
start_xvfb() {
  local n
  for n in $(seq 99 140); do
    if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then
      break
    fi
  done
  Xvfb ":$n" -screen 0 1400x900x24 -nolisten tcp >"$CARGO_TARGET_DIR/xvfb.log" 2>&1 &
  xvfb_pid=$!
  local tries
  for tries in $(seq 1 50); do
    if [ -e "/tmp/.X11-unix/X$n" ]; then
      export DISPLAY=":$n"
      echo "Xvfb on DISPLAY=$DISPLAY (pid $xvfb_pid)"
      return 0
    fi
    if ! kill -0 "$xvfb_pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "Xvfb did not start:" >&2
  cat "$CARGO_TARGET_DIR/xvfb.log" >&2
  xvfb_pid=""
  return 1
}

# The central service's tests need a real PostgreSQL; scripts/pg.sh (when present) starts a
# private one and prints the exports of its URLs. A cluster that was already running is used and
# left running: it is somebody else's.
start_postgres() {
  local exports
  if bash scripts/pg.sh url >/dev/null 2>&1; then
    exports=$(bash scripts/pg.sh url) || return 1
  else
    pg_started=1
    exports=$(bash scripts/pg.sh start) || return 1
  fi
  eval "$exports"
}

step "ui: build" npm --prefix ui run build
step "bindings: regenerate and compare with the committed files" bindings_are_current
step "ui: type check" npm --prefix ui run check
step "ui: component tests" npm --prefix ui test
if [ -f scripts/pg.sh ]; then
  step "postgresql: start" start_postgres
fi
step "xvfb: start" start_xvfb
step "build: app and cli" cargo build -p porchlight-app -p porchlight-cli
step "rust: every test in the workspace" cargo test --workspace --no-fail-fast

printf '\n\033[1m==> Summary (%ds in all)\033[0m\n' $((SECONDS - started))
printf '%s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then
  printf '\033[1;31mSome steps failed.\033[0m\n'
  exit 1
fi
printf '\033[1;32mEverything passed.\033[0m\n'
