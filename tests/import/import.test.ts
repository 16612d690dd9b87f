import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../models/schema.ts";
import { onnxRunner } from "../../training/export/infer.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { generatorFromStateDict } from "../../training/import/state-dict.ts";
import { readTorchFile } from "../../training/import/torch-file.ts";
import { seededNormal } from "../../training/util/seeded.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import {
  expectedWeights,
  randomTensors,
  referenceShapes,
  type TensorSpec,
  writeCheckpoint,
} from "./checkpoints.ts";
import { referenceResnet } from "./reference-resnet.ts";

let dir = "";

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "import-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(file: string) {
  return generatorFromStateDict(readTorchFile(readFileSync(file), file), file);
}

function importCli(args: string[]): Promise<CliResult> {
  return runCli("training/import/cli.ts", args, dir);
}

/** ngf 2 / 6 blocks with a transposed (non-contiguous) weight, a float16 storage and an offset view. */
function sixBlockTensors(seed: number): TensorSpec[] {
  return randomTensors(referenceShapes(2, 6), seed).map((t) =>
    t.name === "model.4.weight"
      ? { ...t, layout: "transposed" }
      : t.name === "model.7.weight"
        ? { ...t, dtype: "float16" }
        : t.name === "model.16.bias"
          ? { ...t, layout: "offset" }
          : t,
  );
}

describe("reading reference checkpoints", () => {
  it("zip format: rebuilds strided, float16 and offset tensors exactly and runs like an independent float64 forward", async () => {
    const tensors = sixBlockTensors(1);
    const file = path.join(dir, "g6.pth");
    writeCheckpoint(file, "zip", tensors);
    const g = load(file);
    expect([g.netG, g.ngf, g.dropped]).toEqual(["resnet_6blocks", 2, []]);
    const expected = expectedWeights(tensors);
    expect([...g.weights.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, w] of expected) {
      expect(g.weights.get(name)?.shape).toEqual(w.shape);
      expect(g.weights.get(name)?.data).toEqual(w.data);
    }

    const [h, w] = [12, 16];
    const randn = seededNormal(9);
    const image = new Float32Array(3 * h * w).map(() => Math.tanh(randn()));
    const truth = referenceResnet(expected, 6, image, h, w);
    const session = await onnxRunner(buildOnnx(g.spec, g.weights, "fp32"), 4);
    const out = await session.run({ data: image, width: w, height: h });
    await session.release();
    let max = 0;
    for (let i = 0; i < truth.length; i++)
      max = Math.max(max, Math.abs((out.data[i] as number) - (truth[i] as number)));
    expect(max).toBeLessThanOrEqual(1e-4);
  });

  it("legacy format (PyTorch < 1.6): 9 blocks, drops instance-norm statistics", () => {
    const tensors: TensorSpec[] = [
      ...randomTensors(referenceShapes(2, 9), 2),
      { name: "model.2.running_mean", shape: [2], values: [0, 0] },
      { name: "model.2.running_var", shape: [2], values: [1, 1] },
      { name: "model.2.num_batches_tracked", shape: [], values: [0], dtype: "int64" },
    ];
    const file = path.join(dir, "g9.pth");
    writeCheckpoint(file, "legacy", tensors);
    const g = load(file);
    expect([g.netG, g.ngf]).toEqual(["resnet_9blocks", 2]);
    expect(g.dropped.sort()).toEqual([
      "model.2.num_batches_tracked",
      "model.2.running_mean",
      "model.2.running_var",
    ]);
    for (const [name, w] of expectedWeights(tensors.slice(0, -3)))
      expect(g.weights.get(name)?.data).toEqual(w.data);
  });

  it("names wrong shapes and unexpected keys", () => {
    const tensors = randomTensors(referenceShapes(2, 6), 3).map((t) =>
      t.name === "model.4.weight"
        ? { ...t, shape: [4, 2, 5, 5], values: new Array(200).fill(0) }
        : t,
    );
    tensors.push({ name: "model.2.weight", shape: [2], values: [1, 1] });
    const file = path.join(dir, "bad.pth");
    writeCheckpoint(file, "zip", tensors);
    expect(() => load(file)).toThrow(
      /model\.4\.weight has shape \[4,2,5,5\], expected \[4,2,3,3\][\s\S]*unexpected key model\.2\.weight \[2\]/,
    );
  });

  it("refuses pickled code instead of running it", () => {
    const file = path.join(dir, "evil.pth");
    const marker = path.join(dir, "evil-ran");
    writeCheckpoint(file, "evil", randomTensors([["model.1.bias", [2]]], 4), {
      EVIL_MARKER: marker,
    });
    expect(() => readTorchFile(readFileSync(file), file)).toThrow(
      /refusing to load (posix|os)\.system/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it("says what is wrong with truncated files, discriminators and non-checkpoints", () => {
    const zip = path.join(dir, "g6.pth");
    const legacy = path.join(dir, "g9.pth");
    const cut = (f: string, keep: number) => readFileSync(f).subarray(0, keep);
    const zipBytes = readFileSync(zip);
    expect(() => readTorchFile(cut(zip, zipBytes.length - 200), "cut.pth")).toThrow(
      /cut\.pth: .*truncated/,
    );
    const legacyBytes = readFileSync(legacy);
    const legacyCut = cut(legacy, legacyBytes.length - 100);
    expect(() => {
      const g = generatorFromStateDict(
        readTorchFile(legacyCut, "cut-legacy.pth"),
        "cut-legacy.pth",
      );
      return g;
    }).toThrow(/cut-legacy\.pth: storage \d+ is cut off: file truncated/);
    expect(() => readTorchFile(cut(legacy, 300), "short.pth")).toThrow(/short\.pth: .*truncated/);

    const disc = path.join(dir, "netD.pth");
    writeCheckpoint(
      disc,
      "zip",
      randomTensors(
        [
          ["model.0.weight", [8, 3, 4, 4]],
          ["model.0.bias", [8]],
        ],
        5,
      ),
    );
    expect(() => load(disc)).toThrow(
      /is not a ResNet CycleGAN generator[\s\S]*model\.0\.weight \[8,3,4,4\]/,
    );

    writeFileSync(path.join(dir, "notes.pth"), "just text");
    expect(() => load(path.join(dir, "notes.pth"))).toThrow(/is not a PyTorch checkpoint/);
  });
});

describe("npm run import", () => {
  it("imports a zip checkpoint into models/ID with provenance, or refuses a bad one leaving nothing behind", async () => {
    const file = path.join(dir, "horse2zebra.pth");
    writeCheckpoint(file, "zip", sixBlockTensors(6));
    const common = [
      "--check-size",
      "16",
      "--tfjs-backend",
      "cpu",
      "--models",
      "out",
      "--manifest",
      "out/manifest.json",
    ];
    const ok = await importCli([
      file,
      "--id",
      "h2z",
      "--license",
      "BSD-2-Clause",
      "--dtypes",
      "fp32,int8",
      ...common,
    ]);
    expect(ok.err).not.toMatch(/error/i);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/resnet_6blocks, ngf 2, instance norm -> AtoB/);
    const entry = parseManifest(
      JSON.parse(readFileSync(path.join(dir, "out/manifest.json"), "utf8")),
    ).models[0];
    const sha = createHash("sha256").update(readFileSync(file)).digest("hex");
    expect(entry?.provenance).toMatchObject({ kind: "imported", sha256: sha });
    expect(entry?.generators.map((g) => g.direction)).toEqual(["AtoB"]);
    expect(entry?.generators[0]?.io.trainedSize).toBe(256);

    const bad = path.join(dir, "bad-import.pth");
    writeCheckpoint(
      bad,
      "zip",
      randomTensors(referenceShapes(2, 6), 7).filter((t) => t.name !== "model.19.bias"),
    );
    const refused = await importCli([bad, "--id", "broken", "--license", "MIT", ...common]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/missing model\.19\.bias \[2\]/);
    expect(existsSync(path.join(dir, "out/broken"))).toBe(false);
    expect(
      parseManifest(JSON.parse(readFileSync(path.join(dir, "out/manifest.json"), "utf8"))).models,
    ).toHaveLength(1);
  });
});
