# Sourced by start.sh, test.sh and .ci/run: puts a Node >= 24.2 first on PATH.
# Astro, wrangler and vitest need >= 22.12; the sources need 24.2 (type stripping
# without flags, import.meta.main from 24.2, Float16Array for fp16 export). Machines that
# only have an older Node get Node 24 from the npm registry into .tools/ (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>24||(a===24&&b>=2)?0:1)'
}
if ! node_ok; then
  if [ ! -x "$ROOT/.tools/node/node_modules/.bin/node" ]; then
    echo "[env] Node >= 24.2 not found; installing Node 24 into .tools/node" >&2
    npm install --prefix "$ROOT/.tools/node" --no-save --no-audit --no-fund node@24 >/dev/null
  fi
  export PATH="$ROOT/.tools/node/node_modules/.bin:$PATH"
fi
# onnxruntime-node's postinstall fetches an optional CUDA provider from outside;
# its CPU binaries ship in the package, so skip that download.
export ONNXRUNTIME_NODE_INSTALL=skip
# Install dependencies when the lock file changed since the last install.
ensure_deps() {
  local stamp="$ROOT/node_modules/.lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/package-lock.json" "$stamp"; then
    (cd "$ROOT" && npm ci --no-audit --no-fund)
    cp "$ROOT/package-lock.json" "$stamp"
  fi
  # The oneDNN convolutions of --backend native (rebuilt only when their sources change; never fails).
  bash "$ROOT/scripts/build-native.sh"
}
