# Shared by scripts/test and scripts/demo (sourced, not run).

step() { printf '\n==> %s\n' "$*" >&2; }

# The C toolchain and headers the ssh2 crate builds against, jq (scripts/test reads the test tiers from
# `cargo metadata`), and a Rust toolchain check.
install_build_deps() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing build dependencies (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq gcc make pkg-config libssl-dev zlib1g-dev coreutils dpkg-dev man-db jq >/dev/null
  fi
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || {
    echo "cargo not found: install Rust with rustup (https://rustup.rs), then run this again" >&2
    exit 1
  }
}
