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

/** This checkout's commit, or null outside a git checkout (what the bundle must report). */
function checkoutCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: import.meta.dirname,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/** Every "epoch E iter I: D_A x G_A y ..." line the training printed: the losses of each iteration. */
function lossLines(stderr: string): Record<string, number>[] {
  return [...stderr.matchAll(/^epoch \d+ iter \d+: (.*)$/gm)].map((m) => {
    const parts = String(m[1]).trim().split(/\s+/);
    const losses: Record<string, number> = {};
    for (let i = 0; i + 1 < parts.length; i += 2) losses[String(parts[i])] = Number(parts[i + 1]);
    return losses;
  });
}
const LOSSES = ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"];

function expectFiniteLosses(stderr: string, iterations: number): void {
  const lines = lossLines(stderr);
  expect(lines, stderr.slice(-2000)).toHaveLength(iterations);
  for (const losses of lines) {
    expect(Object.keys(losses).sort()).toEqual([...LOSSES].sort());
    for (const [name, v] of Object.entries(losses)) {
      expect(Number.isFinite(v), `${name} = ${v}`).toBe(true);
      expect(v, name).toBeGreaterThanOrEqual(0);
    }
  }
}
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("GPU training bundle", () => {
  it("unpacks and trains on WebGPU from a bare environment", async () => {
    const build = await mkdtemp(path.join(os.tmpdir(), "gpu-bundle-"));
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "gpu-bundle-run-"));
    dirs.push(build, elsewhere);
    // Other work may commit meanwhile: the bundle records HEAD as it was while it was built.
    const headBefore = checkoutCommit();
    const { archive, bytes } = await bundleGpuRun(path.join(build, "gpu-train"));
    const headAfter = checkoutCommit();
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
    const commit = report.machine.gitCommit;
    expect(commit === null || /^[0-9a-f]{40}$/.test(commit), `gitCommit ${commit}`).toBe(true);
    expect([headBefore, headAfter]).toContain(commit); // the commit the bundle was built from
    // warm-up plus timed iteration, each printing its losses (print_freq 1): all finite
    expectFiniteLosses(r.stderr, 2);
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
    expectFiniteLosses(cpu.stderr, 2);
    expect(cpu.stdout).toMatch(/\| wasm \(SIMD, 1 thread\) +\| 32 +\|/);
  }, 420_000);
});
