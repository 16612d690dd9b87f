import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../models/schema.ts";
import { FORMAT, FORMAT_VERSION } from "../../training/checkpoint/read.ts";
import { readHeader, writeSafetensors } from "../../training/checkpoint/safetensors.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { optionsToJson, trainOptionsFromJson } from "../../training/options.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";

const spec = buildGenerator("resnet_6blocks", { ngf: 4 });
const weightsA = randomWeights(spec, { seed: 11 });
const weightsB = randomWeights(spec, { seed: 12 });
let root = "";

function cli(args: string[]): Promise<CliResult> {
  return runCli("training/export/cli.ts", args, root);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "export-cli-"));
  const data = path.join(root, "data");
  for (const side of ["testA", "testB"]) {
    mkdirSync(path.join(data, side), { recursive: true });
    const px = Buffer.from(Array.from({ length: 20 * 20 * 3 }, (_, k) => (k * 13) % 256));
    await sharp(px, { raw: { width: 20, height: 20, channels: 3 } })
      .png()
      .toFile(path.join(data, side, "x.png"));
  }
  const dataset = {
    name: "toy",
    domains: { A: "red things", B: "green things" },
    sources: [{ package: "toy-data", version: "1.0", license: "Toy licence (SPDX: MIT)" }],
  };
  writeFileSync(path.join(data, "dataset.json"), JSON.stringify(dataset));
  // A trainer checkpoint of a BtoA run: G_A translates B -> A.
  const options = trainOptionsFromJson(
    { dataroot: data, ngf: 4, netG: "resnet_6blocks", crop_size: 32, direction: "BtoA" },
    "test",
  );
  const state = {
    options: JSON.parse(optionsToJson(options)),
    counters: { epoch: 3, epochIter: 0, totalIters: 120, adamStepG: 120, adamStepD: 120 },
    rng: [1, 2, 3, 4],
    meta: {
      iterations: 120,
      epochs: 2,
      wallSeconds: 33.5,
      backend: "cpu",
      date: "2025-02-03T04:05:06.000Z",
      dataset: { name: "toy", source: data, trainA: 10, trainB: 12 },
    },
  };
  const tensors = [...Object.entries({ G_A: weightsA, G_B: weightsB })].flatMap(([net, w]) =>
    [...w].map(([name, t]) => ({ name: `${net}/${name}`, shape: t.shape, data: () => t.data })),
  );
  mkdirSync(path.join(root, "ckpt"));
  await writeSafetensors(path.join(root, "ckpt", "latest.safetensors"), tensors, {
    format: FORMAT,
    version: FORMAT_VERSION,
    state: JSON.stringify(state),
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("npm run export", () => {
  it("exports a trainer checkpoint: generators by direction, provenance, licence and samples from the dataset", async () => {
    const r = await cli([
      "--checkpoint",
      "ckpt",
      "--id",
      "toy",
      "--dtypes",
      "fp32,int8",
      "--check-size",
      "16",
      "--tfjs-backend",
      "cpu",
      "--models",
      "out",
      "--manifest",
      "out/manifest.json",
    ]);
    expect(r.err).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\| direction \| dtype \|/);
    const entry = parseManifest(
      JSON.parse(readFileSync(path.join(root, "out/manifest.json"), "utf8")),
    ).models[0];
    expect(entry?.provenance).toMatchObject({
      kind: "trained",
      iterations: 120,
      epochs: 2,
      backend: "cpu",
    });
    expect(entry?.license.spdx).toBe("MIT");
    expect(entry?.license.attribution).toMatch(/toy-data 1\.0/);
    expect(entry?.domains.A.name).toBe("red things");
    expect(entry?.generators[0]?.io.trainedSize).toBe(32);
    expect(entry?.samples.map((s) => s.direction)).toEqual(["AtoB", "BtoA"]);
    // BtoA run: the AtoB file holds G_B, the BtoA file G_A (encoding is deterministic).
    const file = (name: string) => readFileSync(path.join(root, "out/toy", name));
    expect(sha256(file("AtoB.fp32.onnx"))).toBe(sha256(buildOnnx(spec, weightsB, "fp32")));
    expect(sha256(file("BtoA.fp32.onnx"))).toBe(sha256(buildOnnx(spec, weightsA, "fp32")));
  });

  it("verify accepts the written files and names truncated, foreign and tampered ones", async () => {
    const dir = path.join(root, "out/toy");
    const ok = await cli([
      "verify",
      `${dir}/AtoB.fp32.onnx`,
      `${dir}/AtoB.int8.onnx`,
      "--manifest",
      "out/manifest.json",
    ]);
    expect(ok.code).toBe(0);
    expect(ok.out.match(/matches/g)).toHaveLength(2);

    const good = readFileSync(path.join(dir, "BtoA.int8.onnx"));
    writeFileSync(path.join(root, "truncated.onnx"), good.subarray(0, good.length - 1000));
    writeFileSync(
      path.join(root, "photo.onnx"),
      await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } })
        .png()
        .toBuffer(),
    );
    const tampered = Buffer.from(good);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0xff;
    writeFileSync(path.join(dir, "BtoA.int8.onnx"), tampered);
    const bad = await cli([
      "verify",
      "truncated.onnx",
      "photo.onnx",
      `${dir}/BtoA.int8.onnx`,
      "--manifest",
      "out/manifest.json",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/truncated\.onnx is not a readable ONNX model .*truncated/);
    expect(bad.err).toMatch(/photo\.onnx is not a (readable ONNX model|usable generator)/);
    // Names the manifest it compared with, not always models/manifest.json.
    expect(bad.err).toMatch(/BtoA\.int8\.onnx does not match out\/manifest\.json/);
    expect(bad.out.match(/FAILED/g)).toHaveLength(3);
  });

  it("refuses a checkpoint with wrong shapes, writing nothing", async () => {
    const broken = new Map(weightsA);
    broken.set("model.4.weight", { shape: [8, 4, 1, 1], data: new Float32Array(32) });
    const tensors = [...broken].map(([name, t]) => ({
      name: `G_A/${name}`,
      shape: t.shape,
      data: () => t.data,
    }));
    mkdirSync(path.join(root, "broken"));
    const { metadata } = await readHeader(path.join(root, "ckpt", "latest.safetensors"));
    await writeSafetensors(path.join(root, "broken", "latest.safetensors"), tensors, metadata);
    const common = [
      "--id",
      "bad",
      "--tfjs-backend",
      "cpu",
      "--models",
      "bad-out",
      "--manifest",
      "bad-out/manifest.json",
    ];
    const shapes = await cli(["--checkpoint", "broken", "--directions", "BtoA", ...common]);
    expect(shapes.code).toBe(1);
    expect(shapes.err).toMatch(/model\.4\.weight has shape \[8,4,1,1\], expected \[8,4,3,3\]/);
    expect(existsSync(path.join(root, "bad-out"))).toBe(false);
  });

  it("checks --check-size and --epoch while parsing, naming the flag", async () => {
    const common = ["--checkpoint", "ckpt", "--id", "bad", "--models", "bad-out"];
    const size = await cli([...common, "--check-size", "30"]);
    expect(size.code).toBe(1);
    expect(size.err).toMatch(/--check-size must be a multiple of 4.*got "30"/);
    expect(size.err).not.toMatch(/image is/);
    const small = await cli([...common, "--check-size", "8"]);
    expect(small.code).toBe(1);
    expect(small.err).toMatch(/--check-size must be at least 16.*got "8"/);
    const epoch = await cli([...common, "--epoch", "abc"]);
    expect(epoch.code).toBe(1);
    expect(epoch.err).toMatch(/--epoch must be latest, an epoch number or iter_N \(got "abc"\)/);
    expect(epoch.err).not.toMatch(/no checkpoint/);
    // A .safetensors file as --checkpoint still works; the good spellings of --epoch still parse.
    for (const e of ["latest", "3", "iter_120"]) {
      const r = await cli([...common, "--epoch", e, "--dtypes", "fp8"]);
      expect(r.err).not.toMatch(/--epoch/);
      expect(r.err).toMatch(/--dtypes takes/);
    }
    expect(existsSync(path.join(root, "bad-out"))).toBe(false);
  });

  it("exports from a .safetensors file to --models DIR alone: the manifest is DIR/manifest.json", async () => {
    const r = await cli([
      "--checkpoint",
      "ckpt/latest.safetensors",
      "--epoch",
      "7",
      "--id",
      "solo",
      "--dtypes",
      "fp32",
      "--directions",
      "AtoB",
      "--check-size",
      "16",
      "--tfjs-backend",
      "cpu",
      "--models",
      "solo-out",
    ]);
    expect(r.err).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const manifest = parseManifest(
      JSON.parse(readFileSync(path.join(root, "solo-out/manifest.json"), "utf8")),
    );
    expect(manifest.models.map((m) => m.id)).toEqual(["solo"]);
    expect(existsSync(path.join(root, "models"))).toBe(false);
    expect(r.out).toMatch(/and solo-out\/manifest\.json/);
  });

  it("verify refuses a --manifest that does not exist instead of passing every file as not listed", async () => {
    const file = path.join(root, "out/toy/AtoB.fp32.onnx");
    const r = await cli(["verify", file, "--manifest", "out/typo.json"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/out\/typo\.json does not exist/);
    expect(r.out).not.toMatch(/not listed/);
  });

  it("names the file of bad --metrics JSON, of a manifest of the wrong shape, and refuses a directory as --manifest", async () => {
    mkdirSync(path.join(root, "inputs"), { recursive: true });
    writeFileSync(path.join(root, "inputs/metrics.json"), '[{"name": "PSNR"');
    writeFileSync(path.join(root, "inputs/manifest.json"), '{"schemaVersion": 1, "models": 3}');
    const common = ["--checkpoint", "ckpt", "--id", "named", "--tfjs-backend", "cpu"];
    const metrics = await cli([
      ...common,
      "--metrics",
      "inputs/metrics.json",
      "--models",
      "named-out",
    ]);
    expect(metrics.code).toBe(1);
    expect(metrics.err).toMatch(
      /inputs\/metrics\.json is not valid JSON .*must be a JSON array of metrics/,
    );
    const shape = await cli([
      ...common,
      "--manifest",
      "inputs/manifest.json",
      "--models",
      "named-out",
    ]);
    expect(shape.code).toBe(1);
    expect(shape.err).toMatch(/inputs\/manifest\.json: invalid model manifest/);
    const dir = await cli([...common, "--manifest", "inputs", "--models", "named-out"]);
    expect(dir.code).toBe(1);
    expect(dir.err).toMatch(/--manifest inputs is a directory.*inputs\/manifest\.json/);
    const verify = await cli([
      "verify",
      "out/toy/AtoB.fp32.onnx",
      "--manifest",
      "inputs/manifest.json",
    ]);
    expect(verify.code).toBe(1);
    expect(verify.err).toMatch(/inputs\/manifest\.json: invalid model manifest/);
    expect(existsSync(path.join(root, "named-out"))).toBe(false);
  });

  it("fails clearly without --id or --checkpoint, or with a bad dtype", async () => {
    expect((await cli(["--checkpoint", "ckpt"])).err).toMatch(/--id is required/);
    expect((await cli(["--id", "x"])).err).toMatch(/--checkpoint is required/);
    expect((await cli(["--checkpoint", "ckpt", "--id", "x", "--dtypes", "fp8"])).err).toMatch(
      /--dtypes takes a comma list of: fp32, fp16, int8/,
    );
    expect((await cli(["--checkpoint", "nowhere", "--id", "x", "--license", "MIT"])).err).toMatch(
      /no checkpoint at nowhere/,
    );
  });
});
