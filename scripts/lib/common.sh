# Shared by the scripts in scripts/: paths, messages, and the choice of Rust toolchain for wasm32.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# wasm32 builds need a Rust toolchain with a wasm32 standard library. A rustup toolchain with
# the wasm32 target installed has one; otherwise use Debian's toolchain in /usr, which builds
# std from source (see .cargo/config.toml). Prints the RUSTUP_TOOLCHAIN value to use ("" = default).
wasm_toolchain() {
  local sysroot
  sysroot="$(rustc --print sysroot 2>/dev/null || true)"
  if [ -n "$sysroot" ] && [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
    echo ""
  else
    echo "/usr"
  fi
}

# Runs a command with the wasm32 toolchain selected.
with_wasm_toolchain() {
  local tc
  tc="$(wasm_toolchain)"
  if [ -n "$tc" ]; then RUSTUP_TOOLCHAIN="$tc" "$@"; else "$@"; fi
}

# The wasm-bindgen version pinned in Cargo.lock (wasm-bindgen-cli must match it exactly).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
