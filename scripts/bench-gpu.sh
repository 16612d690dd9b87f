#!/usr/bin/env bash
# The GPU figures of issues 8 and 9, on a Linux x64 machine with a GPU and its
# Vulkan driver: inference in headless Chromium on WebGPU (bench:site --gpu,
# with wasm and onnxruntime-node on the same files in the same run), then
# training through Dawn (the self-contained run of `npm run bundle:gpu`, at
# the reference size unless arguments say otherwise, e.g. --iters 50).
# Tables go to stdout, JSON to bench/results/ and dist/gpu-train/results/.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
ensure_deps
command -v chromium >/dev/null || { echo "bench-gpu: needs Debian's chromium (apt-get install -y chromium)" >&2; exit 2; }
npm run build:site
npm run bench:site -- --gpu --engines wasm,webgpu
npm run bundle:gpu
dist/gpu-train/run.sh "$@"
