/**
 * The self-contained GPU run (`npm run bundle:gpu`): the archive stays under
 * 60 MiB, and once unpacked elsewhere it trains with nothing from this
 * repository, no network and a bare environment. The adapter here is
 * SwiftShader; on a GPU machine the same folder runs on its Vulkan driver.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleGpuRun, MAX_ARCHIVE_BYTES } from "../../bench/gpu-bundle.ts";
import { SWIFTSHADER_ICD } from "../../training/runtime/webgpu.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("GPU training bundle", () => {
  it("unpacks and trains on WebGPU from a bare environment", async () => {
    const build = await mkdtemp(path.join(os.tmpdir(), "gpu-bundle-"));
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "gpu-bundle-run-"));
    dirs.push(build, elsewhere);
    const { archive, bytes } = await bundleGpuRun(path.join(build, "gpu-train"));
    expect(bytes).toBeLessThan(MAX_ARCHIVE_BYTES);
    execFileSync("tar", ["-xJf", archive, "-C", elsewhere]);
    const run = path.join(elsewhere, "gpu-train", "run.sh");
    const r = spawnSync(
      run,
      ["--size", "24", "--ngf", "4", "--netG", "resnet_6blocks", "--iters", "1", "--warmup", "1"],
      {
        cwd: "/",
        env: { PATH: "/usr/bin:/bin", HOME: elsewhere, VK_ICD_FILENAMES: SWIFTSHADER_ICD },
        encoding: "utf8",
        timeout: 240_000,
      },
    );
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/\| webgpu \(.*\| 24 +\| 4 +\| resnet_6blocks \|/);
    const results = path.join(elsewhere, "gpu-train", "results");
    const [file] = await readdir(results);
    const report = JSON.parse(await readFile(path.join(results, String(file)), "utf8"));
    expect(report.name).toBe("gpu-train");
    expect(report.rows[0]["it/s"]).toBeGreaterThan(0);
    expect(report.rows[0]["GPU MiB"]).toBeGreaterThan(0);
    expect(report.machine.cores).toBeGreaterThan(0);
    // reproducible: versions of the bundled packages, the commit built from, load around the run, raw samples
    expect(report.versions["@tensorflow/tfjs-core"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.versions.webgpu).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.machine).toHaveProperty("gitCommit");
    expect(report.machine.loadAvgBefore).toHaveLength(3);
    expect(report.machine.loadAvgAfter).toHaveLength(3);
    expect(report.samples[0].seconds).toHaveLength(1);

    // the CPU comparison on the same machine: wasm, two workers per step
    const cpu = spawnSync(
      run,
      ["--backend", "wasm", "--size", "32", "--ngf", "4", "--iters", "1", "--warmup", "1"],
      {
        cwd: "/",
        env: { PATH: "/usr/bin:/bin", HOME: elsewhere },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(cpu.status, cpu.stderr.slice(-2000)).toBe(0);
    expect(cpu.stderr).toMatch(/step: two workers/);
    expect(cpu.stdout).toMatch(/\| wasm \(SIMD, 1 thread\) +\| 32 +\|/);
  }, 420_000);
});
