import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CheckpointState,
  loadGeneratorFromCheckpoint,
  readCheckpoint,
  readNet,
} from "../../training/checkpoint/read.ts";
import { readHeader, readTensors } from "../../training/checkpoint/safetensors.ts";
import { paramSources, saveCheckpoint } from "../../training/checkpoint/write.ts";
import { Rng } from "../../training/model/rng.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { initParams, paramsToTorch } from "../../training/networks/tfjs.ts";
import { optionsToJson, parseTrainOptions } from "../../training/options.ts";

const options = parseTrainOptions([
  "--dataroot",
  "/data/shapes",
  "--netG",
  "resnet_6blocks",
  "--ngf",
  "4",
  "--seed",
  "7",
]).options;
const spec = buildGenerator("resnet_6blocks", { ngf: 4 });

function state(iterations: number): CheckpointState {
  return {
    options,
    counters: {
      epoch: 1,
      epochIter: iterations,
      totalIters: iterations,
      adamStepG: 0,
      adamStepD: 0,
    },
    rng: Rng.derive(7, "pool").state(),
    meta: {
      iterations,
      epochs: 0.5,
      wallSeconds: 1.5,
      backend: "cpu",
      date: new Date().toISOString(),
      dataset: { name: "shapes", source: "/data/shapes", trainA: 4, trainB: 5 },
    },
  };
}

let dir: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(path.join(os.tmpdir(), "ckpt-format-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("checkpoint files", () => {
  it("round-trips generator weights in PyTorch layout with options and meta", async () => {
    const rng = Rng.derive(1, "init");
    const gA = initParams(spec, 0.02, () => rng.randn(), "fmt/G_A/");
    const gB = initParams(spec, 0.02, () => rng.randn(), "fmt/G_B/");
    await saveCheckpoint({
      runDir: dir,
      tensors: [...paramSources("G_A", spec, gA), ...paramSources("G_B", spec, gB)],
      state: state(3),
      keepAs: "epoch_1",
    });
    const expected = await paramsToTorch(spec, gA);
    for (const epoch of ["latest", 1] as const) {
      const g = await loadGeneratorFromCheckpoint(dir, "G_A", epoch);
      expect(g.netG).toBe("resnet_6blocks");
      expect(g.ngf).toBe(4);
      expect(g.spec).toEqual(spec);
      expect(g.options).toEqual(options);
      expect(g.meta.dataset.trainB).toBe(5);
      expect([...g.weights.keys()]).toEqual([...expected.keys()]);
      for (const [k, v] of expected) {
        expect(g.weights.get(k)?.shape).toEqual(v.shape);
        expect(g.weights.get(k)?.data).toEqual(v.data);
      }
    }
    // Hand-indexed PyTorch layout, independent of the writer's permutation: a Conv2d weight is
    // [out, in, kh, kw] and tfjs holds [kh, kw, in, out]; a ConvTranspose2d weight is
    // [in, out, kh, kw] and tfjs holds [kh, kw, out, in]. Either way torch[a, b, ky, kx] is
    // tfjs[ky][kx][b][a]. Elements with ky != kx and a != b catch kh/kw or in/out swaps.
    const saved = await loadGeneratorFromCheckpoint(dir, "G_A", 1);
    const cases: [string, number[], [number, number, number, number][]][] = [
      // conv 3 -> 4, 7x7
      [
        "model.1.weight",
        [4, 3, 7, 7],
        [
          [2, 1, 0, 5],
          [3, 0, 6, 1],
          [0, 2, 4, 2],
        ],
      ],
      // conv 4 -> 8, 3x3, stride 2
      [
        "model.4.weight",
        [8, 4, 3, 3],
        [
          [5, 2, 0, 1],
          [1, 3, 2, 0],
        ],
      ],
      // ConvTranspose 16 -> 8 (PyTorch [in, out, kh, kw])
      [
        "model.16.weight",
        [16, 8, 3, 3],
        [
          [11, 3, 0, 2],
          [2, 7, 1, 0],
          [15, 0, 2, 1],
        ],
      ],
      // ConvTranspose 8 -> 4
      [
        "model.19.weight",
        [8, 4, 3, 3],
        [
          [6, 1, 2, 0],
          [0, 3, 0, 1],
        ],
      ],
    ];
    for (const [name, shape, points] of cases) {
      const w = saved.weights.get(name);
      expect(w?.shape, name).toEqual(shape);
      const tfjs = (gA.get(name) as tf.Variable).arraySync() as number[][][][];
      expect([
        tfjs.length,
        tfjs[0]?.length,
        tfjs[0]?.[0]?.length,
        tfjs[0]?.[0]?.[0]?.length,
      ]).toEqual([shape[2], shape[3], shape[1], shape[0]]);
      const [, d1, kh, kw] = shape as [number, number, number, number];
      for (const [a, b, ky, kx] of points) {
        const value = tfjs[ky]?.[kx]?.[b]?.[a] as number;
        expect(value, `${name}[${a},${b},${ky},${kx}]`).not.toBe(0);
        expect(w?.data[((a * d1 + b) * kh + ky) * kw + kx], `${name}[${a},${b},${ky},${kx}]`).toBe(
          value,
        );
        // the transposed kernel position holds something else (so a kh/kw swap would show)
        expect(w?.data[((a * d1 + b) * kh + kx) * kw + ky]).not.toBe(value);
      }
    }
    const gBRead = await readNet(await readCheckpoint(path.join(dir, "latest.safetensors")), "G_B");
    expect(gBRead.get("model.1.weight")?.data).toEqual(
      (await paramsToTorch(spec, gB)).get("model.1.weight")?.data,
    );
    // The header follows the safetensors layout (8-byte aligned JSON, F32 entries).
    const header = await readHeader(path.join(dir, "epoch_1.safetensors"));
    expect(header.dataStart % 8).toBe(0);
    expect(header.tensors.get("G_A/model.1.weight")?.shape).toEqual([4, 3, 7, 7]);
    for (const p of [...gA.values(), ...gB.values()]) p.dispose();
  });

  it("ignores a partially written temp file and removes it on the next save", async () => {
    const before = await loadGeneratorFromCheckpoint(dir, "G_A");
    const partial = path.join(dir, "latest.safetensors.tmp-deadbeef");
    await writeFile(partial, Buffer.from([1, 2, 3, 4, 5, 6, 7]));
    const after = await loadGeneratorFromCheckpoint(dir, "G_A");
    expect(after.weights.get("model.1.weight")?.data).toEqual(
      before.weights.get("model.1.weight")?.data,
    );
    await saveCheckpoint({ runDir: dir, tensors: [], state: state(4) });
    expect(await readdir(dir)).not.toContain("latest.safetensors.tmp-deadbeef");
    // The kept epoch file is untouched by the later `latest`.
    expect(
      (await readCheckpoint(path.join(dir, "epoch_1.safetensors"))).state.meta.iterations,
    ).toBe(3);
  });

  it("keeps the previous checkpoint intact when the writing process is killed mid-write", async () => {
    const run = await mkdtemp(path.join(os.tmpdir(), "ckpt-kill-"));
    await saveCheckpoint({ runDir: run, tensors: [], state: state(7) });
    // A child writes a new latest slowly (one 4 MB tensor per 20 ms); kill -9 it halfway.
    const module = new URL("../../training/checkpoint/write.ts", import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { saveCheckpoint } = await import(${JSON.stringify(module)});
         const tensors = Array.from({ length: 200 }, (_, i) => ({
           name: "t" + i, shape: [1 << 20],
           data: () => new Promise((r) => setTimeout(() => r(new Float32Array(1 << 20).fill(i)), 20)),
         }));
         await saveCheckpoint({ runDir: ${JSON.stringify(run)}, tensors, state: JSON.parse(process.argv[1]) });`,
        JSON.stringify({ ...state(8), options: JSON.parse(optionsToJson(options)) }),
      ],
      { stdio: "ignore" },
    );
    const exited = new Promise((r) => child.once("exit", r));
    const partial = async () =>
      (await readdir(run)).find((f) => f.startsWith("latest.safetensors.tmp-"));
    for (let i = 0; i < 400 && !(await partial()); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 300)); // some tensors written
    child.kill("SIGKILL");
    await exited;
    expect(await partial()).toBeDefined(); // the half-written temp file is there...
    // ...and the checkpoint it would have replaced reads as before
    expect((await readCheckpoint(path.join(run, "latest.safetensors"))).state.meta.iterations).toBe(
      7,
    );
    await saveCheckpoint({ runDir: run, tensors: [], state: state(9) });
    expect(await partial()).toBeUndefined();
    await rm(run, { recursive: true, force: true });
  });

  it("says clearly when a checkpoint is missing or truncated", async () => {
    await expect(loadGeneratorFromCheckpoint(dir, "G_A", 99)).rejects.toThrow(/no checkpoint at/);
    const bad = path.join(dir, "broken.safetensors");
    const good = await readHeader(path.join(dir, "epoch_1.safetensors"));
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(good.dataStart - 8));
    const { readFile } = await import("node:fs/promises");
    const whole = await readFile(path.join(dir, "epoch_1.safetensors"));
    await writeFile(bad, whole.subarray(0, good.dataStart + 100));
    await expect(readHeader(bad)).rejects.toThrow(/truncated/);
    await writeFile(bad, Buffer.concat([head, Buffer.from("not json")]));
    await expect(readHeader(bad)).rejects.toThrow(/out of range|not JSON/);
  });

  it("refuses tensors from a checkpoint that was replaced after its header was read", async () => {
    const ckpt = await readCheckpoint(path.join(dir, "epoch_1.safetensors"));
    const latest = await readCheckpoint(path.join(dir, "latest.safetensors"));
    // A trainer saving meanwhile renames a new file over `latest`.
    await saveCheckpoint({ runDir: dir, tensors: [], state: state(5) });
    await expect(readTensors(latest.file, latest.header)).rejects.toThrow(
      /was replaced while it was being read/,
    );
    // A file that stayed put still reads.
    expect((await readNet(ckpt, "G_A")).get("model.1.weight")?.shape).toEqual([4, 3, 7, 7]);
  });
});
