/**
 * `npm run bundle:gpu [-- --out dist/gpu-train]`: the self-contained GPU
 * training run. One folder (and a .tar.xz of it, under 60 MB) holding a Node
 * binary, the trainer bundled into run.mjs (bench/gpu-train.ts), the native
 * packages it loads (Dawn's dawn.node, sharp with libvips, the tfjs wasm
 * binaries) and a small dataset (the shipped landscape samples). On a Linux
 * x64 machine with a GPU and its Vulkan driver, with no network:
 *
 *   tar -xJf gpu-train.tar.xz && gpu-train/run.sh            # reference size, 20 iterations
 *   gpu-train/run.sh --backend wasm --size 128 --ngf 32 --netG resnet_6blocks   # CPU on the same machine
 */
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { packageVersions, TFJS_PACKAGES } from "./report.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const MODULES = path.join(ROOT, "node_modules");
/** What run.mjs loads from node_modules at run time: native code and files read from disk. */
const PACKAGE_FILES: Record<string, string[]> = {
  webgpu: ["package.json", "index.js", "LICENSE.md", "dist/linux-x64"],
  sharp: ["."],
  "@img/colour": ["."],
  "@img/sharp-linux-x64": ["."],
  "@img/sharp-libvips-linux-x64": ["."],
  "detect-libc": ["."],
  semver: ["."],
  // loadWasm resolves the package and reads its .wasm files; the JS itself is in run.mjs
  "@tensorflow/tfjs-backend-wasm": [
    "package.json",
    "dist/tf-backend-wasm.node.js",
    "dist/tfjs-backend-wasm.wasm",
    "dist/tfjs-backend-wasm-simd.wasm",
    "dist/tfjs-backend-wasm-threaded-simd.wasm",
  ],
};
// Training images from a shipped model's samples: trainA its input photos, trainB its paintings of them.
const SAMPLES = path.join(ROOT, "models", "photo2oil");
export const MAX_ARCHIVE_BYTES = 60 * 1024 * 1024;

const RUN_SH = `#!/bin/sh
# Trains the reference CycleGAN size on the GPU through WebGPU and prints iterations/s.
# Options: --backend webgpu|wasm --size 256 --ngf 64 --netG resnet_9blocks --iters 20 --warmup 3 --dataroot DIR
cd "$(dirname "$0")" && exec ./node run.mjs "$@"
`;

/** The commit the bundle is built from (null outside a checkout) and the bundled packages' versions. */
function buildInfo(): { commit: string | null; versions: Record<string, string> } {
  let commit: string | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    // not a git checkout: the report says null
  }
  return { commit, versions: packageVersions(TFJS_PACKAGES) };
}

export async function bundleGpuRun(
  out: string,
): Promise<{ dir: string; archive: string; bytes: number }> {
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new Error(
      `the GPU run is built for linux-x64 (its Node binary is this one); this is ${process.platform}-${process.arch}`,
    );
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: {
      run: path.join(ROOT, "bench", "gpu-train.ts"),
      // the second thread of a wasm step (training/model/two-workers/pair.ts)
      "side-worker": path.join(ROOT, "training", "model", "two-workers", "side-worker.ts"),
    },
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    external: Object.keys(PACKAGE_FILES).filter((p) => !p.startsWith("@tensorflow/")),
    // the CommonJS parts of tfjs call require() and read __dirname
    banner: {
      js: [
        'import { createRequire as bundleRequire } from "node:module";',
        "const require = bundleRequire(import.meta.url);",
        "const __filename = import.meta.filename;",
        "const __dirname = import.meta.dirname;",
      ].join(" "),
    },
    // bench/report.ts records these in gpu-train's JSON (no git and no tfjs-core package.json there)
    define: { __BENCH_BUILD__: JSON.stringify(buildInfo()) },
    logLevel: "warning",
  });
  for (const [pkg, files] of Object.entries(PACKAGE_FILES))
    for (const f of files)
      cpSync(path.join(MODULES, pkg, f), path.join(out, "node_modules", pkg, f), {
        recursive: true,
      });
  cpSync(process.execPath, path.join(out, "node"));
  for (const [side, kind] of [
    ["trainA", "in"],
    ["trainB", "out"],
  ] as const) {
    mkdirSync(path.join(out, "data", side), { recursive: true });
    for (const i of [1, 2, 3])
      cpSync(
        path.join(SAMPLES, `sample-AtoB-${i}.${kind}.jpg`),
        path.join(out, "data", side, `${i}.jpg`),
      );
  }
  cpSync(path.join(SAMPLES, "README.md"), path.join(out, "data", "SOURCE.md"));
  writeFileSync(path.join(out, "run.sh"), RUN_SH);
  chmodSync(path.join(out, "run.sh"), 0o755);
  const archive = `${out}.tar.xz`;
  execFileSync("tar", [
    "-C",
    path.dirname(out),
    "-I",
    "xz -T0 -6",
    "-cf",
    archive,
    path.basename(out),
  ]);
  const bytes = statSync(archive).size;
  if (bytes > MAX_ARCHIVE_BYTES)
    throw new Error(`${archive} is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the 60 MiB budget`);
  return { dir: out, archive, bytes };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { out: { type: "string", default: path.join(ROOT, "dist", "gpu-train") } },
  });
  const r = await bundleGpuRun(path.resolve(values.out));
  console.log(`wrote ${r.archive} (${(r.bytes / 2 ** 20).toFixed(1)} MiB) and ${r.dir}/`);
}
