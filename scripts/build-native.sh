#!/usr/bin/env bash
# Builds native/dnnl-conv/build/dnnl_conv.node, the oneDNN convolutions of
# `--backend native` (the default where it loads, see docs/training-runtime.md),
# when its source, this script or the oneDNN package changed. Called by
# scripts/env.sh ensure_deps (so by both README commands and CI).
# Installs Debian's libdnnl-dev and g++ when missing (as root, or with sudo).
# Never fails the install: where it cannot build, training runs on wasm and
# the trainer says why in one line.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/native/dnnl-conv"
OUT="$SRC/build"
say() { echo "[native] $*" >&2; }

need=()
[ -f /usr/include/dnnl.hpp ] || need+=(libdnnl-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "cannot build (missing ${need[*]}, no apt-get); training will use wasm"
    exit 0
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo"; else
      say "cannot build: needs Debian packages ${need[*]} (run: sudo apt-get install ${need[*]}); training will use wasm"
      exit 0
    fi
  fi
  say "installing Debian packages: ${need[*]}"
  install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"; }
  install >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && install >/dev/null; } || {
    say "apt-get could not install ${need[*]}; training will use wasm"
    exit 0
  }
fi

# node_api.h: from the Node that runs the scripts (npm's node package and Debian's nodejs both ship it).
NODE_BIN="$(readlink -f "$(command -v node)")"
INCLUDE="$(dirname "$NODE_BIN")/../include/node"
[ -f "$INCLUDE/node_api.h" ] || INCLUDE=/usr/include/node
if [ ! -f "$INCLUDE/node_api.h" ]; then
  say "cannot build: no node_api.h next to $NODE_BIN or in /usr/include/node; training will use wasm"
  exit 0
fi

key="$(cat "$SRC/conv.cc" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1) $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null)"
if [ -f "$OUT/dnnl_conv.node" ] && [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$key" ]; then exit 0; fi
mkdir -p "$OUT"
# Built to a temporary name and moved: a failed build never leaves a half-written addon.
if g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -I"$INCLUDE" "$SRC/conv.cc" \
  -o "$OUT/dnnl_conv.node.tmp" -ldnnl -lgomp 2>"$OUT/build.log"; then
  mv "$OUT/dnnl_conv.node.tmp" "$OUT/dnnl_conv.node"
  echo "$key" >"$OUT/.stamp"
  say "built native/dnnl-conv/build/dnnl_conv.node (oneDNN $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null))"
else
  rm -f "$OUT/dnnl_conv.node.tmp" "$OUT/dnnl_conv.node" "$OUT/.stamp"
  say "build failed (see native/dnnl-conv/build/build.log); training will use wasm"
fi
exit 0
