#!/usr/bin/env bash
# Command 2 of the README: install what the tests need, then run every check
# (types, lint + format, unit, worker-runtime and browser suites).
source "$(dirname "$0")/env.sh"
cd "$ROOT"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The same interpreters tests/export/onnx-checker.ts tries (a pyenv python3 may shadow Debian's).
python3 -c 'import onnx' >/dev/null 2>&1 || /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 ||
  need+=(python3-onnx)
# Dawn (the webgpu training tests) loads the Vulkan loader; its adapter is chromium's SwiftShader.
# grep without -q: an early exit would kill ldconfig with SIGPIPE, and pipefail would read "missing".
/sbin/ldconfig -p | grep 'libvulkan\.so\.1' >/dev/null || need+=(libvulkan1)
if [ ${#need[@]} -gt 0 ]; then
  echo "[test] installing Debian packages: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  # env inside sudo: sudo's env_reset would drop a variable set before it.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
ensure_deps
rm -f test-results/vitest.json
status=0
npm test || status=$?
# One plain closing line that any CI reader understands.
[ -f test-results/vitest.json ] && node scripts/summary.ts test-results/vitest.json
exit "$status"
