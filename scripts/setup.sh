#!/usr/bin/env bash
# Installs what Porchlight needs on Debian 12 and is not there yet: system packages (as root, or
# through sudo), a Rust toolchain and Node.js new enough for the project, tauri-driver, and the
# UI's npm modules. Safe to run again and again: it only does what is missing.
#
# Run it on its own (`bash scripts/setup.sh`), or source it from another script so that the PATH
# it sets up (~/.cargo/bin, a private Node.js when the system one is too old) carries over.

set -euo pipefail

PORCHLIGHT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORCHLIGHT_CACHE=${PORCHLIGHT_CACHE:-$HOME/.cache/porchlight}
mkdir -p "$PORCHLIGHT_CACHE"

# Versions the project needs (see Cargo.toml rust-version and ui/package.json engines).
RUST_MIN=1.85
NODE_MIN=20.19
NODE_VERSION=22.14.0

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "[setup] root rights are needed to install system packages ($*), and sudo is not available." >&2
    echo "[setup] Run this script as root once, or install sudo." >&2
    return 1
  fi
}

# True when version $1 is at least $2 (dotted numbers).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

install_system_packages() {
  local wanted=(
    # Building the Tauri app.
    build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev
    libayatana-appindicator3-dev
    # Fetching toolchains when they are missing, and the checks on generated files.
    ca-certificates curl git xz-utils
    # Tests: a display without a screen, the WebDriver of WebKitGTK, image and PDF tools,
    # QR-code reading, the central service's database, a font for stable screenshots, and
    # xwininfo (x11-utils), which finds the native file dialogs the WebDriver cannot see.
    xvfb webkit2gtk-driver imagemagick poppler-utils zbar-tools postgresql fonts-dejavu-core
    x11-utils
  )
  local missing=()
  local pkg
  for pkg in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "system packages: all present"
    return
  fi
  say "system packages: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_rust() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if command -v cargo >/dev/null 2>&1; then
    local have
    have=$(rustc --version | awk '{print $2}')
    if version_at_least "$have" "$RUST_MIN"; then
      say "rust: $have"
      return
    fi
    if command -v rustup >/dev/null 2>&1; then
      say "rust: $have is older than $RUST_MIN; updating the stable toolchain"
      rustup toolchain install stable --profile minimal
      rustup default stable
      return
    fi
  fi
  say "rust: installing the stable toolchain with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable
}

install_node() {
  local private="$PORCHLIGHT_CACHE/node-v$NODE_VERSION/bin"
  if [ -x "$private/node" ]; then
    export PATH="$private:$PATH"
  fi
  if command -v node >/dev/null 2>&1; then
    local have
    have=$(node --version | sed 's/^v//')
    if version_at_least "$have" "$NODE_MIN"; then
      say "node: $have"
      return
    fi
    say "node: $have is older than $NODE_MIN"
  fi
  # Debian 12 ships Node.js 18, older than the UI's tools accept; a private copy keeps the
  # system's own untouched.
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) echo "[setup] no Node.js build known for $(uname -m)" >&2; return 1 ;;
  esac
  say "node: installing Node.js $NODE_VERSION into $PORCHLIGHT_CACHE"
  curl -sSfL "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-$arch.tar.xz" \
    | tar -xJ -C "$PORCHLIGHT_CACHE"
  mv "$PORCHLIGHT_CACHE/node-v$NODE_VERSION-linux-$arch" "$PORCHLIGHT_CACHE/node-v$NODE_VERSION"
  export PATH="$private:$PATH"
}

install_tauri_driver() {
  if command -v tauri-driver >/dev/null 2>&1; then
    say "tauri-driver: $(command -v tauri-driver)"
    return
  fi
  say "tauri-driver: installing"
  cargo install tauri-driver --version '^2' --locked
}

install_ui_modules() {
  local lock="$PORCHLIGHT_ROOT/ui/package-lock.json"
  local stamp="$PORCHLIGHT_ROOT/ui/node_modules/.porchlight-lock.sha256"
  if [ ! -f "$lock" ]; then
    echo "[setup] ui/package-lock.json is missing; the UI's modules cannot be installed reproducibly." >&2
    return 1
  fi
  local want
  want=$(sha256sum "$lock" | awk '{print $1}')
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "ui modules: up to date"
    return
  fi
  say "ui modules: npm ci"
  npm ci --prefix "$PORCHLIGHT_ROOT/ui" --cache "$PORCHLIGHT_CACHE/npm" --prefer-offline --no-audit --no-fund
  echo "$want" >"$stamp"
}

install_system_packages
install_rust
install_node
install_tauri_driver
install_ui_modules
say "ready"
