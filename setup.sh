#!/usr/bin/env bash
# Installs what building and testing this project needs, and only what is missing.
#
#   ./setup.sh          check, install what is missing, write .tools/env.sh
#
# `./dev demo` and `./dev test` call it first, so nobody has to run it by hand.
# A second run only checks versions and takes seconds.
#
# The wasm32 toolchain takes one of two routes:
#   rustup  where `rustup target add wasm32-unknown-unknown` can download (ordinary machines);
#   debian  where it cannot (no network beyond package registries): Debian's rustc-web,
#           which knows the wasm32 target, plus std built from source (build-std).
#           PELM_WASM_ROUTE=debian forces this route, to test it where rustup works.
# Everything else comes from package registries: trunk and wasm-bindgen-cli from
# crates.io, wasm-opt from npm's binaryen, Schemathesis from PyPI, Chromium, chromedriver and
# PostgreSQL from Debian.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS="$ROOT/.tools"
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
AXE_VERSION=4.14.1
SCHEMATHESIS_VERSION=4.32.5
# wasm_split_cli_support: it must read what leptos's wasm_split_helpers (Cargo.lock) writes.
WASM_SPLIT_VERSION=0.2.4
WASM_TARGET=wasm32-unknown-unknown
# rust-web-llvm is only a Recommends of rustc-web, but it is what provides
# /usr/bin/rust-lld, the linker rustc-web calls for wasm32.
DEBIAN_WASM_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
BROWSER_PACKAGES=(chromium chromium-driver)

# `cargo install` puts tools in ~/.cargo/bin; a shell started without a login
# profile (as CI may be) does not have it on PATH.
if [[ -d "$HOME/.cargo/bin" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# Host tools are built with rustup's toolchain even when Debian's cargo is on PATH.
if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
  HOST_CARGO="$HOME/.cargo/bin/cargo"
else
  HOST_CARGO=$(command -v cargo || true)
fi

# has_line TEXT LINE: TEXT holds LINE as a whole line (no pipe, so no SIGPIPE under pipefail).
has_line() { [[ $'\n'"$1"$'\n' == *$'\n'"$2"$'\n'* ]]; }

say() { printf 'setup: %s\n' "$*" >&2; }

# step NAME CMD...: runs CMD, and on failure stops with a message naming the step.
step() {
  local name=$1; shift
  say "$name ..."
  if ! "$@"; then
    say "FAILED at step '$name'. Fix the cause above and run ./setup.sh again."
    exit 1
  fi
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

missing_debs() {
  local p
  for p in "$@"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

APT_UPDATED=0
apt_install() {
  local missing
  missing=$(missing_debs "$@")
  [[ -z "$missing" ]] && return 0
  command -v apt-get >/dev/null || { say "apt-get not found; install these by hand: $missing"; return 1; }
  if [[ $APT_UPDATED -eq 0 ]]; then
    as_root apt-get update -qq || return 1
    APT_UPDATED=1
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $missing
}

# True when rustup's own server answers quickly; `rustup target add` hangs instead of
# failing where it cannot, so it is never tried without this check.
rustup_can_download() {
  command -v rustup >/dev/null || return 1
  command -v curl >/dev/null || return 1
  curl -sf --max-time 5 -o /dev/null https://static.rust-lang.org/dist/channel-rust-stable.toml.sha256
}

choose_wasm_route() {
  if [[ ${PELM_WASM_ROUTE:-} == debian ]]; then
    # Forced, to check the offline route on a machine where rustup would work.
    say "PELM_WASM_ROUTE=debian: taking Debian's rustc-web as asked"
    apt_install "${DEBIAN_WASM_PACKAGES[@]}" || return 1
    WASM_ROUTE=debian
  elif command -v rustup >/dev/null && has_line "$(rustup target list --installed 2>/dev/null)" "$WASM_TARGET"; then
    WASM_ROUTE=rustup
  elif [[ -z $(missing_debs "${DEBIAN_WASM_PACKAGES[@]}") ]]; then
    WASM_ROUTE=debian
  elif rustup_can_download && timeout 600 rustup target add "$WASM_TARGET"; then
    WASM_ROUTE=rustup
  else
    say "rustup cannot add $WASM_TARGET here; taking Debian's rustc-web with std built from source"
    apt_install "${DEBIAN_WASM_PACKAGES[@]}" || return 1
    WASM_ROUTE=debian
  fi
  if [[ $WASM_ROUTE == debian ]]; then
    has_line "$(/usr/bin/rustc --print target-list)" "$WASM_TARGET" || { say "/usr/bin/rustc lacks $WASM_TARGET"; return 1; }
    [[ -d /usr/lib/rustlib/src/rust/library/std ]] || { say "rust-web-src did not install std's source"; return 1; }
    [[ -x /usr/bin/rust-lld ]] || { say "no /usr/bin/rust-lld (from rust-web-llvm and lld-22)"; return 1; }
  fi
  # std's source, for release builds made smaller by rebuilding std (./dev's
  # trunk_release); they go on without it, only larger.
  if [[ $WASM_ROUTE == rustup ]] && ! has_line "$(rustup component list --installed 2>/dev/null)" rust-src; then
    if rustup_can_download && timeout 120 rustup component add rust-src; then
      say "added rust-src"
    else
      say "rustup cannot add rust-src here: release builds go without the size flags"
    fi
  fi
  say "wasm32 route: $WASM_ROUTE"
}

install_trunk() {
  if command -v trunk >/dev/null && [[ $(trunk --version) == "trunk $TRUNK_VERSION" ]]; then return 0; fi
  say "installing trunk $TRUNK_VERSION (about 11 minutes on 2 cores)"
  "$HOST_CARGO" install trunk --version "$TRUNK_VERSION" --locked
}

# The CLI must equal the wasm-bindgen crate in Cargo.lock, or the generated glue breaks.
locked_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

install_wasm_bindgen() {
  local want
  want=$(locked_wasm_bindgen_version)
  [[ -n "$want" ]] || { say "no wasm-bindgen in Cargo.lock"; return 1; }
  if command -v wasm-bindgen >/dev/null && [[ $(wasm-bindgen --version) == "wasm-bindgen $want" ]] \
    && command -v wasm-bindgen-test-runner >/dev/null; then return 0; fi
  say "installing wasm-bindgen-cli $want (about 4 minutes)"
  # Not --locked: the CLI's own lock file names a crate version the registry may lack.
  "$HOST_CARGO" install wasm-bindgen-cli --version "$want" --force
}

# Cuts the release wasm into the parts that load later (./dev's split_app).
install_wasm_split() {
  if command -v wasm-split-cli >/dev/null && [[ -f "$TOOLS/wasm-split-cli.version" \
    && $(cat "$TOOLS/wasm-split-cli.version") == "$WASM_SPLIT_VERSION" ]]; then return 0; fi
  say "installing wasm-split-cli $WASM_SPLIT_VERSION (about 2 minutes)"
  "$HOST_CARGO" install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked --force \
    && mkdir -p "$TOOLS" && echo "$WASM_SPLIT_VERSION" > "$TOOLS/wasm-split-cli.version"
}

# Debian's binaryen (108) emits wasm that Chromium rejects; npm's binaryen 132 works.
install_wasm_opt() {
  local bin="$TOOLS/node_modules/.bin/wasm-opt"
  if [[ -x "$bin" && $("$bin" --version) == *"version $BINARYEN_VERSION"* ]]; then return 0; fi
  command -v npm >/dev/null || apt_install nodejs npm || return 1
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" \
    && [[ $("$bin" --version) == *"version $BINARYEN_VERSION"* ]]
}

# The end-to-end tests run axe-core (npm) over every view, in both languages and themes.
install_axe() {
  local file="$TOOLS/node_modules/axe-core/axe.min.js"
  if [[ -f $file ]] && grep -q "\"version\": \"$AXE_VERSION\"" "$TOOLS/node_modules/axe-core/package.json"; then return 0; fi
  command -v npm >/dev/null || apt_install nodejs npm || return 1
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "axe-core@$AXE_VERSION" && [[ -f $file ]]
}

# ./dev test holds openapi.json to the server with Schemathesis (PyPI), in a
# virtualenv of its own so the machine's Python is left as it is.
install_schemathesis() {
  local bin="$TOOLS/venv/bin/schemathesis"
  if [[ -x "$bin" && $("$bin" --version 2>/dev/null) == *"version $SCHEMATHESIS_VERSION" ]]; then return 0; fi
  command -v python3 >/dev/null || apt_install python3 python3-venv || return 1
  python3 -m venv "$TOOLS/venv" || { apt_install python3-venv && python3 -m venv "$TOOLS/venv"; } || return 1
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
    && [[ $("$bin" --version) == *"version $SCHEMATHESIS_VERSION" ]]
}

# The companion's shared-store tests run against a real PostgreSQL server,
# which ./dev test starts and stops itself.
install_postgres() {
  apt_install postgresql || return 1
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { say "postgresql installed no initdb"; return 1; }
}

install_browser() {
  apt_install "${BROWSER_PACKAGES[@]}" || return 1
  /usr/bin/chromium --version >/dev/null 2>&1 && /usr/bin/chromedriver --version >/dev/null
}

# One file that ./dev sources, so every build uses the same toolchain choice.
write_env() {
  mkdir -p "$TOOLS"
  {
    echo "# Written by setup.sh; sourced by ./dev. Do not edit."
    echo "export PELM_WASM_ROUTE=$WASM_ROUTE"
    echo "export PATH=\"$TOOLS/node_modules/.bin:$HOME/.cargo/bin:\$PATH\""
    echo "export CHROMEDRIVER=/usr/bin/chromedriver"
    echo "export PELM_CHROMIUM=/usr/bin/chromium"
    echo "export PELM_SCHEMATHESIS=$TOOLS/venv/bin/schemathesis"
    echo "export PELM_AXE=$TOOLS/node_modules/axe-core/axe.min.js"
  } >"$TOOLS/env.sh"
}

step "apt: build essentials (curl, pkg-config, brotli)" apt_install curl ca-certificates pkg-config brotli
step "wasm32 toolchain" choose_wasm_route
step "trunk $TRUNK_VERSION" install_trunk
step "wasm-bindgen-cli (Cargo.lock's version)" install_wasm_bindgen
step "wasm-split-cli $WASM_SPLIT_VERSION" install_wasm_split
step "wasm-opt from binaryen $BINARYEN_VERSION (npm)" install_wasm_opt
step "axe-core $AXE_VERSION (npm)" install_axe
step "Chromium and chromedriver" install_browser
step "PostgreSQL" install_postgres
step "Schemathesis $SCHEMATHESIS_VERSION (PyPI)" install_schemathesis
step "write .tools/env.sh" write_env
say "ready"
