/**
 * The site's .pth import: its plain-JavaScript float32 reference
 * (site/src/lib/pth-reference.ts) against the independent float64 forward of
 * tests/import and against onnxruntime-node running the exporter's fp32 file;
 * and the CSP-safe protobuf encoder (training/export/proto-reflect.ts) against
 * protobufjs's compiled one, byte for byte, on whole models.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { STANDARD_IO } from "../../models/schema.ts";
import { STANDARD_IO as WORKER_IO } from "../../site/src/lib/pth-io.ts";
import { PROBE_SIDE, probeImage, referenceForward } from "../../site/src/lib/pth-reference.ts";
import { onnxRunner } from "../../training/export/infer.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { useOnnxProtoSource } from "../../training/export/proto.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { referenceResnet } from "../import/reference-resnet.ts";

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe("the .pth import's float32 reference", () => {
  for (const norm of ["instance", "batch", "none"] as const) {
    it(`equals the float64 forward and onnxruntime-node (resnet_6blocks, ngf 4, ${norm} norm)`, async () => {
      const spec = buildGenerator("resnet_6blocks", { ngf: 4, norm });
      // Without norms activations grow layer by layer: smaller weights keep float32 rounding small.
      const weights = randomWeights(spec, { seed: 3, gain: norm === "none" ? 0.08 : 0.2 });
      const [w, h] = [PROBE_SIDE, 20];
      const image = probeImage(PROBE_SIDE).subarray(0, 3 * h * w);
      const ours = referenceForward(spec, weights, image, w, h);
      const truth = referenceResnet(weights, 6, image, h, w, norm);
      expect(maxAbs(ours, truth)).toBeLessThanOrEqual(1e-5);
      const session = await onnxRunner(buildOnnx(spec, weights, "fp32"), 4);
      const out = await session.run({ data: image, width: w, height: h });
      await session.release();
      expect(maxAbs(ours, out.data)).toBeLessThanOrEqual(1e-4);
    });
  }

  for (const inputSkip of ["full", "colour"] as const)
    it(`equals onnxruntime-node with --input_skip ${inputSkip}`, async () => {
      const spec = buildGenerator("resnet_6blocks", { ngf: 4, inputSkip });
      const weights = randomWeights(spec, { seed: 3, gain: 0.2 });
      const [w, h] = [PROBE_SIDE, 20];
      const image = probeImage(PROBE_SIDE).subarray(0, 3 * h * w);
      const ours = referenceForward(spec, weights, image, w, h);
      const session = await onnxRunner(buildOnnx(spec, weights, "fp32"), 4);
      const out = await session.run({ data: image, width: w, height: h });
      await session.release();
      expect(maxAbs(ours, out.data)).toBeLessThanOrEqual(1e-4);
      // and it is not the plain generator's output
      const plain = buildGenerator("resnet_6blocks", { ngf: 4 });
      expect(maxAbs(ours, referenceForward(plain, weights, image, w, h))).toBeGreaterThan(0.01);
    });

  it("the probe is fixed, in [-1, 1], and not flat", () => {
    const a = probeImage();
    expect(a).toEqual(probeImage());
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    expect(new Set(a).size).toBeGreaterThan(a.length / 2);
  });
});

describe("the import worker's I/O contract", () => {
  it("is the manifest's STANDARD_IO (restated there so the worker loads no zod)", () => {
    expect(WORKER_IO).toEqual(STANDARD_IO);
  });
});

describe("the CSP-safe ONNX encoder", () => {
  it("buildOnnx writes the same bytes without compiled codecs as with them, for every variant", () => {
    const source = readFileSync(
      new URL("../../training/export/onnx.proto", import.meta.url),
      "utf8",
    );
    const spec = buildGenerator("resnet_6blocks", { ngf: 2, norm: "batch" });
    const weights = randomWeights(spec, { seed: 5 });
    try {
      for (const dtype of ["fp32", "fp16", "int8"] as const) {
        useOnnxProtoSource(source);
        const compiled = buildOnnx(spec, weights, dtype);
        useOnnxProtoSource(source, { compiled: false });
        const reflected = buildOnnx(spec, weights, dtype);
        expect(reflected.length).toBeGreaterThan(1000);
        expect(Buffer.from(reflected).equals(Buffer.from(compiled))).toBe(true);
      }
    } finally {
      useOnnxProtoSource(source);
    }
  });
});
