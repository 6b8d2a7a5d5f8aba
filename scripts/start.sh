#!/usr/bin/env bash
# Installs what is missing, builds the UI and starts Porchlight on your local workspace (in the
# OS app-data folder, or at PORCHLIGHT_WORKSPACE when that is set). A debug build: it compiles
# much faster, and key derivation is optimised even there.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/setup.sh
source scripts/setup.sh

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/porchlight/target}

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: Porchlight is a desktop app. Run this in a desktop session (or under Xvfb with DISPLAY set)." >&2
  exit 1
fi

npm --prefix ui run build
exec cargo run -p porchlight-app
