/**
 * `npm run export -- upgrade`: a model published before the statistics
 * contract (tests/fixtures/legacy-resnet6-ngf4.*.onnx, written by the old
 * exporter) is rebuilt from its fp32 weights: the new files have the
 * statistics I/O, compute what the old ones did, the manifest says how to
 * call them, and samples, provenance and licence stay byte for byte.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelEntry, parseManifest, STANDARD_IO } from "../../models/schema.ts";
import { testPhoto } from "../../scripts/lib/test-photo.ts";
import { onnxRunner, useTfjsBackend } from "../../training/export/infer.ts";
import { syntheticImage } from "../../training/export/samples.ts";
import { upgradeModel } from "../../training/export/upgrade.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { countMacs, countParams, normChannels } from "../../training/networks/spec.ts";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const spec = buildGenerator("resnet_6blocks", { ngf: 4 });
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let dir: string;
let manifestPath: string;

/** A models folder holding the legacy files under `id`, with a manifest entry as the old exporter wrote it. */
async function publishLegacy(id: string, o: { ngf?: number; dtypes?: ("fp32" | "int8")[] } = {}) {
  const folder = path.join(dir, id);
  const { mkdirSync } = await import("node:fs");
  mkdirSync(folder, { recursive: true });
  const variants = (o.dtypes ?? ["fp32", "int8"]).map((dtype) => {
    const file = `AtoB.${dtype}.onnx`;
    copyFileSync(path.join(FIXTURES, `legacy-resnet6-ngf4.${dtype}.onnx`), path.join(folder, file));
    const bytes = readFileSync(path.join(folder, file));
    return {
      dtype,
      file,
      bytes: bytes.length,
      sha256: sha(bytes),
      opset: 17,
      providers: ["wasm" as const],
      requires: [],
      check: { maxAbsDiff: 0, psnrDb: 100 },
    };
  });
  // Textured: a flat image has no spread to normalise, and rounding noise decides the output.
  const input = await sharp(await testPhoto(64, 48))
    .jpeg()
    .toBuffer();
  writeFileSync(path.join(folder, "sample-AtoB-1.in.jpg"), input);
  writeFileSync(path.join(folder, "sample-AtoB-1.out.jpg"), input);
  const entry: ModelEntry = {
    id,
    title: "Legacy",
    description: "written by the exporter before the statistics contract",
    domains: { A: { name: "a", description: "" }, B: { name: "b", description: "" } },
    generators: [
      {
        direction: "AtoB",
        architecture: {
          netG: "resnet_6blocks",
          ngf: o.ngf ?? 4,
          upsample: "transpose",
          params: countParams(spec),
          macs256: countMacs(spec, 256, 256),
        },
        io: { ...STANDARD_IO, sizeMultiple: 4, trainedSize: 64, recommendedMaxSide: 64 },
        variants,
      },
    ],
    provenance: {
      kind: "imported",
      source: "legacy fixture",
      sha256: "0".repeat(64),
      date: "2026-01-01T00:00:00.000Z",
    },
    metrics: [],
    license: { spdx: "MIT", attribution: "test" },
    samples: [
      {
        direction: "AtoB",
        input: "sample-AtoB-1.in.jpg",
        output: "sample-AtoB-1.out.jpg",
        width: 64,
        height: 48,
      },
    ],
  };
  const manifest = parseManifest({ schemaVersion: 1, models: [entry] });
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return folder;
}

beforeAll(async () => {
  await useTfjsBackend("wasm");
});

describe("export upgrade", () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "upgrade-"));
    manifestPath = path.join(dir, "manifest.json");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rebuilds legacy files with statistics I/O that compute what the old files did", async () => {
    const folder = await publishLegacy("legacy");
    const sampleBefore = readFileSync(path.join(folder, "sample-AtoB-1.in.jpg"));
    const result = await upgradeModel({
      id: "legacy",
      modelsDir: dir,
      manifestPath,
      checkSide: 64,
    });
    expect(result.written, JSON.stringify(result.rows)).toBe(true);
    const fp32Row = result.rows.find((r) => r.dtype === "fp32");
    expect(fp32Row?.["vs old"]).not.toBeNull();
    expect(fp32Row?.["vs old"] as number).toBeLessThanOrEqual(1e-5);

    const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, "utf8")));
    const g = manifest.models[0]?.generators[0];
    const length = 2 * normChannels(spec).reduce((a, b) => a + b, 0);
    expect(g?.io.normStats).toEqual({
      input: "norm_stats",
      freeze: "norm_freeze",
      output: "norm_stats_out",
      length,
    });
    expect(manifest.models[0]?.provenance.kind).toBe("imported");
    expect(readFileSync(path.join(folder, "sample-AtoB-1.in.jpg")).equals(sampleBefore)).toBe(true);

    const image = syntheticImage(48, 3);
    for (const dtype of ["fp32", "int8"] as const) {
      const bytes = readFileSync(path.join(folder, `AtoB.${dtype}.onnx`));
      expect(g?.variants.find((v) => v.dtype === dtype)?.sha256).toBe(sha(bytes));
      const now = await onnxRunner(bytes, 4);
      const old = await onnxRunner(
        readFileSync(path.join(FIXTURES, `legacy-resnet6-ngf4.${dtype}.onnx`)),
        4,
      );
      expect([now.statsLength, old.statsLength]).toEqual([length, 0]);
      const [a, b] = [await now.run(image), await old.run(image)];
      const gap = a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - (b.data[i] as number))), 0);
      expect(gap, dtype).toBeLessThanOrEqual(1e-5);
      await Promise.all([now.release(), old.release()]);
    }
  }, 120_000);

  it("refuses weights that do not match the manifest, and a model without an fp32 file, changing nothing", async () => {
    await publishLegacy("wrong", { ngf: 8 });
    const before = readFileSync(manifestPath, "utf8");
    await expect(
      upgradeModel({ id: "wrong", modelsDir: dir, manifestPath, checkSide: 64 }),
    ).rejects.toThrow(
      /holds resnet_6blocks ngf 4 \(transpose\), the manifest says resnet_6blocks ngf 8 \(transpose\)/,
    );
    expect(readFileSync(manifestPath, "utf8")).toBe(before);

    await publishLegacy("int8only", { dtypes: ["int8"] });
    await expect(
      upgradeModel({ id: "int8only", modelsDir: dir, manifestPath, checkSide: 64 }),
    ).rejects.toThrow(/no fp32 variant to rebuild from/);
    await expect(
      upgradeModel({ id: "nope", modelsDir: dir, manifestPath, checkSide: 64 }),
    ).rejects.toThrow(/no model "nope" .*it lists: int8only/);
  }, 60_000);
});
